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


def test_a_post_whose_window_closed_is_handed_over_once_and_never_stalled() -> None:
    """The window closes in event time: when a snapshot of any post of its tenant passes the post's
    tracking end."""
    w = StallWatcher(min_interval_s=1)
    for i in range(5):
        w.seen("p", "acme", "c1", now=100.0 * i, observed_ms=1000 * i, tracking_end_ms=10_000)
    assert w.ended() == []  # the watermark (4,000 ms) is before the end
    w.seen("q", "acme", "c1", now=450.0, observed_ms=10_000)
    assert w.check(now=400 + 900) == []  # silent for 9 intervals, but its window has closed
    assert [pid for pid, _ in w.ended()] == ["p"]
    assert w.ended() == []


def test_a_post_polled_after_its_window_closed_resolves_each_alert_once() -> None:
    """A snapshot still read after the window closed (a late export row, records read again after
    a rebalance) hands the post over again, for what it raised; the alerts resolved before are not
    resolved again. Each such snapshot resolved every alert the post's state kept open again."""
    w = StallWatcher(min_interval_s=1)
    for i in range(5):
        w.seen("p", "acme", "c1", now=100.0 * i, observed_ms=1000 * i, tracking_end_ms=10_000)
    w.seen("q", "acme", "c1", now=450.0, observed_ms=10_000)
    [(pid, arrival)] = w.ended()
    assert pid == "p" and w.to_resolve(arrival, {"p:PostDecaying:1": 7}) == [("p:PostDecaying:1", 7)]
    assert w.ended() == []
    w.seen("p", "acme", "c1", now=500.0, observed_ms=9_000, tracking_end_ms=10_000)
    [(pid, arrival)] = w.ended()
    assert w.to_resolve(arrival, {"p:PostDecaying:1": 7, "p:PostUnavailable:status": 9}) == [
        ("p:PostUnavailable:status", 9)]
    assert w.check(now=10**6) == []  # its window has closed: never stalled


def test_a_stall_firing_when_the_window_closes_is_handed_over_with_it() -> None:
    w = StallWatcher(min_interval_s=1)
    for i in range(5):
        w.seen("p", "acme", "c1", now=100.0 * i, observed_ms=1000 * i, tracking_end_ms=10_000)
    assert [pid for pid, _ in w.check(now=710.0)] == ["p"]
    w.seen("q", "acme", "c1", now=800.0, observed_ms=20_000)
    [(pid, arrival)] = w.ended()
    assert (pid, arrival.firing_since, arrival.fired_at) == ("p", 400.0, 710.0)


def test_one_tenants_clock_closes_no_window_of_another() -> None:
    w = StallWatcher(min_interval_s=1)
    for i in range(5):
        w.seen("p", "acme", "c1", now=100.0 * i, observed_ms=1000 * i, tracking_end_ms=10_000)
    w.seen("z", "globex", "g1", now=450.0, observed_ms=50_000)  # another tenant, far later
    assert w.ended() == []
    assert [pid for pid, _ in w.check(now=400 + 900)] == ["p"]  # still inside its window: it stalls
    w.seen("q", "acme", "c2", now=1400.0, observed_ms=10_000)
    assert [pid for pid, _ in w.ended()] == ["p"]


def test_a_post_polled_more_often_than_the_floor_still_stalls() -> None:
    """Every 14 s (a demo clock at 600×): the mean arrival interval, floored at a minute, is its
    usual one, so three minutes of silence fire. Before, such gaps set no interval and it never did."""
    w = StallWatcher(min_interval_s=60)
    for i in range(10):
        w.seen("p", "acme", "c1", now=14.0 * i)
    assert w.posts["p"].interval == 60.0
    assert w.check(now=126 + 150) == []
    assert [pid for pid, _ in w.check(now=126 + 190)] == ["p"]


def test_a_burst_of_arrivals_at_once_sets_no_interval() -> None:
    """A replay after a restart hands over many snapshots within a second: no cadence from that."""
    w = StallWatcher(min_interval_s=60)
    for i in range(50):
        w.seen("p", "acme", "c1", now=1000.0 + i * 0.01)
    assert w.posts["p"].interval is None and w.check(now=10**6) == []


def test_a_stall_read_back_after_a_restart_resolves_on_the_next_snapshot_or_the_window_end() -> None:
    """The watcher lives in memory: a stall that fired before a restart is read back from the store
    (``reopen``) and resolved by the post's next snapshot, or handed over when its window closes;
    a post that had a snapshot since the start is to resolve at once."""
    w = StallWatcher(min_interval_s=1)
    assert w.reopen("p", "acme", "c1", silence=400.0, fired_at=710.0, tracking_end_ms=10_000, now=5000.0)
    assert w.check(now=9000.0) == []  # firing already: not fired twice
    assert w.seen("p", "acme", "c1", now=5100.0) == (400.0, 710.0)
    assert w.reopen("q", "acme", "c1", silence=300.0, fired_at=600.0, tracking_end_ms=10_000, now=5000.0)
    w.seen("r", "acme", "c1", now=5200.0, observed_ms=20_000)
    [(pid, arrival)] = w.ended()
    assert (pid, arrival.firing_since, arrival.fired_at) == ("q", 300.0, 600.0)
    assert not w.reopen("r", "acme", "c1", silence=100.0, fired_at=200.0, tracking_end_ms=None, now=5300.0)
