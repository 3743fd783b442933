"""Wiring of the pure analytics into the worker: per-post ``PostAnalytics`` in, rows out.

Each snapshot or heating node is applied to the post's analytics state; the
``Update`` it returns becomes upsert rows for ``curves``, ``pulses``,
``long_tail`` and ``alerts`` (versioned by the post's event sequence) and
alert messages for ``tracker.alerts.v1``. Comments are classified here
(intent, negative, terms) and stored on their rows; hourly keyword counts are
views over them, so a replay cannot double-count.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from tracker.alerting.wording import duration, number, when
from tracker.analytics import alerts as decide
from tracker.analytics.keywords import Lexicon, classify, load_lexicon
from tracker.analytics.longtail import LearnedRatios
from tracker.analytics.metrics import METRICS
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.post import PostAnalytics, Update
from tracker.analytics.pulses import HeatingNode, Pulse
from tracker.analytics.reheat import HeatingHistory, own_history, suggest_reheat
from tracker.analytics.replay import replay
from tracker.analytics.resample import Snapshot
from tracker.contracts.timestamps import BEFORE_PUBLISH_HOURS, format_ts, local_day
from tracker.stream import rows as r
from tracker.stream import shapes
from tracker.stream.heating_history import HeatingHistories
from tracker.stream.state import PostState

HOUR_MS = 3_600_000
UNREGISTERED = "unregistered"  # campaign of alerts on posts whose registry entry has not arrived
SEVERITY = {"PostDecaying": "warning", "PostUnavailable": "critical", "PostStalled": "warning",
            "SuspiciousEngagement": "warning"}
SUMMARY = {
    "PostDecaying": "the post's current pulse has run its course; re-heat while it is tracked",
    "PostUnavailable": "post taken down or its counters regressed",
    "PostStalled": "no fresh snapshot for this post",
    "SuspiciousEngagement": "engagement pattern far outside its platform and tier",
}
"""Each alert's fallback summary, when its evidence does not say more."""
STEP_KEYS = ("decaying_since", "conditions_since", "hour")
"""Evidence keys holding a grid step (hours since the epoch on the default grid); the emitted
evidence keeps them and adds ``<key>_at``, the same instant as an RFC 3339 UTC time."""
TRIGGER_WORDS = {"publish": "publish burst", "tracking-start": "organic, tracked after publish",
                 "organic": "organic rise", "heating": "heating"}
"""A pulse's trigger (``analytics.pulses.TRIGGERS``) in words. The pulses table's ``trigger`` column
reads ``organic`` for every pulse no heating started; a post first tracked after its publish
burst has its first pulse triggered by the tracking start, not by the publish."""
POST_KEYS = ("creator_id", "creator_name", "campaign_name", "title", "platform", "url", "time_zone")
"""What an alert's evidence tells of its post, from the registry entry, for the people reading it:
the chat digests name the post by its title (linked to ``url``), its creator and campaign by
name when known, and give times in the campaign's ``time_zone``."""


def stored_snapshot(observed_ms: int, values: Sequence[int | None], rounded: Sequence[str]) -> Snapshot:
    """A snapshot's values (in METRICS' order) and rounded metric names as the analytics read it:
    a message's, or a stored row's when the worker reads a post again."""
    return Snapshot(observed_ms / HOUR_MS, tuple(values), tuple(m for m in rounded if m in METRICS))


def hours_to_dt(hours: float) -> datetime:
    return datetime.fromtimestamp(hours * 3600, tz=UTC)


def registry_window(state: PostState) -> tuple[float | None, float | None]:
    """The publish time and tracking end (hours) the post's registry entry gives (None: not given,
    or no entry yet)."""
    reg = state.registry or {}
    publish, end = reg.get("published_ms"), reg.get("tracking_end_ms")
    return None if publish is None else publish / HOUR_MS, None if end is None else end / HOUR_MS


