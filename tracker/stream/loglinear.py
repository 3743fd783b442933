"""The log-linear baseline's ratios, learned per platform and tier from finished posts.

DESIGN.md: a post's projections are shown beside a log-linear baseline
(final = r · total at age a) "whose r is learned per platform and tier from
finished posts, with a documented prior until enough posts exist". A post is
finished for a horizon once the stream has seen it that old; its engagements
curve (``curves``, metric ``engagements``) is read at the ages of
``analytics.longtail.AGES_HOURS`` and at the horizons. Each (platform, tier)
keeps a sample of at most ``SAMPLE`` posts finished for the first horizon,
chosen by a hash of the post id so that it is stable between refreshes; their
curves are found through the table's key and only the hours at those ages kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tracker.analytics.longtail import AGES_HOURS, LearnedRatios, learn_ratios

SAMPLE = 300
"""Finished posts per (platform, tier) at most."""

_SELECT = """
WITH finished AS (
    SELECT p.tenant AS tenant, p.post_id AS post_id, p.platform AS platform, p.creator_tier AS tier,
           toStartOfHour(p.published_at) AS start
    FROM (SELECT tenant, post_id, platform, creator_tier, published_at FROM posts FINAL WHERE deleted = 0) AS p
    INNER JOIN (SELECT tenant, post_id, as_of FROM post_totals FINAL) AS t
        ON t.tenant = p.tenant AND t.post_id = p.post_id
    WHERE t.as_of >= p.published_at + toIntervalHour(%(first_horizon)s)
    ORDER BY cityHash64(p.post_id)
    LIMIT {sample} BY p.platform, p.creator_tier
)
SELECT f.platform, f.tier, groupArray((toFloat64(dateDiff('hour', f.start, c.hour)), c.cumulative)){post}
FROM (
    SELECT tenant, post_id, hour, cumulative FROM curves FINAL
    WHERE metric = 'engagements' AND cumulative IS NOT NULL
      AND (tenant, post_id) IN (SELECT tenant, post_id FROM finished)
) AS c
INNER JOIN finished AS f ON f.tenant = c.tenant AND f.post_id = c.post_id
WHERE dateDiff('hour', f.start, c.hour) IN %(hours)s
GROUP BY f.tenant, f.post_id, f.platform, f.tier
"""
QUERY = _SELECT.format(post="", sample=SAMPLE)
QUERY_BY_POST = _SELECT.format(post=", f.post_id", sample=SAMPLE)
""":data:`QUERY` with each curve's post id last: `tracker analyze --learned-from-store` leaves out its
own posts' (the stream learned from a post only once it was finished)."""


def parameters(horizons: Sequence[float]) -> dict[str, Any]:
    """:data:`QUERY`'s parameters for these horizons (hours)."""
    hours = sorted({int(h) for h in (*AGES_HOURS, *horizons)})
    return {"first_horizon": int(min(horizons)), "hours": hours}


def learned(rows: Iterable[Sequence[Any]], horizons: Sequence[float]) -> dict[tuple[str, str], LearnedRatios]:
    """Per (platform, tier), the ratios of :data:`QUERY`'s rows (platform, tier, then the post's
    (hours after publish, cumulative engagements) pairs)."""
    curves: dict[tuple[str, str], list[dict[float, float]]] = {}
    for platform, tier, points in rows:
        curves.setdefault((platform, tier), []).append({float(h): float(c) for h, c in points})
    out: dict[tuple[str, str], LearnedRatios] = {}
    for key, group in curves.items():
        ratios = learn_ratios(group, horizons)
        if ratios:
            out[key] = ratios
    return out
