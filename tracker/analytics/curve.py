"""Incremental resampling state of one post (the per-post part the stream keeps).

Times are in grid steps (hours on the default 1-hour grid: callers divide by
``params.grid_hours``).

It keeps only what can still change the grid: snapshots inside the reorder
window, per metric the last point before it (with its running maximum), the
latest raw values (totals) and a bit per recent hour for *observed*. Within an
hour it keeps, per metric, only the first and the last snapshot that carry
the metric (the only ones that bracket a grid point) and folds the others into
the last by maximum, so the grid equals :func:`resample` on all snapshots,
whatever their order inside the window and however often they repeat.

The *pulse series* (:meth:`CurveState.series`) is the engagement velocity
pulses are detected on, over the engagement metrics of the post's first
snapshot (so a metric that only a daily export brings does not hold every
hour back; :meth:`CurveState.engagement_ratio` scales back to all of them).
A counter a platform shows rounded (Xiaohongshu's "1.2万": ≥ 10,000 and a
multiple of 1,000) changes only every thousand counts, so in the series its
hourly gain is imputed from the exact metrics' gain times its share of them.
"""

from __future__ import annotations

import bisect
import math
import struct
from array import array
from dataclasses import dataclass

from tracker.analytics.metrics import ENGAGEMENT_INDEXES, METRICS
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.resample import Snapshot, interpolate_grid

NAN = math.nan
K = len(METRICS)
_VIEWS = METRICS.index("views")

# Slots of CurveState._m (one float array, for compactness).
_ANCHOR_T = 0  # K: per metric, time of the last point before the window (NaN: none)
_ANCHOR_M = K  # K: running maximum there
_LATEST_T = 2 * K  # K: time of the latest raw value
_LATEST_V = 3 * K  # K: the latest raw value (totals)
_ANCHOR_G = 4 * K  # K: the grid value at the start of the anchor's hour (NaN: none)
_CROSS_T = 5 * K  # K: rounded metrics: time of the last informative point folded away (a step up of
# the shown value, at its estimated crossing, or an exact value)
_CROSS_V = 6 * K  # K: the value there
_CROSS_R = 7 * K  # K: smoothed gain per step between informative points (NaN: none yet)
_META = 8 * K  # publish, zero, newest t, obs base hour, first grid point of the series, ratio
_PUBLISH, _ZERO, _NEWEST, _OBS_BASE, _SERIES0 = _META, _META + 1, _META + 2, _META + 3, _META + 4
_RATIO = _META + 5  # engagements over all metrics ÷ over the series metrics, at the latest full snapshot
_SIZE = _META + 6
_N_META = _SIZE - _META

# version, present mask, series mask, rows, observed-bits bytes, then K rounding counters
_HEADER = struct.Struct(f"<BBBHH{K}B")
_SLOTS = (_ANCHOR_T, _ANCHOR_M, _LATEST_T, _LATEST_V, _ANCHOR_G, _CROSS_T, _CROSS_V, _CROSS_R)
_NAN32 = -(2**31)
COARSE_EVIDENCE = 3
"""Consecutive rounded-looking values before a metric is read as rounded."""
RISE_FACTOR = 2.0
"""A rounded metric's step up that comes this many times sooner than its last rate says is a
rise that started after the poll before it; a step a little early or late is the counts' noise,
and the gain is read evenly since the last step."""
ROUNDING_MAX = 6
"""Most evidence a metric's rounding counter holds: an exact value takes 2 off, so a metric the
collector says is rounded stays so through the exact values of a daily export between polls."""
_VERSION = 2
COARSE_FROM, COARSE_STEP = 10_000, 1_000
"""A value ≥ COARSE_FROM that is a multiple of COARSE_STEP reads as rounded ("1.2万")."""


@dataclass(frozen=True, slots=True)
class Regression:
    """A counter fell below its running maximum by more than ``regression_alert``."""

    metric: str
    t: float
    before: float
    after: float


