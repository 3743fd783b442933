"""TikTok Research queries for saves: videos grouped by publish day into windows of at most 30
days and 100 ids (the Research video query's limits), as few as hold them all."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.collect.platforms.tiktok import RESEARCH_DAYS, RESEARCH_IDS, windows

D0 = date(2025, 9, 1)


def test_no_video_no_query() -> None:
    assert windows({}) == []


def test_a_window_spans_at_most_30_days_from_its_first_video() -> None:
    published = {"a": D0, "b": D0 + timedelta(days=RESEARCH_DAYS), "c": D0 + timedelta(days=RESEARCH_DAYS + 1),
                 "d": D0 + timedelta(days=61), "e": D0 + timedelta(days=62)}
    assert windows(published) == [(D0, D0 + timedelta(days=30), ["a", "b"]),
                                  (D0 + timedelta(days=31), D0 + timedelta(days=61), ["c", "d"]),
                                  (D0 + timedelta(days=62), D0 + timedelta(days=62), ["e"])]


def test_windows_follow_publish_dates_not_the_order_asked() -> None:
    published = {"late": D0 + timedelta(days=45), "early": D0, "mid": D0 + timedelta(days=20)}
    assert windows(published) == [(D0, D0 + timedelta(days=20), ["early", "mid"]),
                                  (D0 + timedelta(days=45), D0 + timedelta(days=45), ["late"])]


def test_more_than_100_videos_of_one_window_are_split() -> None:
    published = {f"{n:03d}": D0 + timedelta(days=n % 10) for n in range(250)}
    groups = windows(published)
    assert [len(ids) for _, _, ids in groups] == [RESEARCH_IDS, RESEARCH_IDS, 50]
    assert sorted(v for _, _, ids in groups for v in ids) == sorted(published)
    for start, end, ids in groups:
        assert all(start <= published[v] <= end for v in ids) and (end - start).days <= RESEARCH_DAYS
