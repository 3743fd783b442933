"""Trailing statistics of velocity: median baseline, noise scale, onset test."""

from __future__ import annotations

import math
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence (0 for an empty one)."""
    n = len(values)
    if n == 0:
        return 0.0
    s = sorted(values)
    mid = n // 2
    return s[mid] if n % 2 else 0.5 * (s[mid - 1] + s[mid])


def log_noise(values: Sequence[float]) -> float:
    """Robust noise scale of ``log(1 + v)`` from second differences (floor 0.1).

    Second differences remove trends that are locally linear in log terms (a
    decaying pulse) so that what remains is step-to-step noise:
    1.4826 · median |Δ²| / √6.
    """
    logs = [math.log1p(max(v, 0.0)) for v in values]
    d2 = [abs(a - 2 * b + c) for a, b, c in zip(logs, logs[1:], logs[2:], strict=False)]
    if len(d2) < 3:
        return 0.5
    return max(0.1, 1.4826 * median(d2) / math.sqrt(6.0))


def exceeds(v: float, reference: float, ratio: float, z: float, noise: float, scale: float = 1.0) -> bool:
    """Velocity ``v`` is an onset-grade rise over ``reference`` (counts per step):
    above ``ratio`` × reference, ``z`` noise scales above it in log terms, and ``z``
    Poisson standard deviations above it in counts. ``scale``: how many counts of the
    velocity each counted unit stands for (a series scaled up from fewer exact counts, whose
    counting noise is scaled up alike: its variance is ``scale`` × the velocity)."""
    if v <= ratio * reference:
        return False
    if math.log1p(v) - math.log1p(reference) <= z * noise:
        return False
    return v - reference > z * math.sqrt(scale * (reference + scale))
