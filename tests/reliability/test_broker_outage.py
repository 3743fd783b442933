"""A broker outage is visible: a `tracker worker` whose Kafka node stops reports it on
/healthz (still 200: liveness), fails /readyz (503) and sets tracker_kafka_connected 0,
with the time it began; its log gets a few lines per minute, not hundreds; when the node
is back, so is readiness."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.broker import short_lived_node
from tests.fixtures.data import snapshots
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.reliability

OUTAGE_SECONDS = 45


def answer(port: int, path: str) -> tuple[int, dict[str, Any]]:
    resp = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    return resp.status_code, resp.json()


def gauge(port: int, name: str) -> float | None:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    m = re.search(rf"(?m)^{name} (\S+)$", text)
    return float(m.group(1)) if m else None


def wait(condition: Any, timeout: float, what: str, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        assert worker.alive(), f"worker exited; log ends: {worker.log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{what} not seen in {timeout:.0f} s"
        time.sleep(0.5)


@pytest.mark.timeout(900)
def test_a_broker_outage_fails_readiness_not_liveness_and_does_not_flood_the_log(tmp_path: Path) -> None:
    from tracker.broker.topics import create_topics

    node = short_lived_node(tmp_path / "kafka")
    node.start(timeout_s=120)
    worker = None
    try:
        asyncio.run(create_topics(node.bootstrap, partitions=2, prefix="out."))
        worker = WorkerProcess(node.bootstrap, "out.", tmp_path / "w").start()
        asyncio.run(produce(node.bootstrap, "out." + t.SNAPSHOTS, list(snapshots(5, 4))))
        worker.wait_for("SELECT count() FROM snapshots FINAL", 20)
        port = worker.web_port
        wait(lambda: answer(port, "/readyz")[0] == 200 and gauge(port, "tracker_kafka_connected") == 1.0,
             60, "ready with the broker up", worker)
        code, body = answer(port, "/healthz")  # one read: a batch may complete between two
        assert code == 200 and body == {"status": "ok", "batches": body["batches"]}, body
        assert isinstance(body["batches"], int)

        log_before = len(worker.log.read_text().splitlines())
        node.stop()
        stopped = time.time()
        wait(lambda: answer(port, "/readyz")[0] == 503, 60, "/readyz failing", worker)
        code, body = answer(port, "/healthz")
        assert code == 200 and body["status"] == "degraded", body
        (reason,) = body["reasons"]
        assert reason.startswith("broker unreachable since "), reason
        assert answer(port, "/readyz")[1]["reasons"] == [reason]
        assert gauge(port, "tracker_kafka_connected") == 0.0
        assert (gauge(port, "tracker_kafka_last_contact_timestamp_seconds") or 0) <= stopped + 1

        time.sleep(max(0.0, stopped + OUTAGE_SECONDS - time.time()))
        outage = worker.log.read_text().splitlines()[log_before:]
        unable = [line for line in outage if "Unable connect" in line]
        # one line per kind (bootstrap, node) per minute, each client's included: a handful
        assert len(outage) <= 40, f"{len(outage)} log lines in {OUTAGE_SECONDS} s of outage:\n" + "\n".join(outage[:60])
        assert len(unable) <= 4, "\n".join(unable[:20])

        node.start(timeout_s=120)
        wait(lambda: answer(port, "/readyz")[0] == 200, 120, "/readyz ok after the broker is back", worker)
        assert answer(port, "/healthz")[1]["status"] == "ok"
        assert gauge(port, "tracker_kafka_connected") == 1.0
    finally:
        if worker is not None:
            worker.stop()
        node.stop()
