"""SIGKILL after a batch is applied and before its insert, with the analytics on.

``test_worker_faults`` kills a worker with the analytics off and counts snapshots and totals. With
them on, the curves must come out as an uninterrupted worker's (another group, same topics). When
the states went to the changelog before the insert, a killed batch's records were replayed onto
states that had applied them: the curve emits no hour row for a duplicate, so the hours that batch
filled were never stored, and whole posts had no curve.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.fixtures.data import registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.reliability

POSTS, HOURS = 40, 60
CURVE_HOURS = "SELECT post_id, count() FROM curves FINAL WHERE metric = 'views' GROUP BY post_id ORDER BY post_id"


def curve_hours(worker: WorkerProcess) -> dict[str, int]:
    return dict(worker.client().query(CURVE_HOURS).result_rows)


@pytest.mark.timeout(900)
def test_a_killed_batch_loses_no_curve_hour(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i) for i in range(POSTS)]))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                        [snapshot(i, k) for k in range(HOURS) for i in range(POSTS)]))
    env = {"TRACKER_WORKER_BATCH_MAX": "500", "TRACKER_WORKER_BUFFER": "1000"}
    clean = WorkerProcess(kafka, tracker_topics, tmp_path / "clean", TRACKER_WORKER_APP_ID="clean", **env).start()
    try:
        clean.wait_caught_up(t.SNAPSHOTS, timeout=300)
        expected = curve_hours(clean)
    finally:
        clean.stop()
    assert len(expected) == POSTS

    killed = WorkerProcess(kafka, tracker_topics, tmp_path / "killed", TRACKER_WORKER_APP_ID="killed", **env)
    for kill_after in (2, 3):
        killed.start(TRACKER_FAULT_KILL_AFTER_BATCHES=str(kill_after))
        assert killed.wait_exit(timeout=300) == -signal.SIGKILL, killed.log.read_text()[-3000:]
    killed.start()
    try:
        killed.wait_caught_up(t.SNAPSHOTS, timeout=300)
        assert killed.scalar("SELECT count() FROM snapshots FINAL") == POSTS * HOURS  # the facts are all there
        assert curve_hours(killed) == expected
    finally:
        killed.stop()
