"""Health endpoints and repeated log records, without services: /healthz stays 200 (liveness)
while /readyz fails with the reasons — a Kafka bootstrap on a port nothing listens on (a real
refused connection) and the sink's paused gauge — and aiokafka's repeated connection errors
reach the log once a minute with a count."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tracker.broker.node import free_port
from tracker.ops import metrics
from tracker.ops.health import HEALTH, Health, servers
from tracker.ops.logs import Repeats, hold_back_repeats
from tracker.ops.web import metrics_app


@pytest.fixture
def fresh_health() -> Iterator[Health]:
    HEALTH.broker_down_since = HEALTH.sink_paused_since = None
    yield HEALTH
    metrics.SINK_PAUSED.set(0)
    HEALTH.broker_down_since = HEALTH.sink_paused_since = None


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_servers_of_a_bootstrap_list() -> None:
    assert servers("a:9093, b ,[::1]:9094") == [("a", 9093), ("b", 9092), ("::1", 9094)]


def test_sink_paused_and_broker_unreachable_are_reasons_with_their_start() -> None:
    now = [1_757_836_800.0]  # 2025-09-14 08:00Z
    health = Health(clock=lambda: now[0])
    assert health.report() == {"status": "ok"}
    metrics.SINK_PAUSED.set(1)
    try:
        health.observe_sink()
        now[0] += 60
        health.broker_unreachable("127.0.0.1:1: refused")
        now[0] += 60
        assert health.report() == {"status": "degraded", "reasons": [
            "sink paused since 2025-09-14T08:00:00Z (the store refuses inserts; offsets wait)",
            "broker unreachable since 2025-09-14T08:01:00Z (127.0.0.1:1: refused)"]}
        health.broker_unreachable("still refused")  # the start stays
        assert "since 2025-09-14T08:01:00Z" in health.reasons()[1]
        health.broker_reached()
        assert metrics.KAFKA_CONNECTED._value.get() == 1  # noqa: SLF001
    finally:
        metrics.SINK_PAUSED.set(0)
    assert health.report() == {"status": "ok"}


def test_healthz_stays_live_while_readyz_says_why_it_is_not_ready(fresh_health: Health) -> None:
    closed = free_port()

    async def scenario() -> None:
        app = metrics_app(lambda: {"batches": 3}, bootstrap=f"127.0.0.1:{closed}")
        async with TestClient(TestServer(app)) as client:
            for _ in range(100):
                if fresh_health.broker_down_since is not None:
                    break
                await asyncio.sleep(0.05)
            metrics.SINK_PAUSED.set(1)
            live = await client.get("/healthz")
            ready = await client.get("/readyz")
            assert live.status == 200 and ready.status == 503
            body = await live.json()
            assert body == await ready.json()
            assert body["status"] == "degraded" and body["batches"] == 3
            assert [r.split(" since ")[0] for r in body["reasons"]] == ["broker unreachable", "sink paused"]
            assert f"127.0.0.1:{closed}" in body["reasons"][0]
            assert metrics.KAFKA_CONNECTED._value.get() == 0  # noqa: SLF001

    asyncio.run(scenario())


def test_repeats_let_one_of_a_kind_through_per_interval_with_the_count() -> None:
    now = [0.0]
    limit = Repeats(every=60, clock=lambda: now[0])
    logger = logging.getLogger("tests.repeats")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    records = Records()
    logger.addHandler(records)
    logger.addFilter(limit)
    try:
        for i in range(500):
            logger.error("Unable connect to node with id %s: %s", 1, f"refused {i}")
            logger.error("Unable connect to \"%s:%s\": %s", "127.0.0.1", 9092, "refused")
            now[0] += 0.1
        logger.warning("Unable connect to node with id %s: %s", 1, "refused")  # another level: another kind
        assert len(records.lines) == 3
        now[0] = 61
        logger.error("Unable connect to node with id %s: %s", 1, "refused again")
        assert records.lines[-1] == "Unable connect to node with id 1: refused again (499 more like this in the last 61 s not logged)"
        logger.error("Unable connect to node with id %s: %s", 1, "refused")
        assert len(records.lines) == 4
    finally:
        logger.removeHandler(records)
        logger.removeFilter(limit)


def test_the_count_of_repeats_held_back_is_written_by_the_log_formatter_of_tracker_run(
        capsys: pytest.CaptureFixture[str]) -> None:
    """tracker run and tracker worker format their log with Faust's formatter, which turned the
    counted line's arguments into (None,): a broker outage longer than a minute wrote a
    "--- Logging error ---" traceback in its place, once a minute per kind."""
    import io

    from mode.utils.logging import ExtensionFormatter

    now = [0.0]
    logger = logging.getLogger("tests.repeats.formatted")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(ExtensionFormatter(out, fmt="%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.addFilter(Repeats(every=60, clock=lambda: now[0]))
    try:
        for _ in range(3):
            logger.error("Unable connect to node with id %s: %s", 1, "[Errno 111] Connect call failed")
            now[0] += 31
    finally:
        logger.removeHandler(handler)
    assert "Logging error" not in capsys.readouterr().err
    assert out.getvalue().splitlines()[-1] == ("ERROR Unable connect to node with id 1: [Errno 111] Connect call failed "
                                               "(1 more like this in the last 62 s not logged)")


def test_aiokafka_loggers_get_the_limit(caplog: pytest.LogCaptureFixture) -> None:
    limit = Repeats(every=60)
    hold_back_repeats(limit=limit)
    client = logging.getLogger("aiokafka")  # aiokafka/client.py logs here
    try:
        assert limit in client.filters and limit in logging.getLogger("aiokafka.conn").filters
        with caplog.at_level(logging.ERROR, logger="aiokafka"):
            for _ in range(200):
                client.error("Unable connect to node with id %s: %s", 1, "[Errno 111] Connect call failed")
        assert len([r for r in caplog.records if r.name == "aiokafka"]) == 1
    finally:
        for name in list(logging.root.manager.loggerDict):
            if name.startswith("aiokafka"):
                logging.getLogger(name).removeFilter(limit)


def test_late_timers_of_the_workers_services_are_held_back(caplog: pytest.LogCaptureFixture) -> None:
    from mode.timers import Timer

    limit = Repeats(every=60)
    hold_back_repeats(limit=limit)
    timers = logging.getLogger("mode.timers")
    try:
        clock = [0.0]
        timer = Timer(1.0, name="Worker._stall_watch", clock=lambda: clock[0])
        with caplog.at_level(logging.INFO, logger="mode.timers"):
            for _ in range(50):  # each sleep of 1 s ends 3 s later: a batch held the loop
                timer.tick()
                clock[0] += 3.0
                timer.on_before_yield()
        late = [r for r in caplog.records if "woke up too late" in r.getMessage()]
        assert timer.drifting_late > 1 and len(late) == 1
    finally:
        timers.removeFilter(limit)


def test_kubernetes_readiness_is_readyz_and_liveness_healthz() -> None:
    from pathlib import Path

    import yaml

    docs = yaml.safe_load_all((Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "tracker.yaml")
                              .read_text())
    pods = [d["spec"]["template"]["spec"] for d in docs if d and d["kind"] == "Deployment"]
    assert pods
    for pod in pods:
        for container in pod["containers"]:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
