"""Long-tail figures: tail share, organic vs paid tail, projections, log-linear baseline.

The log-linear baseline (Szabo & Huberman 2010) predicts a final count as
``r · count at age a``; ``r`` is learned per platform and tier from finished
posts as the mean of ``log(final / count at a)`` (:func:`learn_ratios`, at the
ages of ``AGES_HOURS``; a post between two of them is judged by a mix of both,
linear in log age), shrunk towards a prior.

Prior (documented, not fitted to any data here): a post's velocity decays as
``(t + 6 h)^−1.2`` from publish, so ``r(a, H) = M(H) / M(a)`` with
``M(T) = ∫₀ᵀ (t + 6)^−1.2 dt``; it weighs as ``PRIOR_WEIGHT`` finished posts,
so five real posts already halve its say. Its log-scale spread for the
interval is ``PRIOR_LOG_SD``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

PRIOR_THETA = 1.2
PRIOR_OFFSET_HOURS = 6.0
PRIOR_WEIGHT = 5.0
PRIOR_LOG_SD = 0.35
_Z = {0.5: 0.674, 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96}


@dataclass(frozen=True, slots=True)
class Projection:
    """A projected total at a horizon with its central interval."""

    horizon_hours: float
    value: float
    low: float
    high: float
    method: str
    """``fit`` (current pulse's decay + counterfactual) or ``log-linear``."""


@dataclass(frozen=True, slots=True)
class LongTail:
    """Long-tail figures of one post (engagements)."""

    total: float | None
    burst: float | None
    """Engagements gained within the burst window after publish."""
    tail_share: float | None
    organic_tail: float | None
    paid_tail: float | None
    projections: tuple[Projection, ...]
    baseline_projections: tuple[Projection, ...]


@dataclass(frozen=True, slots=True)
class RatioStats:
    """Learned ``log(final / count at age)`` for one platform, tier, age and horizon."""

    n: int
    mean_log: float
    var_log: float


def prior_ratio(age_hours: float, horizon_hours: float) -> float:
    """The prior's final-to-now ratio ``r(a, H)`` (≥ 1)."""
    if horizon_hours <= age_hours:
        return 1.0

    def mass(t: float) -> float:
        c, th = PRIOR_OFFSET_HOURS, PRIOR_THETA
        return (c ** (1 - th) - (t + c) ** (1 - th)) / (th - 1)

    return mass(horizon_hours) / max(mass(max(age_hours, 1.0)), 1e-12)


def loglinear_projection(
    total: float,
    age_hours: float,
    horizon_hours: float,
    stats: RatioStats | None = None,
    interval: float = 0.8,
) -> Projection:
    """``r · total`` with ``r`` shrunk from the prior towards learned stats."""
    prior = math.log(prior_ratio(age_hours, horizon_hours))
    if stats is not None and stats.n > 0:
        w = PRIOR_WEIGHT
        mean = (w * prior + stats.n * stats.mean_log) / (w + stats.n)
        var = (w * PRIOR_LOG_SD**2 + stats.n * stats.var_log) / (w + stats.n)
    else:
        mean, var = prior, PRIOR_LOG_SD**2
    if horizon_hours <= age_hours:
        return Projection(horizon_hours, total, total, total, "log-linear")
    z = _Z.get(interval, 1.2816)
    sd = math.sqrt(max(var, 0.0))
    low = max(total, total * math.exp(mean - z * sd))
    return Projection(
        horizon_hours, total * math.exp(mean), low, total * math.exp(mean + z * sd), "log-linear"
    )


def learn_ratio(pairs: list[tuple[float, float]]) -> RatioStats:
    """Stats of ``log(final / at_age)`` over finished posts given (at_age, final) pairs."""
    logs = [math.log(f / a) for a, f in pairs if a > 0 and f >= a]
    if not logs:
        return RatioStats(0, 0.0, 0.0)
    mean = sum(logs) / len(logs)
    var = sum((x - mean) ** 2 for x in logs) / max(1, len(logs) - 1)
    return RatioStats(len(logs), mean, var)


AGES_HOURS: tuple[float, ...] = (
    1, 2, 3, 4, 6, 8, 12, 18, 24, 36, 48, 72, 96, 120, 168, 240, 336, 480, 720, 1080, 1440,
)  # fmt: skip
"""Ages (hours after publish) at which the log-linear ratio is learned."""

LearnedRatios = Mapping[tuple[float, float], RatioStats]
"""Learned ``log(final / count at age)`` keyed (age hours, horizon hours)."""


def learn_ratios(
    curves: Iterable[Mapping[float, float]], horizons: Sequence[float]
) -> dict[tuple[float, float], RatioStats]:
    """Ratios of finished posts: each curve maps hours after publish to the post's cumulative
    count there (at ``AGES_HOURS`` and the ``horizons``; a horizon it lacks is not finished)."""
    pairs: dict[tuple[float, float], list[tuple[float, float]]] = {}
    for curve in curves:
        for horizon in horizons:
            final = curve.get(horizon)
            if final is None:
                continue
            for age in AGES_HOURS:
                at = curve.get(age)
                if age < horizon and at is not None:
                    pairs.setdefault((age, horizon), []).append((at, final))
    return {key: stats for key, found in pairs.items() if (stats := learn_ratio(found)).n > 0}


def ratio_at(learned: LearnedRatios | None, age_hours: float, horizon_hours: float) -> RatioStats | None:
    """Learned stats for a post ``age_hours`` old: at a learned age, or mixed linearly in log age
    between the two learned ages around it — the horizon itself counting as one whose ratio is
    exactly 1 — (None when either is missing)."""
    if not learned or age_hours < AGES_HOURS[0] or age_hours >= horizon_hours:
        return None
    ages = [a for a in AGES_HOURS if a < horizon_hours]
    i = bisect.bisect_left(ages, age_hours)
    if i < len(ages) and ages[i] == age_hours:
        return learned.get((age_hours, horizon_hours))
    lower = learned.get((ages[i - 1], horizon_hours))
    if lower is None:
        return None
    upper_age = ages[i] if i < len(ages) else horizon_hours
    upper = learned.get((upper_age, horizon_hours)) if i < len(ages) else RatioStats(lower.n, 0.0, 0.0)
    if upper is None:
        return None
    w = math.log(age_hours / ages[i - 1]) / math.log(upper_age / ages[i - 1])
    return RatioStats(
        min(lower.n, upper.n),
        (1 - w) * lower.mean_log + w * upper.mean_log,
        (1 - w) * lower.var_log + w * upper.var_log,
    )


def tail_share(total: float | None, burst: float | None) -> float | None:
    """Engagements after the burst window ÷ total; None when unknown or total is 0."""
    if total is None or burst is None or total <= 0:
        return None
    return max(0.0, min(1.0, (total - burst) / total))
