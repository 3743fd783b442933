"""Cumulative counters on the hourly grid: the batch reference.

Time is event time in hours since the Unix epoch (UTC), as a float; grid
point ``g`` is the instant ``g`` (an integer), hour ``h`` is ``[h, h+1)``.
Per metric, the running maximum of the observations (a counter never goes
back) is interpolated linearly at each grid point between the observations
that bracket it; hour ``h`` has a velocity ``C(h+1) − C(h)`` once both grid
points lie inside the metric's observed span. An hour that holds a snapshot
is *observed*, the others *interpolated*. A metric a platform lacks stays
``None`` everywhere.

:class:`~tracker.analytics.curve.CurveState` computes the same grid
incrementally; the tests hold the two equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tracker.analytics.metrics import METRICS

NAN = math.nan


def to_hours(value: float | int | str | datetime) -> float:
    """Event time as hours since the Unix epoch: from a datetime, ISO-8601 text or epoch seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp() / 3600.0
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            return to_hours(datetime.fromisoformat(text))
        except ValueError:
            return float(text) / 3600.0
    return float(value) / 3600.0


def to_datetime(hours: float) -> datetime:
    """Hours since the epoch back to an aware UTC datetime."""
    return datetime.fromtimestamp(hours * 3600.0, tz=UTC)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Cumulative counters of one post observed at one time (None = metric absent)."""

    t: float
    """Observed at, hours since the epoch."""
    values: tuple[float | None, ...]
    """Counts in ``METRICS`` order."""
    rounded: tuple[str, ...] = ()
    """Metrics the platform showed rounded ("1.2万"): less precise than a count, so their
    gains are imputed and a step of theirs is not read as a spike."""

    @classmethod
    def of(cls, observed_at: float | str | datetime, **counts: float | None) -> Snapshot:
        """Build from keyword counts, e.g. ``Snapshot.of(t, views=10, likes=2)``."""
        unknown = set(counts) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}")
        return cls(to_hours(observed_at), tuple(counts.get(m) for m in METRICS))

    @classmethod
    def from_mapping(cls, row: Mapping[str, object]) -> Snapshot:
        """From a mapping with ``observed_at`` and metric keys; blank or missing = None.
        An optional ``rounded`` lists the metrics shown rounded (a list, or text such as
        ``"likes,saves"``)."""
        values: list[float | None] = []
        for metric in METRICS:
            raw = row.get(metric)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values.append(None)
            else:
                values.append(float(raw))  # type: ignore[arg-type]
        listed = row.get("rounded") or ()
        names: Iterable[object] = (
            listed.replace(";", ",").split(",") if isinstance(listed, str)
            else listed if isinstance(listed, list | tuple) else ()
        )
        rounded = tuple(n.strip() for n in names if isinstance(n, str) and n.strip() in METRICS)
        return cls(to_hours(row["observed_at"]), tuple(values), rounded)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class HourlyCurve:
    """Per-metric hourly grid of one post: hours ``start .. start+len-1``."""

    start: int
    """First hour (hours since the epoch)."""
    cumulative: dict[str, list[float | None] | None]
    """Per metric: running-max count at the end of each hour, or None if absent."""
    velocity: dict[str, list[float | None] | None]
    """Per metric: counts gained during each hour (≥ 0), or None if absent."""
    observed: list[bool]
    """Hour holds at least one snapshot."""

    def __len__(self) -> int:
        return len(self.observed)


def interpolate_grid(
    ts: Sequence[float], ms: Sequence[float], g0: int, g1: int
) -> list[float | None]:
    """Values at grid points ``g0..g1`` (inclusive) of the piecewise-linear curve through
    ``(ts[i], ms[i])`` (times ascending); None outside ``[ts[0], ts[-1]]``."""
    out: list[float | None] = []
    n = len(ts)
    i = 0
    for g in range(g0, g1 + 1):
        if n == 0 or g < ts[0] or g > ts[-1]:
            out.append(None)
            continue
        while i + 1 < n and ts[i + 1] < g:
            i += 1
        ta, va = ts[i], ms[i]
        if ta == g or i + 1 >= n:
            out.append(va)
            continue
        tb, vb = ts[i + 1], ms[i + 1]
        out.append(va + (vb - va) * ((g - ta) / (tb - ta)))
    return out


def merge_duplicates(snapshots: Iterable[Snapshot]) -> list[Snapshot]:
    """Sorted by time, snapshots at the same instant merged (per metric maximum)."""
    by_t: dict[float, list[float | None]] = {}
    for snap in snapshots:
        cur = by_t.get(snap.t)
        if cur is None:
            by_t[snap.t] = list(snap.values)
            continue
        for k, v in enumerate(snap.values):
            if v is not None and (cur[k] is None or v > cur[k]):  # type: ignore[operator]
                cur[k] = v
    return [Snapshot(t, tuple(vals)) for t, vals in sorted(by_t.items())]


def metric_points(
    snaps: Sequence[Snapshot], k: int, publish: float | None
) -> tuple[list[float], list[float]]:
    """Times and running maxima of metric ``k`` (with the publish zero when it applies)."""
    ts: list[float] = []
    ms: list[float] = []
    best = -math.inf if publish is None else 0.0
    for snap in snaps:
        v = snap.values[k]
        if v is None:
            continue
        best = v if v > best else best
        ts.append(snap.t)
        ms.append(best)
    if ts and publish is not None:
        ts.insert(0, publish)
        ms.insert(0, 0.0)
    return ts, ms


def publish_zero(first_t: float, publish: float | None, burst_hours: float) -> float | None:
    """The start of the publish hour, where every count is 0, when the first snapshot
    falls inside the burst window after publish (otherwise the early curve is unknown)."""
    if publish is None or not (publish <= first_t <= publish + burst_hours):
        return None
    return float(math.floor(publish))


def resample(
    snapshots: Iterable[Snapshot], publish: float | None = None, burst_hours: float = 72.0
) -> HourlyCurve:
    """The hourly grid of one post from all its snapshots (any order, duplicates allowed).

    ``publish`` (hours since the epoch) anchors the counts at 0 when the first snapshot
    falls within ``burst_hours`` of it.
    """
    snaps = merge_duplicates(snapshots)
    if not snaps:
        return HourlyCurve(0, {m: None for m in METRICS}, {m: None for m in METRICS}, [])
    zero = publish_zero(snaps[0].t, publish, burst_hours)
    points = [metric_points(snaps, k, zero) for k in range(len(METRICS))]
    first = min(ts[0] for ts, _ in points if ts) if any(ts for ts, _ in points) else snaps[0].t
    last = max(s.t for s in snaps)
    start = math.floor(first)
    end = math.floor(last)  # hours start .. end-1 may be complete
    n = max(0, end - start)
    cumulative: dict[str, list[float | None] | None] = {}
    velocity: dict[str, list[float | None] | None] = {}
    for k, metric in enumerate(METRICS):
        ts, ms = points[k]
        if not ts:
            cumulative[metric] = None
            velocity[metric] = None
            continue
        grid = interpolate_grid(ts, ms, start, start + n)
        cumulative[metric] = grid[1:]
        velocity[metric] = [
            None if a is None or b is None else b - a
            for a, b in zip(grid[:-1], grid[1:], strict=True)
        ]
    observed = [False] * n
    for snap in snaps:
        h = math.floor(snap.t) - start
        if 0 <= h < n:
            observed[h] = True
    return HourlyCurve(start, cumulative, velocity, observed)
