"""A counter the platform shows rounded ("1万" stands for 10,000 to 10,999) has not fallen when
an exact value before it lies inside that range.

Xiaohongshu's provider shows "1万" while the daily export gives the exact 10,583: every poll
after each export read as a fall of 583 shares (5.5 %, past the 5 % and 100 of
``regression_alert``), one ``PostUnavailable`` each: 4,818 alerts on 24 of the 52 Xiaohongshu
posts of the seed-7 simulated campaign, 295 on one of them."""

from __future__ import annotations

from tracker.analytics.curve import CurveState
from tracker.analytics.metrics import METRICS
from tracker.analytics.params import DEFAULT_PARAMS
from tracker.analytics.resample import Snapshot

SHARES = METRICS.index("shares")


def shares(t: float, count: int, rounded: bool = False) -> Snapshot:
    values = [None] * len(METRICS)
    values[SHARES] = float(count)
    return Snapshot(t, tuple(values), ("shares",) if rounded else ())


def falls(*snaps: Snapshot) -> list[tuple[float, float]]:
    """(before, after) of every regression the snapshots raise, in order."""
    curve = CurveState()
    out = []
    for snap in snaps:
        out += [(r.before, r.after) for r in curve.apply(snap, DEFAULT_PARAMS).regressions]
    return out


def test_a_rounded_poll_after_an_exact_export_inside_its_range_is_no_fall() -> None:
    assert falls(shares(10.0, 10_583), shares(10.5, 10_000, rounded=True), shares(11.5, 10_000, rounded=True)) == []


def test_a_counter_read_as_rounded_from_its_values_is_no_fall_either() -> None:
    polls = [shares(float(h), 10_000) for h in range(1, 7)]  # "1万" six times: read as rounded
    assert falls(*polls, shares(7.0, 10_583), shares(7.5, 10_000)) == []


def test_a_rounded_value_below_its_range_still_falls() -> None:
    """A purge: 15,000 exact, then "1.2万" (12,000 to 12,999): at least 2,001 fewer."""
    assert falls(shares(10.0, 15_000), shares(11.0, 12_000, rounded=True)) == [(15_000.0, 12_000.0)]


def test_an_exact_value_falls_as_before() -> None:
    assert falls(shares(10.0, 10_583), shares(11.0, 10_000)) == [(10_583.0, 10_000.0)]
