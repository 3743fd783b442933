"""Grouped ROI ratios divide the figures of the same posts above and below the line.

A post whose spend is n/a (an amount without an FX rate to the reporting
currency) once left the numerator of its group's CPM, CPE, cost per save /
search / intent comment and (EMV − spend) ÷ spend while its views,
engagements, … stayed in the denominator: the user's douyin group read
``CPM 174.23 = 15,200 / (84,740 + 2,500)``. Each ratio is recomputed here from
the posts of ``v_roi_post`` that have both its metric and a spend, for every
group of every dimension, through the CLI's query builder and the views.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.fixtures.store import cli_on, shared_store
from tests.integration.test_roi import (
    P1_REVENUE,
    P1_SPEND,
    P2_SPEND,
    P3_SPEND,
    cost,
    put,
    seed_campaign,
    totals,
)
from tracker.report import queries as q
from tracker.store.access import _StoreReader
from tracker.store.store import Store

pytestmark = pytest.mark.integration

COSTS = ("cpm", "cpe", "cost_per_save", "cost_per_search", "cost_per_intent_comment")
METRIC = {"cpm": "views", "cpe": "engagements", "cost_per_save": "saves", "cost_per_search": "searches",
          "cost_per_intent_comment": "intent_comments"}
ALL_RATIOS = (*COSTS, "emv_return", "roas", "heating_efficiency")


def add_post_without_a_rate(store: Store) -> None:
    """douyin:5 (fee 8,000 CNY) gets a 300 JPY extra cost without a JPY rate, so its spend is n/a, and
    every outcome: views, engagements, saves, searches, intent comments, EMV, an order and a heated pulse."""
    put(store, "cost_lines", [cost("acme", "x-jpy", "c1", "douyin:5", "extra", "300", "JPY", date(2025, 3, 1))])
    put(store, "post_totals", [{**totals("acme", "douyin:5", "c1", 40_000, 2_000, 100, 50, 400, 80), "version": 9}])
    put(store, "comments", [
        {"tenant": "acme", "post_id": "douyin:5", "comment_id": f"j{i}", "text": "", "likes": None,
         "author_hash": "", "created_at": datetime(2025, 3, 2, 10, tzinfo=UTC), "intent": 1, "negative": 0,
         "intent_terms": [], "negative_terms": [], "version": 1} for i in range(20)])
    put(store, "sales", [
        {"tenant": "acme", "order_id": "o5", "attribution_key": "douyin:5", "key_kind": "post",
         "revenue": Decimal("9000"), "currency": "CNY", "ordered_at": datetime(2025, 3, 8, tzinfo=UTC),
         "version": 1}])
    put(store, "pulses", [{
        "tenant": "acme", "post_id": "douyin:5", "pulse_index": 1, "onset": datetime(2025, 3, 3, tzinfo=UTC),
        "ends_at": None, "trigger": "heating", "heating_ids": ["h5"], "incremental_engagements": 900.0,
        "spend_amount": Decimal("500"), "spend_currency": "JPY", "status": "decaying", "peak_at": None,
        "peak_velocity": None, "baseline": None, "rise_hours": None, "half_life_hours": None, "theta": None,
        "fit_r2": None, "fit_note": "", "version": 1}])


def _sum(values: Sequence[Any]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return sum(known) if known else None


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def expected(posts: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Every ratio of a group from its posts: only posts with the ratio's metric and a spend count."""
    paid = [p for p in posts if p["spend"] is not None]
    out: dict[str, float | None] = {}
    for ratio, metric in METRIC.items():
        both = [p for p in paid if p[metric] is not None]
        spend = _sum([p["spend"] for p in both])
        out[ratio] = _div(spend, _sum([p[metric] for p in both]))
        out[f"{ratio}_spend"] = spend
    out["cpm"] = None if out["cpm"] is None else out["cpm"] * 1000
    if len({p["platform"] for p in posts}) > 1:
        out["cpe"] = out["cpe_spend"] = None
    with_emv = [p for p in paid if p["emv"] is not None]
    out["emv_return_spend"] = _sum([p["spend"] for p in with_emv])
    emv = _sum([p["emv"] for p in with_emv])
    out["emv_return"] = None if emv is None else _div(emv - (out["emv_return_spend"] or 0.0), out["emv_return_spend"])
    known_revenue = [p for p in paid if p["revenue"] is not None or p["orders"] == 0]
    out["roas_spend"] = _sum([p["spend"] for p in known_revenue])
    out["roas"] = _div(_sum([p["revenue"] for p in known_revenue]), out["roas_spend"])
    heated = [p for p in posts if p["heating_incremental"] is not None and p["heating_pulse_spend"] is not None]
    out["heating_efficiency_spend"] = _sum([p["heating_pulse_spend"] for p in heated])
    out["heating_efficiency"] = _div(_sum([p["heating_incremental"] for p in heated]), out["heating_efficiency_spend"])
    return out


def close(got: Any, want: Any) -> bool:
    return (got is None and want is None) or (got is not None and want is not None
                                              and got == pytest.approx(want, rel=1e-9, abs=1e-9))


def seed(store: Store) -> None:
    """The fixture campaign of test_roi.py and the post without a rate."""
    seed_campaign(store)
    add_post_without_a_rate(store)


