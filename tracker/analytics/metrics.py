"""The counters tracker follows and engagements (null ≠ 0 throughout). EMV is priced in the store
(``v_curves``, the ROI views) with the configured unit values."""

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
