"""A registry file in JSON Lines keeps its good rows when one line is broken: `posts import`
and `sales import` read it like `snapshots import` does (one reader, tracker.registry.reader)."""

from __future__ import annotations

import json
from pathlib import Path

from tracker.registry.importer import parse
from tracker.registry.reader import read
from tracker.registry.records import Options

OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")


def row(i: int) -> str:
    return json.dumps({"creator": f"cr-{i}", "followers": 12000, "platform": "douyin",
                       "post": f"73012345678901234{i:02d}", "published_at": "2025-09-10T12:00:00+08:00",
                       "fee": 1000})


def test_a_broken_line_is_one_refused_row_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join([row(1), "{not json", row(2), "[1, 2]", row(3)]) + "\n", encoding="utf-8")
    rows = read(path).rows
    assert [(r.line, bool(r.problem)) for r in rows] == [(1, False), (2, True), (3, False), (4, True), (5, False)]
    assert "not valid JSON" in rows[1].problem and "not a JSON object" in rows[3].problem
    registry = parse(path, OPTS)
    assert len(registry.posts) == 3