@dataclass(frozen=True, slots=True)
class CurveChange:
    """What one snapshot did to the grid."""

    status: str
    """``accepted``, ``duplicate`` (nothing changed) or ``late`` (older than the window)."""
    first_hour: int | None
    """Earliest hour whose values may have changed (None: none)."""
    regressions: tuple[Regression, ...] = ()


def _isnan(x: float) -> bool:
    return x != x


def _slope(ts: list[float], vs: list[float], learned: float) -> float:
    """Gain per step of the last segment of ``ts``/``vs``, or ``learned`` with one point (NaN:
    unknown)."""
    if len(ts) >= 2:
        return max(0.0, (vs[-1] - vs[-2]) / (ts[-1] - ts[-2]))
    return learned


def _informative_point(before: float, level: float, t: float, x: float) -> tuple[float, float] | None:
    """What a rounded metric's value ``x`` at ``t`` says about its true count, after a running
    level ``level`` and a previous snapshot at ``before``: a step up of the shown value was
    crossed between the two snapshots (where a steady gain from the middle of the range shown
    then to the middle of the one shown now would cross it: midway for one step, later for
    several); an exact value above the level is a point of its own; anything else says
    nothing."""
    if x <= level:
        return None
    if x >= COARSE_FROM and x % COARSE_STEP == 0 and not _isnan(before) and before < t:
        was = 0.5 * (level + (level // COARSE_STEP + 1) * COARSE_STEP) if level > -math.inf else x
        now = x + 0.5 * COARSE_STEP
        return before + (t - before) * max(0.0, x - was) / (now - was), x
    return t, x


class CurveState:
    """Resampling state of one post; ``apply`` a snapshot, read grid hours back."""

    __slots__ = ("_m", "_t", "_v", "_present", "_series", "_rounding", "_obs", "_cache")

    def __init__(self, publish: float | None = None) -> None:
        self._m = array("d", [NAN]) * _SIZE
        self._m[_PUBLISH] = NAN if publish is None else publish
        self._t = array("d")  # window snapshot times, ascending
        self._v = array("d")  # K values per window snapshot (NaN: absent)
        self._present = 0  # metrics ever seen (bit k)
        self._series = 0  # metrics summed into the pulse series (bit k)
        self._rounding = [0] * K  # per metric: evidence (0-6) that the platform rounds it
        self._obs = 0  # bit i: hour obs_base + i holds a snapshot
        self._cache: dict[int, tuple[list[float], list[float]]] = {}

    # -- reading -----------------------------------------------------------

    @property
    def newest(self) -> float | None:
        """Time of the newest accepted snapshot (hours since the epoch)."""
        t = self._m[_NEWEST]
        return None if _isnan(t) else t

    @property
    def series_metrics(self) -> tuple[str, ...]:
        """Metrics summed into the series the pulses are detected on."""
        return tuple(m for k, m in enumerate(METRICS) if self._series >> k & 1)

    def present(self, metric: str) -> bool:
        """Whether the post has ever reported ``metric``."""
        return bool(self._present >> METRICS.index(metric) & 1)

    def totals(self) -> dict[str, float | None]:
        """Latest raw value per metric (platform purges show here); None if absent."""
        m = self._m
        return {
            metric: None if _isnan(m[_LATEST_V + k]) else m[_LATEST_V + k]
            for k, metric in enumerate(METRICS)
        }

    def _points(self, k: int) -> tuple[list[float], list[float]]:
        """Times and running maxima of metric k from its anchor (or the publish zero) on."""
        hit = self._cache.get(k)
        if hit is None:
            hit = self._cache[k] = self._compute_points(k)
        return hit

    def _compute_points(self, k: int) -> tuple[list[float], list[float]]:
        m = self._m
        ts: list[float] = []
        ms: list[float] = []
        best = -math.inf
        anchor = m[_ANCHOR_T + k]
        if not _isnan(anchor):
            g = m[_ANCHOR_G + k]
            if g == g and math.floor(anchor) < anchor:
                ts.append(math.floor(anchor))
                ms.append(g)
            ts.append(anchor)
            best = m[_ANCHOR_M + k]
            ms.append(best)
        elif m[_ZERO] == 1.0:
            ts.append(math.floor(m[_PUBLISH]))
            best = 0.0
            ms.append(0.0)
        v = self._v
        for i, t in enumerate(self._t):
            x = v[i * K + k]
            if x == x:
                best = x if x > best else best
                ts.append(t)
                ms.append(best)
        return ts, ms

    def _last_point(self, k: int) -> float:
        v = self._v
        for i in range(len(self._t) - 1, -1, -1):
            if v[i * K + k] == v[i * K + k]:
                return self._t[i]
        t = self._m[_ANCHOR_T + k]
        return t if t == t else -math.inf

    def from_publish(self) -> bool:
        """Whether the counts are read from 0 at publish (the first snapshot came within the
        burst window); otherwise what came before the first snapshot is unknown."""
        return self._m[_ZERO] == 1.0

    def series_start(self) -> int | None:
        """First grid point of the pulse series (None: no series yet)."""
        g = self._m[_SERIES0]
        return None if _isnan(g) else int(g)

    def complete_until(self) -> int | None:
        """Hours before this one are complete for every series metric (None: no series yet)."""
        if not self._series:
            return None
        last = min(self._last_point(k) for k in range(K) if self._series >> k & 1)
        return None if last == -math.inf else math.floor(last)

    def final_until(self, params: AnalyticsParams = DEFAULT_PARAMS) -> int | None:
        """Hours before this one can no longer change for the series metrics (None: none).

        Grid points up to each metric's last point before the watermark are fixed: a
        snapshot that is not late lies after that point.
        """
        if not self._series or _isnan(self._m[_NEWEST]):
            return None
        watermark = self._m[_NEWEST] - params.reorder_window_hours / params.grid_hours
        lasts = []
        for k in range(K):
            if self._series >> k & 1:
                ts, _ = self._points(k)
                before = [t for t in ts if t < watermark]
                if not before:
                    return None
                lasts.append(before[-1])
        return math.floor(min(lasts))

    def observed(self, hour: int) -> bool:
        """Whether ``hour`` holds a snapshot (known for hours inside the kept window)."""
        base = self._m[_OBS_BASE]
        if _isnan(base) or hour < base:
            return False
        return bool(self._obs >> int(hour - base) & 1)

    def engagement_ratio(self) -> float:
        """Engagements over every engagement metric the post has ÷ over the series metrics,
        at the latest snapshot that carried them all (1 when they are the same)."""
        r = self._m[_RATIO]
        return 1.0 if _isnan(r) else r

    def rounded(self, metric: str) -> bool:
        """Whether the platform shows ``metric`` rounded (COARSE_EVIDENCE values in a row)."""
        return self._rounding[METRICS.index(metric)] >= COARSE_EVIDENCE

    def imputes(self) -> bool:
        """Whether a series metric is shown rounded: its hours are then read from the latest
        values (:meth:`series`), so any snapshot can change hours already read."""
        return bool(self._imputation()[1])

    def series(self, h0: int, h1: int) -> list[float]:
        """Velocity of the series (sum of its metrics) for complete hours ``h0 .. h1-1``.

        Rounded metrics: with an exact series metric beside them, their gain is imputed
        as the exact metrics' gain times their share of them; when every series metric
        is rounded, each gains as its informative points say (:meth:`_informative`).
        """
        if h1 <= h0:
            return []
        n = h1 - h0
        out = [0.0] * n
        ks, coarse, scale = self._imputation()
        impute = scale != 1.0
        for k in ks:
            if impute and k in coarse:
                continue
            points = self._informative(k, h0) if k in coarse else None
            ts, ms = points if points is not None else self._points(k)
            grid = interpolate_grid(ts, ms, h0, h1)
            for i in range(n):
                a, b = grid[i], grid[i + 1]
                if a is not None and b is not None:
                    out[i] += b - a
        if impute:
            return [x * scale for x in out]
        return out

    def _informative(self, k: int, start: float) -> tuple[list[float], list[float]] | None:
        """A rounded metric's cumulative through its informative points, from ``start`` on:
        the last one folded away (or the publish zero), then each exact value above the running
        level (a daily export) and each step up of the shown value, where the true value crossed
        the new level (:func:`_informative_point`), with the gain going on at its last rate until
        the poll before a step that says it rose (``RISE_FACTOR``); from the last point to the
        metric's last snapshot, that rate, capped by a rounding step over the time since (the
        shown value has not stepped up). Reading the polls as they show would put a whole
        rounding step into one hour, and one latest rate for every hour would read a heating's
        rise into the hours before it. None: no point yet."""
        m = self._m
        ts: list[float] = []
        vs: list[float] = []
        before, level = m[_ANCHOR_T + k], m[_ANCHOR_M + k]
        if _isnan(level):
            level = 0.0 if m[_ZERO] == 1.0 else -math.inf
        if not _isnan(m[_CROSS_T + k]):
            ts.append(m[_CROSS_T + k])
            vs.append(m[_CROSS_V + k])
        elif not _isnan(before) and level > -math.inf:
            ts.append(before)
            vs.append(level)
        elif m[_ZERO] == 1.0:
            ts.append(math.floor(m[_PUBLISH]))
            vs.append(0.0)
        v = self._v
        last = before
        for i, t in enumerate(self._t):
            x = v[i * K + k]
            if x != x:
                continue
            point = _informative_point(before, level, t, x)
            if point is not None:
                slope = _slope(ts, vs, m[_CROSS_R + k])
                if ts and ts[-1] < before < point[0] and slope == slope:
                    steady = (point[1] - vs[-1]) / (point[0] - ts[-1])
                    if steady > RISE_FACTOR * slope:
                        # a rise between two polls is not spread back over the hours since the
                        # last step: until the poll before it the gain went on at its last rate
                        vs.append(vs[-1] + slope * (before - ts[-1]))
                        ts.append(before)
                level = point[1]
                if not ts or point[0] > ts[-1]:
                    ts.append(point[0])
                    vs.append(point[1])
            before = last = t
        if not ts:
            return None
        since = last - ts[-1] if not _isnan(last) else 0.0
        if since > 0:
            slope = _slope(ts, vs, m[_CROSS_R + k])
            ts.append(last)
            vs.append(vs[-1] + (0.0 if slope != slope else min(slope, COARSE_STEP / since)) * since)
        if ts[0] > start:  # back to the first hour read, along the first segment
            first = (vs[1] - vs[0]) / (ts[1] - ts[0]) if len(ts) >= 2 else 0.0
            ts.insert(0, start)
            vs.insert(0, vs[0] - first * (ts[1] - start))
        return ts, vs

    def _imputation(self) -> tuple[list[int], list[int], float]:
        """The series metrics, those shown rounded, and the factor their exact companions'
        gain is scaled by to stand for them all (1: nothing is imputed)."""
        ks = [k for k in range(K) if self._series >> k & 1]
        coarse = [k for k in ks if self._rounding[k] >= COARSE_EVIDENCE]
        if not coarse or len(coarse) == len(ks):
            return ks, coarse, 1.0
        m = self._m
        share = level = 0.0
        for k in ks:
            latest = m[_LATEST_V + k]
            latest = 0.0 if _isnan(latest) else latest
            if k in coarse:
                share += latest
            else:
                level += latest
        return ks, coarse, 1.0 + share / level if level > 0 else 1.0

    def count_scale(self) -> float:
        """Counts of the series each counted unit stands for: with rounded metrics imputed
        from their exact companions' gain (:meth:`series`), that gain's scale-up, which scales
        its counting noise up alike; else 1."""
        return self._imputation()[2]

    def hours(
        self, h0: int, h1: int
    ) -> dict[str, tuple[list[float | None], list[float | None]] | None]:
        """Per metric, (cumulative at the end of each hour, velocity) for hours ``h0 .. h1-1``.

        Both are None for an hour not known (yet), or already final and no longer kept.
        """
        out: dict[str, tuple[list[float | None], list[float | None]] | None] = {}
        for k, metric in enumerate(METRICS):
            if not self._present >> k & 1:
                out[metric] = None
                continue
            ts, ms = self._points(k)
            grid = interpolate_grid(ts, ms, h0, h1)
            anchor = self._m[_ANCHOR_T + k]
            if (
                anchor == anchor
            ):  # hours before the anchor's are final: not recomputable, not changed
                for g in range(h0, min(math.floor(anchor), h1 + 1)):
                    grid[g - h0] = None
            vel = [
                None if a is None or b is None else b - a
                for a, b in zip(grid[:-1], grid[1:], strict=True)
            ]
            out[metric] = (
                [None if v is None else c for c, v in zip(grid[1:], vel, strict=True)],
                vel,
            )
        return out

    # -- writing -----------------------------------------------------------

    def apply(
        self, snap: Snapshot, params: AnalyticsParams = DEFAULT_PARAMS, prune: bool = True
    ) -> CurveChange:
        """Merge one snapshot; says whether it was late, a duplicate, or what it changed.

        With ``prune=False`` the snapshots that fell out of the window stay until
        :meth:`prune`, so that hours becoming final can still be read.
        """
        m = self._m
        t = snap.t
        newest = m[_NEWEST]
        if not _isnan(newest) and t < newest - params.reorder_window_hours / params.grid_hours:
            return CurveChange("late", None)
        vals = [NAN if x is None else float(x) for x in snap.values]
        self._cache.clear()
        if not any(x == x for x in vals):
            self._mark_observed(t)
            return CurveChange("duplicate", None)
        if _isnan(newest):
            self._first(t, vals, params)
        regressions = self._regressions(t, vals, params, snap.rounded)
        first_hour = self._first_changed_hour(t, vals)
        for name in snap.rounded:
            k = METRICS.index(name)
            if vals[k] == vals[k]:  # the collector says so: no need to infer it from the values
                self._rounding[k] = ROUNDING_MAX
        changed = self._insert(t, vals)
        self._note_shape(t, vals)
        self._cache.clear()
        self._update_latest(t, vals)
        self._mark_observed(t)
        if not changed:
            return CurveChange("duplicate", None, regressions)
        if _isnan(newest) or t > newest:
            m[_NEWEST] = t
            if prune:
                self.prune(params)
        return CurveChange("accepted", first_hour, regressions)

    def _first(self, t: float, vals: list[float], params: AnalyticsParams) -> None:
        publish = self._m[_PUBLISH]
        if (
            not _isnan(publish)
            and publish <= t <= publish + params.burst_window_hours / params.grid_hours
        ):
            self._m[_ZERO] = 1.0
        self._m[_OBS_BASE] = math.floor(t if self._m[_ZERO] != 1.0 else publish)

    def _regressions(
        self, t: float, vals: list[float], params: AnalyticsParams, rounded: tuple[str, ...] = ()
    ) -> tuple[Regression, ...]:
        """Counters that fell below their running maximum by more than ``regression_alert``. A
        value shown rounded ("1.2万": 12,000 to 12,999; listed in ``rounded`` or read so) fell by
        what even the top of its range is below that maximum: after a daily export's exact 10,583
        shares, every poll's "1万" read as a fall of 583 (5.5 %), one PostUnavailable each."""
        found = []
        for k, x in enumerate(vals):
            if x != x:
                continue
            ts, ms = self._points(k)
            i = bisect.bisect_right(ts, t)
            if i == 0:
                continue
            before = ms[i - 1]  # running maximum up to t
            coarse = METRICS[k] in rounded or self._rounding[k] >= COARSE_EVIDENCE
            most = x + COARSE_STEP - 1 if coarse and x >= COARSE_FROM and x % COARSE_STEP == 0 else x
            drop = before - most
            if (
                drop > params.regression_drop_min
                and drop > params.regression_drop_fraction * before
            ):
                found.append(Regression(METRICS[k], t, before, x))
        return tuple(found)

    def _first_changed_hour(self, t: float, vals: list[float]) -> int:
        """Grid points after the previous point of any metric in the snapshot may change."""
        earliest = math.ceil(t) - 1  # a first point defines the grid point at t itself
        for k, x in enumerate(vals):
            if x != x:
                continue
            ts, _ = self._points(k)
            i = bisect.bisect_left(ts, t)
            if i:
                earliest = min(earliest, math.floor(ts[i - 1]))
        return earliest

    def _insert(self, t: float, vals: list[float]) -> bool:
        """Insert or merge the row, compact its hour; whether any kept value changed."""
        times, v = self._t, self._v
        i = 0
        n = len(times)
        while i < n and times[i] < t:
            i += 1
        if i < n and times[i] == t:
            changed = False
            for k, x in enumerate(vals):
                y = v[i * K + k]
                if x == x and (y != y or x > y):
                    v[i * K + k] = x
                    changed = True
            if changed:
                self._present |= self._mask(vals)
            return changed
        times.insert(i, t)
        for k in range(K):
            v.insert(i * K + k, vals[k])
        self._present |= self._mask(vals)
        if not self._series:
            eng = sum(1 << k for k in ENGAGEMENT_INDEXES if vals[k] == vals[k])
            self._series = eng or (1 << _VIEWS if vals[_VIEWS] == vals[_VIEWS] else 0)
        if self._series & self._mask(vals):
            first = math.floor(self._m[_PUBLISH]) if self._m[_ZERO] == 1.0 else math.ceil(t)
            if _isnan(self._m[_SERIES0]) or first < self._m[_SERIES0]:
                self._m[_SERIES0] = first
        return self._compact(math.floor(t), t)

    def set_publish(self, publish: float | None, params: AnalyticsParams = DEFAULT_PARAMS) -> bool:
        """Take the post's publish time after its first snapshots (its registry entry came
        later, or was edited), while no snapshot has been folded away: the counts start at 0
        at publish if the first snapshot lies in the burst window, as if it had been known
        from the start. Returns whether it was taken."""
        m = self._m
        if any(not _isnan(m[_ANCHOR_T + k]) for k in range(K)):
            return False  # hours before the anchors are final: they cannot be read again
        m[_PUBLISH] = NAN if publish is None else publish
        m[_ZERO] = NAN
        self._cache.clear()
        if not self._t:
            return True
        base = m[_OBS_BASE]
        self._first(self._t[0], [], params)
        if base == base and m[_OBS_BASE] != base:  # the observed bits, from the new first hour
            shift = int(base - m[_OBS_BASE])
            self._obs = self._obs << shift if shift > 0 else self._obs >> -shift
        m[_SERIES0] = NAN
        for i, t in enumerate(self._t):
            if self._series & self._mask(list(self._v[i * K:(i + 1) * K])):
                m[_SERIES0] = math.floor(m[_PUBLISH]) if m[_ZERO] == 1.0 else math.ceil(t)
                break
        return True

    @staticmethod
    def _mask(vals: list[float]) -> int:
        return sum(1 << k for k, x in enumerate(vals) if x == x)

    def _compact(self, hour: int, new_t: float) -> bool:
        """In one hour keep per metric the first and the last row carrying it; fold the rest.

        Returns whether the grid may have changed: the new row was kept or a fold raised a value.
        """
        times, v = self._t, self._v
        idx = [i for i, t in enumerate(times) if math.floor(t) == hour]
        if len(idx) <= 2:
            return True
        keep: set[int] = set()
        last_with: dict[int, int] = {}
        for k in range(K):
            rows = [i for i in idx if v[i * K + k] == v[i * K + k]]
            if rows:
                keep.add(rows[0])
                keep.add(rows[-1])
                last_with[k] = rows[-1]
        drop = [i for i in idx if i not in keep]
        changed = not any(times[i] == new_t for i in drop)
        for i in drop:
            for k in range(K):
                x = v[i * K + k]
                if x == x:
                    j = last_with[k]
                    if x > v[j * K + k]:
                        v[j * K + k] = x
                        changed = True
        for i in reversed(drop):
            del times[i]
            del v[i * K : (i + 1) * K]
        return changed

    def _note_shape(self, t: float, vals: list[float]) -> None:
        """Track rounded metrics and the all-metrics engagement ratio; runs before the latest
        values are updated."""
        for k, x in enumerate(vals):
            if x != x or x < COARSE_FROM:
                continue
            if x % COARSE_STEP:
                self._rounding[k] = max(0, self._rounding[k] - 2)
                continue
            self._rounding[k] = min(ROUNDING_MAX, self._rounding[k] + 1)
        eng = [k for k in ENGAGEMENT_INDEXES if self._present >> k & 1]
        if self._series and eng and all(vals[k] == vals[k] for k in eng):
            series = sum(vals[k] for k in range(K) if self._series >> k & 1 and vals[k] == vals[k])
            if series > 0:
                self._m[_RATIO] = sum(vals[k] for k in eng) / series

    def _update_latest(self, t: float, vals: list[float]) -> None:
        m = self._m
        for k, x in enumerate(vals):
            if x != x:
                continue
            lt = m[_LATEST_T + k]
            if _isnan(lt) or t > lt or (t == lt and x > m[_LATEST_V + k]):
                m[_LATEST_T + k] = t
                m[_LATEST_V + k] = x

    def _mark_observed(self, t: float) -> None:
        m = self._m
        if _isnan(m[_OBS_BASE]):
            m[_OBS_BASE] = math.floor(t)
        off = math.floor(t) - int(m[_OBS_BASE])
        if off >= 0:
            self._obs |= 1 << off

    def prune(self, params: AnalyticsParams = DEFAULT_PARAMS) -> None:
        """Fold snapshots older than the watermark (newest − reorder window) into the anchors."""
        times, v, m = self._t, self._v, self._m
        if _isnan(m[_NEWEST]):
            return
        watermark = m[_NEWEST] - params.reorder_window_hours / params.grid_hours
        n = 0
        while n < len(times) and times[n] < watermark:
            n += 1
        if n:
            for k in range(K):
                ts, ms = self._points(k)
                last = [t for t in ts if t < watermark]
                if last and (_isnan(m[_ANCHOR_T + k]) or last[-1] > m[_ANCHOR_T + k]):
                    g = interpolate_grid(ts, ms, math.floor(last[-1]), math.floor(last[-1]))[0]
                    m[_ANCHOR_G + k] = NAN if g is None else g
        for i in range(n):
            for k in range(K):
                x = v[i * K + k]
                if x == x:
                    best = m[_ANCHOR_M + k]
                    if _isnan(best):
                        best = 0.0 if m[_ZERO] == 1.0 else -math.inf
                    if self._rounding[k]:
                        self._fold_informative(k, _informative_point(m[_ANCHOR_T + k], best, times[i], x))
                    m[_ANCHOR_T + k] = times[i]
                    m[_ANCHOR_M + k] = x if x > best else best
        if n:
            del times[:n]
            del v[: n * K]
            self._cache.clear()
        # keep observed bits from the oldest hour that can still be read back
        anchors = [m[_ANCHOR_T + k] for k in range(K) if not _isnan(m[_ANCHOR_T + k])]
        if not anchors:
            return
        keep_from = math.floor(min(anchors))
        base = int(m[_OBS_BASE])
        if keep_from > base:
            self._obs >>= keep_from - base
            m[_OBS_BASE] = keep_from

    def _fold_informative(self, k: int, point: tuple[float, float] | None) -> None:
        """Keep the last informative point of a rounded metric folded away (and the smoothed
        gain per step between such points), for :meth:`_informative`."""
        if point is None:
            return
        m = self._m
        t0, v0 = m[_CROSS_T + k], m[_CROSS_V + k]
        if not _isnan(t0) and point[0] > t0:
            sample = (point[1] - v0) / (point[0] - t0)
            r = m[_CROSS_R + k]
            m[_CROSS_R + k] = sample if _isnan(r) else 0.5 * (r + sample)
        m[_CROSS_T + k], m[_CROSS_V + k] = point

    # -- serialisation -----------------------------------------------------

    def to_bytes(self) -> bytes:
        """Compact binary form for the changelog table: only the metrics present are stored,
        rounding-step slots only for metrics seen rounded, window counts as int32 offsets from
        their metric's anchor when they are whole numbers (else float64)."""
        nbytes = (self._obs.bit_length() + 7) // 8
        ks = [k for k in range(K) if self._present >> k & 1]
        rk = [k for k in ks if self._rounding[k]]
        m = self._m
        slots = array("d", (m[base + k] for base in _SLOTS[:5] for k in ks))
        slots.extend(m[base + k] for base in _SLOTS[5:] for k in rk)
        rows, whole = self._packed_rows(ks)
        head = _HEADER.pack(_VERSION, self._present, self._series, len(self._t), nbytes, *self._rounding)
        return b"".join((head, bytes([whole]), self._obs.to_bytes(nbytes, "little"), m[_META:].tobytes(),
                         slots.tobytes(), self._t.tobytes(), rows))

    def _packed_rows(self, ks: list[int]) -> tuple[bytes, int]:
        refs = [self._ref(k) for k in ks]
        vals = [self._v[i * K + k] for i in range(len(self._t)) for k in ks]
        ints = []
        for j, x in enumerate(vals):
            if x != x:
                ints.append(_NAN32)
                continue
            d = x - refs[j % len(ks)]
            if d != int(d) or not -_NAN32 < d < 2**31:
                return array("d", vals).tobytes(), 0
            ints.append(int(d))
        return array("i", ints).tobytes(), 1

    def _ref(self, k: int) -> float:
        a = self._m[_ANCHOR_M + k]
        return 0.0 if _isnan(a) or a in (math.inf, -math.inf) or a != int(a) else a

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> CurveState:
        """Inverse of :meth:`to_bytes`."""
        state, _ = cls.read(memoryview(data))
        return state

    @classmethod
    def read(cls, buf: memoryview) -> tuple[CurveState, int]:
        """Decode from the start of ``buf``; returns the state and the bytes used."""
        version, present, series, rows, nbytes, *rounding = _HEADER.unpack_from(buf, 0)
        if version != _VERSION:
            raise ValueError(f"unknown CurveState version {version}")
        self = cls.__new__(cls)
        off = _HEADER.size
        whole = buf[off]
        off += 1
        obs = int.from_bytes(buf[off : off + nbytes], "little")
        off += nbytes
        ks = [k for k in range(K) if present >> k & 1]
        rk = [k for k in ks if rounding[k]]
        meta = array("d")
        meta.frombytes(buf[off : off + 8 * _N_META])
        off += 8 * _N_META
        n_slots = 5 * len(ks) + 3 * len(rk)
        slots = array("d")
        slots.frombytes(buf[off : off + 8 * n_slots])
        off += 8 * n_slots
        self._m = array("d", [NAN]) * _SIZE
        self._m[_META:] = meta
        j = 0
        for base in _SLOTS:
            for k in ks if base in _SLOTS[:5] else rk:
                self._m[base + k] = slots[j]
                j += 1
        self._t = array("d")
        self._t.frombytes(buf[off : off + 8 * rows])
        off += 8 * rows
        packed = array("i" if whole else "d")
        size = packed.itemsize * rows * len(ks)
        packed.frombytes(buf[off : off + size])
        off += size
        self._v = array("d", [NAN]) * (rows * K)
        self._present, self._series, self._rounding, self._obs = present, series, list(rounding), obs
        refs = [self._ref(k) for k in ks]
        for i in range(rows):
            for j, k in enumerate(ks):
                x = packed[i * len(ks) + j]
                if whole:
                    self._v[i * K + k] = NAN if x == _NAN32 else refs[j] + x
                else:
                    self._v[i * K + k] = x
        self._cache = {}
        return self, off
