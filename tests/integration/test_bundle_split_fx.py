"""A bundle split by fee weighs its posts' fees in the campaign's reporting currency (0016).

Bundle B2 (2,000 CNY, split by_fee) covers P5, paid 3,000 CNY + a 6 % service fee (3,180 CNY), and
P6, paid 500 USD on 2025-10-07, when USD → CNY was 7.25 (7.10 before). The weights were the raw amounts,
3,180 : 500 (1,728.26 and 271.74 CNY of the bundle); they are 3,180 : 3,625 (934.61 and 1,065.39), each
fee converted at its own date as every other amount is. Without a rate for one fee the shares are n/a,
and so are the spends that hold them, counted in ``fx_missing``; the bundle never counts twice or not
at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.test_roi import cost, post, put, totals
from tracker.store.store import Store

pytestmark = pytest.mark.integration

P5, P6 = "douyin:5", "tiktok:6"
P5_FEE = 3_000 + 180  # fee + 6 % service fee, CNY
BUNDLE = 2_000.0  # CNY


def seed(store: Store, p6_fee: tuple[str, str], split: str = "by_fee") -> None:
    """Tenant acme (CNY), campaign fall (no currency of its own: the tenant's), bundle B2 over P5 and P6;
    ``p6_fee`` is P6's fee (amount, currency), dated 2025-10-07."""
    put(store, "tenants", [{"tenant": "acme", "name": "Acme", "reporting_currency": "CNY", "version": 1}])
    put(store, "campaigns", [
        {"tenant": "acme", "campaign_id": "fall", "name": "Fall", "time_zone": "Asia/Shanghai",
         "reporting_currency": "", "starts_at": datetime(2025, 10, 1, tzinfo=UTC), "ends_at": None,
         "brand_terms": [], "version": 1}])
    put(store, "fx_rates", [
        {"tenant": "", "base": "USD", "quote": "CNY", "rate_date": day, "rate": Decimal(rate), "source": "test",
         "version": 1} for day, rate in ((date(2025, 10, 1), "7.10"), (date(2025, 10, 7), "7.25"))])
    put(store, "posts", [
        post("acme", P5, "fall", "cr-5", "mid", "video", bundle="B2", published=datetime(2025, 10, 1, 4, tzinfo=UTC)),
        post("acme", P6, "fall", "cr-6", "micro", "video", bundle="B2",
             published=datetime(2025, 10, 7, 4, tzinfo=UTC))])
    put(store, "cost_lines", [
        cost("acme", f"{P5}:fee", "fall", P5, "fee", "3000", "CNY", date(2025, 10, 1), bundle="B2"),
        cost("acme", f"{P5}:service_fee", "fall", P5, "service_fee", "180", "CNY", date(2025, 10, 1), bundle="B2"),
        cost("acme", f"{P6}:fee", "fall", P6, "fee", p6_fee[0], p6_fee[1], date(2025, 10, 7), bundle="B2")])
    put(store, "bundles", [{"tenant": "acme", "bundle_id": "B2", "campaign_id": "fall", "amount": Decimal("2000"),
                            "currency": "CNY", "cost_date": date(2025, 10, 1), "split": split, "version": 1}])
    put(store, "post_totals", [totals("acme", P5, "fall", 30_000, 900, 50, 40, 10, None),
                               totals("acme", P6, "fall", 10_000, 100, 10, 0, None, None)])


def shares(store: Store) -> dict[str, Any]:
    """Each post's part of B2 in CNY (None: n/a)."""
    rows = store.query_sync("SELECT post_id, share FROM v_bundle_shares WHERE tenant = 'acme' AND bundle_id = 'B2'")
    return {pid: None if share is None else BUNDLE * share for pid, share in rows.rows}


def posts(store: Store) -> dict[str, dict[str, Any]]:
    rows = store.query_sync("SELECT post_id, fee, service_fee, bundle_share, spend, fx_missing FROM v_roi_post "
                            "WHERE tenant = 'acme' AND campaign_id = 'fall'").named()
    return {r.pop("post_id"): r for r in rows}


def campaign(store: Store) -> dict[str, Any]:
    (row,) = store.query_sync("SELECT bundle_share, campaign_level_spend, spend, fx_missing FROM v_roi_campaign "
                              "WHERE tenant = 'acme' AND campaign_id = 'fall'").named()
    return row


def test_by_fee_weighs_each_fee_converted_at_its_own_date(store: Store) -> None:
    seed(store, ("500", "USD"))
    p6_fee = 500 * 7.25  # the rate of 2025-10-07, P6's fee date, not the bundle's (7.10)
    assert shares(store) == {P5: pytest.approx(934.61, abs=0.005), P6: pytest.approx(1_065.39, abs=0.005)}
    assert shares(store)[P5] == pytest.approx(BUNDLE * P5_FEE / (P5_FEE + p6_fee))
    weights = dict(store.query_sync("SELECT post_id, weight FROM v_bundle_shares WHERE bundle_id = 'B2'").rows)
    assert weights == {P5: pytest.approx(P5_FEE), P6: pytest.approx(p6_fee)}  # the service fee counts
    by_post = posts(store)
    assert by_post[P5]["bundle_share"] == pytest.approx(934.61, abs=0.005)
    assert by_post[P6]["bundle_share"] == pytest.approx(1_065.39, abs=0.005)
    assert by_post[P6]["spend"] == pytest.approx(p6_fee + 1_065.39, abs=0.005)
    assert campaign(store) == {"bundle_share": pytest.approx(BUNDLE), "campaign_level_spend": 0,
                               "spend": pytest.approx(P5_FEE + p6_fee + BUNDLE), "fx_missing": 0}


def test_by_fee_in_one_currency_is_unchanged(store: Store) -> None:
    seed(store, ("500", "CNY"))
    assert shares(store) == {P5: pytest.approx(1_728.26, abs=0.005), P6: pytest.approx(271.74, abs=0.005)}
    assert campaign(store)["spend"] == pytest.approx(P5_FEE + 500 + BUNDLE)


def test_by_views_follows_the_views_whatever_the_fees_currencies(store: Store) -> None:
    seed(store, ("500", "USD"), split="by_views")
    assert shares(store) == {P5: pytest.approx(1_500), P6: pytest.approx(500)}  # 30,000 : 10,000 views


def test_a_fee_without_a_rate_makes_the_by_fee_shares_na(store: Store) -> None:
    """There is no JPY rate: P6's fee cannot weigh against P5's. Neither share is known (P5 does not
    take the whole bundle, nor P6 a share of its raw 500); each post's bundle line is n/a and counted."""
    seed(store, ("500", "JPY"))
    assert shares(store) == {P5: None, P6: None}
    by_post = posts(store)
    assert by_post[P5] == {"fee": 3_000.0, "service_fee": 180.0, "bundle_share": None, "spend": None,
                           "fx_missing": 1}
    assert by_post[P6] == {"fee": None, "service_fee": 0.0, "bundle_share": None, "spend": None, "fx_missing": 2}
    assert campaign(store) == {"bundle_share": None, "campaign_level_spend": 0, "spend": None, "fx_missing": 3}
    assert store.query_sync("SELECT spend FROM v_roi_tenant WHERE tenant = 'acme'").rows == [(None,)]
    # the rate to add is JPY's alone: the bundle lines n/a in CNY need no "CNY → CNY" rate
    from tracker.report import queries as q
    from tracker.store.access import _StoreReader

    reader = _StoreReader(store)
    assert [(m["base"], m["quote"]) for m in q.missing_rates(reader, q.campaign(reader, "fall", "acme"))] \
        == [("JPY", "CNY")]
    # once the rate is recorded, the bundle counts once again
    put(store, "fx_rates", [{"tenant": "", "base": "CNY", "quote": "JPY", "rate_date": date(2025, 10, 1),
                             "rate": Decimal("20"), "source": "test", "version": 1}])  # 500 JPY = 25 CNY
    assert shares(store)[P5] == pytest.approx(BUNDLE * P5_FEE / (P5_FEE + 25))
    assert campaign(store) == {"bundle_share": pytest.approx(BUNDLE), "campaign_level_spend": 0,
                               "spend": pytest.approx(P5_FEE + 25 + BUNDLE), "fx_missing": 0}
