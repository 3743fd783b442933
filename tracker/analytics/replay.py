"""Offline replay: feed a post's snapshots through ``PostAnalytics`` as the stream would.

This is what ``tracker analyze`` runs: the same per-post code path, with the
upserts it emits folded into the final state of every row (the last version
of each hour and pulse wins, removed pulses are dropped), plus every alert
state change in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from tracker.analytics.alerts import Alert
from tracker.analytics.longtail import LearnedRatios, LongTail
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.post import HourRow, PostAnalytics
from tracker.analytics.pulses import HeatingNode, Pulse
from tracker.analytics.resample import Snapshot


@dataclass
class PostReport:
    """Final state of one post after a replay (steps in grid steps since the epoch)."""

    post_id: str
    grid_hours: float
    hours: dict[int, HourRow] = field(default_factory=dict)
    pulses: dict[int, Pulse] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    totals: dict[str, float | None] = field(default_factory=dict)
    long_tail: LongTail | None = None
    snapshots: int = 0
    late: int = 0
    duplicates: int = 0
    burst_over: tuple[float, dict[str, float | None]] | None = None
    """(time in hours, totals) of the snapshot that carried the post past its burst window."""

    def pulse_list(self) -> list[Pulse]:
        """Pulses in onset order."""
        return [self.pulses[i] for i in sorted(self.pulses)]


def replay_post(
    post_id: str,
    snapshots: Iterable[Snapshot],
    heating: Iterable[HeatingNode] = (),
    publish_hours: float | None = None,
    tracking_end_hours: float | None = None,
    params: AnalyticsParams = DEFAULT_PARAMS,
    as_of_hours: float | None = None,
    population: np.ndarray | None = None,
    loglinear: LearnedRatios | None = None,
) -> PostReport:
    """Replay one post in arrival order; with ``as_of_hours`` only snapshots observed by
    then are fed (heating nodes are all known: planned nodes are registered ahead). As the
    stream leans on them when it has learned them: ``population``, the response shape the
    first pulse is pulled towards; ``loglinear``, the log-linear baseline's ratios (else its
    prior)."""
    state = PostAnalytics(publish_hours, tracking_end_hours, params)
    state.population = population
    return replay(state, post_id, snapshots, heating, as_of_hours, loglinear)


def replay(
    state: PostAnalytics,
    post_id: str,
    snapshots: Iterable[Snapshot],
    heating: Iterable[HeatingNode] = (),
    as_of_hours: float | None = None,
    loglinear: LearnedRatios | None = None,
) -> PostReport:
    """:func:`replay_post` into a fresh ``state`` set up by the caller (the stream's, leaning on
    its population's shape, with its learned log-linear ratios)."""
    report = PostReport(post_id, state.params.grid_hours)
    for node in heating:
        _fold(report, state.apply_heating(node, loglinear))
    for snap in snapshots:
        if as_of_hours is not None and snap.t > as_of_hours:
            continue
        report.snapshots += 1
        update = state.apply_snapshot(snap, loglinear)
        if update.status == "late":
            report.late += 1
        elif update.status == "duplicate" and any(v is not None for v in snap.values):
            report.duplicates += 1  # a poll without counters (a post taken down) repeats nothing
        if update.burst_over:
            report.burst_over = (snap.t, update.totals)
        _fold(report, update)
    report.long_tail = state.long_tail(loglinear)
    report.totals = state.curve.totals()
    return report


def _fold(report: PostReport, update) -> None:  # type: ignore[no-untyped-def]
    for row in update.hours:
        report.hours[row.step] = row
    for index in update.removed_pulses:
        report.pulses.pop(index, None)
    for pulse in update.pulses:
        report.pulses[pulse.index] = pulse
    report.alerts.extend(update.alerts)
