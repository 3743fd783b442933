"""A ``PostStalled`` that fired before a restart resolves afterwards.

The stall watcher lives in memory: after a restart (every deploy) an alert it had fired was
known to no one, and its row stayed firing in ``alerts`` for good — on the ops board, after
the post's snapshots came back and after its tracking ended. The worker reads the firing ones
back at start; the post's next snapshot resolves it, with the start it fired at.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fixtures.data import post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration

COLUMNS = ["tenant", "alert_id", "post_id", "campaign_id", "alert", "state", "severity", "starts_at", "summary",
           "evidence", "suggestion", "version"]


def test_a_stall_that_fired_before_a_restart_resolves_on_the_next_snapshot(kafka: str, tracker_topics: str,
                                                                           tmp_path: Path) -> None:
    pid, other = post_id(3), post_id(4)
    fired = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    silence = int((fired - timedelta(hours=1)).timestamp())
    rows = [("acme", f"{p}:PostStalled:{silence}", p, "c0", "PostStalled", "firing", "warning", fired,
             "no fresh snapshot for this post", "{}", "", int(fired.timestamp() * 1000)) for p in (pid, other)]
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).prefill({"alerts": (COLUMNS, rows)}).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(3), registry(4)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(3, 0)]))
        worker.wait_for(f"SELECT countIf(state = 'resolved') FROM alerts FINAL WHERE post_id = '{pid}'", 1)
        ((starts, ends),) = worker.client().query(
            f"SELECT starts_at, ends_at FROM alerts FINAL WHERE post_id = '{pid}'").result_rows
        assert starts.replace(tzinfo=UTC) == fired and ends.replace(tzinfo=UTC) > fired
        worker.wait_for(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{pid}'", 1)
        assert worker.scalar(f"SELECT state FROM alerts FINAL WHERE post_id = '{other}'") == "firing"  # still silent
    finally:
        worker.stop()
