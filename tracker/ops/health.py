"""What a process's health endpoints say, and the broker watch behind them.

``/healthz`` is liveness: 200 while the process answers, its body ``"status": "ok"`` or
``"degraded"`` with the reasons. A restart brings no broker back and frees no disk, so a
degraded process stays live. ``/readyz`` is readiness: the same body, 503 while degraded.

Degraded means one of:

- Kafka unreachable: every process (worker, collectors, notifier) probes its bootstrap
  servers every ``BrokerWatch.every`` seconds (a connection and an ApiVersions request, as
  every Kafka client starts); a produce delivered by the collectors counts as contact too.
  ``tracker_kafka_connected`` and ``tracker_kafka_last_contact_timestamp_seconds`` say it
  to Prometheus (``TrackerBrokerUnreachable``).
- the sink paused: the worker's partitions are paused because the store refuses inserts
  (``tracker_sink_paused`` 1: a full disk, the server down).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import REGISTRY

from tracker.ops import metrics

log = logging.getLogger(__name__)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Health:
    """The conditions that make a process degraded, each with the time it began (unix seconds)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.broker_down_since: float | None = None
        self.broker_detail = ""
        self.sink_paused_since: float | None = None

    def broker_reached(self) -> None:
        """Kafka answered (a probe, a delivered produce)."""
        now = self.clock()
        if self.broker_down_since is not None:
            log.warning("Kafka reachable again after %.0f s", now - self.broker_down_since)
        self.broker_down_since = None
        metrics.KAFKA_CONNECTED.set(1)
        metrics.KAFKA_LAST_CONTACT.set(now)

    def broker_unreachable(self, detail: str) -> None:
        """A probe found no Kafka server answering (``detail`` says what each one did)."""
        self.broker_detail = detail
        if self.broker_down_since is None:
            self.broker_down_since = self.clock()
            log.error("Kafka unreachable: %s", detail)
        metrics.KAFKA_CONNECTED.set(0)

    def observe_sink(self) -> None:
        """Note when ``tracker_sink_paused`` turned 1 (the worker's sink sets it)."""
        paused = (REGISTRY.get_sample_value("tracker_sink_paused") or 0.0) > 0
        if not paused:
            self.sink_paused_since = None
        elif self.sink_paused_since is None:
            self.sink_paused_since = self.clock()

    def reasons(self) -> list[str]:
        """Why the process is degraded, oldest condition first; empty when it is not."""
        self.observe_sink()
        found: list[tuple[float, str]] = []
        if self.broker_down_since is not None:
            found.append((self.broker_down_since, f"broker unreachable since {_iso(self.broker_down_since)}"
                          + (f" ({self.broker_detail})" if self.broker_detail else "")))
        if self.sink_paused_since is not None:
            found.append((self.sink_paused_since, f"sink paused since {_iso(self.sink_paused_since)} "
                          "(the store refuses inserts; offsets wait)"))
        return [text for _, text in sorted(found)]

    def report(self) -> dict[str, object]:
        """``{"status": "ok"}`` or ``{"status": "degraded", "reasons": [...]}``."""
        reasons = self.reasons()
        return {"status": "degraded", "reasons": reasons} if reasons else {"status": "ok"}


HEALTH = Health()
"""The process's one health state (like its metrics registry)."""


def servers(bootstrap: str) -> list[tuple[str, int]]:
    """(host, port) of each bootstrap server (port 9092 when left out)."""
    out: list[tuple[str, int]] = []
    for server in bootstrap.split(","):
        server = server.strip()
        if not server:
            continue
        host, sep, port = server.rpartition(":")
        if not sep or not port.isdigit():
            host, port = server, "9092"
        out.append((host.strip("[]"), int(port)))
    return out


async def probe(bootstrap: str, timeout: float = 3.0) -> str | None:
    """None when a bootstrap server answers an ApiVersions request within ``timeout`` s; else
    what each one did."""
    from aiokafka.conn import create_conn
    from aiokafka.errors import KafkaError

    failures: list[str] = []
    for host, port in servers(bootstrap):
        try:
            conn = await asyncio.wait_for(
                create_conn(host, port, client_id="tracker-health", request_timeout_ms=int(timeout * 1000)), timeout)
        except (OSError, KafkaError, TimeoutError) as exc:
            failures.append(f"{host}:{port}: {exc or type(exc).__name__}")
            continue
        conn.close()
        return None
    return "; ".join(failures) or f"no bootstrap server in {bootstrap!r}"


class BrokerWatch:
    """Probes Kafka every ``every`` seconds and tells ``health``."""

    def __init__(self, bootstrap: str, health: Health = HEALTH, every: float = 5.0, timeout: float = 3.0) -> None:
        self.bootstrap = bootstrap
        self.health = health
        self.every = every
        self.timeout = timeout

    async def check(self) -> bool:
        """One probe; True when Kafka answered."""
        detail = await probe(self.bootstrap, self.timeout)
        if detail is None:
            self.health.broker_reached()
        else:
            self.health.broker_unreachable(detail)
        self.health.observe_sink()
        return detail is None

    async def run(self) -> None:
        """Probe until cancelled."""
        while True:
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - a probe's own bug must not end the watch
                log.exception("broker probe failed")
            await asyncio.sleep(self.every)


@contextlib.asynccontextmanager
async def watching(bootstrap: str, every: float = 5.0):  # noqa: ANN201 - AsyncIterator[BrokerWatch]
    """Run a ``BrokerWatch`` for the body's lifetime."""
    watch = BrokerWatch(bootstrap, every=every)
    task = asyncio.create_task(watch.run(), name="broker-watch")
    try:
        yield watch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
