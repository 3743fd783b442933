"""A row's EMV and revenue total is n/a, not short, when one of its posts lacks an FX rate.

Grouped spend has read n/a since 0003 when one post's spend could not be
converted; EMV and revenue were plain sums, so a platform group (and the
campaign total) silently left out the post whose EMV unit value or order was
in a currency without a rate to the reporting currency: a post-campaign ROI
table read a revenue of 5,710 where one order of 20,000 JPY was missing.
Now such a total reads n/a, every row says how many of its posts lack a rate
(``emv_fx_missing_posts``, ``revenue_fx_missing_posts``) and the warning under
the table names them with the missing currency pairs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from click.testing import Result

from tests.integration.test_roi import P1_EMV, P1_REVENUE, P2_EMV, put
from tracker.report import queries as q
from tracker.store.access import _StoreReader
from tracker.store.store import Store

pytestmark = pytest.mark.integration


def lack_rates(store: Store) -> None:
    """weibo:4's likes are valued in JPY and instagram:2 has an order of 20,000 JPY: no JPY rate, so
    weibo:4's EMV and instagram:2's revenue cannot be converted to CNY. A campaign-level order in KRW
    (attributed to c1 only, through a promo code) has no rate either."""
    put(store, "emv_unit_values", [
        {"tenant": "", "platform": "weibo", "metric": "likes", "valid_from": date(2024, 1, 1),
         "unit_value": Decimal("2"), "currency": "JPY", "version": 1}])
    put(store, "sales", [
        {"tenant": "acme", "order_id": "o-jpy", "attribution_key": "instagram:2", "key_kind": "post",
         "revenue": Decimal("20000"), "currency": "JPY", "ordered_at": datetime(2025, 3, 9, tzinfo=UTC),
         "version": 1}])


def add_campaign_order_without_a_rate(store: Store) -> None:
    put(store, "attribution_keys", [{"tenant": "acme", "key_kind": "promo", "attribution_key": "SPRING",
                                     "post_id": "", "campaign_id": "c1", "version": 1}])
    put(store, "sales", [
        {"tenant": "acme", "order_id": "o-krw", "attribution_key": "SPRING", "key_kind": "promo",
         "revenue": Decimal("50000"), "currency": "KRW", "ordered_at": datetime(2025, 3, 11, tzinfo=UTC),
         "version": 1}])


@pytest.fixture
def seeded(store: Store, campaign_cli: Callable[..., Result]) -> Store:
    lack_rates(store)
    return store


def test_a_post_without_a_rate_makes_its_rows_emv_and_revenue_na(seeded: Store) -> None:
    posts = {r["post_id"]: r for r in seeded.query_sync(
        "SELECT post_id, emv, emv_fx_missing, revenue, revenue_fx_missing, orders FROM v_roi_post "
        "WHERE tenant = 'acme' AND campaign_id = 'c1'").named()}
    assert posts["weibo:4"]["emv"] is None and posts["weibo:4"]["emv_fx_missing"] == 1
    assert posts["instagram:2"]["revenue"] is None and posts["instagram:2"]["revenue_fx_missing"] == 1
    assert posts["douyin:5"]["emv"] is None and posts["douyin:5"]["emv_fx_missing"] == 0  # not measured: no EMV yet
    assert posts["instagram:3"]["revenue"] is None and posts["instagram:3"]["revenue_fx_missing"] == 0  # no order

    reader = _StoreReader(seeded)
    groups, total = q.roi_report(reader, q.campaign(reader, "c1", "acme"), "platform")
    by = {g["value"]: g for g in groups}
    assert by["weibo"]["emv"] is None and by["weibo"]["emv_fx_missing_posts"] == 1
    assert by["instagram"]["revenue"] is None and by["instagram"]["revenue_fx_missing_posts"] == 1
    assert by["instagram"]["emv"] == pytest.approx(P2_EMV)  # instagram:3's EMV is 0, not n/a
    assert by["douyin"]["emv"] == pytest.approx(P1_EMV) and by["douyin"]["revenue"] == pytest.approx(P1_REVENUE)
    assert by["douyin"]["emv_fx_missing_posts"] == 0 and by["douyin"]["revenue_fx_missing_posts"] == 0
    # the total is n/a, not P1_EMV + P2_EMV (weibo:4 left out) nor P1_REVENUE (instagram:2's order left out)
    assert total["emv"] is None and total["revenue"] is None
    assert total["emv_fx_missing_posts"] == 1 and total["revenue_fx_missing_posts"] == 1
    # ratios still divide the posts whose figures are known
    assert total["roas"] == pytest.approx(P1_REVENUE / total["roas_spend"])


def test_views_agree_with_the_cli_totals(seeded: Store) -> None:
    by = {r["value"]: r for r in seeded.query_sync(
        "SELECT value, emv, revenue, emv_fx_missing_posts, revenue_fx_missing_posts FROM v_roi_by "
        "WHERE tenant = 'acme' AND campaign_id = 'c1' AND dimension = 'platform'").named()}
    assert by["weibo"]["emv"] is None and by["weibo"]["emv_fx_missing_posts"] == 1
    assert by["instagram"]["revenue"] is None and by["instagram"]["revenue_fx_missing_posts"] == 1
    assert by["douyin"]["revenue"] == pytest.approx(P1_REVENUE)
    campaign = seeded.query_sync("SELECT emv, revenue, emv_fx_missing_posts, revenue_fx_missing_posts "
                                 "FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c1'").named()[0]
    assert campaign == {"emv": None, "revenue": None, "emv_fx_missing_posts": 1, "revenue_fx_missing_posts": 1}
    tenant = seeded.query_sync("SELECT emv, revenue FROM v_roi_tenant WHERE tenant = 'acme'").named()[0]
    assert tenant == {"emv": None, "revenue": None}


def test_a_campaign_level_order_without_a_rate_makes_the_total_revenue_na(store: Store,
                                                                          campaign_cli: Callable[..., Result]) -> None:
    add_campaign_order_without_a_rate(store)
    reader = _StoreReader(store)
    groups, total = q.roi_report(reader, q.campaign(reader, "c1", "acme"), "platform")
    level = next(g for g in groups if g["value"] == q.CAMPAIGN_LEVEL)
    assert level["revenue"] is None and level["revenue_fx_missing"] == 1
    assert total["revenue"] is None  # not P1_REVENUE alone
    campaign = store.query_sync("SELECT revenue FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c1'")
    assert campaign.rows == [(None,)]
    put(store, "fx_rates", [{"tenant": "", "base": "KRW", "quote": "CNY", "rate_date": date(2025, 1, 1),
                             "rate": Decimal("0.005"), "source": "test", "version": 1}])
    _, total = q.roi_report(reader, q.campaign(reader, "c1", "acme"), "platform")
    assert total["revenue"] == pytest.approx(P1_REVENUE + 250)


def test_roi_table_reads_na_and_names_the_posts_and_pairs(seeded: Store, campaign_cli: Callable[..., Result]) -> None:
    result = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    head = re.split(r"\s{2,}", lines[1])
    total = dict(zip(head, re.split(r"\s{2,}", next(x for x in lines if x.startswith("total "))), strict=True))
    assert total["EMV CNY"] == "n/a" and total["revenue CNY"] == "n/a" and total["spend CNY"] != "n/a"
    warning = " ".join(result.stderr.split())
    assert "EMV of 1 post" in warning and "revenue of 1 post" in warning, warning
    assert "JPY → CNY needed from 2025-03-01" in warning  # weibo:4's publish day: its EMV's date
    assert "tracker costs fx --base JPY --quote CNY" in warning


def test_roi_json_and_csv_keep_na_and_the_count(seeded: Store, campaign_cli: Callable[..., Result]) -> None:
    out = json.loads(campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json").stdout)
    assert out["total"]["revenue"] is None and out["total"]["revenue_fx_missing_posts"] == 1
    assert out["total"]["emv"] is None and out["total"]["emv_fx_missing_posts"] == 1
    rows = list(csv.DictReader(io.StringIO(
        campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "csv").stdout)))
    total = rows[-1]
    assert total["value"] == "total" and total["emv"] == "" and total["revenue"] == ""
    assert total["emv_fx_missing_posts"] == "1" and total["revenue_fx_missing_posts"] == "1"
    douyin = next(r for r in rows if r["value"] == "douyin")
    assert float(douyin["revenue"]) == pytest.approx(P1_REVENUE) and douyin["revenue_fx_missing_posts"] == "0"
