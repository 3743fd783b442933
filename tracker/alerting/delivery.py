"""Deliver chat messages: one rate limiter per channel, retries with backoff, metrics.

Every attempt is signed afresh (signatures carry a timestamp the platform checks
against its clock). Throttling replies wait for ``Retry-After`` (or the platform's
documented penalty, ``THROTTLE_SECONDS``) and also hold back the channel's next
messages; a wait longer than ``SHORT_WAIT`` is not slept here: the digest is handed
back (``Outcome.LATER``) and the channel's lane resumes once ``ready_in`` has passed.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tracker.alerting.change import AlertChange
from tracker.alerting.chat.base import Channel, Reply
from tracker.alerting.dedup import Seen
from tracker.alerting.digest import CampaignDigest, Digests, Entry
from tracker.alerting.ratelimit import RateLimiter
from tracker.ops import metrics

log = logging.getLogger(__name__)

THROTTLE_SECONDS = {"feishu": 60.0, "dingtalk": 600.0, "wecom": 60.0}
"""The least wait after a platform's throttling reply, in seconds (PLATFORMS.md §11): Feishu and
WeCom count per minute (100/min, 20/min), DingTalk mutes the bot for 10 minutes. Slack's 429
carries ``Retry-After``, which is honoured as given."""

SHORT_WAIT = 5.0
"""A throttling wait up to this many seconds is slept within ``send``; a longer one defers."""


class Outcome(enum.Enum):
    """How a delivery ended: sent; to try again later (the platform throttled the bot or could not
    be reached); refused for good (a wrong secret, an unknown webhook). True only when sent."""

    SENT = "sent"
    LATER = "later"
    REFUSED = "refused"

    def __bool__(self) -> bool:
        return self is Outcome.SENT


class Courier:
    """Sends digests to one channel within its rate limits."""

    def __init__(self, channel: Channel, http: httpx.AsyncClient, *, attempts: int = 5,
                 backoff: float = 1.0, max_backoff: float = 60.0, timeout: float = 10.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.channel = channel
        self.http = http
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.sleep = sleep
        self.wall_clock = wall_clock
        self.limiter = RateLimiter(channel.windows, clock=clock, sleep=sleep)

    async def send(self, digest: CampaignDigest, *, attempts: int | None = None) -> Outcome:
        """Deliver one digest: SENT once the platform accepted it; LATER when it stayed throttled or
        unreachable through the attempts; REFUSED when it refused the message for good.
        ``attempts`` overrides the courier's (1 at shutdown: no retry, no backoff)."""
        return await self.send_body(self.channel.render(digest), what=f"{digest.tenant}/{digest.campaign}",
                                    attempts=attempts)

    def ready_in(self) -> float:
        """Seconds until the channel takes a message (a throttling penalty holds it back)."""
        return self.limiter.delay(self.limiter.clock())

    async def send_body(self, body: dict[str, Any], what: str = "message", *,
                        attempts: int | None = None) -> Outcome:
        name = self.channel.name
        tries = self.attempts if attempts is None else max(1, attempts)
        for attempt in range(1, tries + 1):
            waited = await self.limiter.acquire()
            if waited:
                metrics.NOTIFICATIONS.labels(name, "throttled").inc()
            url, payload = self.channel.request(body, self.wall_clock())
            reply = await self._post(url, payload)
            if reply.ok:
                metrics.NOTIFICATIONS.labels(name, "sent").inc()
                return Outcome.SENT
            if not reply.retry:
                break
            pause = reply.retry_after if reply.retry_after is not None else self._backoff(attempt)
            if reply.throttled:
                pause = max(pause, THROTTLE_SECONDS.get(name, 0.0))
                self.limiter.penalise(pause)
            if attempt == tries or pause > self.max_backoff or (reply.throttled and pause > SHORT_WAIT):
                metrics.NOTIFICATIONS.labels(name, "deferred").inc()
                log.warning("%s: %s; %s kept for a later round (in %.0f s at the earliest)", name, reply.detail,
                            what, pause)
                return Outcome.LATER
            metrics.NOTIFICATIONS.labels(name, "retried").inc()
            log.warning("%s: %s (attempt %d/%d), retrying in %.1f s", name, reply.detail, attempt, tries, pause)
            await self.sleep(pause)
        metrics.NOTIFICATIONS.labels(name, "failed").inc()
        log.error("%s: giving up on %s: %s", name, what, reply.detail)
        return Outcome.REFUSED

    async def _post(self, url: str, payload: dict[str, Any]) -> Reply:
        try:
            resp = await self.http.post(url, json=payload, timeout=self.timeout)
        except httpx.HTTPError as exc:
            return Reply.again(f"network: {exc!r}")
        return self.channel.reply(resp.status_code, resp.headers, resp.text)

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


