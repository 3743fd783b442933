"""A creator of the pool as a registry file writes it: its tier follows its largest account whatever the
order of a flat table's rows, each post keeps its own account's tier, and a file's row over a stored
creator keeps the tags and notes the pool has."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.registry.importer import parse
from tracker.registry.records import Options, creator_record

OPTS = Options(version=2_000, tenant="acme", campaign="launch")
HEADER = "post,creator,creator_name,followers,tier,published_at,fee\n"
DOUYIN = "https://www.douyin.com/video/7300000000000000001,cr-a,Lin,300000,,2025-03-01 10:00,10000"
XHS = "https://www.xiaohongshu.com/explore/64a1b2c3d4e5f6a7b8c9d0e1,cr-a,Lin,1500000,,2025-03-02 10:00,9000"
BILIBILI = "https://www.bilibili.com/video/BV1xx411c7mD,cr-a,Lin,,micro,2025-03-03 10:00,2000"


@pytest.mark.parametrize("rows", [[DOUYIN, XHS, BILIBILI], [BILIBILI, XHS, DOUYIN], [XHS, BILIBILI, DOUYIN]])
def test_a_creators_tier_follows_its_largest_account_whichever_row_comes_first(rows: list[str],
                                                                               tmp_path: Path) -> None:
    """With the Douyin row first, the card read 'mid' (300,000 followers) for a creator with 1.5 million
    on Xiaohongshu, and the Bilibili row given 'micro' was placed as 'mid' too."""
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    (row,) = reg.tables["creators"]
    assert (row["tier"], row["followers"]) == ("macro", 1_500_000)
    assert {m["platform"]: m["creator_tier"] for m in reg.posts} == {"douyin": "mid", "xiaohongshu": "macro",
                                                                     "bilibili": "micro"}


STORED = {"tenant": "acme", "creator_id": "cr-a", "name": "Lin", "tier": "mid", "followers": 300_000,
          "tags": ["beauty", "tone:warm"], "notes": "no alcohol briefs", "version": 5_000}


def row(**given: object) -> dict[str, object]:
    base = {"tenant": "acme", "creator_id": "cr-a", "name": "Lin", "tier": "mid", "followers": 300_000,
            "tags": [], "notes": "", "version": 2_000}
    return {**base, **given}


def test_a_files_row_keeps_the_pools_tags_and_notes_and_adds_its_own() -> None:
    record = creator_record(row(tier="macro", followers=600_000, tags=["vertical:skincare", "beauty"]), STORED, 2_000)
    assert record == {**STORED, "tier": "macro", "followers": 600_000,
                      "tags": ["beauty", "tone:warm", "vertical:skincare"], "version": 5_001}


def test_a_row_without_a_name_or_followers_keeps_the_stored_ones() -> None:
    record = creator_record(row(name="cr-a", followers=None, tier="macro"), STORED, 9_000)
    assert record is not None and (record["name"], record["followers"], record["version"]) == ("Lin", 300_000, 9_000)


def test_a_row_that_changes_nothing_is_not_written_again() -> None:
    assert creator_record(row(tags=["beauty"]), STORED, 9_000) is None


def test_a_new_creator_is_written_as_the_file_gives_it() -> None:
    assert creator_record(row(tags=["beauty"]), None, 2_000) == row(tags=["beauty"])
