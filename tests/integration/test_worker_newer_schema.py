"""A worker started on a store whose schema is newer than its code (a migration in the ledger that
this tracker does not have) says so at start, in the words of `tracker db status`, which exits 1
on the same store; it ran without a word."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fixtures.worker import WorkerProcess

pytestmark = pytest.mark.integration


def test_a_worker_on_a_newer_schema_warns_as_db_status_says(kafka: str, tracker_topics: str,
                                                            tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path)
    worker.prefill({"schema_migrations": (["version", "name", "checksum", "applied_at"],
                                          [(9990, "from_a_newer_release", "0" * 64, datetime.now(UTC))])})
    status = worker.command("db", "status")
    assert status.returncode == 1, status.stderr
    said = status.stderr.strip().removeprefix("Error: ")
    assert "9990_from_a_newer_release" in said and "this tracker is older than the store's schema" in said, said
    worker.start()
    try:
        worker.scalar("SELECT 1")  # started: its start-up lines are written
        log = worker.log.read_text()
    finally:
        worker.stop()
    assert f"warning: {said}" in " ".join(log.split()), log[-3000:]
