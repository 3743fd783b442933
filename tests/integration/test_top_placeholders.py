"""``tracker top`` does not count a placeholder totals row as a snapshot.

An older worker wrote a post_totals row for every registered post,
observed or not: as_of 1970-01-01 (tracker/stream/processor.py EPOCH), every
counter null. Stores it wrote keep that row for each post never observed since.
`tracker top` counted such a post as one with a snapshot, so a campaign whose
posts had none read "the platforms here (douyin) do not expose it" where it
should say that no post has a snapshot yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import Result

from tests.integration.test_roi import post, put, totals
from tracker.store.store import Store

pytestmark = pytest.mark.integration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def placeholder(post_id: str, campaign: str) -> dict[str, object]:
    """The totals row an old worker wrote for a registered post it had not observed."""
    return {**totals("acme", post_id, campaign, None, None, None, None, None, None), "as_of": EPOCH, "status": "ok",
            "version": 1}


@pytest.fixture
def cli(store: Store, campaign_cli: Callable[..., Result]) -> Callable[..., Result]:
    """Campaign c3 of acme: douyin:7 and douyin:8, neither observed, each with a placeholder row;
    douyin:9 observed (saves 40)."""
    put(store, "posts", [post("acme", f"douyin:{i}", "c3", "cr1", "mid", "video") for i in (7, 8, 9)])
    put(store, "post_totals", [placeholder("douyin:7", "c3"), placeholder("douyin:8", "c3"),
                               totals("acme", "douyin:9", "c3", 1_000, 100, 10, 5, 40, None)])
    return campaign_cli


def test_a_placeholder_is_not_a_snapshot(cli: Callable[..., Result]) -> None:
    result = cli("top", "--campaign", "c3", "--tenant", "acme", "--metric", "searches")
    assert result.exit_code == 0, result.output
    assert ("no post of c3 (acme/c3) has searches: the platforms here (douyin) do not expose it; "
            "2 of its 3 posts have no snapshot yet") in result.output, result.output


def test_posts_with_only_a_placeholder_have_no_snapshot(cli: Callable[..., Result], store: Store) -> None:
    put(store, "post_totals", [{**totals("acme", "douyin:9", "c3", None, None, None, None, None, None),
                                "as_of": EPOCH, "version": 9}])  # douyin:9 too: only a placeholder now
    result = cli("top", "--campaign", "c3", "--tenant", "acme", "--metric", "saves")
    assert result.exit_code == 0, result.output
    assert "no post of c3 (acme/c3) has saves: none of its 3 posts has a snapshot yet" in result.output, result.output


def test_ranked_posts_are_the_observed_ones(cli: Callable[..., Result]) -> None:
    rows = json.loads(cli("top", "--campaign", "c3", "--tenant", "acme", "--metric", "saves", "--format",
                          "json").output)["posts"]
    assert [r["post_id"] for r in rows] == ["douyin:9"]


def test_the_table_names_each_post_by_its_title(cli: Callable[..., Result], store: Store) -> None:
    put(store, "posts", [{**post("acme", "douyin:9", "c3", "cr1", "mid", "video"), "title": "油皮精华｜实测一个月",
                          "version": 2}])
    table = cli("top", "--campaign", "c3", "--tenant", "acme", "--metric", "saves").output
    header, _, row = table.splitlines()[1:4]
    assert "title" in header and "douyin:9" in row and "油皮精华｜实测一个月" in row, table