class Insights:
    """Feeds per-post analytics and turns what changed into rows and alert messages."""

    def __init__(self, params: AnalyticsParams = DEFAULT_PARAMS) -> None:
        self.params = params
        lexicon = load_lexicon(())
        self.intent_lexicon = Lexicon(lexicon.intent, ())
        self.negative_lexicon = Lexicon((), lexicon.negative)
        self.alerts: list[dict[str, Any]] = []
        """Alert messages (``tracker.alerts.v1`` shape) emitted since the last ``take_alerts``."""
        self.ratio_stats: dict[tuple[str, str], dict[str, decide.RatioDistribution]] = {}
        """Per (platform, creator tier), the population distribution of each ratio of
        ``analytics.alerts.RATIO_PAIRS`` (keyed ``"likes/views"`` …), kept up to date by the
        worker from finished posts; empty: ``SuspiciousEngagement`` judges step jumps only."""
        self.loglinear: dict[tuple[str, str], LearnedRatios] = {}
        """Per (platform, creator tier), the log-linear baseline's ratios learned from finished
        posts, kept up to date by the worker; a group without them uses the prior."""
        self.shapes: dict[tuple[str, str], np.ndarray] = {}
        """Per (platform, creator tier), per platform and pooled, the response shape a post's first
        pulse is pulled towards, learned by the worker from finished posts' first pulses
        (:mod:`tracker.stream.shapes`); none learned: no pull."""
        self.heating_history = HeatingHistories()
        """Closed heated pulses per creator and per platform and tier (each within its tenant),
        kept up to date by the worker: the basis of a never-heated post's re-heat suggestion."""
        self.late_heating: dict[str, list[HeatingNode]] = {}
        """Heating nodes not applied yet, per post, because each starts before the hours the post's
        analytics made final: the worker reads those posts again from their stored snapshots
        (:meth:`rebuild`), else applies the nodes from the checkpoint on (:meth:`apply_late`)."""
        self.late_window: set[str] = set()
        """Posts whose registry entry came after their analytics had made hours final, with a
        publish time they could no longer take (their pulses and burst window read those hours
        without it): the worker reads them again from their stored snapshots (:meth:`rebuild`);
        one it could not read again is held again at its next snapshot."""

    def analytics(self, state: PostState) -> PostAnalytics:
        """The post's decoded analytics, created from its registry entry on first use."""
        if state.live is None:
            if state.analytics:
                state.live = PostAnalytics.from_bytes(state.analytics, self.params)
            else:
                state.live = PostAnalytics(*registry_window(state), self.params)
        return state.live

    def registered(self, post_id: str, state: PostState, out: Any) -> None:
        """The post's registry entry arrived or changed: analytics set up before it (from a
        snapshot or a heating node read first) take its publish time and tracking end. When
        their hours were final already, the post is read again (``late_window``)."""
        if state.live is None and not state.analytics:
            return  # set up from the entry on first use
        publish, end = registry_window(state)
        live = self._leaning(state)
        update = live.set_window(publish, end, self._loglinear(state))
        if update is not None:
            self._emit(post_id, update, state, out)
        if live.reads_publish_late(publish):
            self.late_window.add(post_id)

    def snapshot(self, post_id: str, observed_ms: int, metrics: dict[str, int | None], state: PostState,
                 out: Any, rounded: Sequence[str] = ()) -> None:
        """Apply one snapshot; ``rounded`` names the metrics the platform showed rounded
        (the message's ``rounded`` list): their steps are not read as spikes."""
        snap = stored_snapshot(observed_ms, tuple(metrics[m] for m in METRICS), rounded)
        live = self._leaning(state)
        if state.registry is not None and live.reads_publish_late(registry_window(state)[0]):
            self.late_window.add(post_id)  # not read again yet (the store could not answer then)
        update = live.apply_snapshot(snap, self._loglinear(state))
        self._emit(post_id, update, state, out)
        if update.burst_over:
            self._judge_ratios(post_id, update.totals, state, out, state.last_observed_ms)

    def _judge_ratios(self, post_id: str, totals: dict[str, float | None], state: PostState, out: Any,
                      at_ms: int) -> None:
        """``SuspiciousEngagement`` once per post, at the end of its burst window (``at_ms``, the
        snapshot that passed it): a ratio of its totals far outside its platform-and-tier
        distribution."""
        reg = state.registry or {}
        dists = self.ratio_stats.get((reg.get("platform", ""), reg.get("tier", "")))
        if not dists:
            return
        at = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
        for ev in decide.suspicious_ratios(totals, dists, self.params):
            self.emit_alert(state.tenant, post_id, reg.get("campaign_id", ""), "SuspiciousEngagement", "firing",
                            at, f"ratio:{ev['ratio']}", ev, state.seq, out, state)

    def availability(self, post_id: str, state: PostState, at: datetime, out: Any) -> None:
        """``PostUnavailable`` fires when the platform reports the post unavailable or deleted,
        and resolves when it is reported available again."""
        reg = state.registry or {}
        kind = "firing" if state.status != "ok" else "resolved"
        self.emit_alert(state.tenant, post_id, reg.get("campaign_id", ""), "PostUnavailable", kind, at, "status",
                        {"status": state.status}, state.seq, out, state)

    def removed(self, post_id: str, state: PostState, at: datetime, out: Any) -> None:
        """The post left the registry (deleted): every alert it has open resolves at ``at``. They
        stayed firing in ``alerts``, Alertmanager and the boards for good, a re-heat candidate
        nobody could act on, since a deleted post is polled no more and never reaches its end of
        tracking."""
        reg = state.registry or {}
        for alert_id in list(state.open_alerts):
            kind, _, key = alert_id.removeprefix(f"{post_id}:").partition(":")
            self.emit_alert(state.tenant, post_id, reg.get("campaign_id", ""), kind, "resolved", at, key,
                            {"reason": "removed from the registry"}, state.seq, out, state)
        if state.live is not None or state.analytics:
            self.analytics(state).alert_open = False  # resolved: its end of tracking resolves it no more

    def heating(self, post_id: str, m: dict[str, Any], state: PostState, out: Any) -> None:
        """A heating node planned, executed, or cancelled (it then plans nothing). The pulse rows it
        touches take their currency from their own nodes (:func:`pulse_spend`); the latest node's is
        kept for the re-heat suggestion."""
        if m["status"] != "cancelled":
            state.heat_currency = m["spend"]["currency"]
        node = HeatingNode(
            id=m["heating_id"], start=m["start"].timestamp() / 3600,
            end=None if m.get("end") is None else m["end"].timestamp() / 3600,
            spend=float(Decimal(m["spend"]["amount"])), currency=m["spend"]["currency"], status=m["status"],
        )
        live = self._leaning(state)
        if live.reads_late(node):  # the worker reads the post again (or applies it late: apply_late)
            self.late_heating.setdefault(post_id, []).append(node)
            return
        self._emit(post_id, live.apply_heating(node, self._loglinear(state)), state, out)

    def apply_late(self, post_id: str, state: PostState, nodes: Sequence[HeatingNode], out: Any) -> None:
        """Apply heating nodes that start before the hours the post's analytics made final as they
        can be: from the checkpoint on (when the store cannot give the post's snapshots back)."""
        for node in nodes:
            self._emit(post_id, self._leaning(state).apply_heating(node, self._loglinear(state)), state, out)

    def rebuild(self, post_id: str, state: PostState, snapshots: Sequence[Snapshot], out: Any,
                late: Sequence[HeatingNode] = ()) -> None:
        """Read the post again from ``snapshots`` (all it stored, in time order) with every heating
        node at its own start and the publish time and tracking end of its registry entry: a node
        recorded after its start had passed the reorder window was read from the checkpoint on,
        and its lift went to the pulse before it; a node cancelled after it was read had a pulse
        of its own, a boost that never ran (``late``: the nodes that asked for this reading, which
        word its resolves); an entry read after the post's snapshots had made hours final found
        pulses and a burst window read without a publish time (no tail share, no projections, the
        publish burst read as a tracking start). Snapshots the entry,
        read first, would have refused (observed over a day before its publish time:
        ``processor.before_its_publish``) are left out.

        The new analytics replace the old: every pulse is upserted again (pulses it no longer has
        are marked removed), with the long tail; the curves too when the publish time changed
        (they then start at it). Of the alerts, only what changes is sent: an open
        ``PostDecaying`` the new reading does not have resolves, one it has open fires as it
        reads now (one kept open is sent again with its new summary and evidence: a pulse read
        as an organic rise may now be the boost's; the notifier does not repeat a firing it has
        sent); alerts that came and went are not sent again. A post whose burst window was read
        without a publish time has its ratios judged now (``SuspiciousEngagement``) if the new
        reading passed the window's end."""
        old = self.analytics(state)
        g = self.params.grid_hours
        publish, track_end = registry_window(state)
        if publish is not None:
            earliest = publish - BEFORE_PUBLISH_HOURS
            snapshots = [s for s in snapshots if s.t >= earliest]
        fresh = PostAnalytics(publish, track_end, self.params)
        reg = state.registry or {}
        fresh.population = shapes.for_post(self.shapes, reg.get("platform", ""), reg.get("tier", ""))
        nodes = [HeatingNode(id=hid, start=start / HOUR_MS, end=None if end is None else end / HOUR_MS,
                             spend=float(Decimal(amount)), currency=currency, status=status)
                 for hid, (_channel, start, end, amount, currency, status, _version) in state.heating.items()]
        report = replay(fresh, post_id, snapshots, nodes, loglinear=self._loglinear(state))
        state.live, state.seq = fresh, state.seq + 1  # the new rows replace the old ones
        prefix = f"{post_id}:PostDecaying:"
        was_open = {aid.removeprefix(prefix) for aid in state.open_alerts if aid.startswith(prefix)}
        now_open = str(fresh.alerted) if fresh.alert_open else None
        at = snapshots[-1].t / g if snapshots else 0.0
        cancelled = [node.id for node in late if node.status == "cancelled"]
        reason = ("read again without the cancelled boost " + ", ".join(cancelled)
                  if late and len(cancelled) == len(late) else "read again with a boost recorded late")
        changes = []
        for key in sorted(was_open - {now_open}):
            evidence: dict[str, Any] = {"reason": reason}
            if key.isdigit() and int(key) + 1 in report.pulses:  # the pulse after it now (a late boost's)
                evidence["new_pulse"] = int(key) + 1
            changes.append(decide.Alert("PostDecaying", "resolved", at, key, evidence))
        if now_open is not None:  # new, or kept open: sent as the new reading words it (its trigger may differ)
            fired = [a for a in report.alerts if a.type == "PostDecaying" and a.key == now_open][-1:]
            if now_open in was_open:  # the firing sent then, so its start (and the notifier's memory) stays
                fired = [replace(a, at=state.open_alerts[prefix + now_open] / HOUR_MS / g) for a in fired]
            changes += fired
        hours = [report.hours[step] for step in sorted(report.hours)] if fresh.publish != old.publish else []
        self._emit(post_id, Update("heating", hours, report.pulse_list(),
                                   list(range(fresh.reported + 1, old.reported + 1)), {},
                                   report.long_tail, changes), state, out)
        if old.publish is None and report.burst_over is not None:
            at, totals = report.burst_over
            self._judge_ratios(post_id, totals, state, out, int(at * HOUR_MS))

    def _leaning(self, state: PostState) -> PostAnalytics:
        """The post's analytics with its population's response shape to lean on."""
        live = self.analytics(state)
        reg = state.registry or {}
        live.population = shapes.for_post(self.shapes, reg.get("platform", ""), reg.get("tier", ""))
        return live

    def _loglinear(self, state: PostState) -> LearnedRatios | None:
        reg = state.registry or {}
        return self.loglinear.get((reg.get("platform", ""), reg.get("tier", "")))

    def comment_row(self, m: dict[str, Any], offset: int) -> tuple[Any, ...]:
        """The comment's row with its intent / negative classification (a reply names the comment it
        answers in ``parent_id``)."""
        intent = classify(m["text"], self.intent_lexicon)
        negative = classify(m["text"], self.negative_lexicon)
        return (m["tenant"], m["post_id"], m["comment_id"], m["created_at"], m["text"], m.get("likes"),
                m.get("author_hash") or "", int(intent.intent), int(negative.negative), list(intent.terms),
                list(negative.terms), m.get("parent_id") or "", offset)

    def _emit(self, post_id: str, update: Update, state: PostState, out: Any) -> None:
        tenant, version, g = state.tenant, state.seq, self.params.grid_hours
        for row in update.hours:
            hour = hours_to_dt(row.step * g)
            for metric in METRICS:
                cum, vel = row.cumulative.get(metric), row.velocity.get(metric)
                if cum is None and vel is None:
                    continue
                out.add(r.CURVES, (tenant, post_id, metric, hour, cum, vel, int(row.observed), version))
            if row.engagements is not None:
                out.add(r.CURVES, (tenant, post_id, "engagements", hour, row.engagements,
                                   row.engagements_velocity, int(row.observed), version))
        zone = (state.registry or {}).get("tz")
        for p in update.pulses:
            onset = hours_to_dt(p.onset * g)
            out.add(r.PULSES, (
                tenant, post_id, p.index, onset, local_day(onset, zone),
                None if p.interval_end is None else hours_to_dt(p.interval_end * g),
                "heating" if p.heating_ids else "organic", list(p.heating_ids),
                None if p.peak is None else hours_to_dt(p.peak * g), p.peak_velocity, p.baseline,
                None if p.rise_steps is None else p.rise_steps * g,
                None if p.half_life is None else p.half_life * g, p.theta, p.fit_r2, p.no_fit_reason or "",
                p.incremental, *pulse_spend(p, state), p.status, list(p.response_shape), version,
            ))
        for index in update.removed_pulses:
            out.add(r.PULSES, (tenant, post_id, index, datetime.fromtimestamp(0, tz=UTC), None, None, "", [], None,
                               None, None, None, None, None, None, "superseded by a re-fit", 0.0, None, "",
                               "removed", [], version))
        lt = update.long_tail
        if lt is not None:
            proj = {round(p.horizon_hours / 24): p for p in lt.projections}
            base = {round(p.horizon_hours / 24): p for p in lt.baseline_projections}
            total = lt.total or None
            out.add(r.LONG_TAIL, (
                tenant, post_id, datetime.fromtimestamp(state.last_observed_ms / 1000, tz=UTC) if state.last_observed_ms
                else datetime.fromtimestamp(0, tz=UTC),
                lt.tail_share,
                None if total is None or lt.organic_tail is None else lt.organic_tail / total,
                None if total is None or lt.paid_tail is None else lt.paid_tail / total,
                *_projection(proj.get(30)), *_projection(proj.get(90)),
                base[30].value if 30 in base else None, base[90].value if 90 in base else None, version,
            ))
        pulses = {p.index: p for p in update.pulses}
        for alert in update.alerts:
            self._alert(post_id, alert, state, out, pulses)

    def _alert(self, post_id: str, alert: Any, state: PostState, out: Any, pulses: Mapping[int, Pulse]) -> None:
        reg = state.registry or {}
        g = self.params.grid_hours
        at = hours_to_dt(alert.at * g)
        evidence = readable_evidence(alert.evidence, g)
        suggestion = summary = None
        if alert.type == "PostDecaying" and alert.state == "firing":
            pulse = pulses.get(evidence.get("pulse", -1))
            suggestion = self.reheat_suggestion(state, pulse)
            if pulse is not None:
                evidence["pulse_trigger"] = pulse.trigger
                if pulse.heating_ids:
                    evidence["heating_ids"] = list(pulse.heating_ids)
                own = self._own_heating(state, pulse)
                if self._own_heating(state) is None and own is not None:
                    suggestion["basis_pulse"] = pulse.index  # the rate is this pulse's alone
                # the rate the suggestion rests on, in one currency (None: the post's own boosts price none)
                evidence["reheat_lift_per_spend"] = None if own is None else own.lift_per_spend
            summary = decaying_summary(evidence, self.params.decay_gain_horizon_hours)
        elif alert.type == "PostDecaying" and evidence.get("new_pulse") in pulses:
            evidence.update(new_pulse_evidence(pulses[evidence["new_pulse"]], state))
        self.emit_alert(state.tenant, post_id, reg.get("campaign_id", ""), alert.type, alert.state, at, alert.key,
                        evidence, state.seq, out, state, suggestion=suggestion, summary=summary)

    def reheat_suggestion(self, state: PostState, decayed: Pulse | None = None) -> dict[str, Any]:
        """The re-heat a decaying post is suggested: on its own heated pulses (``decayed``, the
        pulse the alert is about, included), else on its creator's or its platform-and-tier's
        history (``analytics.reheat``)."""
        reg = state.registry or {}
        platform = reg.get("platform", "")
        history = self.heating_history
        return suggest_reheat(
            self._own_heating(state, decayed),
            history.creators.get((state.tenant, platform, reg.get("creator_id", ""))),
            history.tiers.get((state.tenant, platform, reg.get("tier", ""))),
        )

    def _own_heating(self, state: PostState, decayed: Pulse | None = None) -> HeatingHistory | None:
        """The post's closed heated pulses and ``decayed``, with its executed nodes (``analytics.reheat``).

        The analytics sum the spend of every heated pulse as it is: a post boosted in two
        currencies (70 USD, then 1,500 CNY) read 1,570 "CNY" and expected 27 % more engagements
        per CNY than its boosts brought. Its history is then the ``decayed`` boost alone, when that
        one is paid in one currency, else none (its creator's or tier's history stands in)."""
        nodes = [(float(Decimal(amount)), currency, channel)
                 for channel, _start, _end, amount, currency, status, _version in state.heating.values()
                 if status == "executed"]
        if len({node[4] for node in state.heating.values() if node[5] != "cancelled"}) <= 1:
            lift, spend = self.analytics(state).heated_lift(decayed)
            return own_history(lift, spend, state.heat_currency, nodes)
        amount, currency = pulse_spend(decayed, state) if decayed is not None else (None, "")
        if decayed is None or decayed.trigger != "heating" or not amount:
            return None
        return own_history(decayed.incremental, float(amount), currency, nodes)

    def take_alerts(self) -> list[dict[str, Any]]:
        """The alert messages emitted since the last call, handed over once: the batch loop and
        the stall timer both send, and a message taken by one is never sent by the other."""
        taken, self.alerts = self.alerts, []
        return taken

    def emit_alert(self, tenant: str, post_id: str, campaign_id: str, kind: str, state: str, at: datetime,
                   key: str, evidence: dict[str, Any], version: int, out: Any, post: PostState | None = None,
                   since: datetime | None = None, suggestion: dict[str, Any] | None = None,
                   summary: str | None = None) -> None:
        """One alert state change: a ``tracker.alerts.v1`` message and its ``alerts`` row.

        A resolve starts when its alert fired: ``since``, else the firing time kept in the
        ``post``'s state (the row replaces the firing one), else ``at``. The evidence names the
        post's creator (``creator_id``) and its title when the ``post``'s registry entry gives
        them; ``summary`` defaults to :func:`alert_summary`'s reading of the evidence.

        A post deleted from the registry raises none: it is polled no more, and nothing would
        resolve one (a poll in flight when it was deleted, reporting it unavailable, once fired a
        ``PostUnavailable`` that Alertmanager kept for good). What it had open still resolves."""
        alert_id = f"{post_id}:{kind}:{key}"
        firing = state == "firing"
        if post is not None and (post.registry or {}).get("deleted") and (
                firing or (since is None and alert_id not in post.open_alerts)):
            return
        evidence = {**post_evidence(post_id, post), **evidence}
        campaign_id = campaign_id or UNREGISTERED
        if post is not None and firing:
            post.open_alerts[alert_id] = int(at.timestamp() * 1000)
        elif post is not None:
            fired = post.open_alerts.pop(alert_id, None)
            if fired is not None and since is None:
                since = datetime.fromtimestamp(fired / 1000, tz=UTC)
        starts_at = at if firing or since is None else since
        message = {
            "tenant": tenant, "post_id": post_id, "campaign_id": campaign_id, "alert": kind, "state": state,
            "alert_id": alert_id, "severity": SEVERITY.get(kind, "warning"), "starts_at": starts_at,
            "ends_at": None if firing else at, "summary": summary or alert_summary(kind, state, key, evidence),
            "evidence": _jsonable(evidence),
            "suggestion": _jsonable(suggestion) if suggestion else None,
            "emitted_at": datetime.now(UTC),
        }
        self.alerts.append(message)
        out.add(r.ALERTS, alert_row(message, version))


