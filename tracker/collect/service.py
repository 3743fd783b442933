"""The collectors as one unit: ``Collection`` (plain asyncio) and ``CollectorService`` (mode).

``tracker run`` calls ``collector_services(settings)`` and runs the returned
services inside the Faust worker's event loop; ``tracker collect`` runs the same
service alone with its own /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
import mode

from tracker.collect.accounts import Accounts
from tracker.collect.cadence import Cadence
from tracker.collect.clock import Clock, SimulatorClock, WallClock
from tracker.collect.collector import Collector, Options, Runner
from tracker.collect.config import PlatformConfig, platform_configs
from tracker.collect.feed import RegistryFeed
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.plan import waiting
from tracker.collect.platforms import adapter_for
from tracker.collect.produce import Producer
from tracker.collect.renewal import Renewals
from tracker.collect.scheduler import Scheduler
from tracker.collect.tokens import STATE_FILE, TokenState
from tracker.ops import metrics
from tracker.ops.logs import hold_back_repeats
from tracker.settings import Settings

log = logging.getLogger(__name__)


def discipline(settings: Settings) -> Discipline:
    return Discipline(max_attempts=max(1, settings.collect_max_attempts),
                      backoff_max=settings.collect_backoff_max_seconds, max_pause=settings.collect_max_pause_seconds,
                      breaker_failures=settings.collect_breaker_failures,
                      breaker_cooldown=settings.collect_breaker_cooldown_seconds,
                      risk_backoff=settings.collect_risk_backoff_seconds)


def make_clock(settings: Settings) -> Clock:
    """The simulator's clock when collecting from the simulator, else the wall clock."""
    if settings.collect_simulator_url:
        return SimulatorClock(settings.collect_simulator_url)
    return WallClock()


class Collection:
    """Clock, scheduler, registry feed, producer and per-platform loops, started and stopped together."""

    def __init__(self, settings: Settings, *, group: bool = True,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.skipped: dict[str, str] = {}
        """Platforms not collected, with what to set (their posts wait in the registry)."""
        self.accounts = Accounts(settings.accounts_file, settings.accounts_reload_seconds)
        """Per-creator accounts of the owner-only APIs (TRACKER_ACCOUNTS_FILE), reread when it changes."""
        self.configs: dict[str, PlatformConfig] = platform_configs(settings, self.skipped, self.accounts)
        self.clock = make_clock(settings)
        self.renewals = Renewals(self.accounts, TokenState(settings.data_dir / STATE_FILE), self.clock)
        """Creators' tokens renewed from their refresh tokens, kept under the data directory."""
        self.scheduler = Scheduler(Cadence.from_settings(settings), list(self.configs))
        self.feed = RegistryFeed(settings, self.scheduler, self.clock, group=group,
                                 sources={cfg.platform: cfg.source for cfg in self.configs.values()})
        self.producer = Producer(settings)
        self.discipline = discipline(settings)
        self.transport = transport
        self.runners: list[Runner] = []
        self.collector: Collector | None = None
        self.tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        """Start everything; returns once the loops run (the registry keeps loading)."""
        hold_back_repeats()  # a broker outage makes aiokafka repeat itself hundreds of times a second
        for platform, what in self.skipped.items():
            log.warning("%s is not collected: %s", platform, what)
        await self.clock.start()
        self.runners = [Runner(cfg, adapter_for(cfg), PlatformHttp(cfg, self.clock, self.discipline, self.transport))
                        for cfg in self.configs.values()]
        for runner in self.runners:
            if runner.adapter.owner_only:
                self.renewals.add(runner.adapter, runner.http)
        self.renewals.reconcile()  # the tokens renewed before this start, in force from the first request
        for cfg in self.configs.values():  # each platform's series from the start, at 0: TrackerNoSnapshots
            metrics.SNAPSHOTS_PRODUCED.labels(cfg.platform)  # sees a platform that never produced one
        await self.producer.start()
        await self.feed.start()
        self.collector = Collector(self.scheduler, self.runners, self.producer, self.clock, Options(
            comments=self.settings.collect_comments, comment_every_hours=self.settings.collect_comment_every_hours,
            comment_max_pages=self.settings.collect_comment_max_pages, tick=self.settings.collect_tick_seconds))
        wake = asyncio.Event()
        self.feed.on_change.append(wake)
        self.tasks = [asyncio.create_task(self.feed.run(), name="registry-feed"),
                      asyncio.create_task(self.collector.run(), name="collector"),
                      asyncio.create_task(self._relay(wake), name="collector-wake"),
                      asyncio.create_task(self._say_waiting(), name="collector-accounts"),
                      asyncio.create_task(self.renewals.run(), name="collector-token-renewals")]
        log.info("collecting %s (%s)", ", ".join(f"{c.platform}→{c.base_url}" for c in self.configs.values()),
                 self.clock.label)

    async def _say_waiting(self) -> None:
        """Once the registry is loaded: which creators' posts wait for authorisation, per platform."""
        await self.feed.loaded.wait()
        if self.collector is not None:
            adapters = {r.platform: r.adapter for r in self.runners}
            for platform, creators in waiting(self.scheduler, adapters).items():
                self.collector.log_waiting(platform, creators)

    async def _relay(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            if self.collector is not None:
                self.collector.wake()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks = []
        await self.renewals.close()  # a rotated refresh token reaches the state file before the clients close
        await self.feed.stop()
        await self.producer.stop()
        for runner in self.runners:
            await runner.http.aclose()
        await self.clock.stop()

    async def __aenter__(self) -> Collection:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class CollectorService(mode.Service):
    """``Collection`` as a mode Service, for the Faust worker's loop (``tracker run``) or alone."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.collection: Collection | None = None

    async def on_start(self) -> None:
        self.collection = Collection(self.settings)
        await self.collection.start()

    async def on_stop(self) -> None:
        if self.collection is not None:
            await self.collection.stop()


def collector_services(settings: Settings) -> list[mode.Service]:
    """The services ``tracker run`` adds to its worker: the collectors."""
    return [CollectorService(settings)]
