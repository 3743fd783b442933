"""Comment streams: lexicon discipline, truth counts, times in index order."""

from __future__ import annotations

import numpy as np

from tracker.simulate.comments import INTENT, NEGATIVE, CommentStream, comment_times
from tracker.simulate.platforms.xiaohongshu import display_count, parse_display_count

TERMS = ("露米", "Lumi", "小蓝瓶", "Blue Serum")


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(p in text for p in phrases)


def test_texts_carry_exactly_their_category_phrases() -> None:
    for platform, lang in (("douyin", "zh"), ("youtube", "en")):
        stream = CommentStream(11, platform, TERMS, 3000, 0.2, 0.1, 0.3)
        intent = INTENT["zh"] + INTENT["en"]
        negative = NEGATIVE["zh"] + NEGATIVE["en"]
        for i in range(len(stream)):
            text = stream.comment(i, 0.0).text
            cat = int(stream.category[i])
            assert _has(text, intent) == (cat == 1), text
            assert _has(text, negative) == (cat == 2), text
            assert _has(text, TERMS) == bool(stream.brand[i]), text
            if lang == "en":
                assert text.isascii()
        counts = stream.counts()
        assert counts["total"] == 3000 and counts["intent"] > 0 and counts["negative"] > 0


def test_stream_is_deterministic() -> None:
    a = CommentStream(5, "tiktok", TERMS, 50, 0.1, 0.05, 0.2)
    b = CommentStream(5, "tiktok", TERMS, 50, 0.1, 0.05, 0.2)
    assert [a.comment(i, 1.0) for i in range(50)] == [b.comment(i, 1.0) for i in range(50)]


def test_cumulative_counts_follow_the_counter() -> None:
    stream = CommentStream(3, "bilibili", TERMS, 200, 0.3, 0.1, 0.2)
    counter = np.array([0, 10, 50, 200])
    got = stream.cumulative(1, counter)
    assert got[0] == 0 and got[-1] == stream.counts()["intent"]
    assert got[1] == int((stream.category[:10] == 1).sum())


def test_comment_times_keep_index_order_and_precede_visibility() -> None:
    cum = np.array([0, 0, 3, 3, 10, 11])
    times = comment_times(cum, 1000.0, np.arange(11))
    assert np.all(np.diff(times) > 0)
    assert times[0] > 1000.0 + 3600 and times[2] <= 1000.0 + 2 * 3600
    assert times[10] <= 1000.0 + 5 * 3600


def test_xiaohongshu_rounding() -> None:
    assert [display_count(n) for n in (0, 9999, 10000, 12345, 129999, 1234567)] == [
        "0", "9999", "1万", "1.2万", "12.9万", "123.4万"]
    assert parse_display_count("1.2万") == 12000 and parse_display_count("873") == 873
