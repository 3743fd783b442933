"""ROI views against hand-computed figures on a fixture campaign.

The fixture (``seed_campaign``) has two tenants, campaign currencies CNY and
USD, global and tenant-contracted FX rates used directly and inversely, a
bundle deal split over two posts, executed and planned heating nodes, a
heating pulse, sales attributed by post id and by promo code, EMV unit
values with a tenant override, a zero-spend post, a zero-view post, a post
without any snapshot and platforms without views / searches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import Result

from tests.fixtures.store import shared_store
from tracker.store.store import Store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def put(store: Store, table: str, rows: Sequence[Mapping[str, Any]], token: str | None = None) -> None:
    """Insert dict rows the way the worker or a registry import would."""
    columns = list(rows[0])
    store.insert_sync(table, [tuple(r[c] for c in columns) for r in rows], columns,
                      dedup_token=f"{token}:{table}" if token else None)


def post(tenant: str, post_id: str, campaign: str, creator: str, tier: str, form: str, *,
         bundle: str = "", published: datetime = T0) -> dict[str, Any]:  # fmt: skip
    return {"tenant": tenant, "post_id": post_id, "platform": post_id.split(":")[0], "platform_post_id": post_id[-1],
            "url": f"https://example.test/{post_id}", "campaign_id": campaign, "creator_id": creator,
            "account_id": creator, "creator_tier": tier, "content_form": form, "published_at": published,
            "tracking_end": None, "bundle_id": bundle, "tags": [], "deleted": 0, "version": 1}


def cost(tenant: str, cost_id: str, campaign: str, post_id: str, kind: str, amount: str, currency: str,
         day: date, bundle: str = "") -> dict[str, Any]:  # fmt: skip
    return {"tenant": tenant, "cost_id": cost_id, "campaign_id": campaign, "post_id": post_id, "bundle_id": bundle,
            "kind": kind, "amount": Decimal(amount), "currency": currency, "cost_date": day, "note": "", "version": 1}


def totals(tenant: str, post_id: str, campaign: str, views: int | None, likes: int | None, comments: int | None,
           shares: int | None, saves: int | None, searches: int | None) -> dict[str, Any]:  # fmt: skip
    parts = [v for v in (likes, comments, shares, saves) if v is not None]
    return {"tenant": tenant, "post_id": post_id, "platform": post_id.split(":")[0], "campaign_id": campaign,
            "as_of": datetime(2025, 3, 20, tzinfo=UTC), "status": "live", "views": views, "likes": likes,
            "comments": comments, "shares": shares, "saves": saves, "searches": searches,
            "engagements": sum(parts) if parts else None, "version": 7}


def seed_campaign(store: Store, token: str | None = None) -> None:
    """The fixture campaign (see the module docstring); figures in EXPECTED_POSTS.

    ``token`` tags every insert so a second call really writes the rows again
    (as a replay does) instead of being dropped as a duplicate block.
    """

    def add(table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        put(store, table, rows, token)

    add("tenants", [
        {"tenant": "acme", "name": "Acme Beauty", "reporting_currency": "CNY", "version": 1},
        {"tenant": "globex", "name": "Globex", "reporting_currency": "USD", "version": 1},
    ])
    add("campaigns", [
        {"tenant": "acme", "campaign_id": "c1", "name": "Spring launch", "time_zone": "Asia/Shanghai",
         "reporting_currency": "", "starts_at": T0, "ends_at": None, "brand_terms": ["Acme"], "version": 1},
        {"tenant": "acme", "campaign_id": "c2", "name": "US seeding", "time_zone": "America/New_York",
         "reporting_currency": "USD", "starts_at": T0, "ends_at": None, "brand_terms": [], "version": 1},
        {"tenant": "globex", "campaign_id": "c1", "name": "Globex c1", "time_zone": "Asia/Shanghai",
         "reporting_currency": "", "starts_at": T0, "ends_at": None, "brand_terms": [], "version": 1},
    ])
    add("creators", [
        {"tenant": "acme", "creator_id": "cr1", "name": "Lin", "tier": "mid", "followers": 350_000,
         "tags": ["beauty", "tone:warm"], "notes": "", "version": 1},
        {"tenant": "acme", "creator_id": "cr2", "name": "Anna", "tier": "micro", "followers": 48_000,
         "tags": ["fashion"], "notes": "", "version": 1},
    ])
    add("fx_rates", [
        {"tenant": "", "base": "USD", "quote": "CNY", "rate_date": date(2025, 2, 1), "rate": Decimal("7.0"),
         "source": "test", "version": 1},
        {"tenant": "", "base": "USD", "quote": "CNY", "rate_date": date(2025, 3, 1), "rate": Decimal("7.2"),
         "source": "test", "version": 1},
        {"tenant": "acme", "base": "USD", "quote": "CNY", "rate_date": date(2025, 3, 1), "rate": Decimal("7.1"),
         "source": "contract", "version": 1},
        {"tenant": "", "base": "CNY", "quote": "EUR", "rate_date": date(2025, 1, 1), "rate": Decimal("0.125"),
         "source": "test", "version": 1},
    ])
    add("posts", [
        post("acme", "douyin:1", "c1", "cr1", "mid", "video"),
        post("acme", "instagram:2", "c1", "cr2", "micro", "video", bundle="B1"),
        post("acme", "instagram:3", "c1", "cr2", "micro", "image_text", bundle="B1"),
        post("acme", "weibo:4", "c1", "cr3", "nano", "image_text"),
        post("acme", "douyin:5", "c1", "cr1", "mid", "video"),
        post("acme", "douyin:6", "c2", "cr1", "mid", "video"),
        post("globex", "douyin:1", "c1", "gx1", "macro", "video"),
    ])
    add("cost_lines", [
        cost("acme", "douyin:1:fee", "c1", "douyin:1", "fee", "10000", "CNY", date(2025, 3, 1)),
        cost("acme", "douyin:1:service_fee", "c1", "douyin:1", "service_fee", "500", "CNY", date(2025, 3, 1)),
        cost("acme", "x1", "c1", "douyin:1", "extra", "300", "USD", date(2025, 3, 5)),
        cost("acme", "instagram:2:fee", "c1", "instagram:2", "fee", "0", "EUR", date(2025, 3, 1), bundle="B1"),
        cost("acme", "x2", "c1", "instagram:2", "extra", "100", "EUR", date(2025, 3, 3)),
        cost("acme", "h-invoice", "c1", "instagram:2", "heating", "200", "CNY", date(2025, 3, 4)),
        cost("acme", "douyin:5:fee", "c1", "douyin:5", "fee", "8000", "CNY", date(2025, 3, 1)),
        cost("acme", "douyin:6:fee", "c2", "douyin:6", "fee", "100", "USD", date(2025, 3, 1)),
        cost("acme", "agency", "c1", "", "extra", "1000", "CNY", date(2025, 3, 10)),
        cost("globex", "douyin:1:fee", "c1", "douyin:1", "fee", "1000", "CNY", date(2025, 3, 1)),
    ])
    add("bundles", [
        {"tenant": "acme", "bundle_id": "B1", "campaign_id": "c1", "amount": Decimal("1000"), "currency": "USD",
         "cost_date": date(2025, 2, 15), "split": "equal", "version": 1},
    ])
    heat = {"tenant": "acme", "post_id": "douyin:1", "campaign_id": "c1", "channel": "dou_plus", "end_at": None,
            "spend_currency": "CNY", "version": 1}
    add("heating_nodes", [
        {**heat, "heating_id": "h1", "start_at": datetime(2025, 3, 2, 12, tzinfo=UTC),
         "spend_amount": Decimal("2000"), "status": "executed"},
        {**heat, "heating_id": "h2", "start_at": datetime(2025, 3, 9, 12, tzinfo=UTC),
         "spend_amount": Decimal("999"), "status": "planned"},
    ])
    add("post_totals", [
        totals("acme", "douyin:1", "c1", 100_000, 5_000, 400, 300, 1_200, 250),
        totals("acme", "instagram:2", "c1", 20_000, 1_000, 50, 20, 100, None),
        totals("acme", "instagram:3", "c1", 0, 0, 0, 0, 0, None),
        totals("acme", "weibo:4", "c1", None, 300, 20, 10, None, None),
        totals("acme", "douyin:6", "c2", 10_000, 500, 10, 5, 50, 5),
        totals("globex", "douyin:1", "c1", 1_000, 10, 1, 1, 1, None),
    ])
    add("emv_unit_values", [
        {"tenant": "", "platform": "", "metric": m, "valid_from": date(2024, 1, 1), "unit_value": Decimal(v),
         "currency": "CNY", "version": 1}
        for m, v in [("views", "0.02"), ("likes", "0.1"), ("comments", "0.5"), ("shares", "0.8"),
                     ("saves", "0.6"), ("searches", "1.0")]
    ] + [{"tenant": "acme", "platform": "douyin", "metric": "views", "valid_from": date(2025, 1, 1),
          "unit_value": Decimal("0.03"), "currency": "CNY", "version": 1}])
    add("sales", [
        {"tenant": "acme", "order_id": "o1", "attribution_key": "douyin:1", "key_kind": "post",
         "revenue": Decimal("5000"), "currency": "CNY", "ordered_at": datetime(2025, 3, 8, tzinfo=UTC), "version": 1},
        {"tenant": "acme", "order_id": "o2", "attribution_key": "ACME10", "key_kind": "promo",
         "revenue": Decimal("100"), "currency": "USD", "ordered_at": datetime(2025, 3, 10, tzinfo=UTC), "version": 1},
        {"tenant": "acme", "order_id": "o3", "attribution_key": "UNKNOWN", "key_kind": "promo",
         "revenue": Decimal("50"), "currency": "CNY", "ordered_at": datetime(2025, 3, 10, tzinfo=UTC), "version": 1},
    ])
    add("attribution_keys", [
        {"tenant": "acme", "key_kind": "promo", "attribution_key": "ACME10", "post_id": "douyin:1",
         "campaign_id": "c1", "version": 1},
    ])
    comment = {"tenant": "acme", "post_id": "douyin:1", "text": "", "likes": None, "author_hash": "",
               "negative": 0, "intent_terms": [], "negative_terms": [], "version": 1}
    add("comments", [
        {**comment, "comment_id": f"k{i}", "created_at": datetime(2025, 3, 1 + i % 10, 10, tzinfo=UTC),
         "intent": 1 if i < 38 else 0}
        for i in range(380)
    ])
    add("long_tail", [{
        "tenant": "acme", "post_id": "douyin:1", "as_of": datetime(2025, 3, 20, tzinfo=UTC), "tail_share": 0.25,
        "organic_tail_share": 0.1, "paid_tail_share": 0.15, "projected_30d": None, "projected_30d_low": None,
        "projected_30d_high": None, "projected_90d": None, "projected_90d_low": None, "projected_90d_high": None,
        "loglinear_30d": None, "loglinear_90d": None, "version": 1,
    }])
    pulse = {"tenant": "acme", "post_id": "douyin:1", "peak_at": None, "peak_velocity": None, "baseline": None,
             "rise_hours": None, "half_life_hours": None, "theta": None, "fit_r2": None, "fit_note": "",
             "version": 1}
    add("pulses", [
        {**pulse, "pulse_index": 0, "onset": T0, "ends_at": datetime(2025, 3, 2, 12, tzinfo=UTC),
         "trigger": "organic", "heating_ids": [], "incremental_engagements": 3000.0, "spend_amount": None,
         "spend_currency": "", "status": "settled"},
        {**pulse, "pulse_index": 1, "onset": datetime(2025, 3, 2, 12, tzinfo=UTC), "ends_at": None,
         "trigger": "heating", "heating_ids": ["h1"], "incremental_engagements": 1500.0,
         "spend_amount": Decimal("2000"), "spend_currency": "CNY", "status": "decaying"},
    ])


# ---- hand-computed figures (CNY unless noted) -----------------------------------------
# douyin:1  fee 10,000 + service 500 + extra 300 USD × 7.1 (acme's own rate from 03-01) + heating node h1 2,000
#           (h2 is only planned) = 14,630; EMV = 100,000×0.03 (acme's douyin views rate) + 5,000×0.1 + 400×0.5
#           + 300×0.8 + 1,200×0.6 + 250×1.0 = 4,910; revenue 5,000 + 100 USD × 7.1 = 5,710
# instagram:2  fee 0 EUR + bundle 1,000 USD × 7.0 (global rate of 02-01; acme's starts 03-01) ÷ 2 = 3,500
#           + extra 100 EUR × 8 (inverse of CNY→EUR 0.125) + heating invoiced without a node 200 = 4,500
# instagram:3  bundle share 3,500; zero views
# weibo:4   no cost at all (zero spend); no views, no saves
# douyin:5  fee 8,000; no snapshot yet (every metric n/a)
# campaign-level: agency 1,000 → campaign c1 spend 14,630 + 4,500 + 3,500 + 0 + 8,000 + 1,000 = 31,630
P1_SPEND = 10_000 + 500 + 300 * 7.1 + 2_000
P2_SPEND = 0 + 1_000 * 7.0 / 2 + 100 * 8.0 + 200
P3_SPEND = 1_000 * 7.0 / 2
P1_EMV = 100_000 * 0.03 + 5_000 * 0.1 + 400 * 0.5 + 300 * 0.8 + 1_200 * 0.6 + 250 * 1.0
P2_EMV = 20_000 * 0.02 + 1_000 * 0.1 + 50 * 0.5 + 20 * 0.8 + 100 * 0.6
P1_REVENUE = 5_000 + 100 * 7.1
P4_EMV = 300 * 0.1 + 20 * 0.5 + 10 * 0.8

EXPECTED_POSTS: dict[str, dict[str, float | None]] = {
    "douyin:1": {
        "fee": 10_000, "service_fee": 500, "bundle_share": 0, "extra": 2_130, "heating": 2_000, "spend": P1_SPEND,
        "cpm": P1_SPEND / 100_000 * 1000, "cpe": P1_SPEND / 6_900, "cost_per_save": P1_SPEND / 1_200,
        "cost_per_search": P1_SPEND / 250, "intent_comments": 38, "cost_per_intent_comment": P1_SPEND / 38,
        "emv": P1_EMV, "emv_return": (P1_EMV - P1_SPEND) / P1_SPEND, "revenue": P1_REVENUE,
        "roas": P1_REVENUE / P1_SPEND, "tail_contribution": 0.25, "heating_efficiency": 1_500 / 2_000,
        "fx_missing": 0,
    },
    "instagram:2": {
        "fee": 0, "service_fee": 0, "bundle_share": 3_500, "extra": 800, "heating": 200, "spend": P2_SPEND,
        "cpm": P2_SPEND / 20_000 * 1000, "cpe": P2_SPEND / 1_170, "cost_per_save": P2_SPEND / 100,
        "cost_per_search": None, "intent_comments": None, "cost_per_intent_comment": None, "emv": P2_EMV,
        "emv_return": (P2_EMV - P2_SPEND) / P2_SPEND, "revenue": None, "roas": None, "tail_contribution": None,
        "heating_efficiency": None,
    },
    "instagram:3": {
        "spend": P3_SPEND, "bundle_share": 3_500, "cpm": None, "cpe": None, "cost_per_save": None, "emv": 0.0,
        "emv_return": -1.0,
    },
    "weibo:4": {
        "spend": 0, "cpm": None, "cpe": 0.0, "cost_per_save": None, "emv_return": None, "roas": None,
        "emv": P4_EMV,
    },
    "douyin:5": {
        "spend": 8_000, "views": None, "cpm": None, "cpe": None, "cost_per_save": None, "emv": None,
        "emv_return": None, "roas": None,
    },
}


def approx_equal(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


def check(row: Mapping[str, Any], expected: Mapping[str, Any], label: str) -> None:
    wrong = {k: (row[k], v) for k, v in expected.items() if not approx_equal(row[k], v)}
    assert not wrong, f"{label}: (got, expected) {wrong}"


@pytest.fixture
def seeded(store: Store) -> Store:
    """The fixture campaign in this test's own store (for a test that writes)."""
    seed_campaign(store)
    return store


