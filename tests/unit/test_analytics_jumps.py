"""SuspiciousEngagement on one post: a step jump in one counter fires once; smooth growth,
a counter shown rounded ("1.2万") and the ratio check's quiet cases do not; state versions."""

from __future__ import annotations

import math

from tracker.analytics import alerts
from tracker.analytics.jumps import PACKED
from tracker.analytics.post import _HEAD, PostAnalytics
from tracker.analytics.resample import Snapshot

T0 = 490_000.0  # hours since the epoch, on the hour


def counts(h: float, jump_at: float | None = None) -> tuple[float | None, ...]:
    """views, likes, comments, shares of a post decaying from its publish burst; likes gain
    6,000 at once at ``jump_at``."""
    views = 40_000 * (1 - math.exp(-h / 30)) + 80 * h
    likes = 0.05 * views + (6_000 if jump_at is not None and h >= jump_at else 0)
    return (float(int(views)), float(int(likes)), float(int(0.004 * views)), float(int(0.002 * views)), None, None)


def run(snaps: list[Snapshot]) -> list[alerts.Alert]:
    post = PostAnalytics(T0, T0 + 24 * 30)
    fired = []
    for s in snaps:
        fired += [a for a in post.apply_snapshot(s).alerts if a.type == "SuspiciousEngagement"]
    return fired


def test_a_step_jump_in_one_counter_fires_once_for_that_counter() -> None:
    fired = run([Snapshot(T0 + h + 0.3, counts(h + 0.3, jump_at=80.0)) for h in range(140)])
    assert len(fired) == 1, fired
    ev = fired[0].evidence
    assert ev["metric"] == "likes" and ev["gain"] >= 3_000 and 79 <= ev["hour"] - T0 <= 80
    assert fired[0].key.startswith("step-jump:likes@")


def test_smooth_growth_fires_nothing() -> None:
    assert run([Snapshot(T0 + h + 0.3, counts(h + 0.3)) for h in range(140)]) == []


def test_a_counter_shown_rounded_steps_without_being_a_spike() -> None:
    """Likes shown as "1.2万" move 1,000 at a time; flagged rounded, such steps are no jump."""
    def shown(h: float) -> tuple[float | None, ...]:
        views, likes, comments, shares, *_ = counts(h)
        likes = 4.0 * float(likes or 0) + 9_000  # a post whose likes pass 10,000 early
        return (views, likes // 1_000 * 1_000 if likes >= 10_000 else likes, comments, shares, None, None)

    snaps = [Snapshot(T0 + h + 0.3, shown(h + 0.3), ("likes",) if (shown(h + 0.3)[1] or 0) >= 10_000 else ())
             for h in range(140)]
    assert run(snaps) == []


def test_state_keeps_usual_gains_and_reads_version_two() -> None:
    post = PostAnalytics(T0, T0 + 24 * 30)
    for h in range(60):
        post.apply_snapshot(Snapshot(T0 + h + 0.3, counts(h + 0.3)))
    data = post.to_bytes()
    again = PostAnalytics.from_bytes(data)
    assert again.jumps.usual_n == post.jumps.usual_n > 0 and again.to_bytes() == data
    # a version-2 state (before usual gains were kept) still decodes; they are learned again
    old = bytes([2]) + data[1:_HEAD.size] + data[_HEAD.size + PACKED.size:]
    v2 = PostAnalytics.from_bytes(old)
    assert v2.jumps.usual_n == 0 and all(math.isnan(x) for x in v2.jumps.usual)
    assert v2.checkpoint.to_bytes() == post.checkpoint.to_bytes()


def test_ratios_far_from_their_distribution() -> None:
    dist = alerts.ratio_distribution([math.log(0.05) + d for d in (-0.2, -0.1, 0.0, 0.1, 0.2) * 5])
    assert dist is not None and dist.n == 25 and abs(dist.median_log - math.log(0.05)) < 1e-9
    quiet = {"views": 100_000.0, "likes": 5_200.0}
    loud = {"views": 100_000.0, "likes": 60_000.0}
    assert alerts.suspicious_ratios(quiet, {"likes/views": dist}) == []
    found = alerts.suspicious_ratios(loud, {"likes/views": dist})
    assert [f["ratio"] for f in found] == ["likes/views"] and found[0]["z"] > 5
    assert alerts.ratio_distribution([]) is None


def _pulses(snaps: list[Snapshot]) -> list:
    """The post's pulses as the store keeps them (rows folded, removed ones dropped)."""
    post = PostAnalytics(T0, T0 + 24 * 30)
    stored: dict = {}
    for s in snaps:
        update = post.apply_snapshot(s)
        for index in update.removed_pulses:
            stored.pop(index, None)
        stored.update({p.index: p for p in update.pulses})
    return [stored[i] for i in sorted(stored)]


def test_a_step_jump_is_neither_a_pulse_nor_lift() -> None:
    """6,000 likes at once (bought, or a platform's recount) are flagged, and the pulses are
    read without them: no organic pulse at the jump (it was one, with 6,000 incremental
    engagements and a decay alert suggesting a re-heat), and the publish pulse's engagements
    are those of the same post without the jump."""
    jumped = _pulses([Snapshot(T0 + h + 0.3, counts(h + 0.3, jump_at=80.0)) for h in range(140)])
    clean = _pulses([Snapshot(T0 + h + 0.3, counts(h + 0.3)) for h in range(140)])
    assert [p.trigger for p in jumped] == [p.trigger for p in clean] == ["publish"]
    assert abs(jumped[0].total - clean[0].total) < 0.02 * clean[0].total
    assert abs(jumped[0].incremental - clean[0].incremental) < 0.05 * clean[0].incremental


def test_a_step_jump_is_never_reported_as_a_pulse_even_before_its_hours_are_final() -> None:
    """The live view reads hours the checkpoint has not judged yet: it judges them too, so
    no update ever carries a pulse at the jump (one was shown for 6 h with 6,000 engagements,
    then removed)."""
    post = PostAnalytics(T0, T0 + 24 * 30)
    reported, flagged = set(), []
    for h in range(140):
        update = post.apply_snapshot(Snapshot(T0 + h + 0.3, counts(h + 0.3, jump_at=80.0)))
        reported |= {(p.index, p.trigger) for p in update.pulses}
        flagged += [a.key for a in update.alerts if a.type == "SuspiciousEngagement"]
        assert update.removed_pulses == []
    assert reported == {(0, "publish")}
    assert flagged == ["step-jump:likes@" + str(int(T0) + 79)]  # raised once, by the checkpoint
