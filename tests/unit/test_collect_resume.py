"""A post's last poll, read back from its snapshots at a start, schedules it by the cadence (pure:
the scheduler and the reading of snapshot messages; the Kafka read is in
tests/integration/test_collect_resume.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.collect.cadence import HOUR, Cadence
from tracker.collect.model import Observation
from tracker.collect.produce import snapshot_message
from tracker.collect.resume import LastPolls
from tracker.collect.scheduler import IN_FLIGHT, Scheduler

T0 = datetime(2025, 9, 10, tzinfo=UTC).timestamp()
C = Cadence()
OLD = T0 - 200 * HOUR  # published 200 h before T0: every 6 h
YOUNG = T0 - 2 * HOUR  # every 15 min


def test_longest_interval_is_the_old_posts() -> None:
    assert C.longest == 12 * HOUR
    assert Cadence(steps=((6, 15),), old_minutes=60, heated_minutes=90).longest == 1.5 * HOUR


def test_a_post_polled_before_the_start_is_due_by_the_cadence_not_now() -> None:
    s = Scheduler(C, ["douyin"])
    s.upsert(b"douyin:old", "acme", "douyin", OLD, None, now=T0, last=T0 - 10 * 60)
    s.upsert(b"douyin:young", "acme", "douyin", YOUNG, None, now=T0, last=T0 - 10 * 60)
    s.upsert(b"douyin:new", "acme", "douyin", OLD, None, now=T0)  # never polled: at once
    s.upsert(b"douyin:stale", "acme", "douyin", OLD, None, now=T0, last=T0 - 7 * HOUR)  # overdue: at once
    due = {s.ref(slot).post_id for slot in s.pop_due("douyin", T0, 100)}
    assert due == {"douyin:new", "douyin:stale"}
    assert s.due[s.index[b"douyin:old"]] == T0 - 10 * 60 + 6 * HOUR
    assert s.due[s.index[b"douyin:young"]] == T0 - 10 * 60 + 15 * 60
    assert s.due_in([0], T0) == 0 and s.due_in([0], T0 + 5 * 60) == 1 and s.due_in([1], T0 + 5 * 60) == 0


def test_a_resumed_post_is_never_due_later_than_the_cadence_says() -> None:
    s = Scheduler(C, ["douyin"])
    s.upsert(b"douyin:1", "acme", "douyin", OLD, None, now=T0, last=T0 + 5 * HOUR)  # a clock ahead: counts as now
    assert s.due[s.index[b"douyin:1"]] == T0 + 6 * HOUR
    s.set_heating(b"douyin:2", "h1", T0 - HOUR, T0 + 23 * HOUR, now=T0)  # heated: every 15 min
    s.upsert(b"douyin:2", "acme", "douyin", OLD, None, now=T0, last=T0 - 5 * 60)
    assert s.due[s.index[b"douyin:2"]] == T0 + 10 * 60
    s.upsert(b"douyin:3", "acme", "douyin", OLD, T0 + 60, now=T0, last=T0 - 60)  # tracking ends first
    assert s.due[s.index[b"douyin:3"]] == T0 + 60
    s.upsert(b"douyin:4", "acme", "douyin", T0 + HOUR, None, now=T0, last=T0 - 60)  # published later
    assert s.due[s.index[b"douyin:4"]] == T0 + HOUR


def test_an_older_poll_or_a_post_in_flight_is_not_moved() -> None:
    s = Scheduler(C, ["douyin"])
    s.upsert(b"douyin:1", "acme", "douyin", OLD, None, now=T0)
    (slot,) = s.pop_due("douyin", T0, 10)
    s.upsert(b"douyin:1", "acme", "douyin", OLD, None, now=T0, last=T0 - 60)  # in flight: stays so
    assert s.due[slot] == IN_FLIGHT
    s.done(slot, T0 + 30)
    assert s.due[slot] == T0 + 30 + 6 * HOUR
    s.upsert(b"douyin:1", "acme", "douyin", OLD, None, now=T0 + 60, last=T0 - 60)  # older than its last
    assert s.due[slot] == T0 + 30 + 6 * HOUR


def snap(post_id: str, at: datetime, source: str = "api", platform: str = "douyin") -> bytes:
    return snapshot_message(Observation(post_id, {"views": 1}), "acme", platform, at, source)


def test_last_polls_keep_the_newest_poll_of_each_post_from_its_adapters_source() -> None:
    at = datetime.fromtimestamp(T0, UTC)
    polls = LastPolls({"douyin": "api", "xiaohongshu": "provider", "wechat_channels": "export"})
    polls.add(snap("douyin:1", at))
    polls.add(snap("douyin:1", at - timedelta(hours=1)))  # an older one read after
    polls.add(snap("douyin:1", at + timedelta(hours=1), source="export"))  # an imported export row: no poll
    polls.add(snap("douyin:2", at, source="manual"))
    polls.add(snap("douyin:3", at, source="simulator"))  # not what this collector's douyin adapter writes
    polls.add(snap("xiaohongshu:4", at, source="provider", platform="xiaohongshu"))
    polls.add(snap("wechat_channels:5", at, source="export", platform="wechat_channels"))  # as of, not polled
    polls.add(snap("weibo:6", at, platform="weibo"))  # not collected here
    assert polls.polls == {b"douyin:1": T0, b"xiaohongshu:4": T0}
    assert polls.read == 8 and polls.skipped == 0


def test_last_polls_skip_what_cannot_be_read() -> None:
    polls = LastPolls({"douyin": "api"})
    for bad in (b"not json", b"{}", None, b'{"post_id": "douyin:1", "platform": "douyin", "source": "api", '
                b'"observed_at": "2025-09-10T00:00:00"}',  # no zone
                b'{"post_id": 1, "platform": "douyin", "source": "api", "observed_at": "2025-09-10T00:00:00Z"}'):
        polls.add(bad)
    polls.add(snap("douyin:2", datetime.fromtimestamp(T0, UTC)))
    assert polls.polls == {b"douyin:2": T0}
    assert polls.read == 6 and polls.skipped == 5


def test_a_heating_already_observed_keeps_the_heated_cadence_from_the_last_poll() -> None:
    """Its registry read again after a start, a heating that began before the post's last poll does
    not make the post due at once: the heated cadence runs from that poll."""
    s = Scheduler(C, ["douyin"])
    s.upsert(b"douyin:1", "acme", "douyin", OLD, None, now=T0, last=T0 - 5 * 60)
    s.set_heating(b"douyin:1", "h1", T0 - HOUR, T0 + 23 * HOUR, now=T0)
    assert s.due[s.index[b"douyin:1"]] == T0 + 10 * 60
    s.set_heating(b"douyin:1", "h2", T0 + 5 * 60, T0 + 23 * HOUR, now=T0)  # an onset to come: bracketed
    assert s.due[s.index[b"douyin:1"]] == T0 + 5 * 60
    s.upsert(b"douyin:2", "acme", "douyin", OLD, None, now=T0, last=T0 - 2 * HOUR)
    s.set_heating(b"douyin:2", "h3", T0 - HOUR, T0 + 23 * HOUR, now=T0)  # not observed since: at once
    assert s.due[s.index[b"douyin:2"]] == T0
