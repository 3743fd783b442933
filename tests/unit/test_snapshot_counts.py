"""Counters in snapshot files are read alike by ``tracker analyze`` and ``tracker snapshots
import`` (both read files with ``tracker.cli.snapshotfile.read_rows``), in every format: a
fraction (101.5) is bad data from a counter, refused with its line; a whole decimal (102.0,
as spreadsheets write numbers) and a display text with its unit (1.2万, rounded) are counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.broker.node import free_port
from tracker.cli.analyze import analyze
from tracker.cli.snapshotfile import fractional_count

ROOT = Path(__file__).resolve().parents[2]
TIMES = ["2024-06-01T01:00:00Z", "2024-06-01T02:00:00Z", "2024-06-01T03:00:00Z"]
REASON = "views: not a count ({}): counters are whole numbers (a rounded display such as 1.2万 is read)"


def table(path: Path, views: list[object]) -> Path:
    """One post's snapshots with these views, as CSV or a JSON list by the suffix."""
    items = [{"post_id": "douyin:1", "as_of": t, "views": v} for t, v in zip(TIMES, views, strict=True)]
    if path.suffix == ".csv":
        path.write_text("post_id,as_of,views\n" + "".join(f"douyin:1,{t},{v}\n" for t, v in zip(TIMES, views, strict=True)),
                        "utf-8")
    else:
        path.write_text(json.dumps(items), "utf-8")
    return path


def analyzed(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(analyze, [str(path), "--format", "json"])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("name", "views", "where"), [
    ("a.csv", ["100", "101.5", "103"], "a.csv line 3: " + REASON.format("'101.5'")),
    ("a.json", [100, 101.5, 103], "a.json line 1 (item 2): " + REASON.format("101.5")),
])
def test_a_fractional_count_is_refused_in_csv_and_json_alike(tmp_path: Path, name: str, views: list[object],
                                                             where: str) -> None:
    code, out, err = analyzed(table(tmp_path / name, views))
    assert code == 2
    assert where in err
    assert json.loads(out)[0]["snapshots"] == 2


@pytest.mark.parametrize(("name", "views"), [
    ("a.csv", ["100", "102.0", "1.2万"]),
    ("a.json", [100, 102.0, "1.2万"]),
])
def test_whole_decimals_and_display_rounding_are_counts(tmp_path: Path, name: str, views: list[object]) -> None:
    code, out, err = analyzed(table(tmp_path / name, views))
    assert code == 0, err
    assert json.loads(out)[0]["totals"]["views"] == 12_000


def test_a_series_count_is_a_whole_number(tmp_path: Path) -> None:
    path = tmp_path / "series.json"
    path.write_text(json.dumps({"start": "2024-06-01", "daily_likes": [3, 1.5, 2]}), "utf-8")
    code, _, err = analyzed(path)
    assert code == 1 and "likes period 1: 1.5 is not a count (a whole number ≥ 0)" in err
    path.write_text(json.dumps({"start": "2024-06-01", "daily_likes": [3, 2.0, 2]}), "utf-8")
    assert analyzed(path)[0] == 0


@pytest.mark.parametrize(("value", "fraction"), [
    (101.5, True), ("101.5", True), ("1,234.5", True), (" 7.25 ", True),
    (102.0, False), ("102.0", False), ("1.2万", False), ("3.4k", False), (12, False), ("12", False),
    ("many", False), (None, False), (float("nan"), False),
])
def test_fractional_count(value: object, fraction: bool) -> None:
    assert fractional_count(value) is fraction


def test_snapshots_import_refuses_the_same_rows(tmp_path: Path) -> None:
    """Run in a child process, as a user does: it reads the (absent) store."""
    path = table(tmp_path / "a.csv", ["100", "101.5", "1.2万"])
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    env = {"TRACKER_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "TRACKER_DATA_DIR": str(tmp_path / "data"),
           "TRACKER_CLICKHOUSE_URL": f"chdb://{tmp_path / 'store'}"}
    result = subprocess.run([sys.executable, "-m", "tracker", "snapshots", "import", str(path), "--tenant", "acme",
                             "--dry-run"], env={**base, **env}, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "would send 2 snapshot(s)" in result.stdout
    assert f"line 3: {REASON.format(repr('101.5'))}" in result.stderr
