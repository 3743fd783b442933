"""``snapshots import`` refuses a row dated far ahead of today (a mistyped year) with its line, as
the worker would send it to the DLQ; the other rows are sent. No services: --dry-run and --tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from tracker.cli.main import main

UNREACHABLE = {"TRACKER_KAFKA_BOOTSTRAP": "127.0.0.1:19092", "TRACKER_CLICKHOUSE_URL": "http://127.0.0.1:9"}


def test_a_row_dated_years_ahead_is_refused_with_its_line(tmp_path: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:00:00Z")  # clock skew: accepted
    path = tmp_path / "typo.csv"
    path.write_text("post_id,as_of,likes,saves\n"
                    "xiaohongshu:476a0b322a80ebac14a6af58,2025-09-18T20:00:00+08:00,4900,790\n"
                    "xiaohongshu:476a0b322a80ebac14a6af58,2052-09-18T20:00:00+08:00,5000,800\n"
                    f"xiaohongshu:476a0b322a80ebac14a6af58,{soon},5100,810\n", "utf-8")
    result = CliRunner().invoke(main, ["snapshots", "import", str(path), "--dry-run", "--tenant", "acme"],
                                env=UNREACHABLE, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "would send 2 snapshot(s)" in result.output
    line = next(x for x in result.output.splitlines() if "line 3" in x)
    assert "observed_at 2052-09-18T12:00:00.000Z is" in line and "a wrong date?" in line, line

    allowed = CliRunner().invoke(main, ["snapshots", "import", str(path), "--dry-run", "--tenant", "acme"],
                                 env={**UNREACHABLE, "TRACKER_MAX_SNAPSHOT_LEAD_HOURS": "0"}, catch_exceptions=False)
    assert allowed.exit_code == 0 and "would send 3 snapshot(s)" in allowed.output, allowed.output


def test_a_date_alone_is_the_end_of_that_day_and_never_ahead_of_now(tmp_path: Path) -> None:
    """A daily export's 2025-09-18 row holds that day's figures: read as the end of the day (as the
    collectors read the platforms' exports), it follows the same day's 20:00 row; read as midnight
    it was 12 h older and the worker set it aside as late. Today's date is now, not tonight."""
    path = tmp_path / "daily.csv"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    path.write_text("post_id,as_of,likes\n"
                    "xiaohongshu:476a0b322a80ebac14a6af58,2025-09-18T20:00:00+08:00,4900\n"
                    "xiaohongshu:476a0b322a80ebac14a6af58,2025-09-18,5000\n"
                    f"xiaohongshu:476a0b322a80ebac14a6af59,{today},10\n", "utf-8")
    result = CliRunner().invoke(main, ["snapshots", "import", str(path), "--dry-run", "--tenant", "acme",
                                       "--time-zone", "Asia/Shanghai"],
                                env={**UNREACHABLE, "TRACKER_REORDER_WINDOW_HOURS": "2",
                                     "TRACKER_MAX_SNAPSHOT_LEAD_HOURS": "0"}, catch_exceptions=False)
    assert result.exit_code == 0 and "would send 3 snapshot(s)" in result.output, result.output
    assert "rows are late" not in result.output, result.output
