"""Alert decisions: pure functions from evidence to fire / don't fire.

The stream keeps which alerts are open; these functions only decide.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.pulses import DecayView


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert state change of one post."""

    type: str
    state: str
    """``firing`` or ``resolved``."""
    at: float
    """Event time of the decision (grid steps; hours on the default grid)."""
    key: str
    """Deduplication key within the post (e.g. the pulse index)."""
    evidence: dict[str, Any] = field(default_factory=dict)


def decaying(
    view: DecayView,
    now: float,
    planned_heating: list[float],
    tracking_end: float | None,
    reheat_lift_per_spend: float | None,
    params: AnalyticsParams = DEFAULT_PARAMS,
) -> dict[str, Any] | None:
    """Evidence for ``PostDecaying`` on the current pulse, or None when it should not fire.

    All must hold: the pulse has been below ``decay_fraction`` of its rise for
    ``decay_hours``; its projected gain over ``decay_gain_horizon_hours`` is at most
    ``decay_gain_ratio`` × its incremental so far; the post's velocity is not rising
    (a post that keeps growing is not decaying, whatever its last pulse does); no
    heating starts within ``heating_lookahead_hours``; ``now`` (steps) is inside the
    tracking window.
    A heat with no response brought nothing to judge: the view is then of the decay the post
    carries on from its last responding pulse (:meth:`.PulseTracker.carried_view`), judged by the
    same rules, and the evidence names the boost (``after_no_response``: its heating ids); with
    no such decay known, it does not fire.
    ``reheat_lift_per_spend`` is what this post's heated pulses brought per unit of spend,
    the decaying one included when it is heated (None when never heated; the stream's
    suggestion then reads its creator's or
    tier's history, :mod:`.reheat`).
    """
    step = params.grid_hours
    carried = view.status == "no-response"
    if (carried and not view.after_no_response) or view.decaying_since is None or view.rising:
        return None
    if tracking_end is not None and now >= tracking_end:
        return None
    if (
        view.projected_gain is None
        or view.projected_gain > params.decay_gain_ratio * view.incremental
    ):
        return None
    lookahead = params.heating_lookahead_hours / step
    if any(now <= start < now + lookahead for start in planned_heating):
        return None
    evidence: dict[str, Any] = {
        "pulse": view.pulse_index,
        "decaying_since": view.decaying_since,
        "peak_velocity": view.peak_velocity,
        "baseline": view.baseline,
        "threshold": view.threshold,
        "recent_velocity": view.recent_velocity,
        "projected_gain": view.projected_gain,
        "incremental": view.incremental,
        "theta": view.theta,
        "fit_r2": view.fit_r2,
        "reheat_lift_per_spend": reheat_lift_per_spend,
    }
    if carried:
        evidence["after_no_response"] = list(view.after_no_response)
    return evidence


def unavailable(
    regressions: list[tuple[str, float, float]], taken_down: bool = False
) -> dict[str, Any] | None:
    """Evidence for ``PostUnavailable``: the platform says it is gone, or counters regressed
    beyond ``regression_alert`` (each as (metric, running max, new value))."""
    if not taken_down and not regressions:
        return None
    return {
        "taken_down": taken_down,
        "regressions": [{"metric": m, "before": b, "after": a} for m, b, a in regressions],
    }


def stalled(
    last_seen: float,
    now: float,
    expected_cadence_hours: float,
    params: AnalyticsParams = DEFAULT_PARAMS,
) -> bool:
    """``PostStalled`` (wall clock, hours): no fresh snapshot for ``stalled_cadence_multiple``
    expected polling intervals."""
    return now - last_seen > params.stalled_cadence_multiple * expected_cadence_hours


CALM_MIN_COUNT = 5.0
"""Usual gain (counts over the judged window) a counter needs before its calm counts as
evidence that a jump elsewhere is not a pulse."""


