"""The counters tracker follows, engagements and EMV (null ≠ 0 throughout)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

METRICS: tuple[str, ...] = ("views", "likes", "comments", "shares", "saves", "searches")
"""Cumulative counters of a snapshot, in the order every tuple of values uses."""

ENGAGEMENT_METRICS: tuple[str, ...] = ("likes", "comments", "shares", "saves")
"""Counters summed into engagements."""

ENGAGEMENT_INDEXES: tuple[int, ...] = tuple(METRICS.index(m) for m in ENGAGEMENT_METRICS)


def engagements(values: Mapping[str, float | None] | Sequence[float | None]) -> float | None:
    """likes + comments + shares + saves over the metrics present; None if none is.

    Accepts a mapping by metric name or a sequence in ``METRICS`` order.
    """
    if isinstance(values, Mapping):
        parts = [values.get(m) for m in ENGAGEMENT_METRICS]
    else:
        parts = [values[i] for i in ENGAGEMENT_INDEXES]
    present = [p for p in parts if p is not None]
    return sum(present) if present else None


def emv(values: Mapping[str, float | None], unit_values: Mapping[str, float]) -> float | None:
    """Earned media value: Σ metric × unit value over metrics present and priced; None if none.

    The unit values are configuration (see ``ILLUSTRATIVE_EMV_UNIT_VALUES``), never
    an official rate.
    """
    total = 0.0
    any_present = False
    for metric, unit in unit_values.items():
        count = values.get(metric)
        if count is not None:
            total += count * unit
            any_present = True
    return total if any_present else None
