"""Precomputed hourly counters of every post, and what the truth needs to score them.

Hour index t of a post covers [publish + t h, publish + (t+1) h). ``cum[p, m, i]``
is the counter shown at the instant publish + i h (``cum[..., 0] == 0``), after
counter corrections and step jumps; between hour instants the served value is
interpolated linearly and floored. Counters freeze at the post's horizon (end
of tracking, or the hour it was taken down).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.simulate import process
from tracker.simulate.catalog import ENGAGEMENT_METRICS, METRICS, PLATFORMS
from tracker.simulate.model import Population

M_INDEX = {m: i for i, m in enumerate(METRICS)}
ENG_INDEX = [M_INDEX[m] for m in ENGAGEMENT_METRICS]
METRIC_NOISE = 0.25  # sd of the log-normal hourly noise of each metric's rate


@dataclass
class Series:
    """Displayed counters of all posts, hourly, and how to read them at any instant."""

    publish_ts: np.ndarray  # (P,) unix seconds
    horizon: np.ndarray  # (P,) hours of data: tracking window, or floor(taken-down hour)
    takedown_ts: np.ndarray  # (P,) unix seconds the post disappears (inf: never)
    cum: np.ndarray  # (P, M, H + 1) int64

    def counters(self, idx: np.ndarray, ts: float) -> np.ndarray:
        """(len(idx), M) counters of posts ``idx`` at unix time ``ts`` (0 before publish)."""
        age = np.clip((ts - self.publish_ts[idx]) / 3600.0, 0.0, self.horizon[idx].astype(float))
        i = np.minimum(age.astype(np.int64), self.cum.shape[2] - 2)
        frac = (age - i)[:, None]
        here = self.cum[idx, :, i]
        after = self.cum[idx, :, i + 1]
        return np.floor(here + frac * (after - here) + 1e-9).astype(np.int64)


@dataclass
class Components:
    """Per-source views (realised and noiseless) and per-metric multipliers, for the truth."""

    row_start: np.ndarray  # (P + 1,) rows of post p are row_start[p]:row_start[p+1]; first = baseline
    views: np.ndarray  # (B, H) realised views per row (same noise path for every row)
    views_noiseless: np.ndarray  # (B, H) expected views per row without noise or daily cycle
    multiplier: np.ndarray  # (P, M, H) realised count per realised view, per metric
    rates: np.ndarray  # (P, M, H) expected count per view, per metric


def _post_arrays(post, hours: int) -> tuple[np.ndarray, ...]:
    dyn = post.dynamics
    rng = np.random.default_rng(dyn.seed)
    t = np.arange(hours, dtype=float)
    local = (post.published_at.hour + t + PLATFORMS[post.platform].utc_offset) % 24
    daily = 1.0 + dyn.diurnal_amplitude * np.cos(2 * np.pi * (local - 21.0) / 24.0)
    sig = dyn.noise_sigma
    eps_v = np.exp(sig * rng.standard_normal(hours) - sig * sig / 2) * daily
    eps_m = np.exp(METRIC_NOISE * rng.standard_normal((len(METRICS), hours)) - METRIC_NOISE ** 2 / 2)
    eps_m[M_INDEX["views"]] = 1.0
    age = np.minimum(t / 720.0, 1.0)
    rates = np.array([np.full(hours, dyn.rates[m]) for m in METRICS])
    rates[M_INDEX["saves"]] *= 1.0 + 0.5 * age  # saves and searches weigh more in the long tail
    rates[M_INDEX["searches"]] *= 1.0 + age
    mult = rates * eps_m
    feedback = mult[ENG_INDEX].sum(axis=0) / rates[ENG_INDEX].sum(axis=0)
    if dyn.keeps_growing:
        mu = dyn.baseline * (1.0 + t / dyn.growth_hours)
    else:
        mu = dyn.baseline * np.maximum(0.1, 1.0 + dyn.drift * t / 720.0)
    return eps_v, feedback, mult, rates, mu


def simulate(population: Population) -> tuple[Series, Components]:
    """Run every post's process once; returns the served counters and the truth's inputs."""
    posts = population.posts
    hours = max(p.tracking_hours for p in posts) + 1
    n = len(posts)
    noise, feedback = np.ones((n, hours)), np.ones((n, hours))
    mult, rates = np.ones((n, len(METRICS), hours)), np.ones((n, len(METRICS), hours))
    owner, direct, inputs, row_start = [], [], [], [0]
    for p, post in enumerate(posts):
        noise[p], feedback[p], mult[p], rates[p], mu = _post_arrays(post, hours)
        owner.append(p)
        direct.append(True)
        inputs.append(mu)
        for src in post.dynamics.sources:
            row = np.zeros(hours)
            prof = process.input_profile(src.hours, src.volume, src.flat)
            row[src.onset_hour:src.onset_hour + src.hours] = prof[: max(0, hours - src.onset_hour)]
            owner.append(p)
            direct.append(False)
            inputs.append(row)
        row_start.append(len(owner))
    rows = process.Rows(np.array(owner), np.array(direct), np.array(inputs))
    theta = np.array([p.dynamics.theta for p in posts])
    alpha = np.array([p.dynamics.alpha for p in posts])
    gamma = np.array([p.dynamics.gamma for p in posts])
    views = process.run(rows, theta, alpha, gamma, noise, feedback)
    views_bar = process.run(rows, theta, alpha, gamma, np.ones_like(noise), np.ones_like(feedback))

    horizon = np.array([_horizon(p) for p in posts], dtype=np.int64)
    total = np.add.reduceat(views, row_start[:-1], axis=0)  # (P, H)
    total[np.arange(hours)[None, :] >= horizon[:, None]] = 0.0
    per_metric = total[:, None, :] * mult
    cum = np.zeros((n, len(METRICS), hours + 1), dtype=np.int64)
    cum[:, :, 1:] = np.floor(np.cumsum(per_metric, axis=2) + 1e-9).astype(np.int64)
    publish_ts = np.array([p.published_at.timestamp() for p in posts])
    takedown = np.array([publish_ts[i] + p.dynamics.taken_down_hour * 3600.0
                         if p.dynamics.taken_down_hour is not None else np.inf
                         for i, p in enumerate(posts)])
    series = Series(publish_ts, horizon, takedown, cum)
    comps = Components(np.array(row_start), views, views_bar, mult, rates)
    return series, comps


def _horizon(post) -> int:
    dyn = post.dynamics
    if dyn.taken_down_hour is not None:
        return int(dyn.taken_down_hour)
    return post.tracking_hours


def apply_counter_events(series: Series, post, events) -> list[tuple[str, int, int]]:
    """Apply corrections/jumps of one post to ``series.cum``; returns (metric, hour, amount) applied."""
    applied = []
    for ev in events:
        m = M_INDEX[ev.metric]
        base = int(series.cum[post.index, m, ev.hour + 1])
        amount = int(round(ev.fraction * base))
        if amount == 0:
            continue
        series.cum[post.index, m, ev.hour + 1:] += amount
        applied.append((ev.metric, ev.hour, amount))
    return applied
