"""Ratio distributions learned from stored totals: grouped by platform and tier; null, zero
and small counters leave a post out of that ratio only."""

import math

from tracker.stream.ratios import distributions


def test_groups_by_platform_and_tier_and_skips_what_cannot_be_a_ratio() -> None:
    rows = [
        # platform, tier, views, likes, comments, shares, saves
        ("douyin", "micro", 1000, 100, 10, 5, None),
        ("douyin", "micro", 2000, 400, 0, 8, None),
        ("douyin", "micro", 4000, 400, 40, 40, None),
        ("douyin", "macro", 100_000, 1000, 50, 500, 10),
        ("douyin", "micro", 30, 3, 1, 0, None),  # too small to be a ratio
    ]
    stats = distributions(rows)
    assert set(stats) == {("douyin", "micro"), ("douyin", "macro")}
    micro = stats[("douyin", "micro")]
    likes = micro["likes/views"]
    assert likes.n == 3 and math.isclose(likes.median_log, math.log(0.1))
    assert math.isclose(likes.mad_log, 0.0)  # |log .1 − log .1|, |log .2 − log .1|, 0 → median 0
    assert micro["comments/likes"].n == 2  # the zero-comment post is left out of this ratio only
    assert "saves/likes" not in micro  # saves are null on every micro post
    assert stats[("douyin", "macro")]["saves/likes"].n == 1
