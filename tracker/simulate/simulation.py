"""One running simulation: population, precomputed counters, comments, clock, faults.

Build it once (about a second for 200 posts); every request then reads
counters at ``clock.now()`` by interpolation, so moving the clock is free.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson

from tracker.simulate.catalog import METRICS
from tracker.simulate.clock import VirtualClock, iso
from tracker.simulate.comments import (
    INTENT_CAT,
    NEGATIVE_CAT,
    Comment,
    CommentStream,
    comment_times,
)
from tracker.simulate.faults import FaultBook
from tracker.simulate.groundtruth import post_truth, visible_metrics
from tracker.simulate.model import Population, Post
from tracker.simulate.owners import Owners
from tracker.simulate.population import DEFAULT_CAMPAIGN_START, generate_population
from tracker.simulate.series import M_INDEX, apply_counter_events, simulate
from tracker.simulate.truth import PostTruth, Truth

DEFAULT_CLOCK_OFFSET_DAYS = 7  # the clock starts a week into the campaign unless told otherwise
Counts = dict[str, Any]  # metric -> int, or None where the post lacks the metric


class Simulation:
    """Everything the server reads; counters are a pure function of the clock."""

    def __init__(self, population: Population, clock: VirtualClock, posts_requested: int | None = None) -> None:
        self.population = population
        self.clock = clock
        self.faults = FaultBook()
        self.instagram_calls_per_hour: int | None = None
        """Instagram's business-use-case budget of the simulator's one app and user pair [sim]:
        calls per ``instagram_usage_window`` (an hour of real time). Set, every Instagram answer carries its usage in
        ``X-Business-Use-Case-Usage`` and a call past it is throttled (code 80002) until the
        oldest call of the window ages out; None (the default) meters nothing."""
        self.instagram_usage_window = 3600.0
        """Real seconds the Instagram budget above counts calls over (a rolling window)."""
        self.owners = Owners(population, clock=clock)
        """Whose videos a token reads on the owner-only APIs (``owners.py``); off by default: every
        token reads every video."""
        self.posts_requested = posts_requested or len(population.posts)
        self.series, comps = simulate(population)
        self.streams: list[CommentStream] = []
        self._truth: list[PostTruth] = []
        for post in population.posts:
            dyn = post.dynamics
            events = {"corrections": apply_counter_events(self.series, post, dyn.corrections),
                      "step_jumps": apply_counter_events(self.series, post, dyn.step_jumps)}
            final = int(self.series.cum[post.index, M_INDEX["comments"], self.series.horizon[post.index]])
            stream = CommentStream(dyn.seed, post.platform, population.campaign(post.campaign).brand_terms,
                                   final, dyn.intent_p, dyn.negative_p, dyn.brand_p)
            self.streams.append(stream)
            self._truth.append(post_truth(post, self.series, comps, stream, events, with_curves=False))
        self._by_key = {(p.platform, p.platform_post_id): p for p in population.posts}
        for p in population.posts:
            if "aid" in p.extra:
                self._by_key[("bilibili-aid", p.extra["aid"])] = p

    @classmethod
    def build(cls, seed: int = 7, posts: int = 200, campaign_start: datetime | str = DEFAULT_CAMPAIGN_START,
              start: datetime | str | None = None, speed: float = 0.0) -> Simulation:
        """Generate and simulate; the clock starts at ``start`` (default: a week into the campaign)."""
        population = generate_population(seed, posts, campaign_start)
        begin = start if start is not None else population.campaign_start + timedelta(days=DEFAULT_CLOCK_OFFSET_DAYS)
        return cls(population, VirtualClock(begin, speed), posts)

    # -- lookups -------------------------------------------------------------
    def post(self, platform: str, platform_post_id: str) -> Post | None:
        """The post with this platform id (Bilibili: bvid; use platform "bilibili-aid" for aid)."""
        return self._by_key.get((platform, str(platform_post_id)))

    def status(self, post: Post, ts: float | None = None) -> str:
        """"unpublished", "live" or "taken_down" at unix time ``ts`` (default now)."""
        ts = self.clock.timestamp() if ts is None else ts
        if ts < self.series.publish_ts[post.index]:
            return "unpublished"
        return "taken_down" if ts >= self.series.takedown_ts[post.index] else "live"

    def live(self, post: Post | None, ts: float) -> bool:
        """True when ``post`` exists and is visible at ``ts``."""
        return post is not None and self.status(post, ts) == "live"

    def find(self, platform: str, platform_post_id: str, ts: float) -> Post | None:
        """The post if it exists and is visible at ``ts``, else None."""
        post = self.post(platform, platform_post_id)
        return post if post is not None and self.live(post, ts) else None

    def find_all(self, platform: str, ids: list, ts: float) -> list[Post]:
        """The visible posts among ``ids``, in request order (unknown ids dropped)."""
        found = (self.find(platform, str(i), ts) for i in ids)
        return [p for p in found if p is not None]

    # -- counters ------------------------------------------------------------
    def counts(self, posts: list[Post], ts: float | None = None) -> list[Counts]:
        """Counters of ``posts`` at ``ts`` (default now); metrics a post lacks are None."""
        ts = self.clock.timestamp() if ts is None else ts
        if not posts:
            return []
        values = self.series.counters(np.array([p.index for p in posts]), ts)
        out = []
        for post, row in zip(posts, values, strict=True):
            shown = visible_metrics(post)
            out.append({m: (int(row[i]) if m in shown else None) for i, m in enumerate(METRICS)})
        return out

    def comment_count(self, post: Post, ts: float) -> int:
        """Comments visible at ``ts``."""
        return int(self.series.counters(np.array([post.index]), ts)[0, M_INDEX["comments"]])

    def threads(self, post: Post, ts: float) -> list[int]:
        """Indices of the top-level comments visible at ``ts``, oldest first."""
        return self.streams[post.index].roots(self.comment_count(post, ts)).tolist()

    def replies(self, post: Post, root: int, ts: float) -> list[int]:
        """Indices of the replies to comment ``root`` visible at ``ts``, oldest first."""
        return self.streams[post.index].replies(root, self.comment_count(post, ts)).tolist()

    def parent(self, post: Post, index: int) -> int | None:
        """The index of the comment that comment ``index`` replies to; None for a top-level one."""
        found = int(self.streams[post.index].parent[index])
        return None if found < 0 else found

    def comments(self, post: Post, indices: list[int]) -> list[Comment]:
        """Comments ``indices`` of ``post`` (index 0 = oldest), with their creation times."""
        if not indices:
            return []
        cum = self.series.cum[post.index, M_INDEX["comments"]]
        times = comment_times(cum, float(self.series.publish_ts[post.index]), np.array(indices))
        stream = self.streams[post.index]
        return [stream.comment(i, float(t)) for i, t in zip(indices, times, strict=True)]

    # -- truth ---------------------------------------------------------------
    def truth(self, curves: bool = True, post_ids: set[str] | None = None) -> Truth:
        """The ground truth now (faults injected so far included)."""
        posts = []
        for post, base in zip(self.population.posts, self._truth, strict=True):
            if post_ids and post.id not in post_ids:
                continue
            if curves:
                h = int(self.series.horizon[post.index])
                cum = self.series.cum[post.index, :, :h + 1]
                shown = visible_metrics(post)
                stream = self.streams[post.index]
                comments_cum = cum[M_INDEX["comments"]]
                base = replace(base, curves={m: (cum[M_INDEX[m]] if m in shown else None) for m in METRICS},
                               comments=replace(base.comments,
                                                intent_curve=stream.cumulative(INTENT_CAT, comments_cum),
                                                negative_curve=stream.cumulative(NEGATIVE_CAT, comments_cum)))
            posts.append(base)
        specs, log = self.faults.export()
        return Truth(self.population.seed, self.posts_requested, iso(self.population.campaign_start),
                     iso(self.clock.now()), posts, specs, log)

    def truth_json(self, curves: bool = True, post_ids: set[str] | None = None) -> bytes:
        """The truth as JSON bytes (numpy curves serialised directly)."""
        return self.truth(curves, post_ids).to_json()


def load_truth(data: bytes | str) -> dict[str, Any]:
    """Parse exported truth JSON into plain dicts and lists."""
    return orjson.loads(data)
