"""Times the store cannot hold go to the DLQ; they never stop the worker.

A registry entry published in a mistyped year (2205-11-01, past the 2149-06-06 that the store's
``Date`` columns hold) failed the insert of its whole batch as an unrecoverable error: the
worker stopped, and stopped again at every start on the same batch, so nothing more was stored
from any topic. A heating node starting before 1970 did the same through its ``start_day``.
A snapshot dated 1970-01-01 (epoch 0, an export's empty date) was stored and made its post's
curve 55 years long (millions of curve rows, minutes of a blocked event loop)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.fixtures.data import post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, json_records, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration


def with_fields(message: tuple[bytes, bytes], **fields: object) -> tuple[bytes, bytes]:
    """The (key, value) of ``message`` with ``fields`` replaced (raw JSON: no contract check)."""
    key, value = message
    return key, json.dumps({**json.loads(value), **fields}).encode()


def heating(i: int, start: str) -> tuple[bytes, bytes]:
    pid = post_id(i)
    return pid.encode(), json.dumps({
        "tenant": "acme", "post_id": pid, "heating_id": f"h{i}", "channel": "dou+", "start": start,
        "spend": {"amount": "500", "currency": "CNY"}, "status": "executed", "updated_at": "2025-11-01T00:00:00Z",
    }).encode()


@pytest.mark.timeout(300)
def test_times_outside_the_store_go_to_the_dlq_and_the_rest_is_stored(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "w").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [
            registry(0), registry(1),
            with_fields(registry(2), published_at="2205-11-01T00:00:00Z", updated_at="2025-11-01T00:00:00Z"),
        ]))
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [heating(1, "1969-12-31T00:00:00Z")]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [
            with_fields(snapshot(3, 0), observed_at="1970-01-01T00:00:00Z"),
            *(snapshot(i, k) for k in range(4) for i in range(4)),
        ]))
        worker.wait_for("SELECT count() FROM snapshots FINAL", 16)
        worker.wait_for("SELECT count() FROM posts FINAL", 2)
        worker.wait_for("SELECT count() FROM dlq", 3)
        worker.wait_caught_up(t.POSTS)
        worker.wait_caught_up(t.HEATING)
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.alive()
        reasons = dict(worker.client().query("SELECT source_topic, reason FROM dlq").result_rows)
        assert "outside the years tracker accepts" in reasons[t.POSTS], reasons
        assert "outside the years tracker accepts" in reasons[t.HEATING], reasons
        assert "outside the years tracker accepts" in reasons[t.SNAPSHOTS], reasons
        assert worker.scalar("SELECT count() FROM heating_nodes") == 0
        assert worker.scalar("SELECT min(hour) FROM curves WHERE post_id = {p:String}".replace(
            "{p:String}", f"'{post_id(3)}'")).year == 2025
        records = asyncio.run(json_records(kafka, tracker_topics + t.DLQ, 3))
        assert sorted(r["source_topic"] for r in records) == sorted([t.POSTS, t.HEATING, t.SNAPSHOTS])
    finally:
        worker.stop()