def merge(older: CampaignDigest, newer: CampaignDigest) -> CampaignDigest:
    """One digest of a campaign from two queued for a channel: the latest state per alert instance
    (the newer digest's), marked as fired in the interval when either saw it fire. A channel back
    after an outage gets one message per campaign, never a resolve before its fire."""
    entries = {entry.change.alert_id: entry for entry in older.entries}
    for entry in newer.entries:
        before = entries.get(entry.change.alert_id)
        fired = entry.fired_here or (before is not None and (before.fired_here or before.change.firing))
        entries[entry.change.alert_id] = Entry(entry.change, fired_here=fired)
    return CampaignDigest(newer.tenant, newer.campaign, list(entries.values()))


class Lane:
    """One chat channel's own way through the alerts: what it has read, what it owes, what it took.

    Each channel is independent (a failing one never delays nor re-sends another): it has its own
    memory of notified states, its own queue of digests (merged per campaign) and its own committed
    position (``commit``: the notifier stores it as the channel's consumer group). A send that ends
    LATER opens the circuit: the round stops there and the lane pauses, doubling up to
    ``max_pause`` seconds (or the platform's throttling wait, when longer).
    """

    def __init__(self, courier: Courier, commit: Callable[[dict[Any, int]], Awaitable[None]], *,
                 interval: float, max_pause: float = 300.0, max_waiting: int = 500,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.courier = courier
        self.commit = commit
        self.interval = interval
        self.max_pause = max_pause
        self.max_waiting = max_waiting
        self.clock = clock
        self.seen = Seen()
        self.digests = Digests()
        self.start: dict[Any, int | None] = {}
        """Per partition, the channel's committed position when it was assigned (None: none yet)."""
        self.read: dict[Any, int] = {}
        self.done: dict[Any, int] = {}
        """Per partition, the position up to which the channel has everything it is owed."""
        self.waiting: dict[tuple[str, str], CampaignDigest] = {}
        self.failures = 0
        self.resume_at = 0.0

    @property
    def name(self) -> str:
        return self.courier.channel.name

    def offer(self, tp: Any, offset: int, change: AlertChange | None) -> None:
        """One record read from ``tp`` (``change`` None: invalid). Records before the channel's
        committed position were delivered before a restart and are skipped."""
        start = self.start.get(tp)
        if start is not None and offset < start:
            self.done[tp] = max(self.done.get(tp, 0), offset + 1)
            return
        self.done.setdefault(tp, offset)
        self.read[tp] = offset + 1
        if change is not None and self.seen.first(change.dedup_key):
            self.digests.add(change)

    def paused_for(self) -> float:
        """Seconds until the lane should try again (0: now)."""
        return max(0.0, self.resume_at - self.clock(), self.courier.ready_in())

    async def round(self, *, stopping: bool = False) -> list[CampaignDigest]:
        """Send what the channel is owed, one merged digest per campaign; commit when it owes nothing.
        ``stopping``: one attempt each, and none at all while the circuit is open."""
        offsets = dict(self.read)  # taken with the drain, no await between: same changes
        for digest in self.digests.drain():
            key = (digest.tenant, digest.campaign)
            self.waiting[key] = merge(self.waiting[key], digest) if key in self.waiting else digest
        sent: list[CampaignDigest] = []
        for key in sorted(self.waiting):
            if stopping and (self.failures or self.courier.ready_in() > 1.0):
                break
            outcome = await self.courier.send(self.waiting[key], attempts=1 if stopping else None)
            if outcome is Outcome.LATER:
                self.failures += 1
                pause = min(self.max_pause, self.interval * 2 ** (self.failures - 1))
                self.resume_at = self.clock() + max(pause, self.courier.ready_in())
                break
            if outcome is Outcome.SENT:
                sent.append(self.waiting[key])
            del self.waiting[key]
        else:
            self.failures = 0
        if len(self.waiting) > self.max_waiting:
            for key in sorted(self.waiting)[:len(self.waiting) - self.max_waiting]:
                del self.waiting[key]
            metrics.NOTIFICATIONS.labels(self.name, "failed").inc()
            log.error("%s: digests dropped: the channel owes more than %d campaigns", self.name, self.max_waiting)
        if self.waiting:
            log.warning("%s: %d campaign digest(s) wait for the channel; its position is not committed",
                        self.name, len(self.waiting))
        elif offsets:
            self.done.update(offsets)
            await self.commit(offsets)
        return sent
