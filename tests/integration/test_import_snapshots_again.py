"""``tracker snapshots import`` run again after an interrupted import: the rows the store holds
are skipped and counted, not sent again. They went to late_snapshots (93 of 100 rows of one
post, older than its newest stored snapshot by more than the reorder window), counted in
tracker_late_snapshots_total, and the command warned they would not be analysed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fixtures.worker import WorkerProcess
from tracker.broker import topics as t
from tracker.cli.main import main

pytestmark = pytest.mark.integration

POST = "wechat_channels:export-again-1"


def test_an_import_run_again_skips_what_is_stored(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=300)
    lines = ["post_id,as_of,views,likes"] + [
        f"{POST},{start + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ},{1000 + 50 * h},{10 + h}" for h in range(200)]
    half, whole = tmp_path / "half.csv", tmp_path / "whole.csv"
    half.write_text("\n".join(lines[:101]) + "\n")
    whole.write_text("\n".join(lines) + "\n")
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()
    env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}

    def run(path: Path) -> str:
        result = CliRunner().invoke(main, ["snapshots", "import", str(path), "--tenant", "qa"], env=env)
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    try:
        worker.client()
        first = run(half)
        assert "sent 100 snapshot(s)" in first and "already stored" not in first, first
        worker.wait_for("SELECT count() FROM snapshots FINAL", 100)
        again = run(whole)
        assert "sent 100 snapshot(s)" in again, again
        assert "100 row(s) already stored, skipped" in again, again
        assert "late" not in again, again
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.scalar("SELECT count() FROM snapshots FINAL") == 200
        assert worker.scalar("SELECT count() FROM late_snapshots") == 0
        assert "already stored, skipped" in run(whole)  # every row now: nothing sent
    finally:
        worker.stop()