def step_jump(
    velocity: Mapping[str, float | None],
    usual: Mapping[str, float | None],
    params: AnalyticsParams = DEFAULT_PARAMS,
    coarse: Collection[str] = (),
) -> dict[str, Any] | None:
    """``SuspiciousEngagement`` from one observed step: one counter gained
    ≥ ``step_jump_ratio`` × its usual rate and ≥ ``step_jump_min`` while every other
    counter stayed within 2 × its usual rate (``usual``: typical gain per step).

    ``coarse`` counters are shown rounded: their gain (less its rounding step) may jump,
    but staying put says nothing; nor does a counter whose usual gain is below
    ``CALM_MIN_COUNT`` (too small to show a rise). At least one other counter must vouch."""
    jumped = []
    calm = []
    for metric, v in velocity.items():
        base = usual.get(metric)
        if v is None or base is None:
            continue
        ref = max(base, 1.0)
        if v >= params.step_jump_ratio * ref and v >= params.step_jump_min:
            jumped.append(metric)
        elif metric not in coarse and base >= CALM_MIN_COUNT:
            calm.append(v <= 2.0 * ref + 3.0 * math.sqrt(ref))
    if len(jumped) != 1 or not calm or not all(calm):
        return None
    metric = jumped[0]
    return {"kind": "step-jump", "metric": metric, "gain": velocity[metric], "usual": usual[metric]}


@dataclass(frozen=True, slots=True)
class RatioDistribution:
    """Population distribution of one log ratio (e.g. log(likes/views)) for a platform and tier."""

    median_log: float
    mad_log: float
    """Median absolute deviation of the log ratio."""
    n: int


MIN_POPULATION = 20
"""Posts a ratio distribution needs before ``SuspiciousEngagement`` judges against it."""

RATIO_PAIRS: tuple[tuple[str, str], ...] = (
    ("likes", "views"), ("comments", "likes"), ("shares", "likes"), ("saves", "likes"),
)
"""Ratios (numerator, denominator) whose platform-and-tier distribution ``SuspiciousEngagement``
compares a post with."""


def ratio_distribution(log_ratios: list[float]) -> RatioDistribution | None:
    """The distribution of one log ratio over a population's posts (None when empty)."""
    if not log_ratios:
        return None
    xs = sorted(log_ratios)
    med = _median(xs)
    return RatioDistribution(med, _median(sorted(abs(x - med) for x in xs)), len(xs))


def _median(xs: list[float]) -> float:
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def suspicious_ratios(
    totals: Mapping[str, float | None],
    dists: Mapping[str, RatioDistribution],
    params: AnalyticsParams = DEFAULT_PARAMS,
) -> list[dict[str, Any]]:
    """Evidence of every :data:`RATIO_PAIRS` ratio of ``totals`` outside its distribution
    (``dists`` keyed ``"likes/views"`` …)."""
    found = []
    for num, den in RATIO_PAIRS:
        name = f"{num}/{den}"
        ev = suspicious_ratio(totals.get(num), totals.get(den), dists.get(name), params)
        if ev is not None:
            found.append({**ev, "ratio": name})
    return found


def suspicious_ratio(
    numerator: float | None,
    denominator: float | None,
    dist: RatioDistribution | None,
    params: AnalyticsParams = DEFAULT_PARAMS,
    min_count: float = 50.0,
) -> dict[str, Any] | None:
    """``SuspiciousEngagement`` when a ratio lies more than ``suspicious_mad_z`` robust SDs
    from its platform-and-tier median (needs ≥ 20 posts in the distribution and
    ``min_count`` in the numerator or denominator)."""
    if numerator is None or denominator is None or dist is None or dist.n < MIN_POPULATION:
        return None
    if numerator <= 0 or denominator <= 0 or max(numerator, denominator) < min_count:
        return None
    sd = max(1.4826 * dist.mad_log, 0.05)
    z = (math.log(numerator / denominator) - dist.median_log) / sd
    if abs(z) <= params.suspicious_mad_z:
        return None
    return {
        "kind": "ratio",
        "log_ratio": math.log(numerator / denominator),
        "z": z,
        "median_log": dist.median_log,
    }
