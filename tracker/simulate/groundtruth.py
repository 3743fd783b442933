"""Compute each post's ``PostTruth`` from the simulated components.

Definitions are in ``truth.py``; this module only applies them.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from tracker.simulate.catalog import METRICS, PLATFORMS
from tracker.simulate.clock import iso
from tracker.simulate.comments import INTENT_CAT, NEGATIVE_CAT, CommentStream
from tracker.simulate.model import Post
from tracker.simulate.series import M_INDEX, Components, Series
from tracker.simulate.truth import CommentTruth, CounterEventTruth, PostTruth, PulseTruth

HALF, DECAY_FRACTION, DECAY_HOURS = 0.5, 0.25, 3
DECAY_GAIN_RATIO, DECAY_GAIN_HOURS = 0.10, 72
NO_RESPONSE_RATIO = 0.25
BURST_HOURS = 72


def visible_metrics(post: Post) -> list[str]:
    """Metrics with a non-null truth for this post: the platform's, minus hidden ones."""
    spec = PLATFORMS[post.platform]
    return [m for m in METRICS if m in spec.metrics and m not in post.dynamics.hidden]


def _at(post: Post, hour: float) -> str:
    return iso(post.published_at + timedelta(hours=hour))


def _half_life(v: np.ndarray, peak: int, end: int, target: float) -> float | None:
    for t in range(peak, end):
        if v[t] <= target:
            if t == peak:
                return 0.0
            drop = v[t - 1] - v[t]
            return float(t - 1 + ((v[t - 1] - target) / drop if drop > 0 else 1.0) - peak)
    return None


def _extended(x: np.ndarray, until: int, linear: bool) -> np.ndarray:
    """``x`` continued to length ``until`` past the simulated hours: linearly (the baseline
    is linear in time) or geometrically with its last hourly ratio (a decaying response)."""
    if until <= len(x):
        return x[:until]
    n = np.arange(1, until - len(x) + 1)
    last, prev = float(x[-1]), float(x[-2])
    if linear:
        tail = last + (last - prev) * n
    else:
        tail = last * min(1.0, last / prev if prev > 0 else 0.0) ** n
    return np.concatenate([x, tail])


def _decay_at(v: np.ndarray, gain: np.ndarray, onset: int, peak: int, end: int, target: float) -> int | None:
    """First instant T (hour index, = start of hour T) with v ≤ target in hours T-3..T-1 (all
    after the peak, inside the interval) and gain[T:T+72].sum() ≤ 0.10 × gain[onset:T].sum()."""
    so_far = np.concatenate([[0.0], np.cumsum(gain)])
    for t in range(peak + 1 + DECAY_HOURS, end + 1):
        if not np.all(v[t - DECAY_HOURS:t] <= target):
            continue
        ahead = so_far[t + DECAY_GAIN_HOURS] - so_far[t]
        if ahead <= DECAY_GAIN_RATIO * (so_far[t] - so_far[onset]):
            return t
    return None


