"""Per-post analytics state: what a stream worker keeps for one post.

``PostAnalytics`` joins the resampling state and a *checkpoint* pulse tracker
fed only the steps that can no longer change (older than the reorder window).
What the stream reports comes from a *live* view built on each event: a copy
of the checkpoint extended with the complete steps after it. Whatever order
snapshots arrive in within the reorder window, and whenever a heating node is
reported, the live view is the same function of the data — and only the
checkpoint is stored, which halves the state. While the object stays in
memory the live view is kept and extended by the new steps unless an event
changed a step it already holds. Every call returns an :class:`Update` with
the rows it touched.

Event times come in as hours since the epoch and leave as grid steps
(``hours / params.grid_hours``; identical on the default 1-hour grid).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field, replace

import numpy as np

from tracker.analytics import alerts
from tracker.analytics.curve import CurveChange, CurveState
from tracker.analytics.jumps import PACKED, JumpJudge
from tracker.analytics.longtail import (
    LearnedRatios,
    LongTail,
    Projection,
    loglinear_projection,
    ratio_at,
    tail_share,
)
from tracker.analytics.metrics import engagements
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.pulses import NONE, HeatingNode, Pulse, PulseTracker
from tracker.analytics.records import cost_per_incremental
from tracker.analytics.resample import Snapshot

# version, alerted, reported, pending, open flag, publish, end, curve size
_HEAD = struct.Struct("<BiiiBddI")
_VERSION = 3  # 3 adds the step-jump judge's memory (:mod:`.jumps`)


@dataclass(frozen=True, slots=True)
class HourRow:
    """One grid step of one post (counts at the end of the step, gains during it)."""

    step: int
    cumulative: dict[str, float | None]
    velocity: dict[str, float | None]
    engagements: float | None
    engagements_velocity: float | None
    observed: bool


@dataclass(frozen=True, slots=True)
class Update:
    """Everything one event touched, as upserts of state."""

    status: str
    """``accepted``, ``duplicate``, ``late``, ``heating`` or ``registry``."""
    hours: list[HourRow] = field(default_factory=list)
    pulses: list[Pulse] = field(default_factory=list)
    removed_pulses: list[int] = field(default_factory=list)
    totals: dict[str, float | None] = field(default_factory=dict)
    long_tail: LongTail | None = None
    alerts: list[alerts.Alert] = field(default_factory=list)
    burst_over: bool = False
    """This event carried the post past its burst window (the moment its ratios are judged)."""


class PostAnalytics:
    """Analytics state of one post: ``apply`` snapshots and heating nodes, read updates."""

    __slots__ = (
        "params",
        "curve",
        "checkpoint",
        "alerted",
        "alert_open",
        "reported",
        "pending",
        "publish",
        "track_end",
        "jumps",
        "_live",
        "_live_jumps",
        "_closed",
        "_events",
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
        self.alerted = -1  # highest pulse index PostDecaying fired for
        self.alert_open = False
        self.reported = -1  # highest pulse index reported so far
        self.pending = NONE  # step since which PostDecaying's conditions hold (NONE: they do not)
        self.jumps = JumpJudge()  # judges the steps the checkpoint reads, raises the alerts
        self._live: PulseTracker | None = None
        self._live_jumps: JumpJudge | None = None  # the judge walking with the live view (silent)
        self._closed: list[Pulse] = []  # pulses the checkpoint closed during this event
        self._events: list[alerts.Alert] = []  # alerts found on steps that became final

    @property
    def population(self) -> np.ndarray | None:
        """The shape the post's first pulse is pulled towards (:func:`pulses.population_shape`
        of its platform and tier's finished posts; None: no pull). Not stored: the stream sets
        it before each event."""
        return self.checkpoint.population

    @population.setter
    def population(self, shape: np.ndarray | None) -> None:
        self.checkpoint.population = shape
        if self._live is not None:
            self._live.population = shape

    # -- events ------------------------------------------------------------

    def apply_snapshot(self, snap: Snapshot, loglinear: LearnedRatios | None = None) -> Update:
        """Merge one snapshot (times in hours) and return the rows it touched; ``loglinear``: the
        log-linear ratios learned from the post's platform and tier (else the prior's)."""
        p = self.params
        step_snap = Snapshot(snap.t / p.grid_hours, snap.values, snap.rounded)
        before = self.curve.newest
        change = self.curve.apply(step_snap, p, prune=False)
        if change.status == "late":
            return Update("late")
        rows = self._rows(change) if change.status == "accepted" else []
        live = self._live
        if live is not None and change.status == "accepted" and (
            self.curve.imputes() or (change.first_hour is not None and change.first_hour < live.next_step)
        ):
            # a step the live view holds changed (with a rounded counter, any may have): rebuild it
            self._live = None
        self._advance()
        out = self._update(change.status, rows, loglinear)
        if self.publish is not None:
            end = self.publish + p.burst_window_hours / p.grid_hours
            after = self.curve.newest
            if after is not None and after >= end and (before is None or before < end):
                out = replace(out, burst_over=True)
        if change.regressions:
            ev = alerts.unavailable([(r.metric, r.before, r.after) for r in change.regressions])
            key = ",".join(f"{r.metric}@{r.t:.3f}" for r in change.regressions)
            out.alerts.append(alerts.Alert("PostUnavailable", "firing", step_snap.t, key, ev or {}))
        return out

    def apply_heating(self, node: HeatingNode, loglinear: LearnedRatios | None = None) -> Update:
        """Register a heating node (times in hours); one starting before the checkpoint's
        steps (older than the reorder window) takes effect at the checkpoint.

        An update of a node the checkpoint has read (planned → executed, the spend invoiced)
        keeps the time it was read at: it changes its status and spend, and starts no pulse
        again. A cancelled node is forgotten while unread. Once read, the stream reads the post
        again without it (:meth:`reads_late`); applied here instead (its store could not answer),
        its pulse stands at no spend (the boost never ran), and a heated pulse without spend counts
        in neither the lift nor the spend of the post's re-heat rate (:meth:`heated_lift`): the
        800 CNY of a boost planned, read and then cancelled halved what the post's one real boost
        brought per CNY."""
        g = self.params.grid_hours
        node = replace(node, start=node.start / g, end=None if node.end is None else node.end / g)
        cp = self.checkpoint
        known = cp.node(node.id)
        read = cp.onset != NONE and known is not None and math.floor(known.start) < cp.next_step
        if node.status == "cancelled" and not read:
            cp.drop_node(node.id)
        elif node.status == "cancelled":  # its pulse stands, at no spend: the boost never ran
            assert known is not None
            cp.add_node(replace(node, start=known.start, end=known.end, spend=0.0))
        elif read:
            assert known is not None
            cp.add_node(replace(node, start=known.start, end=known.end))
        else:
            if cp.onset != NONE and math.floor(node.start) < cp.next_step:
                node = replace(node, start=float(cp.next_step))
            cp.add_node(node)
        self._live = None
        return self._update("heating", [], loglinear)

    def reads_late(self, node: HeatingNode) -> bool:
        """Whether ``node`` (times in hours), new to the checkpoint, starts before the steps it has
        made final: :meth:`apply_heating` would start its pulse at the checkpoint, not at its start
        (a boost recorded after the reorder window had passed it); or whether it cancels a node the
        checkpoint has read: its pulse would stand, a boost that never ran read as one that brought
        no response (its spend counted with no lift, its alert worded so). The stream then reads the post again
        from its stored snapshots (``Insights.rebuild``), without the cancelled node, as it reads a
        node cancelled in time."""
        cp = self.checkpoint
        known = cp.node(node.id)
        read = cp.onset != NONE and known is not None and math.floor(known.start) < cp.next_step
        if node.status == "cancelled":
            return read and known is not None and known.status != "cancelled"
        if cp.onset == NONE or read:
            return False
        return math.floor(node.start / self.params.grid_hours) < cp.next_step

    def set_window(
        self, publish_hours: float | None, tracking_end_hours: float | None, loglinear: LearnedRatios | None = None
    ) -> Update | None:
        """Take the registry's publish time and tracking end (hours) for a post whose snapshots
        or heating nodes came first (a worker reads its topics in no set order), or whose entry
        was edited. The publish time is taken while no step has become final (the pulses and
        the burst window have read none), the tracking end always. None: nothing changed."""
        p = self.params
        g = p.grid_hours
        if tracking_end_hours is None and publish_hours is not None:
            tracking_end_hours = publish_hours + p.tracking_window_hours
        publish = None if publish_hours is None else publish_hours / g
        end = None if tracking_end_hours is None else tracking_end_hours / g
        cp, rows = self.checkpoint, []
        changed = end != self.track_end
        self.track_end = end
        cp.track_end = NONE if end is None else math.floor(end)
        if publish != self.publish and cp.onset == NONE and self.curve.set_publish(publish, p):
            self.publish = publish
            cp.publish = NONE if publish is None else math.floor(publish)
            start = self.curve.series_start()
            if start is not None:  # the hours from publish to the first snapshot are read now
                rows = self._rows(CurveChange("accepted", start))
            changed = True
        if not changed:
            return None
        self._live = None
        return self._update("registry", rows, loglinear)

    def reads_publish_late(self, publish_hours: float | None) -> bool:
        """Whether the registry's publish time (hours) is not the one the analytics read, after
        :meth:`set_window`: its steps were final before the entry came (a backfill or an import
        of snapshots read before the registry), so the pulses and the burst window read them
        without it. The stream then reads the post again from its stored snapshots
        (``Insights.rebuild``)."""
        return (None if publish_hours is None else publish_hours / self.params.grid_hours) != self.publish

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

    @property
    def live(self) -> PulseTracker:
        """The checkpoint extended with every complete step after it (built on demand)."""
        live, judge = self._live, self._live_jumps
        if live is None or judge is None:
            live = self._live = self.checkpoint.copy()
            judge = self._live_jumps = self.jumps.copy()
        curve = self.curve
        start, complete = curve.series_start(), curve.complete_until()
        if start is not None and complete is not None:
            nxt = live.next_step if live.onset != NONE else start
            if complete > nxt:
                # a jump is out of what the stream reports from the hour it is seen, not only
                # once its hours are final
                self._feed(live, nxt, complete, judge.judge(curve, nxt, complete, self.params, None))
        return live

    def _advance(self) -> None:
        """Feed the checkpoint the steps that became final, fold old snapshots away."""
        curve, p, cp = self.curve, self.params, self.checkpoint
        start = curve.series_start()
        final = curve.final_until(p)
        if start is not None and final is not None:
            nxt = cp.next_step if cp.onset != NONE else start
            if final > nxt:
                jumped = self.jumps.judge(curve, nxt, final, p, self._events)
                if jumped:
                    self._live = None  # it read those steps with the jump in them
                self._feed(cp, nxt, final, jumped)
                self._closed.extend(cp.closed_pulses)
                cp.closed_pulses.clear()
        curve.prune(p)

    def _feed(self, tracker: PulseTracker, s0: int, s1: int, jumped: dict[int, float] | None = None) -> None:
        """Feed ``tracker`` the series for steps ``s0 .. s1-1``, less the counts step jumps put
        there (:meth:`JumpJudge.judge`)."""
        velocities = self.curve.series(s0, s1)
        scale = self.curve.count_scale()
        for i, v in enumerate(velocities):
            if jumped:
                v = max(0.0, v - jumped.get(s0 + i, 0.0))
            tracker.feed(s0 + i, v, self.curve.observed(s0 + i), self.params, scale)

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
                    observed=self.curve.observed(start + i),
                )
            )
        return rows

    def _scaled(self, pulse: Pulse) -> Pulse:
        """A pulse with its engagements over every engagement metric (series ones scaled), and
        never more incremental engagements than the post shows: the pulse series keeps each
        counter's running maximum, the totals its latest value, so after a counter fell (a purge,
        a stray export row) a pulse read 3,277 incremental engagements of a post showing 2,472."""
        r = self.curve.engagement_ratio()
        shown = engagements(self.curve.totals())
        lift = pulse.incremental * r
        if shown is not None:
            lift = min(lift, shown)
        if r == 1.0 and lift == pulse.incremental:
            return pulse
        return replace(
            pulse,
            incremental=lift,
            total=pulse.total * r,
            cost_per_incremental=cost_per_incremental(pulse.spend, lift),
        )

    def _update(self, status: str, rows: list[HourRow], loglinear: LearnedRatios | None) -> Update:
        p = self.params
        live = self.live
        current = live.current(p)
        cp = self.checkpoint
        if cp.onset == live.onset and cp.index == live.index:
            cp.coef = live.coef.copy()  # a warm start for the next fit (the solution is unique)
        closed = {q.index: q for q in self._closed + live.closed_pulses}
        self._closed.clear()
        live.closed_pulses.clear()
        pulses = [self._scaled(q) for _, q in sorted(closed.items())]
        if current is not None:
            pulses.append(self._scaled(current))
        removed: list[int] = []
        if live.index < self.reported:
            removed = list(range(live.index + 1, self.reported + 1))
        self.reported = live.index
        out_alerts: list[alerts.Alert] = self._events
        self._events = []
        now = float(live.next_step) if live.onset != NONE else 0.0
        if self.alert_open and live.index > self.alerted:
            self.alert_open = False
            out_alerts.append(
                alerts.Alert(
                    "PostDecaying", "resolved", now, str(self.alerted),
                    {"reason": "new pulse", "new_pulse": self.alerted + 1},
                )
            )
        if current is not None and live.index > self.alerted:
            planned = [n.start for n in live.nodes]
            ev = alerts.decaying(
                live.decay_view(p),
                now,
                planned,
                self.track_end,
                self.reheat_efficiency(pulses[-1]),
                p,
            )
            # a boost with no response is judged on the decay before it, whose slow part shows
            young = live.next_step - live.onset < p.steps(p.decay_min_age_hours)
            if ev is not None and young and "after_no_response" not in ev:
                ev = None
            if ev is None:
                self.pending = NONE
            else:
                if self.pending == NONE or self.pending < live.onset:
                    self.pending = live.next_step
                if live.next_step - self.pending >= p.steps(p.decay_confirm_hours, 0):
                    self.alerted = live.index
                    self.alert_open = True
                    ev["conditions_since"] = float(self.pending)
                    self.pending = NONE
                    out_alerts.append(
                        alerts.Alert("PostDecaying", "firing", now, str(live.index), ev)
                    )
        totals = self.curve.totals()
        return Update(status, rows, pulses, removed, totals, self.long_tail(loglinear), out_alerts)

    # -- reading -----------------------------------------------------------

    def heated_lift(self, decayed: Pulse | None = None) -> tuple[float, float]:
        """(incremental engagements, spend) of this post's closed heated pulses, engagements
        over every engagement metric, as their final pulse rows have them (the checkpoint's),
        and of ``decayed`` (a pulse as reported) when it is a heated one: the pulse a decay
        alert is about has brought what it will (a post whose one boost had run its course was
        suggested a re-heat as never heated)."""
        cp = self.checkpoint
        lift, spend = cp.heat_lift * self.curve.engagement_ratio(), cp.heat_spend
        if decayed is not None and decayed.trigger == "heating" and decayed.spend > 0:
            lift, spend = lift + decayed.incremental, spend + decayed.spend
        return lift, spend

    def reheat_efficiency(self, decayed: Pulse | None = None) -> float | None:
        """Incremental engagements per unit of spend of this post's heated pulses (:meth:`heated_lift`)."""
        lift, spend = self.heated_lift(decayed)
        return lift / spend if spend > 0 else None

    def long_tail(self, loglinear: LearnedRatios | None = None) -> LongTail:
        """Tail share, organic/paid tail and projections at the horizons (engagements), the
        log-linear baseline's with ``loglinear`` ratios when learned."""
        live, p = self.live, self.params
        r = self.curve.engagement_ratio()
        total = engagements(self.curve.totals())
        # the burst window's engagements: unknown for a post first seen after that window
        burst = live.burst_sum * r if self.publish is not None and self.curve.from_publish() else None
        if burst is not None and live.next_step < math.floor(self.publish or 0) + p.steps(
            p.burst_window_hours
        ):
            burst = None  # burst window not over yet
        projections: list[Projection] = []
        baselines: list[Projection] = []
        # a pulse's fit is extrapolated once a burst window of its data is in: before, its
        # fitted level cannot be told from the early tail, and held to the horizon it read a
        # day-old post at 5 × its engagements at 30 days (median error 49 % against the
        # log-linear prior's 35 %, p90 250 %; a post 4 h old, still rising, read 110 ×); the
        # log-linear baseline stands meanwhile
        seen = live.next_step - max(live.onset, self.curve.series_start() or live.next_step)
        shaped = seen >= p.steps(p.burst_window_hours)
        if total is not None and self.publish is not None and live.onset != NONE:
            age_h = (live.next_step - self.publish) * p.grid_hours
            for horizon in p.horizons_hours:
                until = self.publish + horizon / p.grid_hours
                proj = live.project(until, p) if shaped else None
                if proj is not None:
                    v, lo, hi = (x * r for x in proj)
                    projections.append(
                        Projection(horizon, total + v, total + lo, total + hi, "fit")
                    )
                learned = ratio_at(loglinear, age_h, horizon)
                baselines.append(loglinear_projection(total, age_h, horizon, learned, p.interval))
        # the tail (totals after the burst) split as the series' tail splits between organic and
        # heated pulses: the two add up to the tail share (a rounded series' tail can differ from
        # the totals', and an organic share read 28 % of a 27 % tail)
        after = None if burst is None or total is None else max(0.0, min(total, total - burst))
        split = live.organic_tail + live.paid_tail
        paid = None if after is None else (after * live.paid_tail / split if split > 0 else 0.0)
        return LongTail(
            total=total,
            burst=burst,
            tail_share=tail_share(total, burst),
            organic_tail=None if paid is None or after is None else max(0.0, after - paid),
            paid_tail=paid,
            projections=tuple(projections),
            baseline_projections=tuple(baselines),
        )

    # -- serialisation -----------------------------------------------------

    def to_bytes(self) -> bytes:
        """Compact binary form for the changelog table (params are not stored)."""
        curve = self.curve.to_bytes()
        pub = math.nan if self.publish is None else self.publish
        end = math.nan if self.track_end is None else self.track_end
        head = _HEAD.pack(
            _VERSION, self.alerted, self.reported, self.pending, int(self.alert_open), pub, end,
            len(curve),
        )
        return head + self.jumps.pack() + curve + self.checkpoint.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, params: AnalyticsParams = DEFAULT_PARAMS) -> PostAnalytics:
        """Inverse of :meth:`to_bytes`."""
        version, alerted, reported, pending, open_, pub, end, n_curve = _HEAD.unpack_from(data, 0)
        if version not in (2, _VERSION):
            raise ValueError(f"unknown PostAnalytics version {version}")
        view = memoryview(data)
        off = _HEAD.size
        jumps = JumpJudge()
        if version >= 3:  # version 2 kept no usual gains: they are learned again
            jumps = JumpJudge.unpack(data, off)
            off += PACKED.size
        self = cls.__new__(cls)
        self.params = params
        self.publish = None if pub != pub else pub
        self.track_end = None if end != end else end
        self.alerted, self.reported, self.alert_open = alerted, reported, bool(open_)
        self.pending = pending
        self.curve = CurveState.from_bytes(view[off : off + n_curve])
        self.checkpoint = PulseTracker.from_bytes(view[off + n_curve :])
        self.jumps = jumps
        self._live, self._live_jumps = None, None
        self._closed = []
        self._events = []
        return self
