"""PostStalled bookkeeping: fires once per silence, resolves on the next snapshot."""

from tracker.stream.stalls import StallWatcher


def test_fires_after_three_intervals_once_and_resolves() -> None:
    w = StallWatcher(min_interval_s=1)
    for i in range(5):
        assert w.seen("p", "acme", "c1", now=100.0 * i) is None
    assert w.check(now=400 + 250) == []  # 2.5 intervals of silence: not yet
    fired = w.check(now=400 + 310)
    assert [pid for pid, _ in fired] == ["p"]
    assert w.check(now=400 + 900) == []  # once per silence
    assert w.seen("p", "acme", "c1", now=1400.0) == (400.0, 710.0)  # the silence that ended, when it fired
    assert w.check(now=1401.0) == []


def test_a_post_seen_once_has_no_cadence_yet() -> None:
    w = StallWatcher(min_interval_s=1)
    w.seen("p", "acme", "c1", now=0)
    assert w.check(now=10**6) == []
