"""An alert change survives a crash after its batch was applied and before its insert.

When the worker wrote a batch's states to the changelog before it sent the batch's alerts and
inserted its rows, a kill in between replayed the batch onto states that had applied it:
nothing changed, so nothing was emitted, and a post's ``PostUnavailable`` never fired, in
``tracker.alerts.v1`` or in the ``alerts`` table. The states now go to the changelog after the
insert: the replay starts from the states before the batch and emits the change again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.data import post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, json_records, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration


def test_an_alert_of_a_batch_killed_before_its_insert_fires_after_the_restart(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    pid = post_id(7)
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(7)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(7, k) for k in range(30)]))
        worker.wait_for(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{pid}'", 30)
        worker.wait_caught_up(t.SNAPSHOTS)
    finally:
        worker.stop()

    # the next batch dies once applied, before its alerts are sent, its rows stored and its states written
    worker.start(TRACKER_FAULT_KILL_AFTER_BATCHES="0")
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(7, 30, status="unavailable")]))
    assert worker.wait_exit(120) != 0
    assert "SIGKILL after a batch was applied, before its insert" in worker.log.read_text()

    worker.start()
    try:
        worker.wait_for(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{pid}'", 31)
        worker.wait_for(f"SELECT countIf(state = 'firing') FROM alerts FINAL WHERE post_id = '{pid}' "
                        f"AND alert = 'PostUnavailable'", 1)
        sent = asyncio.run(json_records(kafka, tracker_topics + t.ALERTS, 1))
        assert [(m["post_id"], m["alert"], m["state"]) for m in sent] == [(pid, "PostUnavailable", "firing")]

        # it is not emitted a third time once its batch is stored: the post goes on, the alert stays one
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(7, 31, status="unavailable")]))
        worker.wait_for(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{pid}'", 32)
        worker.wait_caught_up(t.SNAPSHOTS)
        assert len(asyncio.run(json_records(kafka, tracker_topics + t.ALERTS, 3))) == 1
    finally:
        worker.stop()