def post_evidence(post_id: str, post: PostState | None) -> dict[str, Any]:
    """:data:`POST_KEYS` as far as the post's registry entry gives them (the platform, else from the
    post id; the URL from the entry's row in states written before it was kept apart)."""
    reg = (post.registry or {}) if post is not None else {}
    row = reg.get("row") or []
    known = {
        "creator_id": reg.get("creator_id"), "creator_name": reg.get("creator_name"),
        "campaign_name": reg.get("campaign_name"), "title": reg.get("title"),
        "platform": reg.get("platform") or post_id.partition(":")[0],
        "url": reg.get("url") or (row[2] if len(row) > 2 else None), "time_zone": reg.get("tz"),
    }
    return {name: value for name, value in known.items() if value}


def alert_row(message: Mapping[str, Any], version: int) -> tuple[Any, ...]:
    """The ``alerts`` row of an alert message."""
    return (
        message["tenant"], message["alert_id"], message["post_id"], message["campaign_id"], message["alert"],
        message["state"], message["severity"], message["starts_at"], message["ends_at"], message["summary"],
        json.dumps(message["evidence"], ensure_ascii=False, default=str),
        json.dumps(message["suggestion"], ensure_ascii=False, default=str) if message["suggestion"] else "",
        version,
    )


def new_pulse_evidence(pulse: Pulse, state: PostState) -> dict[str, Any]:
    """What started the pulse that resolved a ``PostDecaying``: its trigger, and for a boost its
    nodes and, in words, their channel and spend (``via dou+ with 800 CNY``), so that the resolve
    says the post was re-heated and with what (it read "a new pulse started after pulse 0")."""
    out: dict[str, Any] = {"new_pulse_trigger": pulse.trigger}
    if not pulse.heating_ids:
        return out
    out["new_heating_ids"] = list(pulse.heating_ids)
    nodes = [state.heating[h] for h in pulse.heating_ids if h in state.heating and state.heating[h][5] != "cancelled"]
    channels = sorted({node[0] for node in nodes if node[0]})
    words = f"via {' and '.join(channels)}" if channels else ""
    currencies = {node[4] for node in nodes}
    if nodes and len(currencies) == 1:
        words += f" with {number(float(sum(Decimal(node[3]) for node in nodes)))} {currencies.pop()}"
    if words:
        out["reheated_with"] = words.strip()
    return out


