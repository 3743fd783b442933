"""A malformed line of a JSON Lines snapshot or heating file is one refused row, named with its
line and reason like any bad row; the other lines are read (``snapshots import``, ``analyze``).
No services: imports run with --dry-run and --tenant, against unreachable services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli.main import main

UNREACHABLE = {"TRACKER_KAFKA_BOOTSTRAP": "127.0.0.1:19092", "TRACKER_CLICKHOUSE_URL": "http://127.0.0.1:9"}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=UNREACHABLE, catch_exceptions=False)


def lines(n: int = 30) -> list[str]:
    return [json.dumps({"post_id": "douyin:1", "observed_at": f"2025-09-01T{h % 24:02d}:00:00Z"
                        if h < 24 else f"2025-09-02T{h % 24:02d}:00:00Z", "views": 100 * (h + 1),
                        "likes": 5 * (h + 1)}) for h in range(n)]


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".json"])
def test_snapshots_import_refuses_a_malformed_line_and_reads_the_rest(tmp_path: Path, suffix: str) -> None:
    rows = lines(5)
    rows.insert(1, "not json at all")
    rows.insert(4, "[1, 2]")
    path = tmp_path / f"mine{suffix}"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    result = invoke("snapshots", "import", str(path), "--dry-run", "--tenant", "acme")
    assert result.exit_code == 2, result.output
    assert "would send 5 snapshot(s)" in result.output
    assert "2 row(s) refused" in result.output
    assert "line 2: not valid JSON" in result.output
    assert "line 5: not a JSON object" in result.output


def test_snapshots_import_of_only_malformed_lines_sends_nothing_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\nnope\n", "utf-8")
    result = invoke("snapshots", "import", str(path), "--dry-run", "--tenant", "acme")
    assert result.exit_code == 1, result.output
    assert "line 1: not valid JSON" in result.output and "line 2: not valid JSON" in result.output


def test_analyze_refuses_a_malformed_line_of_snapshots_and_of_heating(tmp_path: Path) -> None:
    rows = lines(30)
    rows.insert(10, '{"post_id": "douyin:1", "observed_at": ')
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    heating = tmp_path / "heat.jsonl"
    heating.write_text(json.dumps({"post_id": "douyin:1", "start": "2025-09-01T10:00:00Z", "spend": 100}) + "\n"
                       "}{\n", "utf-8")
    result = CliRunner().invoke(main, ["analyze", str(path), "--heating", str(heating), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "mine.jsonl line 11: not valid JSON" in result.stderr
    assert "heat.jsonl line 2: not valid JSON" in result.stderr
    report = json.loads(result.stdout)[0]
    assert report["snapshots"] == 30


def test_snapshots_import_help_names_json_lines() -> None:
    text = invoke("snapshots", "import", "--help").output
    assert "JSON Lines" in text or "JSONL" in text
