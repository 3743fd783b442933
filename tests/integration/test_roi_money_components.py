"""Money that was added across currencies, dropped without a rate, or read n/a without cause.

* A heated pulse's spend is the sum of its nodes, each converted to the campaign's reporting
  currency at its own date (0012): a USD node and a CNY node starting the same hour made one
  pulse whose spend read 100 + 350 = 450 "CNY", in the currency of the last node the worker saw.
* Campaign-level money that is revenue only (an order keyed to the campaign, no cost of no
  post) is a campaign-level spend of 0, not n/a: the total spend read n/a with no rate missing.
* A spend component (fee, extra, …) summed over posts is n/a when one of its amounts has no
  rate, as spend is: a 30 EUR extra without a EUR rate read extra 0.0 in the totals.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result

from tests.integration.test_roi import P1_SPEND, P2_SPEND, P3_SPEND, cost, put
from tracker.report import queries as q
from tracker.store.store import Store

pytestmark = pytest.mark.integration

ACME_USD = 7.1  # acme's own USD → CNY rate from 2025-03-01 (the fixture's), before the global 7.2
SHANGHAI = ZoneInfo("Asia/Shanghai")  # c1's zone: the worker writes a node's start date in it
PULSE = {"tenant": "acme", "post_id": "douyin:1", "peak_at": None, "peak_velocity": None, "baseline": None,
         "rise_hours": None, "half_life_hours": None, "theta": None, "fit_r2": None, "fit_note": "",
         "ends_at": None, "trigger": "heating", "status": "decaying", "version": 2}
NODE = {"tenant": "acme", "post_id": "douyin:1", "campaign_id": "c1", "channel": "dou_plus", "end_at": None,
        "version": 1}


def heat(store: Store, pulse_index: int, nodes: list[tuple[str, str, str, datetime, str]],
         incremental: float = 1_000.0, written: tuple[str, str] = ("0", "")) -> None:
    """A heated pulse of douyin:1 made of ``nodes`` (id, amount, currency, start, status), stored as the
    worker writes them; ``written`` is the pulse row's (spend_amount, spend_currency), which the views
    no longer read."""
    put(store, "heating_nodes", [
        {**NODE, "heating_id": hid, "start_at": start, "start_day": start.astimezone(SHANGHAI).date(),
         "spend_amount": Decimal(amount), "spend_currency": currency, "status": status}
        for hid, amount, currency, start, status in nodes])
    put(store, "pulses", [
        {**PULSE, "pulse_index": pulse_index, "onset": nodes[0][3], "heating_ids": [n[0] for n in nodes],
         "incremental_engagements": incremental, "spend_amount": Decimal(written[0]),
         "spend_currency": written[1]}])


def efficiency(store: Store, pulse_index: int) -> dict[str, Any]:
    (row,) = store.query_sync(
        "SELECT spend, spend_tenant, currency, efficiency FROM v_heating_efficiency "
        "WHERE tenant = 'acme' AND post_id = 'douyin:1' AND pulse_index = {i:UInt16}", {"i": pulse_index}).named()
    return row


def test_a_pulse_of_a_usd_and_a_cny_node_converts_each(campaign_cli: Callable[..., Result], store: Store) -> None:
    at = datetime(2025, 3, 12, 4, tzinfo=UTC)
    heat(store, 2, [("hu", "100", "USD", at, "executed"), ("hc", "350", "CNY", at, "executed")],
         written=("450", "CNY"))  # the old worker's row: both amounts added, in the last node's currency
    spend = 350 + 100 * ACME_USD
    row = efficiency(store, 2)
    assert row["currency"] == "CNY"
    assert row["spend"] == pytest.approx(spend) and row["spend_tenant"] == pytest.approx(spend)
    assert row["efficiency"] == pytest.approx(1_000 / spend)
    post = store.query_sync("SELECT heating_pulse_spend, heating_efficiency, heating FROM v_roi_post "
                            "WHERE tenant = 'acme' AND post_id = 'douyin:1'").named()[0]
    assert post["heating_pulse_spend"] == pytest.approx(2_000 + spend)  # with pulse 1's node h1
    assert post["heating"] == pytest.approx(2_000 + spend)  # the executed nodes, as before
    assert post["heating_efficiency"] == pytest.approx((1_500 + 1_000) / (2_000 + spend))
    lines = store.query_sync("SELECT line_id, amount, currency, converted FROM v_money WHERE tenant = 'acme' "
                             "AND component = 'pulse' AND post_id = 'douyin:1' ORDER BY line_id").rows
    assert lines == [("douyin:1#1#h1", 2_000.0, "CNY", 2_000.0), ("douyin:1#2#hc", 350.0, "CNY", 350.0),
                     ("douyin:1#2#hu", 100.0, "USD", pytest.approx(100 * ACME_USD))]


def test_each_node_of_a_pulse_converts_at_its_own_date(campaign_cli: Callable[..., Result], store: Store) -> None:
    """The second node joins the pulse the next day in Shanghai, when a new rate applies."""
    put(store, "fx_rates", [{"tenant": "acme", "base": "USD", "quote": "CNY", "rate_date": date(2025, 3, 13),
                             "rate": Decimal("7.3"), "source": "contract", "version": 1}])
    heat(store, 2, [("hu1", "100", "USD", datetime(2025, 3, 12, 12, tzinfo=UTC), "executed"),
                    ("hu2", "100", "USD", datetime(2025, 3, 12, 17, tzinfo=UTC), "executed")],  # 01:00 on 03-13
         written=("200", "USD"))
    assert efficiency(store, 2)["spend"] == pytest.approx(100 * ACME_USD + 100 * 7.3)


def test_a_node_without_a_rate_makes_its_pulse_spend_na(campaign_cli: Callable[..., Result], store: Store) -> None:
    at = datetime(2025, 3, 12, 4, tzinfo=UTC)
    heat(store, 2, [("hj", "5000", "JPY", at, "executed"), ("hc", "350", "CNY", at, "executed")],
         written=("5350", "CNY"))
    row = efficiency(store, 2)
    assert row["spend"] is None and row["efficiency"] is None  # not 350 alone, not 5,350
    post = store.query_sync("SELECT heating_pulse_spend FROM v_roi_post "
                            "WHERE tenant = 'acme' AND post_id = 'douyin:1'").rows
    assert post == [(None,)]


def test_a_planned_node_counts_in_its_pulse_and_a_cancelled_one_does_not(campaign_cli: Callable[..., Result],
                                                                          store: Store) -> None:
    at = datetime(2025, 3, 12, 4, tzinfo=UTC)
    heat(store, 2, [("hp", "300", "CNY", at, "planned"), ("hx", "900", "CNY", at, "cancelled")],
         written=("1200", "CNY"))
    assert efficiency(store, 2)["spend"] == pytest.approx(300)


# ---- campaign-level money that is revenue only ---------------------------------------------

def order_of_the_campaign(store: Store, campaign: str, order_id: str, revenue: str, currency: str,
                          at: datetime) -> None:
    """An order keyed by a tracking link that names the campaign and no post."""
    put(store, "attribution_keys", [{"tenant": "acme", "key_kind": "link", "attribution_key": f"lnk-{order_id}",
                                     "post_id": "", "campaign_id": campaign, "version": 1}])
    put(store, "sales", [{"tenant": "acme", "order_id": order_id, "attribution_key": f"lnk-{order_id}",
                          "key_kind": "link", "revenue": Decimal(revenue), "currency": currency,
                          "ordered_at": at, "version": 1}])


def roi_json(cli: Callable[..., Result], *args: str) -> dict[str, Any]:
    result = cli("roi", "--tenant", "acme", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_revenue_only_campaign_level_money_is_no_spend(campaign_cli: Callable[..., Result], store: Store) -> None:
    """Campaign c2 (USD) has one post with a fee of 100 USD and no cost of no post."""
    order_of_the_campaign(store, "c2", "o-c2", "250", "USD", datetime(2025, 3, 5, tzinfo=UTC))
    out = roi_json(campaign_cli, "--campaign", "c2")
    level = next(g for g in out["groups"] if g["value"] == q.CAMPAIGN_LEVEL)
    assert level["spend"] == 0 and level["revenue"] == pytest.approx(250) and level["fx_missing"] == 0
    assert out["total"]["spend"] == pytest.approx(100) and out["total"]["fx_missing"] == 0
    assert out["total"]["roas"] == pytest.approx(250 / 100)
    campaign = store.query_sync("SELECT spend, campaign_level_spend, revenue FROM v_roi_campaign "
                                "WHERE tenant = 'acme' AND campaign_id = 'c2'").named()[0]
    assert campaign == {"spend": pytest.approx(100), "campaign_level_spend": 0, "revenue": pytest.approx(250)}
    tenant = store.query_sync("SELECT spend FROM v_roi_tenant WHERE tenant = 'acme'").rows
    acme_spend = P1_SPEND + P2_SPEND + P3_SPEND + 8_000 + 1_000 + 100 * ACME_USD  # c1's, c2's 100 USD in CNY
    assert tenant == [(pytest.approx(acme_spend),)]


def test_a_window_with_only_campaign_level_revenue_keeps_the_spend(campaign_cli: Callable[..., Result],
                                                                    store: Store) -> None:
    """c1's cost of no post (the agency's, 03-10) is outside the window; an order of the campaign is inside."""
    order_of_the_campaign(store, "c1", "o-c1", "400", "CNY", datetime(2025, 3, 4, tzinfo=UTC))
    out = roi_json(campaign_cli, "--campaign", "c1", "--by", "post", "--since", "2025-03-01", "--until", "2025-03-08")
    level = next(g for g in out["groups"] if g["value"] == q.CAMPAIGN_LEVEL)
    assert level["spend"] == 0 and level["fx_missing"] == 0
    assert out["total"]["spend"] == pytest.approx(P1_SPEND + P2_SPEND + P3_SPEND + 8_000)


def test_a_window_without_posts_keeps_the_campaign_level_spend(campaign_cli: Callable[..., Result]) -> None:
    """Every post of c1 is published on 03-01; the agency's cost of no post is dated 03-10."""
    out = roi_json(campaign_cli, "--campaign", "c1", "--by", "post", "--since", "2025-03-05")
    assert [g["value"] for g in out["groups"]] == [q.CAMPAIGN_LEVEL]
    assert out["total"]["posts"] == 0 and out["total"]["fx_missing"] == 0
    assert out["total"]["spend"] == pytest.approx(1_000)  # not n/a: no post spends nothing


