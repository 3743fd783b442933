"""The README Quickstart's count of snapshots over the read endpoint counts a replayed snapshot
once: without FINAL it counted the duplicate rows a replay leaves until the engine merges them
(1325 raw against 1324 after a kill -9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from tracker.store.store import Store

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = ["tenant", "post_id", "observed_at", "platform", "views", "status", "source", "src_partition",
           "src_offset", "version"]


def quickstart_counts() -> list[str]:
    """The SQL of every ``?query=`` of the Quickstart that counts a table."""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [unquote_plus(q) for q in re.findall(r"\?query=([^'\s]+)", section) if "count()" in unquote_plus(q)]


def test_the_quickstart_counts_a_replayed_snapshot_once(store: Store) -> None:
    queries = quickstart_counts()
    assert queries, "the Quickstart shows a count over the read endpoint"
    at = datetime(2025, 9, 1, 12, tzinfo=UTC)
    for offset in (7, 9):  # one snapshot in two records (sent again after a kill -9): two rows until a merge
        store.insert_sync("snapshots", [["qa", "douyin:1", at, "douyin", 100, "ok", "api", 0, offset, offset]],
                          COLUMNS)
    assert store.query_sync("SELECT count() FROM snapshots").scalar() >= 2  # unmerged: the duplicates are there
    for sql in queries:
        assert store.query_sync(sql.replace("tracker.", "")).scalar() == 1, sql


def quickstart_sql() -> list[str]:
    """The SQL of every ``tracker sql "…"`` of the Quickstart."""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r'tracker sql "([^"]+)"', section)


def test_the_quickstart_lists_registered_posts_once_with_their_latest_counters(store: Store) -> None:
    """A post's totals are upserted after every snapshot (rows of each version until a merge), and a post
    deleted from the registry keeps its last totals row: the Quickstart's list of posts by views read
    post_totals and showed the deleted post among the campaign's, which no ROI figure counts."""
    queries = quickstart_sql()
    assert queries, "the Quickstart shows a tracker sql query"
    posts = ["tenant", "post_id", "platform", "campaign_id", "published_at", "deleted", "version"]
    store.insert_sync("posts", [["qa", "douyin:1", "douyin", "c1", datetime(2025, 9, 1, tzinfo=UTC), 0, 1],
                                ["qa", "douyin:2", "douyin", "c1", datetime(2025, 9, 1, tzinfo=UTC), 0, 1]], posts)
    store.insert_sync("posts", [["qa", "douyin:2", "douyin", "c1", datetime(2025, 9, 1, tzinfo=UTC), 1, 2]], posts)
    totals = ["tenant", "post_id", "platform", "campaign_id", "as_of", "status", "views", "engagements", "version"]
    at = datetime(2025, 9, 2, tzinfo=UTC)
    for version, views in ((1, 100), (2, 300)):  # two upserts of douyin:1's totals, unmerged
        store.insert_sync("post_totals", [["qa", "douyin:1", "douyin", "c1", at, "ok", views, views // 10, version]],
                          totals)
    store.insert_sync("post_totals", [["qa", "douyin:2", "douyin", "c1", at, "ok", 5_000, 500, 9]], totals)
    for sql in queries:
        assert store.query_sync(sql).rows == [("douyin:1", 300, 30)], sql