def pulse_truths(post: Post, comps: Components, horizon: int, eng: list[int], shown: list[int]) -> list[PulseTruth]:
    """The truth of every pulse of ``post`` (rows after the baseline row, in onset order)."""
    p = post.index
    rows = range(comps.row_start[p] + 1, comps.row_start[p + 1])
    rate_eng = comps.rates[p, eng, :horizon].sum(axis=0)
    mult_eng = comps.multiplier[p, eng, :horizon].sum(axis=0)
    first = comps.row_start[p]
    v = comps.views_noiseless[first:comps.row_start[p + 1], :horizon].sum(axis=0) * rate_eng
    # noiseless engagement velocity of each row, continued 72 h past the horizon for the gain
    reach = horizon + DECAY_GAIN_HOURS
    rate_all = _extended(comps.rates[p, eng].sum(axis=0), reach, linear=True)
    baseline = _extended(comps.views_noiseless[first], reach, linear=True) * rate_all
    sources = post.dynamics.sources
    out = []
    for k, (row, src) in enumerate(zip(rows, sources, strict=True)):
        onset = src.onset_hour
        end = sources[k + 1].onset_hour if k + 1 < len(sources) else horizon
        end = min(end, horizon)
        base = float(v[onset - 1]) if onset > 0 else 0.0
        own_all = _extended(comps.views_noiseless[row], reach, linear=False) * rate_all
        own = own_all[onset:end]
        realised = comps.views[row, :horizon]
        eng_real = realised * mult_eng
        no_response = bool(own.max(initial=0.0) < NO_RESPONSE_RATIO * base) or end <= onset
        peak = peak_v = half = decay = None
        if not no_response:
            peak = onset + int(np.argmax(v[onset:end]))
            peak_v = float(v[peak])
            own_peak = onset + int(np.argmax(own))
            half = _half_life(own_all, own_peak, end, HALF * float(own_all[own_peak]))
            # the pulse's gain over DESIGN.md's counterfactual: the other pulses' contributions
            # plus the baseline held at its pre-onset level (its later growth counts as gain);
            # nothing precedes the publish burst: its counterfactual is 0, the baseline its gain
            gain = own_all + baseline - (baseline[onset - 1] if onset > 0 else 0.0)
            decay = _decay_at(v, gain, onset, peak, end, base + DECAY_FRACTION * (peak_v - base))
        by_metric = {METRICS[m]: round(float((realised[onset:end] * comps.multiplier[p, m, onset:end]).sum()), 2)
                     for m in shown}
        out.append(PulseTruth(
            key=src.key, trigger=src.trigger, onset_hour=onset, onset_at=_at(post, onset),
            interval_end_hour=end, spend=src.spend, currency=src.currency, baseline_velocity=round(base, 4),
            no_response=no_response, peak_hour=peak, peak_at=None if peak is None else _at(post, peak),
            peak_velocity=None if peak_v is None else round(peak_v, 4),
            half_life_hours=None if half is None else round(half, 3),
            decay_start_hour=None if decay is None else decay - DECAY_HOURS,
            decay_start_at=None if decay is None else _at(post, decay - DECAY_HOURS),
            decay_at_hour=decay, decay_at=None if decay is None else _at(post, decay),
            incremental_engagements=round(float(eng_real[onset:end].sum()), 2),
            incremental_engagements_total=round(float(eng_real[onset:].sum()), 2),
            incremental_by_metric=by_metric))
    return out


def post_truth(post: Post, series: Series, comps: Components, stream: CommentStream,
               events: dict[str, list[tuple[str, int, int]]], with_curves: bool = True) -> PostTruth:
    """The truth of one post; ``events`` holds the applied "corrections" and "step_jumps"."""
    dyn = post.dynamics
    horizon = int(series.horizon[post.index])
    shown_names = visible_metrics(post)
    shown = [M_INDEX[m] for m in shown_names]
    eng = [M_INDEX[m] for m in PLATFORMS[post.platform].engagement_metrics if m in shown_names]
    cum = series.cum[post.index, :, :horizon + 1]
    curves = {m: (cum[M_INDEX[m]].tolist() if m in shown_names else None) for m in METRICS}
    totals = {m: (int(cum[M_INDEX[m], -1]) if m in shown_names else None) for m in METRICS}
    eng_curve = cum[eng].sum(axis=0)
    final = int(eng_curve[-1])
    tail = None if final <= 0 else round((final - int(eng_curve[min(BURST_HOURS, horizon)])) / final, 4)
    pulses = pulse_truths(post, comps, horizon, eng, shown)
    comment_cum = cum[M_INDEX["comments"]]
    counts = stream.counts()
    comments = CommentTruth(counts["total"], counts["intent"], counts["negative"], counts["brand"])
    if with_curves:
        comments.intent_curve = stream.cumulative(INTENT_CAT, comment_cum).tolist()
        comments.negative_curve = stream.cumulative(NEGATIVE_CAT, comment_cum).tolist()

    def ev(kind: str) -> list[CounterEventTruth]:
        return [CounterEventTruth(m, h, _at(post, h + 1), a) for m, h, a in events.get(kind, [])]

    return PostTruth(
        post_id=post.id, platform=post.platform, tenant=post.tenant, campaign=post.campaign,
        published_at=iso(post.published_at), tracking_hours=post.tracking_hours, horizon_hours=horizon,
        metrics=shown_names, hidden_metrics=list(dyn.hidden), totals=totals, tail_share=tail, pulses=pulses,
        decay_start_hours=[p.decay_start_hour for p in pulses if p.decay_start_hour is not None],
        keeps_growing=dyn.keeps_growing,
        taken_down_at=None if dyn.taken_down_hour is None else _at(post, dyn.taken_down_hour),
        taken_down_hour=None if dyn.taken_down_hour is None else round(dyn.taken_down_hour, 4),
        step_jumps=ev("step_jumps"), corrections=ev("corrections"), comments=comments,
        params={"theta": round(dyn.theta, 4), "alpha": round(dyn.alpha, 4), "gamma": round(dyn.gamma, 4),
                "baseline_views_per_hour": round(dyn.baseline, 4), "noise_sigma": round(dyn.noise_sigma, 4)},
        curves=curves if with_curves else {})
