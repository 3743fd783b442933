"""Scheduling without services: cadence in event time, the lazy heap, the quota's priority order,
the breaker, incremental comment paging."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tracker.collect.breaker import Breaker
from tracker.collect.cadence import HOUR, Cadence, priority
from tracker.collect.comments import CommentState, read_new
from tracker.collect.model import Comment, CommentPage
from tracker.collect.quota import Quota
from tracker.collect.scheduler import Scheduler

T0 = datetime(2025, 9, 10, tzinfo=UTC).timestamp()
C = Cadence()


def test_cadence_dense_when_young_or_heated_sparse_when_old() -> None:
    assert C.interval(1, False) == 15 * 60
    assert C.interval(30, False) == 60 * 60
    assert C.interval(100, False) == 180 * 60
    assert C.interval(2000, False) == 720 * 60
    assert C.interval(2000, True) == 15 * 60
    assert [priority(a, h) for a, h in ((500, True), (10, False), (100, False), (500, False))] == [0, 1, 2, 3]


def test_next_due_brackets_heating_and_stops_at_tracking_end() -> None:
    published, end = T0, T0 + 30 * 24 * HOUR
    now = T0 + 10 * 24 * HOUR  # old: every 6 h
    start = now + HOUR
    assert C.next_due(now, published, end) == now + 6 * HOUR
    assert C.next_due(now, published, end, [(start, start + 24 * HOUR)]) == start  # pulled to the onset
    assert C.next_due(start + 2 * HOUR, published, end, [(start, start + 24 * HOUR)]) == start + 2 * HOUR + 15 * 60
    assert C.next_due(end - 60, published, end) == end  # a last refresh at the end
    assert C.next_due(end, published, end) is None
    assert C.next_due(T0 - 100, published, end) == published  # not before publication


def test_scheduler_pops_due_posts_once_in_due_order_with_lazy_deletion() -> None:
    s = Scheduler(C, ["douyin", "youtube"])
    for i in range(5):
        assert s.upsert(f"douyin:{i}".encode(), "acme", "douyin", T0 - i * 24 * HOUR, None, now=T0)
    assert not s.upsert(b"weibo:1", "acme", "weibo", T0, None, now=T0)  # no source configured
    s.upsert(b"douyin:9", "acme", "douyin", T0 + 3600, None, now=T0)  # not yet published
    s.upsert(b"douyin:0", "acme", "douyin", T0, None, now=T0)  # re-import: stale entry left behind
    due = s.pop_due("douyin", T0, 100)
    assert sorted(s.ref(x).post_id for x in due) == [f"douyin:{i}" for i in range(5)]
    assert s.pop_due("douyin", T0, 100) == []  # in flight, and the stale entry is dropped
    assert s.next_due("douyin") == T0 + 3600
    for slot in due:
        s.done(slot, T0)
    young, old = s.index[b"douyin:0"], s.index[b"douyin:4"]
    assert s.due[young] == T0 + 15 * 60 and s.due[old] == T0 + 180 * 60
    assert s.remove(b"douyin:0")
    assert young not in s.pop_due("douyin", T0 + 16 * 60, 100)
    assert s.live_of("douyin") == 5  # 1..4 and 9


def test_scheduler_failed_and_deferred_come_back_later() -> None:
    s = Scheduler(C, ["douyin"])
    s.upsert(b"douyin:1", "acme", "douyin", T0 - 200 * HOUR, T0 + 100 * HOUR, now=T0)
    (slot,) = s.pop_due("douyin", T0, 10)
    s.failed(slot, T0)
    assert s.due[slot] == T0 + 120
    s.pop_due("douyin", T0 + 120, 10)
    s.defer(slot, T0 + 120)
    assert s.due[slot] == T0 + 120 + 6 * HOUR


def test_heating_pulls_the_next_refresh_forward() -> None:
    s = Scheduler(C, ["douyin"])
    s.upsert(b"douyin:1", "acme", "douyin", T0 - 200 * HOUR, None, now=T0)
    (slot,) = s.pop_due("douyin", T0, 10)
    s.done(slot, T0)
    assert s.due[slot] == T0 + 6 * HOUR
    s.set_heating(b"douyin:1", "h1", T0 + HOUR, T0 + 25 * HOUR, now=T0)
    assert s.due[slot] == T0 + HOUR
    assert s.priority(slot, T0 + HOUR) == 0
    s.set_heating(b"douyin:1", "h1", None, None, now=T0)  # cancelled
    assert s.priority(slot, T0 + HOUR) == 3


def test_drop_partitions_forgets_their_posts() -> None:
    s = Scheduler(C, ["douyin"])
    for i in range(10):
        s.upsert(f"douyin:{i}".encode(), "acme", "douyin", T0, None, now=T0, partition=i % 2)
    assert s.drop_partitions({1}) == 5
    assert len(s) == 5 and len(s.pop_due("douyin", T0, 100)) == 5


def test_quota_spends_on_heated_and_young_before_old() -> None:
    q = Quota(100, "UTC")
    start_of_day = datetime(2025, 9, 10, 0, 0, tzinfo=UTC).timestamp()
    served = {p: 0 for p in range(4)}
    for _ in range(200):  # old asks first each round: it must still be stopped first
        for prio in (3, 2, 1, 0):
            if q.allows(prio, 1, start_of_day):
                q.spend(1, start_of_day)
                served[prio] += 1
    assert q.remaining(start_of_day) == 0
    assert served[3] < served[2] < served[1] + served[0]
    assert served[3] <= 51 and served[2] <= 26
    midday = start_of_day + 12 * HOUR
    q2 = Quota(100, "UTC")
    q2.spend(70, midday)  # 30 left at midday: the old may spend down to 25
    assert q2.allows(3, 1, midday) and not q2.allows(3, 6, midday)
    q2.exhaust(midday)
    assert not q2.allows(0, 1, midday) and q2.remaining(start_of_day + 24 * HOUR) == 100


def test_unlimited_quota_and_reset_by_zone() -> None:
    assert Quota(None).allows(3, 1, T0)
    pacific = Quota(10, "America/Los_Angeles")
    now = datetime(2025, 9, 10, 6, 59, tzinfo=UTC).timestamp()  # 23:59 in Los Angeles
    pacific.spend(10, now)
    assert pacific.remaining(now) == 0
    assert pacific.remaining(now + 120) == 10


def test_breaker_opens_probes_and_closes() -> None:
    clock = [0.0]
    b = Breaker(failures=3, cooldown=10, clock=lambda: clock[0])
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.state == "open" and not b.allow() and b.wait_seconds() == 10
    clock[0] = 10
    assert b.allow() and not b.allow()  # one probe at a time
    b.failure()
    assert b.state == "open" and b.cooldown == 20
    clock[0] = 30
    assert b.allow()
    b.success()
    assert b.state == "closed" and b.allow()


def _comments(n: int) -> list[Comment]:
    base = datetime(2025, 9, 10, tzinfo=UTC)
    return [Comment(f"c{i:04d}", f"text {i}", base + timedelta(minutes=i)) for i in range(n)]


class NewestFirst:
    """A comment endpoint paging newest first, 10 per page (cursor = index of the next)."""

    def __init__(self, comments: list[Comment]) -> None:
        self.comments = comments
        self.calls = 0

    async def __call__(self, cursor: str | None) -> CommentPage:
        self.calls += 1
        top = len(self.comments) - 1 if cursor is None else int(cursor)
        page = [self.comments[i] for i in range(top, max(top - 10, -1), -1)]
        nxt = top - 10
        return CommentPage(page, str(nxt) if nxt >= 0 else None)


def test_incremental_comments_read_only_what_is_new_and_resume_a_backfill() -> None:
    all_comments = _comments(75)
    api = NewestFirst(all_comments[:45])
    state = CommentState()
    first = asyncio.run(read_new(api, state, True, max_pages=3)).comments
    assert len(first) == 30 and state.resume is not None  # ran out of pages: resume later
    api.comments = all_comments  # 30 more arrive
    second = asyncio.run(read_new(api, state, True, max_pages=5)).comments
    got = {c.comment_id for c in first + second}
    assert got == {c.comment_id for c in all_comments}
    assert asyncio.run(read_new(api, state, True, max_pages=5)).comments == []  # the last backfill page ends at once
    assert state.resume is None
    api.calls = 0
    assert asyncio.run(read_new(api, state, True, max_pages=5)).comments == []
    assert api.calls == 1  # nothing new: one page, stopped at the high-water mark


def test_oldest_first_continues_from_the_offset() -> None:
    comments = _comments(25)

    async def api(cursor: str | None) -> CommentPage:
        start = int(cursor or 0)
        page = comments[start:start + 10]
        nxt = start + len(page)
        return CommentPage(page, str(nxt) if nxt < len(comments) else None, resume=str(nxt))

    state = CommentState()
    assert len(asyncio.run(read_new(api, state, False, 5)).comments) == 25
    comments += _comments(30)[25:]
    later = asyncio.run(read_new(api, state, False, 5)).comments
    assert [c.comment_id for c in later] == [f"c{i:04d}" for i in range(25, 30)]


@pytest.mark.parametrize(("text", "value", "rounded"), [
    ("1.2万", 12000, True), ("10万", 100000, True), ("987", 987, False), ("1,234", 1234, False), (5, 5, False),
    ("3.5w", 35000, True), (None, None, False),
])
def test_counts_from_display_texts(text: object, value: int | None, rounded: bool) -> None:
    from tracker.collect.counts import count

    assert count(text, "likes", "xiaohongshu") == (value, rounded)


@pytest.mark.parametrize("bad", ["-5", "abc", -1, True, 1.5, "1.2亿亿"])
def test_counts_refuse_what_is_not_a_count(bad: object) -> None:
    from tracker.collect import errors as e
    from tracker.collect.counts import count

    with pytest.raises(e.InvalidResponse):
        count(bad, "likes", "xiaohongshu")


def test_a_probe_answered_without_a_verdict_closes_the_breaker() -> None:
    """A probe refused for its own sake (400) or by a spent quota left the breaker probing: every
    later request was refused as "circuit open" until a restart."""
    clock = [0.0]
    b = Breaker(failures=1, cooldown=10, clock=lambda: clock[0])
    b.failure()
    b.settle()  # no probe out: an open breaker stays open
    assert b.state == "open" and not b.allow()
    clock[0] = 10
    assert b.allow()
    b.settle()
    assert b.state == "closed" and b.allow() and b.allow()
