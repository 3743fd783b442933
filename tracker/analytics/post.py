"""Per-post analytics state: what a stream worker keeps for one post.

``PostAnalytics`` joins the resampling state and two pulse trackers: a
*checkpoint* fed only steps that can no longer change, and the *live* one fed
everything complete. A snapshot arriving in order extends the live tracker;
one that changes steps the live tracker already saw (out of order inside the
reorder window, or a heating node reported late) rebuilds live from the
checkpoint. Every call returns an :class:`Update` with the rows it touched.

Event times come in as hours since the epoch and leave as grid steps
(``hours / params.grid_hours``; identical on the default 1-hour grid).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field, replace

from tracker.analytics import alerts
from tracker.analytics.curve import CurveChange, CurveState
from tracker.analytics.longtail import (
    LongTail,
    Projection,
    RatioStats,
    loglinear_projection,
    tail_share,
)
from tracker.analytics.metrics import emv, engagements
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.pulses import HeatingNode, Pulse, PulseTracker
from tracker.analytics.resample import Snapshot

_HEAD = struct.Struct("<BqqIII")  # version, alerted pulse (or -1), open flag, 3 section sizes
_VERSION = 1


@dataclass(frozen=True, slots=True)
class HourRow:
    """One grid step of one post (counts at the end of the step, gains during it)."""

    step: int
    cumulative: dict[str, float | None]
    velocity: dict[str, float | None]
    engagements: float | None
    engagements_velocity: float | None
    emv: float | None
    observed: bool


@dataclass(frozen=True, slots=True)
class Update:
    """Everything one event touched, as upserts of state."""

    status: str
    """``accepted``, ``duplicate``, ``late`` or ``heating``."""
    hours: list[HourRow] = field(default_factory=list)
    pulses: list[Pulse] = field(default_factory=list)
    removed_pulses: list[int] = field(default_factory=list)
    totals: dict[str, float | None] = field(default_factory=dict)
    long_tail: LongTail | None = None
    alerts: list[alerts.Alert] = field(default_factory=list)


class PostAnalytics:
    """Analytics state of one post: ``apply`` snapshots and heating nodes, read updates."""

    __slots__ = (
        "params",
        "curve",
        "checkpoint",
        "live",
        "alerted",
        "alert_open",
        "publish",
        "track_end",
    )

    def __init__(
        self,
        publish_hours: float | None = None,
        tracking_end_hours: float | None = None,
        params: AnalyticsParams = DEFAULT_PARAMS,
    ) -> None:
        g = params.grid_hours
        self.params = params
        self.publish = None if publish_hours is None else publish_hours / g
        if tracking_end_hours is None and publish_hours is not None:
            tracking_end_hours = publish_hours + params.tracking_window_hours
        self.track_end = None if tracking_end_hours is None else tracking_end_hours / g
        pub_step = None if self.publish is None else math.floor(self.publish)
        end_step = None if self.track_end is None else math.floor(self.track_end)
        self.curve = CurveState(self.publish)
        self.checkpoint = PulseTracker(pub_step, end_step)
        self.checkpoint.eager = 0
        self.live = PulseTracker(pub_step, end_step)
        self.alerted = -1  # highest pulse index PostDecaying fired for
        self.alert_open = False

    # -- events ------------------------------------------------------------

    def apply_snapshot(self, snap: Snapshot, reheat_lift_per_spend: float | None = None) -> Update:
        """Merge one snapshot (times in hours) and return the rows it touched."""
        p = self.params
        step_snap = Snapshot(snap.t / p.grid_hours, snap.values)
        change = self.curve.apply(step_snap, p, prune=False)
        if change.status == "late":
            return Update("late")
        rows = self._rows(change) if change.status == "accepted" else []
        before = self.live.index
        self._advance(change.first_hour if change.status == "accepted" else None)
        self.curve.prune(p)
        out = self._update(change.status, rows, before, reheat_lift_per_spend)
        if change.regressions:
            ev = alerts.unavailable([(r.metric, r.before, r.after) for r in change.regressions])
            key = ",".join(f"{r.metric}@{r.t:.3f}" for r in change.regressions)
            out.alerts.append(alerts.Alert("PostUnavailable", "firing", step_snap.t, key, ev or {}))
        return out

    def apply_heating(
        self, node: HeatingNode, reheat_lift_per_spend: float | None = None
    ) -> Update:
        """Register a heating node (times in hours); a node in the past replays the live state."""
        g = self.params.grid_hours
        node = replace(node, start=node.start / g, end=None if node.end is None else node.end / g)
        start = math.floor(node.start)
        floor_step = self.checkpoint.next_step if self.checkpoint.onset != _NONE_STEP else None
        if (
            floor_step is not None and start < floor_step
        ):  # too old to replay: onset at the checkpoint
            node = replace(node, start=float(floor_step))
        self.checkpoint.add_node(node)
        self.live.add_node(node)
        before = self.live.index
        if self.live.onset != _NONE_STEP and math.floor(node.start) < self.live.next_step:
            self._rebuild_live()
        return self._update("heating", [], before, reheat_lift_per_spend)

    def end_tracking(self) -> list[alerts.Alert]:
        """Resolve an open ``PostDecaying`` at the end of the tracking window."""
        if not self.alert_open:
            return []
        self.alert_open = False
        at = self.track_end if self.track_end is not None else float(self.live.next_step)
        return [
            alerts.Alert(
                "PostDecaying", "resolved", at, str(self.alerted), {"reason": "end of tracking"}
            )
        ]

    # -- internals ---------------------------------------------------------

    def _advance(self, first_changed: int | None) -> None:
        curve, p = self.curve, self.params
        start = curve.series_start()
        complete = curve.complete_until()
        if start is None or complete is None:
            return
        final = curve.final_until(p)
        cp = self.checkpoint
        cp_next = cp.next_step if cp.onset != _NONE_STEP else start
        if final is not None and final > cp_next:
            self._feed(cp, cp_next, final)
        live = self.live
        live_next = live.next_step if live.onset != _NONE_STEP else start
        if first_changed is not None and first_changed < live_next and live.onset != _NONE_STEP:
            self._rebuild_live()
            return
        if complete > live_next:
            self._feed(live, live_next, complete)

    def _rebuild_live(self) -> None:
        curve = self.curve
        start = curve.series_start()
        complete = curve.complete_until()
        self.live = self.checkpoint.copy()
        if start is None or complete is None:
            return
        live_next = self.live.next_step if self.live.onset != _NONE_STEP else start
        if complete > live_next:
            self._feed(self.live, live_next, complete)

    def _feed(self, tracker: PulseTracker, s0: int, s1: int) -> None:
        velocities = self.curve.series(s0, s1)
        for i, v in enumerate(velocities):
            tracker.feed(s0 + i, v, self.curve.observed(s0 + i), self.params)

    def _rows(self, change: CurveChange) -> list[HourRow]:
        newest = self.curve.newest
        if change.first_hour is None or newest is None:
            return []
        end = math.floor(newest)
        start = change.first_hour
        data = self.curve.hours(start, end)
        rows = []
        for i in range(end - start):
            cum = {m: (d[0][i] if d is not None else None) for m, d in data.items()}
            vel = {m: (d[1][i] if d is not None else None) for m, d in data.items()}
            if all(v is None for v in vel.values()):
                continue
            rows.append(
                HourRow(
                    step=start + i,
                    cumulative=cum,
                    velocity=vel,
                    engagements=engagements(cum),
                    engagements_velocity=engagements(vel),
                    emv=emv(cum, self.params.emv_unit_values),
                    observed=self.curve.observed(start + i),
                )
            )
        return rows

    def _update(
        self, status: str, rows: list[HourRow], before: int, reheat: float | None
    ) -> Update:
        live, p = self.live, self.params
        pulses: list[Pulse] = list(live.closed_pulses)
        live.closed_pulses.clear()
        self.checkpoint.closed_pulses.clear()
        removed: list[int] = []
        current = live.current(p)
        if current is not None:
            pulses.append(current)
        if live.index < before:
            removed = list(range(live.index + 1, before + 1))
        out_alerts: list[alerts.Alert] = []
        now = float(live.next_step) if live.onset != _NONE_STEP else 0.0
        if self.alert_open and live.index > self.alerted:
            self.alert_open = False
            out_alerts.append(
                alerts.Alert(
                    "PostDecaying", "resolved", now, str(self.alerted), {"reason": "new pulse"}
                )
            )
        if current is not None and live.index > self.alerted:
            planned = [n.start for n in live.nodes]
            ev = alerts.decaying(
                live.decay_view(p),
                now,
                planned,
                self.track_end,
                live.reheat_efficiency() or reheat,
                p,
            )
            if ev is not None:
                self.alerted = live.index
                self.alert_open = True
                out_alerts.append(alerts.Alert("PostDecaying", "firing", now, str(live.index), ev))
        totals = self.curve.totals()
        return Update(status, rows, pulses, removed, totals, self.long_tail(), out_alerts)

    # -- reading -----------------------------------------------------------

    def long_tail(self, stats: dict[float, RatioStats] | None = None) -> LongTail:
        """Tail share, organic/paid tail and projections at the horizons (engagements)."""
        live, p = self.live, self.params
        total = engagements(self.curve.totals())
        burst = live.burst_sum if self.publish is not None else None
        if burst is not None and live.next_step < math.floor(self.publish or 0) + p.steps(
            p.burst_window_hours
        ):
            burst = None  # burst window not over yet
        projections: list[Projection] = []
        baselines: list[Projection] = []
        if total is not None and self.publish is not None and live.onset != _NONE_STEP:
            age_h = (live.next_step - self.publish) * p.grid_hours
            for horizon in p.horizons_hours:
                until = self.publish + horizon / p.grid_hours
                proj = live.project(until, p)
                if proj is not None:
                    v, lo, hi = proj
                    projections.append(
                        Projection(horizon, total + v, total + lo, total + hi, "fit")
                    )
                rs = None if stats is None else stats.get(horizon)
                baselines.append(loglinear_projection(total, age_h, horizon, rs, p.interval))
        return LongTail(
            total=total,
            burst=burst,
            tail_share=tail_share(total, burst),
            organic_tail=live.organic_tail if burst is not None else None,
            paid_tail=live.paid_tail if burst is not None else None,
            projections=tuple(projections),
            baseline_projections=tuple(baselines),
        )

    # -- serialisation -----------------------------------------------------

    def to_bytes(self) -> bytes:
        """Compact binary form for the changelog table (params are not stored)."""
        parts = [self.curve.to_bytes(), self.checkpoint.to_bytes(), self.live.to_bytes()]
        pub = math.nan if self.publish is None else self.publish
        end = math.nan if self.track_end is None else self.track_end
        head = _HEAD.pack(_VERSION, self.alerted, int(self.alert_open), *(len(x) for x in parts))
        return head + struct.pack("<dd", pub, end) + b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes, params: AnalyticsParams = DEFAULT_PARAMS) -> PostAnalytics:
        """Inverse of :meth:`to_bytes`."""
        version, alerted, open_, n1, n2, n3 = _HEAD.unpack_from(data, 0)
        if version != _VERSION:
            raise ValueError(f"unknown PostAnalytics version {version}")
        pub, end = struct.unpack_from("<dd", data, _HEAD.size)
        off = _HEAD.size + 16
        self = cls.__new__(cls)
        self.params = params
        self.publish = None if pub != pub else pub
        self.track_end = None if end != end else end
        self.alerted, self.alert_open = alerted, bool(open_)
        self.curve = CurveState.from_bytes(data[off : off + n1])
        off += n1
        self.checkpoint = PulseTracker.from_bytes(data[off : off + n2])
        off += n2
        self.live = PulseTracker.from_bytes(data[off : off + n3])
        return self


_NONE_STEP = -(2**62)