def readable_evidence(evidence: Mapping[str, Any], grid_hours: float) -> dict[str, Any]:
    """The evidence as decided, plus for each grid-step instant (:data:`STEP_KEYS`) its UTC
    time as ``<key>_at``."""
    out = dict(evidence)
    for key in STEP_KEYS:
        value = evidence.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out[f"{key}_at"] = format_ts(hours_to_dt(value * grid_hours))
    return out


def pulse_name(evidence: Mapping[str, Any]) -> str:
    """``pulse 2 (heating h-7)``: the pulse by its index (as the pulses table, `tracker analyze`
    and the curve's P0, P1… number it: 0 for the first) and what started it, as far as the
    evidence says."""
    number = evidence.get("pulse")
    if not isinstance(number, int) or isinstance(number, bool):
        return "the current pulse"
    ids = evidence.get("heating_ids") or []
    trigger = evidence.get("pulse_trigger")
    if ids:
        what = "heating " + ", ".join(ids[:2]) + (f" +{len(ids) - 2}" if len(ids) > 2 else "")
    else:
        what = TRIGGER_WORDS.get(trigger or "", trigger or "")
    return f"pulse {number}" + (f" ({what})" if what else "")


def decaying_summary(evidence: Mapping[str, Any], horizon_hours: float = 72.0) -> str:
    """``PostDecaying``'s one line: the pulse has run its course (the pulses table reads it
    ``settled``) and how little the next ``horizon_hours`` should still add to its lift; a boost
    with no response (``after_no_response``), that the decay it was bought against has (the lift
    is then that decay's)."""
    gain, lift = evidence.get("projected_gain"), evidence.get("incremental")
    head = f"{pulse_name(evidence)} has run its course"
    if evidence.get("after_no_response"):
        head = f"{pulse_name(evidence)} brought no response; the decay before it has run its course"
    if gain is None or not lift:
        return head + "; re-heat while it is tracked"
    return (f"{head} — projected {horizon_hours:g} h gain {_percent(gain / lift)} of its lift; "
            "re-heat while it is tracked")


