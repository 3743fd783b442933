"""A command configured for another store than the one a running worker holds in the same data
folder works on its own store: an FX rate went into the worker's store, `db status` named the
configured store but listed the worker's ledger, and `tracker sql` read the worker's store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.worker import WorkerProcess

pytestmark = pytest.mark.integration


def test_a_command_on_another_store_does_not_go_through_the_holder(kafka: str, tracker_topics: str,
                                                                   tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "d1").start()
    other = f"chdb://{tmp_path / 'other_store'}"
    env = {**worker.env, "TRACKER_CLICKHOUSE_URL": other}

    def tracker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tracker", *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)

    try:
        worker.scalar("SELECT 1")  # serving: it holds d1's store
        migrated = tracker("db", "migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert migrated.stdout.startswith(f"{other} database tracker: applied 0001_"), migrated.stdout
        fx = tracker("costs", "fx", "--base", "USD", "--quote", "CNY", "--rate", "7.99", "--date", "2025-09-01")
        assert fx.returncode == 0, fx.stderr
        status = tracker("db", "status")
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith(f"{other} database tracker\n"), status.stdout  # not "held by …"
        read = tracker("sql", "SELECT toString(rate) FROM fx_rates FINAL", "-f", "TSV")
        assert read.returncode == 0, read.stderr
        assert read.stdout.strip() == "7.99"
        assert worker.scalar("SELECT count() FROM fx_rates") == 0  # the worker's store got nothing
        # a worker for the other store cannot hold d1's lock, which serves d1's store: it says what to change
        second = tracker("worker")
        assert second.returncode == 1, second.stderr
        error = " ".join(second.stderr.split())
        assert f"for the store {worker.env['TRACKER_CLICKHOUSE_URL']}, but this command's store is {other}" in error
        assert "give this command another TRACKER_DATA_DIR" in error
    finally:
        worker.stop()