def test_campaign_level_spend_is_na_only_for_a_missing_rate(campaign_cli: Callable[..., Result],
                                                             store: Store) -> None:
    order_of_the_campaign(store, "c2", "o-c2", "250", "USD", datetime(2025, 3, 5, tzinfo=UTC))
    put(store, "cost_lines", [cost("acme", "c2-agency", "c2", "", "extra", "40", "KRW", date(2025, 3, 5))])
    out = roi_json(campaign_cli, "--campaign", "c2")
    level = next(g for g in out["groups"] if g["value"] == q.CAMPAIGN_LEVEL)
    assert level["spend"] is None and level["fx_missing"] == 1
    assert out["total"]["spend"] is None


# ---- a spend component without a rate --------------------------------------------------------

def test_a_component_with_an_amount_without_a_rate_is_na(campaign_cli: Callable[..., Result], store: Store) -> None:
    """There is no GBP rate: douyin:5's 30 GBP extra cannot be converted to c1's CNY. The extra of
    every row holding douyin:5 is n/a, not the other posts' extras (2,130 + 800) alone."""
    put(store, "cost_lines", [cost("acme", "x-gbp", "c1", "douyin:5", "extra", "30", "GBP", date(2025, 3, 2))])
    post = store.query_sync("SELECT fee, extra, spend FROM v_roi_post WHERE tenant = 'acme' "
                            "AND post_id = 'douyin:5'").named()[0]
    assert post == {"fee": 8_000.0, "extra": None, "spend": None}
    campaign = store.query_sync("SELECT fee, extra, heating, spend, fx_missing FROM v_roi_campaign "
                                "WHERE tenant = 'acme' AND campaign_id = 'c1'").named()[0]
    assert campaign == {"fee": pytest.approx(18_000), "extra": None, "heating": pytest.approx(2_200),
                        "spend": None, "fx_missing": 1}
    by = {r["value"]: r for r in store.query_sync(
        "SELECT value, fee, extra, spend FROM v_roi_by WHERE tenant = 'acme' AND campaign_id = 'c1' "
        "AND dimension = 'platform'").named()}
    assert by["douyin"] == {"value": "douyin", "fee": pytest.approx(18_000), "extra": None, "spend": None}
    assert by["instagram"]["extra"] == pytest.approx(800)  # its own amounts all convert
    out = roi_json(campaign_cli, "--campaign", "c1")
    douyin = next(g for g in out["groups"] if g["value"] == "douyin")
    for row in (douyin, out["total"]):
        assert row["extra"] is None and row["fee"] == pytest.approx(18_000) and row["spend"] is None
    c2 = store.query_sync("SELECT fee, extra FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c2'").named()
    assert c2 == [{"fee": 100.0, "extra": 0.0}]  # no extra at all: 0, not n/a