def alert_summary(kind: str, state: str, key: str, evidence: Mapping[str, Any]) -> str:
    """The one line people read first (Alertmanager's summary, chat digests, ``tracker alerts``),
    from the alert's evidence; times in its ``time_zone`` (the campaign's; UTC without one),
    numbers rounded, pulses by their index (0 first)."""
    if state != "firing":
        return _resolved_summary(kind, key, evidence)
    if kind == "PostDecaying":
        return decaying_summary(evidence)
    if kind == "PostUnavailable":
        falls = [f"{r['metric']} fell from {_count(r['before'])} to {_count(r['after'])}"
                 for r in evidence.get("regressions") or [] if isinstance(r, Mapping)]
        if falls:
            return "counters regressed: " + "; ".join(falls[:3]) + (" …" if len(falls) > 3 else "")
        status = "taken down" if evidence.get("taken_down") else evidence.get("status")
        return f"the platform reports the post {status}" if status else SUMMARY[kind]
    zone = evidence.get("time_zone")
    if kind == "PostStalled" and evidence.get("last_snapshot_wall_clock"):
        since = datetime.fromisoformat(str(evidence["last_snapshot_wall_clock"]))
        interval = evidence.get("usual_interval_seconds")
        return f"no fresh snapshot since {when(since, zone)}" + (
            f" (usually one every {duration(float(interval))})" if interval else "")
    if kind == "SuspiciousEngagement" and evidence.get("kind") == "step-jump":
        usual = evidence.get("usual") or 0
        multiple = f" ({evidence['gain'] / usual:.0f}× its usual gain)" if usual else ""
        at = f" at {when(evidence['hour_at'], zone)}" if evidence.get("hour_at") else ""
        return (f"{evidence['metric']} jumped by {_count(evidence['gain'])}{at}{multiple}; "
                "the other counters stayed calm")
    if kind == "SuspiciousEngagement" and evidence.get("kind") == "ratio":
        ratio = math.exp(evidence["log_ratio"] - evidence["median_log"])
        return f"{evidence['ratio']} is {number(ratio)}× its platform-and-tier median ({evidence['z']:+.1f} robust SD)"
    return SUMMARY.get(kind, kind)


