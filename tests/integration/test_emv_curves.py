"""A post's hourly EMV curve is priced as its ROI is: the configured unit values on its publish
date, in its campaign's reporting currency.

The worker wrote EMV rows into ``curves`` with a fixed table of illustrative unit values: a
Douyin post's curve ended at 4,689 CNY where its ROI row said 6,376 CNY, and a USD campaign's
curve was a CNY-priced figure labelled nothing. ``v_curves`` now prices the metric curves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.integration.test_roi import T0, put, seed_campaign
from tests.integration.test_roi_total_coverage import lack_rates
from tracker.store.store import Store

pytestmark = pytest.mark.integration

H1 = T0 + timedelta(hours=1)
H2 = T0 + timedelta(hours=2)


def curve(post_id: str, metric: str, hour: datetime, cumulative: float, velocity: float) -> dict:
    return {"tenant": "acme", "post_id": post_id, "metric": metric, "hour": hour, "cumulative": cumulative,
            "velocity": velocity, "observed": 1, "version": 1}


@pytest.fixture
def priced(store: Store) -> Store:
    seed_campaign(store)
    lack_rates(store)  # weibo likes are valued in JPY, which has no rate
    rows = []
    for post_id in ("douyin:1", "douyin:6", "weibo:4"):
        for hour, k in ((H1, 1), (H2, 2)):
            rows += [curve(post_id, "views", hour, 1000 * k, 100), curve(post_id, "likes", hour, 50 * k, 5),
                     curve(post_id, "comments", hour, 4 * k, 1)]
    rows.append(curve("douyin:1", "emv", H1, 999_999, 9_999))  # written by an older worker
    put(store, "curves", rows)
    return store


def emv_rows(store: Store, post_id: str) -> list[dict]:
    return store.query_sync("SELECT hour, cumulative, velocity FROM v_curves WHERE tenant = 'acme' "
                            "AND post_id = {p:String} AND metric = 'emv' ORDER BY hour", {"p": post_id}).named()


def test_the_emv_curve_uses_the_unit_values_in_force(priced: Store) -> None:
    # douyin:1 (campaign c1, CNY): acme's own Douyin views value 0.03, the global likes 0.1, comments 0.5
    rows = emv_rows(priced, "douyin:1")
    assert len(rows) == 2
    assert rows[0]["cumulative"] == pytest.approx(1000 * 0.03 + 50 * 0.1 + 4 * 0.5)  # not the old 999,999
    assert rows[1]["cumulative"] == pytest.approx(2 * (1000 * 0.03 + 50 * 0.1 + 4 * 0.5))
    assert rows[0]["velocity"] == pytest.approx(100 * 0.03 + 5 * 0.1 + 1 * 0.5)


def test_the_emv_curve_is_in_the_campaigns_reporting_currency(priced: Store) -> None:
    # douyin:6 is in campaign c2, reported in USD: CNY unit values at acme's USD rate of 7.1 (from 03-01)
    rows = emv_rows(priced, "douyin:6")
    assert rows[0]["cumulative"] == pytest.approx((1000 * 0.03 + 50 * 0.1 + 4 * 0.5) / 7.1)


def test_an_hour_with_a_metric_priced_in_a_currency_without_a_rate_has_no_emv(priced: Store) -> None:
    rows = emv_rows(priced, "weibo:4")
    assert len(rows) == 2 and all(r["cumulative"] is None and r["velocity"] is None for r in rows)


def test_the_other_metrics_read_as_stored(priced: Store) -> None:
    got = priced.query_sync("SELECT metric, cumulative FROM v_curves WHERE tenant = 'acme' AND post_id = 'douyin:1' "
                            "AND hour = {h:DateTime} AND metric != 'emv' ORDER BY metric", {"h": H1}).rows
    assert got == [("comments", 4.0), ("likes", 50.0), ("views", 1000.0)]