@pytest.fixture(scope="module")
def seeded(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """``seed`` once for the module, whose tests only read it (readonly: the engine refuses a write)."""
    with shared_store(engine_url, tmp_path_factory.mktemp("ratios"), seed) as reader:
        yield reader


def test_the_post_without_a_rate_leaves_every_ratio_of_its_group(seeded: Store) -> None:
    """The user's case: the douyin group's spend is n/a; its CPM divides douyin:1's spend by douyin:1's views."""
    post = seeded.query_sync("SELECT spend, views, fx_missing, heating_pulse_spend FROM v_roi_post "
                             "WHERE tenant = 'acme' AND post_id = 'douyin:5'").named()[0]
    assert post == {"spend": None, "views": 40_000, "fx_missing": 1, "heating_pulse_spend": None}
    camp = q.campaign(_StoreReader(seeded), "c1", "acme")
    groups, total = q.roi_report(_StoreReader(seeded), camp, "platform")
    douyin = next(g for g in groups if g["value"] == "douyin")
    assert douyin["spend"] is None and douyin["views"] == 140_000  # the group still counts every view
    assert douyin["cpm_spend"] == pytest.approx(P1_SPEND)
    assert douyin["cpm"] == pytest.approx(P1_SPEND / 100_000 * 1000)  # not P1_SPEND / 140,000
    assert douyin["cpe"] == pytest.approx(P1_SPEND / 6_900)
    assert douyin["cost_per_intent_comment"] == pytest.approx(P1_SPEND / 38)
    assert douyin["roas"] == pytest.approx(P1_REVENUE / P1_SPEND)  # douyin:5's 9,000 of revenue is not counted
    assert douyin["heating_efficiency"] == pytest.approx(1_500 / 2_000)  # douyin:5's pulse spend has no rate
    assert total["spend"] is None and total["cpm_spend"] == pytest.approx(P1_SPEND + P2_SPEND + P3_SPEND)
    assert total["cpm"] == pytest.approx((P1_SPEND + P2_SPEND + P3_SPEND) / 120_000 * 1000)
    # The campaign's own 1,000 of agency cost has its rate: the total's ROAS divides it too.
    assert total["roas_spend"] == pytest.approx(P1_SPEND + P2_SPEND + P3_SPEND + 1_000)
    assert total["roas"] == pytest.approx(P1_REVENUE / (P1_SPEND + P2_SPEND + P3_SPEND + 1_000))


@pytest.mark.parametrize("by", q.DIMENSIONS)
def test_every_ratio_of_every_group_covers_the_same_posts(seeded: Store, by: str) -> None:
    reader = _StoreReader(seeded)
    camp = q.campaign(reader, "c1", "acme")
    posts = q.post_rows(reader, camp)
    column = {"platform": "platform", "tier": "creator_tier", "creator": "creator_id",
              "content_form": "content_form", "post": "post_id"}[by]
    built, total = q.roi_groups(reader, camp, by)
    view = {r["value"]: r for r in seeded.query_sync(
        "SELECT * FROM v_roi_by WHERE tenant = 'acme' AND campaign_id = 'c1' AND dimension = {d:String}",
        {"d": by}).named()}
    assert {g["value"] for g in built} == set(view)
    wrong = []
    for group in built:
        want = expected([p for p in posts if str(p[column]) == group["value"]])
        for key, value in want.items():
            for source, row in (("query", group), ("v_roi_by", view[group["value"]])):
                if not close(row.get(key), value):  # a view without the column fails here too
                    wrong.append((source, group["value"], key, row.get(key), value))
    want = expected(posts)
    wrong += [("total", "", key, total.get(key), value) for key, value in want.items()
              if key not in ("roas", "roas_spend") and not close(total.get(key), value)]
    assert not wrong


def test_campaign_and_tenant_views_divide_the_same_posts(seeded: Store) -> None:
    reader = _StoreReader(seeded)
    posts = q.post_rows(reader, q.campaign(reader, "c1", "acme"))
    want = expected(posts)
    row = seeded.query_sync("SELECT * FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c1'").named()[0]
    wrong = [(k, row.get(k), v) for k, v in want.items()
             if k not in ("roas", "roas_spend") and not close(row.get(k), v)]
    assert not wrong
    assert row["roas_spend"] == pytest.approx(want["roas_spend"] + 1_000)  # + the campaign-level agency cost
    assert row["roas"] == pytest.approx(P1_REVENUE / (want["roas_spend"] + 1_000))
    tenant = seeded.query_sync("SELECT cpm, spend FROM v_roi_tenant WHERE tenant = 'acme'").named()[0]
    # acme's posts with views and a spend: c1's three, and c2's douyin:6 (100 USD at acme's 7.1)
    assert tenant["spend"] is None
    assert tenant["cpm"] == pytest.approx((P1_SPEND + P2_SPEND + P3_SPEND + 710) / 130_000 * 1000)
    tiers = seeded.query_sync("SELECT total_spend FROM v_tier_distribution WHERE tenant = 'acme' "
                              "AND campaign_id = 'c1' AND platform = 'douyin'").rows
    assert tiers == [(None,)]  # n/a, not douyin:1's spend alone
    creator = seeded.query_sync("SELECT heating_response FROM v_creator_scorecard WHERE tenant = 'acme' "
                                "AND creator_id = 'cr1'").rows
    assert creator == [(pytest.approx(1_500 / 2_000),)]


def test_roi_json_shows_the_spend_of_the_posts_each_ratio_divides(seeded: Store,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli_on(seeded.settings, monkeypatch)("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json")
    assert result.exit_code == 0, result.output
    douyin = next(g for g in json.loads(result.stdout)["groups"] if g["value"] == "douyin")
    assert douyin["spend"] is None and douyin["cpm_spend"] == pytest.approx(P1_SPEND)
    assert douyin["cpm"] == pytest.approx(douyin["cpm_spend"] / 100_000 * 1000)