def _resolved_summary(kind: str, key: str, evidence: Mapping[str, Any]) -> str:
    """What ended the alert (a resolve used to repeat the firing text)."""
    reason = evidence.get("reason")
    if reason == "removed from the registry":  # the post's alerts end with it, whatever their kind
        return "the post was removed from the registry: tracked no more"
    if kind == "PostDecaying":
        pulse = f"pulse {int(key)}" if key.isdigit() else "the pulse"
        new = evidence.get("new_pulse")
        if isinstance(new, int) and not isinstance(new, bool):
            started = pulse_name({"pulse": new, "pulse_trigger": evidence.get("new_pulse_trigger"),
                                  "heating_ids": evidence.get("new_heating_ids")})
            if evidence.get("new_pulse_trigger") != "heating":
                return f"{started} started after {pulse}"
            how = f" {evidence['reheated_with']}" if evidence.get("reheated_with") else ""
            return f"re-heated{how}: {started} started after {pulse}"
        if str(reason).startswith("read again"):
            return f"{pulse} is no longer alerted ({reason})"
        return {"new pulse": f"a new pulse started after {pulse}",
                "end of tracking": f"tracking ended during {pulse}"}.get(str(reason), f"{pulse} is no longer alerted")
    if reason == "end of tracking":  # a counter fall stays open until then, and so may a stall
        return "tracking ended"
    if kind == "PostUnavailable":
        return "the post is available again"
    if kind == "PostStalled":
        return "snapshots arrive again"
    return f"resolved: {reason}" if reason else "resolved"


