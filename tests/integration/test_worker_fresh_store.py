"""A worker started on an empty data folder migrates its store at start, says which migrations it
applied, and stores what it reads (the other worker tests start on a copy of a migrated store)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.data import post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t
from tracker.store import migrations

pytestmark = pytest.mark.integration


def test_a_worker_on_an_empty_folder_migrates_its_store_and_stores_snapshots(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, migrated=False)
    assert not (tmp_path / "engine").exists()
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(3)]))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(3, k) for k in range(3)]))
    worker.start()
    try:
        worker.wait_for(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{post_id(3)}'", 3)
        ledger = worker.scalar("SELECT groupArray(version) FROM (SELECT version FROM schema_migrations FINAL "
                               "ORDER BY version)")
    finally:
        worker.stop()
    shipped = [m.version for m in migrations.discover()]
    assert ledger == shipped
    log = worker.log.read_text()
    assert [line.removeprefix("applied migration ") for line in log.splitlines()
            if line.startswith("applied migration ")] == [m.filename for m in migrations.discover()], log[-3000:]
