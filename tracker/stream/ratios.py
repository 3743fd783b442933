"""Platform-and-tier ratio distributions for ``SuspiciousEngagement``, learned from the store.

DESIGN.md's ratio check compares a post's ratios (likes/views, comments/likes, …)
with the distribution of its platform and creator tier. The population is the
posts past their burst window (their ratios have settled), read from
``post_totals`` and ``posts``; each (platform, tier) keeps a sample of at most
``SAMPLE`` posts, chosen by a hash of the post id so that it is stable between
refreshes. The worker refreshes the distributions on a timer; a post is judged
once, when its own burst window ends (``Insights._judge_ratios``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from tracker.analytics.alerts import RATIO_PAIRS, RatioDistribution, ratio_distribution

SAMPLE = 5_000
"""Posts per (platform, tier) at most."""
MIN_COUNT = 50
"""A ratio enters the distribution only when its numerator or denominator reaches this count
(small counts are ratios of noise)."""

COUNTERS = ("views", "likes", "comments", "shares", "saves")

QUERY = f"""
SELECT p.platform, p.creator_tier, {", ".join(f"t.{c}" for c in COUNTERS)}
FROM post_totals AS t FINAL
INNER JOIN (
    SELECT tenant, post_id, platform, creator_tier, published_at FROM posts FINAL WHERE deleted = 0
) AS p ON p.tenant = t.tenant AND p.post_id = t.post_id
WHERE t.as_of >= p.published_at + toIntervalSecond(%(burst_seconds)s)
ORDER BY cityHash64(t.post_id)
LIMIT {SAMPLE} BY p.platform, p.creator_tier
"""

Stats = dict[tuple[str, str], dict[str, RatioDistribution]]


def distributions(rows: Iterable[Sequence[Any]]) -> Stats:
    """Per (platform, tier), each :data:`RATIO_PAIRS` log ratio's distribution over the rows
    (platform, tier, then :data:`COUNTERS`); a null or zero counter leaves the post out of
    that ratio."""
    logs: dict[tuple[str, str], dict[str, list[float]]] = {}
    index = {name: i for i, name in enumerate(COUNTERS)}
    for platform, tier, *counts in rows:
        group = logs.setdefault((platform, tier), {})
        for num, den in RATIO_PAIRS:
            a, b = counts[index[num]], counts[index[den]]
            if a is None or b is None or a <= 0 or b <= 0 or max(a, b) < MIN_COUNT:
                continue
            group.setdefault(f"{num}/{den}", []).append(math.log(a / b))
    out: Stats = {}
    for key, ratios in logs.items():
        found = {name: dist for name, xs in ratios.items() if (dist := ratio_distribution(xs)) is not None}
        if found:
            out[key] = found
    return out