def _count(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


def _percent(share: float) -> str:
    return "<1 %" if 0 < share < 0.005 else f"{share * 100:.0f} %"


def pulse_spend(pulse: Pulse, state: PostState) -> tuple[Decimal | None, str]:
    """A pulse row's (spend_amount, spend_currency): the sum of its heating nodes' amounts, in the
    currency they share, cancelled nodes left out. An organic pulse has neither (None, ''); nor has
    a heated pulse whose nodes are in several currencies (or one not in ``state.heating``): 100 USD
    and 350 CNY add up to no amount in either; nor one whose every node was cancelled after the
    pulse was read (it stands, but no boost ran: the ROI views price it so since migration 0018).
    The ROI views convert each node at its own date instead (migration 0012) and read neither
    column; the re-heat histories price pulses from their nodes too (``heating_history.QUERY``)."""
    if not pulse.heating_ids:
        return None, ""
    nodes = [state.heating.get(h) for h in pulse.heating_ids]
    currencies = {node[4] if node else "" for node in nodes if not node or node[5] != "cancelled"}
    if len(currencies) != 1 or "" in currencies:
        return None, ""
    return Decimal(str(round(pulse.spend, 4))), currencies.pop()


def _projection(p: Any) -> tuple[float | None, float | None, float | None]:
    return (None, None, None) if p is None else (p.value, p.low, p.high)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
