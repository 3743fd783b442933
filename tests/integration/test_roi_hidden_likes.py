"""A post whose likes are hidden has no CPE, and leaves every CPE above it.

Instagram (and YouTube) leave ``like_count`` out when a post hides its likes
(PLATFORMS.md); its engagements are then comments + shares + saves only. Its
CPE (spend ÷ those engagements) read several times its peers', and the
platform's, tier's, campaign's and creator's CPE with it, as if the post had
performed badly. Here two Instagram posts of one creator cost the same, one
with its likes hidden: the hidden one's CPE is n/a, and every CPE over both
is the visible post's; engagement totals still count both posts as observed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from click.testing import Result

from tests.fixtures.store import cli_on, shared_store
from tests.integration.test_roi import T0, cost, post, put, totals
from tracker.report import content
from tracker.report import queries as q
from tracker.store.access import _StoreReader
from tracker.store.store import Store

pytestmark = pytest.mark.integration

SPEND = 1_000.0
VISIBLE = totals("acme", "instagram:1", "h1", 50_000, 2_000, 100, 50, 350, None)  # 2,500 engagements
HIDDEN = totals("acme", "instagram:2", "h1", 50_000, None, 100, 50, 350, None)  # likes hidden: 500 "engagements"
VISIBLE_CPE = SPEND / 2_500


def seed(store: Store) -> None:
    put(store, "tenants", [{"tenant": "acme", "name": "Acme", "reporting_currency": "CNY", "version": 1}])
    put(store, "campaigns", [
        {"tenant": "acme", "campaign_id": "h1", "name": "Hidden likes", "time_zone": "Asia/Shanghai",
         "reporting_currency": "", "starts_at": T0, "ends_at": None, "brand_terms": [], "version": 1}])
    put(store, "creators", [{"tenant": "acme", "creator_id": "cr1", "name": "Lin", "tier": "micro",
                             "followers": 40_000, "tags": [], "notes": "", "version": 1}])
    put(store, "posts", [post("acme", "instagram:1", "h1", "cr1", "micro", "video"),
                         post("acme", "instagram:2", "h1", "cr1", "micro", "video")])
    put(store, "cost_lines", [cost("acme", f"instagram:{i}:fee", "h1", f"instagram:{i}", "fee", "1000", "CNY",
                                   date(2025, 3, 1)) for i in (1, 2)])
    put(store, "post_totals", [VISIBLE, HIDDEN])


@pytest.fixture(scope="module")
def seeded(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """``seed`` once for the module, whose tests only read it (readonly: the engine refuses a write)."""
    with shared_store(engine_url, tmp_path_factory.mktemp("hidden"), seed) as reader:
        yield reader


def one(store: Store, sql: str) -> dict:
    return _StoreReader(store).query(sql).named()[0]


def test_the_post_with_hidden_likes_has_no_cpe(seeded: Store) -> None:
    rows = {r["post_id"]: r for r in _StoreReader(seeded).query(
        "SELECT post_id, spend, engagements, cpe FROM v_roi_post ORDER BY post_id").named()}
    assert rows["instagram:1"]["cpe"] == pytest.approx(VISIBLE_CPE)
    assert rows["instagram:2"]["cpe"] is None  # was 1,000 / 500 = 2.00, five times its peer's 0.40
    assert rows["instagram:2"]["engagements"] == 500  # what was observed stays as it is
    flags = _StoreReader(seeded).query("SELECT likes_hidden FROM v_roi_post ORDER BY post_id").rows
    assert [f for (f,) in flags] == [0, 1]


def test_campaign_platform_tier_and_creator_cpe_are_the_visible_posts(seeded: Store) -> None:
    campaign = one(seeded, "SELECT cpe, cpe_spend, engagements FROM v_roi_campaign")
    assert campaign["cpe"] == pytest.approx(VISIBLE_CPE)  # was 2,000 / 3,000 = 0.67
    assert campaign["cpe_spend"] == pytest.approx(SPEND)
    assert campaign["engagements"] == 3_000
    for dimension in ("platform", "tier", "creator"):
        row = one(seeded, f"SELECT cpe, cpe_spend FROM v_roi_by WHERE dimension = '{dimension}'")
        assert (row["cpe"], row["cpe_spend"]) == (pytest.approx(VISIBLE_CPE), pytest.approx(SPEND)), dimension
    tier = one(seeded, "SELECT cpe_q, engagements_per_1k_q FROM v_tier_distribution")
    assert tier["cpe_q"] == [pytest.approx(VISIBLE_CPE)] * 3  # was p25 0.80, p50 1.20, p75 1.60
    assert tier["engagements_per_1k_q"] == [pytest.approx(2_500)] * 3  # was 1,000, 1,500, 2,000
    creator = one(seeded, "SELECT median_cpe FROM v_creator_scorecard")
    assert creator["median_cpe"] == {"instagram": pytest.approx(VISIBLE_CPE)}  # was 1.20
    for view in ("v_roi_campaign", "v_roi_by WHERE dimension != 'post'", "v_tier_distribution",
                 "v_creator_scorecard"):
        counts = _StoreReader(seeded).query(f"SELECT likes_hidden_posts FROM {view}").rows
        assert {n for (n,) in counts} == {1}, view  # every row holds both posts
    by_post = _StoreReader(seeded).query(
        "SELECT value, likes_hidden_posts FROM v_roi_by WHERE dimension = 'post' ORDER BY value").rows
    assert by_post == [("instagram:1", 0), ("instagram:2", 1)]


def test_roi_report_equals_the_views_and_counts_the_posts_left_out(seeded: Store) -> None:
    reader = _StoreReader(seeded)
    camp = q.campaign(reader, "h1")
    for by in q.DIMENSIONS:
        groups, total = q.roi_report(reader, camp, by)
        assert total["cpe"] == pytest.approx(VISIBLE_CPE)
        assert total["cpe_spend"] == pytest.approx(SPEND)
        assert total["likes_hidden_posts"] == 1
        assert total["engagements"] == 3_000
    groups, _ = q.roi_report(reader, camp, "post")
    assert {g["value"]: g["cpe"] for g in groups} == {"instagram:1": pytest.approx(VISIBLE_CPE), "instagram:2": None}


def test_cli_says_which_posts_cpe_leaves_out(seeded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    cli_on_store: Callable[..., Result] = cli_on(seeded.settings, monkeypatch)
    table = cli_on_store("roi", "--campaign", "h1")
    assert table.exit_code == 0, table.output
    assert "CPE leaves out 1 post whose likes are hidden" in table.output
    assert "0.40" in table.output.splitlines()[3]  # the instagram row
    data = json.loads(cli_on_store("roi", "--campaign", "h1", "--format", "json").output)
    assert data["total"]["cpe"] == pytest.approx(VISIBLE_CPE)
    assert data["total"]["likes_hidden_posts"] == 1
    csv_head = cli_on_store("roi", "--campaign", "h1", "--format", "csv").output.splitlines()[0]
    assert "likes_hidden_posts" in csv_head.split(",")
    bottom = cli_on_store("top", "--campaign", "h1", "--metric", "cpe", "--bottom")
    assert bottom.exit_code == 0, bottom.output
    ranked = [line.split()[0] for line in bottom.output.splitlines()[3:] if line.startswith("instagram:")]
    assert ranked == ["instagram:1"]  # the hidden post was the "worst" at 2.00
    assert "note: 1 post whose likes are hidden has no CPE and is not listed" in bottom.output
    creator = cli_on_store("creators", "show", "cr1")
    assert "instagram: median CPE 0.40 CNY" in creator.output
    assert "CPE leaves out 1 post whose likes are hidden" in creator.output


def test_report_says_whom_cpe_and_its_ranking_leave_out(seeded: Store) -> None:
    reader = _StoreReader(seeded)
    report = content.build(reader, q.campaign(reader, "h1"))
    assert report.ranked_by is not None and report.ranked_by[0] == "cpe_index"
    assert [r["post_id"] for r in report.top + report.bottom] == ["instagram:1"]
    assert "1 post is not ranked (no CPE ÷ platform median CPE): 1 with hidden likes (on instagram)" in (
        report.ranking_note)
    assert "CPE leaves out 1 post whose likes are hidden" in (report.cpe_line() or "")
    assert {p["post_id"]: p["cpe"] for p in report.posts} == {"instagram:1": pytest.approx(VISIBLE_CPE),
                                                              "instagram:2": None}
