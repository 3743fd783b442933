"""The report's data: what its figures cover (data as of, campaign in progress) and the campaign's
cumulative curve, from plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracker.report import queries as q
from tracker.report.content import Report, apart, daily_totals, tier_key

ENDS = datetime(2025, 12, 20, 13, tzinfo=UTC)  # 21:00 in Asia/Shanghai


def report(as_of: datetime | None, ends: datetime | None = ENDS,
           generated: datetime = datetime(2026, 1, 5, tzinfo=UTC)) -> Report:
    camp = q.Campaign("acme", "c1", "Launch", "Asia/Shanghai", "CNY", "CNY", datetime(2025, 9, 1, tzinfo=UTC), ends)
    return Report(camp, generated, {}, [], [], [], [], [], [], None, "", [], [], [], data_as_of=as_of)


def test_the_data_line_gives_the_latest_snapshot_in_the_campaign_time_zone_and_says_the_campaign_runs_on() -> None:
    line = report(datetime(2025, 9, 11, 4, 48, 37, tzinfo=UTC), generated=datetime(2025, 9, 12, tzinfo=UTC)).data_line()
    assert line == "data as of 2025-09-11 12:48 · campaign in progress (ends 2025-12-20)"


def test_a_report_generated_after_the_end_reads_ended_and_says_how_much_of_the_end_has_no_snapshot() -> None:
    """Generated 2026-01-05, the campaign ended 2025-12-20 21:00 (Asia/Shanghai), the latest snapshot is of
    2025-12-16 20:00: not "in progress", which a client would read as a report sent mid-campaign."""
    assert report(datetime(2025, 12, 16, 12, tzinfo=UTC)).data_line() == (
        "data as of 2025-12-16 20:00 · campaign ended 2025-12-20 · no snapshot in its last 4 days")
    assert report(datetime(2025, 12, 20, 8, tzinfo=UTC)).status() == (
        "campaign ended 2025-12-20 · no snapshot in its last 5 h")


def test_after_the_end_the_campaign_reads_ended_and_without_an_end_date_nothing_is_claimed() -> None:
    assert report(datetime(2025, 12, 21, tzinfo=UTC)).data_line() == (
        "data as of 2025-12-21 08:00 · campaign ended 2025-12-20")
    assert report(datetime(2025, 9, 11, tzinfo=UTC), ends=None).data_line() == "data as of 2025-09-11 08:00"


def test_before_the_first_snapshot_the_report_says_so() -> None:
    assert report(None).data_line() == "no snapshot yet · campaign ended 2025-12-20"  # generated 2026-01-05
    assert report(None, ends=datetime(2026, 3, 1, tzinfo=UTC)).data_line() == (
        "no snapshot yet · campaign in progress (ends 2026-03-01)")


def row(post: str, day: int, first: float, last: float) -> dict:
    return {"post_id": post, "day": date(2025, 9, day), "first": first, "last": last}


def test_daily_totals_carry_a_post_forward_and_set_apart_what_its_first_snapshot_found() -> None:
    """b is first seen on the 3rd with a million engagements it gathered before tracking began;
    a has no grid hour on the 3rd and still counts its 80."""
    days = daily_totals([row("a", 1, 10, 50), row("a", 2, 55, 80), row("b", 3, 1_000_000, 1_000_100)])
    assert days == [
        {"day": date(2025, 9, 1), "cumulative": 50.0, "carried": 10.0, "started": 1},
        {"day": date(2025, 9, 2), "cumulative": 80.0, "carried": 10.0, "started": 0},
        {"day": date(2025, 9, 3), "cumulative": 1_000_180.0, "carried": 1_000_010.0, "started": 1},
    ]


def test_tiers_read_from_the_smallest_to_the_largest_within_a_platform() -> None:
    rows = [{"platform": p, "creator_tier": t} for p, t in (("douyin", "top"), ("bilibili", "mid"),
                                                            ("douyin", "koc"), ("douyin", "mid"), ("douyin", "?"))]
    assert [(r["platform"], r["creator_tier"]) for r in sorted(rows, key=tier_key)] == [
        ("bilibili", "mid"), ("douyin", "koc"), ("douyin", "mid"), ("douyin", "top"), ("douyin", "?")]


def ranked(*ids: str) -> list[dict]:
    return [{"post_id": i} for i in ids]


def test_a_campaign_with_fewer_posts_than_the_lists_hold_lists_each_post_once_top_half_first() -> None:
    """7 posts, top 10 and bottom 10: before, every post was listed twice ("top 1" … "bottom 7")."""
    top, bottom = apart(ranked("a", "b", "c", "d", "e", "f", "g"), ranked("g", "f", "e", "d", "c", "b", "a"))
    assert [r["post_id"] for r in top] == ["a", "b", "c", "d"]
    assert [r["post_id"] for r in bottom] == ["g", "f", "e"]
    one = apart(ranked("a"), ranked("a"))
    assert one == (ranked("a"), [])


def test_lists_that_do_not_overlap_are_kept_whole() -> None:
    assert apart(ranked("a", "b"), ranked("d", "c")) == (ranked("a", "b"), ranked("d", "c"))
