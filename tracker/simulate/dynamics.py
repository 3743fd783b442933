"""Hidden generative parameters of one post, drawn from its seed.

The intensity model (``process.py``) is a discrete-time self-exciting
process: exogenous inputs (the publish burst, heating spend, organic shocks)
pass through a mixture-of-exponentials response, and realised engagements
feed back through an Erlang-2 kernel. Nothing here is a power-law decay fit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tracker.simulate.catalog import PLATFORMS

MIN_GAP_H = 48  # hours between two pulse onsets of one post, so each truth pulse is separable


@dataclass(frozen=True)
class Source:
    """One exogenous input: ``volume`` first-generation views injected over ``hours``."""

    key: str  # "publish", "organic:<n>" or "heating:<heating_id>"
    trigger: str  # "organic" or "heating:<heating_id>" (the publish burst is organic)
    onset_hour: int
    hours: int
    volume: float
    flat: bool  # True: spread evenly (heating delivery); False: front-loaded (50/30/20...)
    spend: float = 0.0
    currency: str = ""


@dataclass(frozen=True)
class CounterEvent:
    """A change of one displayed counter at the end of hour ``hour``.

    ``fraction`` of the counter's value at that hour: negative for a
    correction (platform purge), positive for an inorganic step jump.
    """

    metric: str
    hour: int
    fraction: float


@dataclass(frozen=True)
class PostDynamics:
    """Everything that shapes one post's counters; see ``process.py`` for the model."""

    seed: int
    theta: float  # tail exponent of the exogenous response mixture (weights ∝ tau^-theta)
    alpha: float  # branching ratio: views each engagement-weighted view begets, in expectation
    gamma: float  # rate (1/h) of the Erlang-2 self-excitation kernel (mean delay 2/gamma h)
    baseline: float  # baseline views/h at publish
    drift: float  # baseline relative change per 30 days (ignored when keeps_growing)
    growth_hours: float  # keeps_growing: baseline grows by 100 % every growth_hours
    keeps_growing: bool
    noise_sigma: float  # sd of the log-normal hourly noise on views
    diurnal_amplitude: float  # relative amplitude of the daily cycle (peak 21:00 local)
    rates: dict[str, float]  # metric -> count per view (searches: per view as well)
    sources: tuple[Source, ...]
    corrections: tuple[CounterEvent, ...]
    step_jumps: tuple[CounterEvent, ...]
    taken_down_hour: float | None  # hours after publish when the post disappears
    hidden: tuple[str, ...]  # metrics hidden on this post (hidden likes)
    intent_p: float  # share of comments with purchase intent
    negative_p: float  # share of negative comments
    brand_p: float  # share of comments naming the brand or a product


def free_onset(rnd: random.Random, taken: list[int], low: int, high: int) -> int | None:
    """An hour in [low, high] at least MIN_GAP_H from every taken onset, or None."""
    for _ in range(40):
        h = rnd.randint(low, high) if high > low else low
        if all(abs(h - t) >= MIN_GAP_H for t in taken):
            return h
    return None


def draw_dynamics(rnd: random.Random, seed: int, platform: str, followers: int,
                  tracking_hours: int, heats: list[tuple[str, int, int, float, float]]) -> PostDynamics:
    """Draw one post's parameters. ``heats``: (heating_id, onset_h, hours, spend, spend_cny)."""
    spec = PLATFORMS[platform]
    # followers reached plus the platform's initial recommendation pool
    reach = followers * rnd.uniform(0.1, 0.8) * rnd.lognormvariate(0.0, 0.7) + rnd.uniform(300, 3000)
    if rnd.random() < 0.03:
        reach *= rnd.uniform(5, 30)  # a post that goes viral
    sources = [Source("publish", "organic", 0, 3, reach, False)]
    for hid, onset, hours, spend, spend_cny in heats:
        cpm_cny = rnd.uniform(15, 60)
        efficiency = 0.0005 if rnd.random() < 0.10 else rnd.lognormvariate(0.0, 0.4)
        volume = spend_cny * 1000.0 / cpm_cny * efficiency
        sources.append(Source(f"heating:{hid}", f"heating:{hid}", onset, hours, volume, True,
                              spend, spec.currency))
    taken = [s.onset_hour for s in sources]
    if rnd.random() < 0.35:
        for n in range(rnd.choice((1, 1, 2))):
            hour = free_onset(rnd, taken, 30, tracking_hours - 96)
            if hour is not None:
                taken.append(hour)
                sources.append(Source(f"organic:{n + 1}", "organic", hour, 3,
                                      reach * rnd.uniform(0.15, 1.2), False))
    sources.sort(key=lambda s: s.onset_hour)

    likes = rnd.uniform(*spec.like_rate)
    saves_k = rnd.uniform(0.5, 1.2) if platform == "xiaohongshu" else rnd.uniform(0.1, 0.5)
    rates = {"views": 1.0, "likes": likes, "comments": likes * rnd.uniform(0.04, 0.15),
             "shares": likes * rnd.uniform(0.03, 0.2), "saves": likes * saves_k,
             "searches": rnd.uniform(0.002, 0.01)}

    keeps_growing = rnd.random() < 0.05
    taken_down: float | None = None
    if not keeps_growing and rnd.random() < 0.04:
        earliest = max(taken) + 72
        if earliest < tracking_hours - 48:
            taken_down = rnd.uniform(earliest, tracking_hours - 48)
    horizon = int(taken_down) if taken_down is not None else tracking_hours
    corrections: list[CounterEvent] = []
    if rnd.random() < 0.08:
        pool = [m for m in ("views", "likes", "shares", "saves") if m in spec.metrics]
        for _ in range(rnd.choice((1, 2))):
            corrections.append(CounterEvent(rnd.choice(pool), rnd.randint(48, horizon - 24),
                                            -rnd.uniform(0.01, 0.04)))
    jumps: list[CounterEvent] = []
    if rnd.random() < 0.05:
        pool = [m for m in ("views", "likes", "saves") if m in spec.metrics]
        jumps.append(CounterEvent(rnd.choice(pool), rnd.randint(24, horizon - 24), rnd.uniform(0.3, 1.0)))
    hidden = ("likes",) if platform in ("youtube", "instagram") and rnd.random() < 0.05 else ()
    return PostDynamics(
        seed=seed, theta=rnd.uniform(0.4, 1.6), alpha=rnd.uniform(0.15, 0.65),
        gamma=rnd.uniform(0.08, 0.4), baseline=reach * rnd.uniform(0.0001, 0.0008),
        drift=rnd.uniform(-0.6, 0.3), growth_hours=rnd.uniform(48, 150), keeps_growing=keeps_growing,
        noise_sigma=rnd.uniform(0.1, 0.45), diurnal_amplitude=rnd.uniform(0.15, 0.4), rates=rates,
        sources=tuple(sources), corrections=tuple(sorted(corrections, key=lambda e: e.hour)),
        step_jumps=tuple(jumps), taken_down_hour=taken_down, hidden=hidden,
        intent_p=rnd.uniform(0.02, 0.12), negative_p=rnd.uniform(0.005, 0.06), brand_p=rnd.uniform(0.1, 0.35),
    )
