"""The log-linear baseline's ratios learned from the store: finished posts only, read at the
learned ages and the horizons of their engagements curve, per platform and tier."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tracker.analytics.longtail import AGES_HOURS
from tracker.store.store import Store
from tracker.stream.loglinear import QUERY, learned, parameters

pytestmark = pytest.mark.integration

T = datetime(2026, 1, 1, tzinfo=UTC)
HORIZONS = (720.0, 2160.0)


def engagements(k: int, scale: float) -> float:
    """Cumulative engagements k hours after publish: half in the first day, the rest slowly."""
    return scale * (500 * (1 - math.exp(-k / 6)) + 0.5 * k)


def store_post(store: Store, post: str, tier: str, hours: int, scale: float = 1.0, deleted: int = 0) -> None:
    store.insert_sync("posts", [("acme", post, "bilibili", tier, T, deleted, 1)],
                      ["tenant", "post_id", "platform", "creator_tier", "published_at", "deleted", "version"])
    store.insert_sync("post_totals", [("acme", post, T + timedelta(hours=hours), 1)],
                      ["tenant", "post_id", "as_of", "version"])
    store.insert_sync("curves", [("acme", post, "engagements", T + timedelta(hours=k), engagements(k, scale), 1)
                                 for k in range(hours + 1)],
                      ["tenant", "post_id", "metric", "hour", "cumulative", "version"])
    store.insert_sync("curves", [("acme", post, "views", T + timedelta(hours=k), 99.0 * k, 1) for k in range(48)],
                      ["tenant", "post_id", "metric", "hour", "cumulative", "version"])


def test_finished_posts_give_each_tier_its_ratios(store: Store) -> None:
    for i in range(3):
        store_post(store, f"bilibili:BV{i}", "micro", 2200, scale=1 + i)  # finished for both horizons
    store_post(store, "bilibili:BV8", "micro", 900)  # finished for 30 days only
    store_post(store, "bilibili:BV9", "micro", 500)  # not finished: left out
    store_post(store, "bilibili:BV7", "micro", 2200, scale=50.0, deleted=1)  # removed from the registry
    store_post(store, "bilibili:BV5", "macro", 800)
    got = learned(store.query_sync(QUERY, parameters(HORIZONS)).rows, HORIZONS)
    assert set(got) == {("bilibili", "micro"), ("bilibili", "macro")}
    micro = got[("bilibili", "micro")]
    assert {age for age, horizon in micro if horizon == 2160.0} == set(AGES_HOURS)
    at_day = micro[(24.0, 720.0)]
    assert at_day.n == 4  # three long posts and the 30-day one; the same shape, so no spread
    assert math.isclose(at_day.mean_log, math.log(engagements(720, 1) / engagements(24, 1)))
    assert at_day.var_log == pytest.approx(0.0, abs=1e-12)
    assert micro[(24.0, 2160.0)].n == 3
    assert got[("bilibili", "macro")][(480.0, 720.0)].n == 1
