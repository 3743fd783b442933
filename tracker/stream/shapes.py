"""The response shape a post's first pulse is pulled towards, learned from the store.

A publish burst has no earlier pulse of its own post to lean on; its fit is
pulled towards the mean fast mixture of the first pulses of its platform and
tier's earlier posts (``analytics.pulses.POPULATION_PRIOR``). Those mixtures
are the ``response_shape`` of each post's first closed responding pulse in
``pulses``, fitted from its own post alone. Each (platform, tier) keeps its
``SAMPLE`` latest; a group with fewer than ``POPULATION_MIN`` falls back to its
platform's, then to every platform's. A response shape is how an audience
answers a push, not money or counts: like the log-linear ratios, it is pooled
across tenants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tracker.analytics.pulses import population_shape

SAMPLE = 500
"""Latest first pulses per (platform, tier) at most."""

ANY = ""
"""The key part of a pooled group: (platform, ANY) pools a platform's tiers, (ANY, ANY) all."""

_SELECT = """
SELECT c.platform, c.creator_tier, p.shape{post}
FROM (
    SELECT tenant, post_id, argMin(response_shape, pulse_index) AS shape, min(onset) AS onset
    FROM pulses FINAL
    WHERE status != 'removed' AND notEmpty(response_shape)
    GROUP BY tenant, post_id
) AS p
INNER JOIN (
    SELECT tenant, post_id, platform, creator_tier FROM posts FINAL WHERE deleted = 0
) AS c ON c.tenant = p.tenant AND c.post_id = p.post_id
ORDER BY p.onset DESC
LIMIT {sample} BY c.platform, c.creator_tier
"""
QUERY = _SELECT.format(post="", sample=SAMPLE)
QUERY_BY_POST = _SELECT.format(post=", p.post_id", sample=SAMPLE)
""":data:`QUERY` with each shape's post id last: `tracker analyze --learned-from-store` leaves out its
own posts' (the stream learned a post's shape only once its first pulse had closed)."""

Shapes = Mapping[tuple[str, str], np.ndarray]


def learned(rows: Iterable[Sequence[Any]]) -> dict[tuple[str, str], np.ndarray]:
    """Per (platform, tier), per (platform, ``ANY``) and for (``ANY``, ``ANY``), the population
    shape of :data:`QUERY`'s rows (platform, tier, a first pulse's response shape); groups with
    too few first pulses are left out."""
    groups: dict[tuple[str, str], list[Sequence[float]]] = {}
    for platform, tier, shape in rows:
        for key in {(platform, tier), (platform, ANY), (ANY, ANY)}:  # a post counts once per group
            groups.setdefault(key, []).append(shape)
    out = {}
    for key, mixtures in groups.items():
        shape = population_shape(mixtures)
        if shape is not None:
            out[key] = shape
    return out


def for_post(shapes: Shapes, platform: str, tier: str) -> np.ndarray | None:
    """The population shape a post of ``platform`` and ``tier`` leans on: its group's, else its
    platform's, else every platform's (None when none is learned yet)."""
    for key in ((platform, tier), (platform, ANY), (ANY, ANY)):
        shape = shapes.get(key)
        if shape is not None:
            return shape
    return None