@pytest.fixture(scope="module")
def seeded_reader(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The fixture campaign seeded once for the module's tests that only read it: readonly, the engine
    refuses a write (seeding and emptying a store for each of them cost about 0.5 s of CPU a test)."""
    with shared_store(engine_url, tmp_path_factory.mktemp("roi"), seed_campaign) as reader:
        yield reader


def test_every_post_formula_equals_the_hand_computed_value(seeded_reader: Store) -> None:
    rows = {r["post_id"]: r for r in seeded_reader.query_sync(
        "SELECT * FROM v_roi_post WHERE tenant = 'acme' AND campaign_id = 'c1'").named()}
    assert set(rows) == set(EXPECTED_POSTS)
    for post_id, expected in EXPECTED_POSTS.items():
        check(rows[post_id], expected, post_id)
        assert rows[post_id]["currency"] == "CNY"


def test_campaign_totals_include_campaign_level_costs(seeded_reader: Store) -> None:
    row = seeded_reader.query_sync("SELECT * FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c1'").named()[0]
    spend = P1_SPEND + P2_SPEND + P3_SPEND + 0 + 8_000 + 1_000
    with_views = P1_SPEND + P2_SPEND + P3_SPEND  # weibo:4 and douyin:5 report no views
    check(row, {
        "posts": 5, "spend": spend, "campaign_level_spend": 1_000, "views": 120_000,
        "cpm": with_views / 120_000 * 1000,
        "cpe": None,  # four platforms: engagements are not comparable across them
        "cost_per_save": (P1_SPEND + P2_SPEND + P3_SPEND) / 1_300,
        "cost_per_search": P1_SPEND / 250,
        "revenue": P1_REVENUE,  # o3's promo code maps to nothing: unattributed
        "roas": P1_REVENUE / spend,
        "emv_return": (P1_EMV + P2_EMV + 0.0 + P4_EMV - (P1_SPEND + P2_SPEND + P3_SPEND))
        / (P1_SPEND + P2_SPEND + P3_SPEND),
        "tail_contribution": 0.25, "heating_efficiency": 0.75, "fx_missing": 0,
    }, "campaign c1")
    assert row["currency"] == "CNY"


def test_second_campaign_reports_in_its_own_currency(seeded_reader: Store) -> None:
    row = seeded_reader.query_sync("SELECT * FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c2'").named()[0]
    check(row, {"spend": 100.0, "cpm": 100 / 10_000 * 1000, "cpe": 100 / 565}, "campaign c2")
    assert row["currency"] == "USD"


def test_by_platform_and_tier(seeded_reader: Store) -> None:
    rows = {(r["dimension"], r["value"]): r for r in seeded_reader.query_sync(
        "SELECT * FROM v_roi_by WHERE tenant = 'acme' AND campaign_id = 'c1'").named()}
    check(rows[("platform", "instagram")], {
        "posts": 2, "spend": P2_SPEND + P3_SPEND, "views": 20_000, "engagements": 1_170,
        "cpm": (P2_SPEND + P3_SPEND) / 20_000 * 1000, "cpe": (P2_SPEND + P3_SPEND) / 1_170,
        "cost_per_search": None, "searches": None, "bundle_share": 7_000,
    }, "instagram")
    check(rows[("platform", "douyin")], {
        "posts": 2, "spend": P1_SPEND + 8_000, "cpm": P1_SPEND / 100_000 * 1000, "cpe": P1_SPEND / 6_900,
    }, "douyin")
    check(rows[("tier", "micro")], {"spend": P2_SPEND + P3_SPEND}, "micro")
    check(rows[("content_form", "image_text")], {"spend": P3_SPEND, "cpe": None, "platforms": 2}, "image_text")
    check(rows[("creator", "cr1")], {"spend": P1_SPEND + 8_000, "posts": 2}, "cr1")
    check(rows[("post", "weibo:4")], {"spend": 0, "roas": None, "cpm": None}, "weibo:4")


def test_tenant_rollup_in_the_tenant_currency(seeded_reader: Store) -> None:
    rows = {r["tenant"]: r for r in seeded_reader.query_sync("SELECT * FROM v_roi_tenant").named()}
    acme_spend = P1_SPEND + P2_SPEND + P3_SPEND + 8_000 + 100 * 7.1 + 1_000  # c2's 100 USD at acme's rate
    check(rows["acme"], {"spend": acme_spend, "campaigns": 2, "posts": 6}, "acme")
    assert rows["acme"]["currency"] == "CNY"
    # globex reports in USD: 1,000 CNY at the inverse of the global 7.2 of 03-01
    check(rows["globex"], {"spend": 1_000 / 7.2, "posts": 1}, "globex")
    assert rows["globex"]["currency"] == "USD"


def test_heating_efficiency_per_pulse(seeded_reader: Store) -> None:
    rows = seeded_reader.query_sync(
        "SELECT post_id, pulse_index, heating_ids, spend, efficiency FROM v_heating_efficiency").named()
    assert rows == [{"post_id": "douyin:1", "pulse_index": 1, "heating_ids": ["h1"], "spend": 2_000.0,
                     "efficiency": 0.75}]


def test_tier_distribution_quartiles(seeded: Store) -> None:
    seeded.insert_sync("post_totals", [("acme", "douyin:5", "douyin", "c1", T0, "live", 40_000, 1, 1, 1, 1, 1, 4, 9)],
                       ["tenant", "post_id", "platform", "campaign_id", "as_of", "status", "views", "likes",
                        "comments", "shares", "saves", "searches", "engagements", "version"])
    row = seeded.query_sync("SELECT * FROM v_tier_distribution WHERE tenant = 'acme' AND campaign_id = 'c1' "
                            "AND platform = 'douyin' AND creator_tier = 'mid'").named()[0]
    cpms = sorted([P1_SPEND / 100_000 * 1000, 8_000 / 40_000 * 1000])
    expected = [cpms[0] + (cpms[1] - cpms[0]) * p for p in (0.25, 0.5, 0.75)]
    assert row["cpm_q"] == pytest.approx(expected)
    views_per_1k = sorted([100_000 * 1000 / P1_SPEND, 40_000 * 1000 / 8_000])
    assert row["views_per_1k_q"][1] == pytest.approx(sum(views_per_1k) / 2)
    micro = seeded.query_sync("SELECT searches_per_1k_q, cpm_q FROM v_tier_distribution WHERE tenant = 'acme' "
                              "AND platform = 'instagram' AND creator_tier = 'micro'").named()[0]
    assert micro["searches_per_1k_q"] == [None, None, None]  # Instagram reports no searches: n/a, not NaN or 0
    assert micro["cpm_q"] == [pytest.approx(P2_SPEND / 20)] * 3  # instagram:3 has zero views: no CPM


def test_creator_scorecard_across_campaigns(seeded_reader: Store) -> None:
    row = seeded_reader.query_sync("SELECT * FROM v_creator_scorecard WHERE tenant = 'acme' AND creator_id = 'cr1'").named()[0]
    p6_spend = 100 * 7.1  # c2 reports in USD; the scorecard in acme's CNY
    check(row, {
        "posts": 3, "campaigns": 2, "spend": P1_SPEND + 8_000 + p6_spend,
        "save_rate": (1_200 + 50) / 110_000, "search_rate": (250 + 5) / 110_000, "intent_rate": 38 / 380,
        "tail_share": 0.25, "heating_response": 0.75,
    }, "cr1")
    assert row["median_cpe"]["douyin"] == pytest.approx((P1_SPEND / 6_900 + p6_spend / 565) / 2)
    assert row["median_cpm"]["douyin"] == pytest.approx((P1_SPEND / 100 + p6_spend / 10) / 2)
    assert row["tags"] == ["beauty", "tone:warm"] and row["name"] == "Lin"
    weibo = seeded_reader.query_sync("SELECT median_cpm, median_cpe FROM v_creator_scorecard WHERE creator_id = 'cr3'").named()
    assert weibo == [{"median_cpm": {"weibo": None}, "median_cpe": {"weibo": 0.0}}]  # no views on Weibo: n/a, not NaN


def test_missing_fx_rate_makes_spend_na_not_short(seeded: Store) -> None:
    put(seeded, "cost_lines", [cost("acme", "x9", "c1", "douyin:5", "extra", "10", "JPY", date(2025, 3, 1))])
    row = seeded.query_sync("SELECT spend, fx_missing, cpm FROM v_roi_post "
                            "WHERE tenant = 'acme' AND post_id = 'douyin:5'").named()[0]
    assert row == {"spend": None, "fx_missing": 1, "cpm": None}
    campaign = seeded.query_sync("SELECT spend, fx_missing FROM v_roi_campaign "
                                 "WHERE tenant = 'acme' AND campaign_id = 'c1'").named()[0]
    assert campaign == {"spend": None, "fx_missing": 1}


def test_replaying_every_row_changes_no_figure(seeded: Store) -> None:
    views = ["v_roi_post", "v_roi_campaign", "v_roi_by", "v_roi_tenant", "v_tier_distribution",
             "v_creator_scorecard", "v_heating_efficiency"]

    def snapshot() -> dict[str, list[tuple[Any, ...]]]:
        return {v: sorted(map(repr, seeded.query_sync(f"SELECT * FROM {v}").rows)) for v in views}

    before = snapshot()
    seed_campaign(seeded, token="replay")  # the same rows again: registry re-imports, stream re-emissions
    assert snapshot() == before
    seeded.command_sync("OPTIMIZE TABLE post_totals FINAL")
    assert snapshot() == before


def test_bundle_split_by_views_and_a_bundle_without_posts(seeded: Store) -> None:
    put(seeded, "bundles", [
        {"tenant": "acme", "bundle_id": "B1", "campaign_id": "c1", "amount": Decimal("1000"), "currency": "USD",
         "cost_date": date(2025, 2, 15), "split": "by_views", "version": 2},
        {"tenant": "acme", "bundle_id": "B2", "campaign_id": "c1", "amount": Decimal("500"), "currency": "CNY",
         "cost_date": date(2025, 3, 2), "split": "equal", "version": 1},
    ])
    shares = dict(seeded.query_sync("SELECT post_id, bundle_share FROM v_roi_post WHERE bundle_id = 'B1'").rows)
    assert shares == {"instagram:2": pytest.approx(7_000.0), "instagram:3": 0.0}  # 20,000 views vs 0
    row = seeded.query_sync("SELECT spend, campaign_level_spend FROM v_roi_campaign "
                            "WHERE tenant = 'acme' AND campaign_id = 'c1'").named()[0]
    assert row["campaign_level_spend"] == pytest.approx(1_000 + 500)  # B2 has no registered post
    assert row["spend"] == pytest.approx(P1_SPEND + P2_SPEND + P3_SPEND + 8_000 + 1_000 + 500)


MONEY_COLUMNS = ("fee", "service_fee", "bundle_share", "extra", "heating", "spend_tenant", "fx_missing", "orders",
                 "revenue", "revenue_tenant", "emv", "emv_tenant", "pulse_spend", "pulse_spend_tenant")


def test_post_money_of_v_roi_post_equals_v_post_money(seeded: Store) -> None:
    """v_roi_post (0005) converts and sums each post's lines itself; v_post_money sums v_money. Both must
    give every post the same money, missing FX rates and posts without any line included."""
    put(seeded, "cost_lines", [cost("acme", "x9", "c1", "douyin:5", "extra", "10", "JPY", date(2025, 3, 1))])
    put(seeded, "bundles", [
        {"tenant": "acme", "bundle_id": "B1", "campaign_id": "c1", "amount": Decimal("1000"), "currency": "USD",
         "cost_date": date(2025, 2, 15), "split": "by_views", "version": 2}])
    columns = ", ".join(f"{c} AS {c}" for c in MONEY_COLUMNS if c not in ("orders", "pulse_spend",
                                                                          "pulse_spend_tenant"))
    from_roi = seeded.query_sync(
        f"SELECT tenant, post_id, {columns}, orders, heating_pulse_spend AS pulse_spend, "
        "heating_pulse_spend_tenant AS pulse_spend_tenant FROM v_roi_post ORDER BY tenant, post_id").named()
    from_money = seeded.query_sync(
        "SELECT c.tenant AS tenant, c.post_id AS post_id, "
        + ", ".join(f"if(ifNull(m.fx_missing, 0) > 0, m.{c}, ifNull(m.{c}, 0)) AS {c}"
                    for c in ("fee", "service_fee", "bundle_share", "extra", "heating", "spend_tenant"))
        + ", ifNull(m.fx_missing, 0) AS fx_missing, m.revenue AS revenue, m.revenue_tenant AS revenue_tenant, "
        "m.emv AS emv, m.emv_tenant AS emv_tenant, ifNull(m.orders, 0) AS orders, m.pulse_spend AS pulse_spend, "
        "m.pulse_spend_tenant AS pulse_spend_tenant "
        "FROM v_post_context AS c LEFT JOIN v_post_money AS m ON m.tenant = c.tenant AND m.post_id = c.post_id "
        "ORDER BY tenant, post_id").named()
    assert [(r["tenant"], r["post_id"]) for r in from_roi] == [(r["tenant"], r["post_id"]) for r in from_money]
    assert len(from_roi) == 7
    for roi, money in zip(from_roi, from_money, strict=True):
        check(roi, {c: money[c] for c in MONEY_COLUMNS}, f"{roi['tenant']}/{roi['post_id']}")
    assert {r["post_id"]: r["extra"] for r in from_roi if r["fx_missing"]} == {"douyin:5": None}  # the JPY line


def test_comments_of_v_roi_post_equal_comment_hours(seeded_reader: Store) -> None:
    """v_roi_post (0005) counts comments from comments FINAL; comment_hours is the documented hourly view."""
    hourly = dict(((r[0], r[1]), (r[2], r[3])) for r in seeded_reader.query_sync(
        "SELECT tenant, post_id, sum(comments), sum(intent_comments) FROM comment_hours "
        "GROUP BY tenant, post_id").rows)
    posts = seeded_reader.query_sync("SELECT tenant, post_id, comments_analysed, intent_comments FROM v_roi_post").rows
    assert hourly and any(key in hourly for key in ((r[0], r[1]) for r in posts))
    for tenant, post_id, analysed, intent in posts:
        assert (analysed, intent) == hourly.get((tenant, post_id), (None, None)), (tenant, post_id)


def test_campaign_money_equals_the_campaign_level_rows_of_v_money(seeded: Store) -> None:
    """v_campaign_money (0005) converts only the lines that belong to no post; v_money converts every line."""
    put(seeded, "bundles", [
        {"tenant": "acme", "bundle_id": "B2", "campaign_id": "c1", "amount": Decimal("500"), "currency": "USD",
         "cost_date": date(2025, 3, 2), "split": "equal", "version": 1}])
    columns = "tenant, campaign_id, post_id, bundle_id, component, line_id, amount, currency, money_date, scope, " \
              "target, rate, converted"
    level = seeded.query_sync(f"SELECT {columns} FROM v_campaign_money ORDER BY ALL").rows
    from_money = seeded.query_sync(
        f"SELECT {columns} FROM v_money WHERE post_id = '' "
        "AND component IN ('fee', 'service_fee', 'bundle', 'extra', 'heating', 'revenue') ORDER BY ALL").rows
    assert level == from_money
    assert {(r[4], r[5]) for r in level} >= {("bundle", "B2"), ("extra", "agency")}, level


def test_a_window_keeps_each_posts_costs_whatever_their_date_as_its_help_says(
        campaign_cli: Callable[..., Result], store: Store) -> None:
    """--until selects posts by publish date and takes each with all its costs; only costs of no
    post are cut at the window (the help said "and costs dated before it" of every cost)."""
    def spend(*window: str) -> dict[str, float]:
        out = json.loads(campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "post",
                                      "--format", "json", *window).stdout)
        return {"douyin:1": next(g["spend"] for g in out["groups"] if g["value"] == "douyin:1"),
                "total": out["total"]["spend"]}

    until = ("--until", "2025-03-10")
    windowed, full = spend(*until), spend()
    put(store, "cost_lines", [cost("acme", "x-late-post", "c1", "douyin:1", "extra", "700", "CNY", date(2025, 4, 1))])
    assert spend(*until)["douyin:1"] == pytest.approx(windowed["douyin:1"] + 700)  # the post's own: kept
    put(store, "cost_lines", [cost("acme", "x-late-camp", "c1", "", "extra", "900", "CNY", date(2025, 4, 1))])
    assert spend(*until)["total"] == pytest.approx(windowed["total"] + 700)  # of no post, after --until: cut
    assert spend()["total"] == pytest.approx(full["total"] + 700 + 900)
    text = " ".join(campaign_cli("roi", "--help").output.split())
    assert "each with all its costs and outcomes whatever their dates" in text
    assert "costs of no post count when dated before it" in text
