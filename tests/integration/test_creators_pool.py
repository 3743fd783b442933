"""The creator pool as an account manager choosing creators reads it (``tracker creators rank|show|tag``,
v_creator_scorecard), against a hand computation on a small pool.

Tenant acme reports in CNY; campaigns c1 (CNY, March), c2 (USD, May) and c3 (CNY, June); USD→CNY is
7.0 from February and 7.4 from May. Creators:

- cr-a on Douyin and Xiaohongshu, one post in each campaign, one of them heated, its Xiaohongshu post
  still inside its burst window (no tail share yet);
- cr-b with a single post: the best save rate (9 %) and intent rate (2 comments of 2) of the pool;
- cr-c on Instagram, one post with its likes hidden (null);
- cr-d with one post deleted from the registry and one the platform took down.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.integration.test_roi import cost, post, put, totals
from tracker.store.store import Store

pytestmark = pytest.mark.integration

C1 = datetime(2025, 3, 1, 8, tzinfo=UTC)
C2 = datetime(2025, 5, 10, 8, tzinfo=UTC)
C3 = datetime(2025, 6, 1, 8, tzinfo=UTC)


def long_tail(post_id: str, share: float | None) -> dict[str, Any]:
    return {"tenant": "acme", "post_id": post_id, "as_of": datetime(2025, 6, 3, tzinfo=UTC), "tail_share": share,
            "organic_tail_share": None, "paid_tail_share": None, "projected_30d": None, "projected_30d_low": None,
            "projected_30d_high": None, "projected_90d": None, "projected_90d_low": None,
            "projected_90d_high": None, "loglinear_30d": None, "loglinear_90d": None, "version": 1}


def creator(creator_id: str, name: str, tier: str, followers: int, tags: list[str]) -> dict[str, Any]:
    return {"tenant": "acme", "creator_id": creator_id, "name": name, "tier": tier, "followers": followers,
            "tags": tags, "notes": "", "version": 1}


def seed_pool(store: Store) -> None:
    """The pool of the module docstring, as the registry import and the worker store it."""
    put(store, "tenants", [{"tenant": "acme", "name": "Acme", "reporting_currency": "CNY", "version": 1}])
    put(store, "campaigns", [
        {"tenant": "acme", "campaign_id": cid, "name": name, "time_zone": "Asia/Shanghai", "reporting_currency": cur,
         "starts_at": start, "ends_at": None, "brand_terms": [], "version": 1}
        for cid, name, cur, start in [("c1", "Spring", "CNY", C1), ("c2", "US", "USD", C2), ("c3", "Summer", "", C3)]])
    put(store, "creators", [creator("cr-a", "Lin", "mid", 300_000, ["beauty"]),
                            creator("cr-b", "Solo", "micro", 30_000, ["beauty"]),
                            creator("cr-c", "Hidden", "mid", 200_000, []),
                            creator("cr-d", "Gone", "nano", 5_000, [])])
    put(store, "fx_rates", [
        {"tenant": "", "base": "USD", "quote": "CNY", "rate_date": day, "rate": Decimal(rate), "source": "test",
         "version": 1} for day, rate in [(date(2025, 2, 1), "7.0"), (date(2025, 5, 1), "7.4")]])
    put(store, "posts", [
        post("acme", "douyin:11", "c1", "cr-a", "mid", "video", published=C1),
        post("acme", "douyin:12", "c2", "cr-a", "mid", "video", published=C2),
        post("acme", "xiaohongshu:13", "c3", "cr-a", "macro", "image_text", published=C3),
        post("acme", "douyin:21", "c1", "cr-b", "micro", "video", published=C1),
        post("acme", "instagram:31", "c2", "cr-c", "mid", "video", published=C2),
        post("acme", "instagram:32", "c3", "cr-c", "mid", "video", published=C3),
        {**post("acme", "douyin:41", "c1", "cr-d", "nano", "video", published=C1), "deleted": 1},
        post("acme", "douyin:42", "c3", "cr-d", "nano", "video", published=C3),
    ])
    put(store, "cost_lines", [
        cost("acme", f"{pid}:fee", campaign, pid, "fee", amount, currency, day)
        for pid, campaign, amount, currency, day in [
            ("douyin:11", "c1", "10000", "CNY", date(2025, 3, 1)), ("douyin:12", "c2", "1000", "USD", date(2025, 5, 10)),
            ("xiaohongshu:13", "c3", "5000", "CNY", date(2025, 6, 1)),
            ("douyin:21", "c1", "2000", "CNY", date(2025, 3, 1)),
            ("instagram:31", "c2", "500", "USD", date(2025, 5, 10)),
            ("instagram:32", "c3", "3000", "CNY", date(2025, 6, 1)),
            ("douyin:41", "c1", "5000", "CNY", date(2025, 3, 1)), ("douyin:42", "c3", "4000", "CNY", date(2025, 6, 1))]])
    put(store, "heating_nodes", [
        {"tenant": "acme", "post_id": "douyin:11", "campaign_id": "c1", "heating_id": "h1", "channel": "dou_plus",
         "start_at": datetime(2025, 3, 3, tzinfo=UTC), "end_at": None, "spend_amount": Decimal("2000"),
         "spend_currency": "CNY", "status": "executed", "version": 1}])
    put(store, "post_totals", [
        totals("acme", "douyin:11", "c1", 200_000, 8_000, 500, 300, 1_200, None),
        totals("acme", "douyin:12", "c2", 100_000, 3_000, 200, 100, 700, None),
        totals("acme", "xiaohongshu:13", "c3", 40_000, 2_000, 150, 50, 800, None),
        totals("acme", "douyin:21", "c1", 10_000, 1_000, 100, 50, 900, None),
        totals("acme", "instagram:31", "c2", 50_000, None, 300, 100, 400, None),
        totals("acme", "instagram:32", "c3", 60_000, 4_000, 200, 100, 500, None),
        totals("acme", "douyin:41", "c1", 30_000, 3_000, 100, 100, 300, None),
        {**totals("acme", "douyin:42", "c3", 20_000, 1_000, 50, 50, 100, None), "status": "deleted"},
    ])
    put(store, "long_tail", [long_tail("douyin:11", 0.3), long_tail("douyin:12", 0.2), long_tail("xiaohongshu:13", None),
                             long_tail("douyin:21", 0.5), long_tail("instagram:31", 0.1),
                             long_tail("instagram:32", 0.2)])
    comment = {"tenant": "acme", "text": "", "likes": None, "author_hash": "", "negative": 0, "intent_terms": [],
               "negative_terms": [], "created_at": C1, "parent_id": "", "version": 1}
    put(store, "comments", [
        {**comment, "post_id": pid, "comment_id": f"{pid}-{i}", "intent": int(i < intent)}
        for pid, read, intent in [("douyin:11", 100, 10), ("douyin:12", 50, 2), ("douyin:21", 2, 2),
                                  ("instagram:32", 40, 4)]
        for i in range(read)])
    put(store, "pulses", [
        {"tenant": "acme", "post_id": "douyin:11", "pulse_index": 1, "onset": datetime(2025, 3, 3, tzinfo=UTC),
         "ends_at": None, "trigger": "heating", "heating_ids": ["h1"], "peak_at": None, "peak_velocity": None,
         "baseline": None, "rise_hours": None, "half_life_hours": None, "theta": None, "fit_r2": None,
         "fit_note": "", "incremental_engagements": 1000.0, "spend_amount": Decimal("2000"), "spend_currency": "CNY",
         "status": "settled", "version": 1}])


# cr-a: douyin:11 10,000 + heating 2,000 = 12,000 over 10,000 engagements, 200,000 views;
#       douyin:12 1,000 USD × 7.4 (its fee's date, 2025-05-10) = 7,400 over 4,000 and 100,000;
#       xiaohongshu:13 5,000 over 3,000 and 40,000, inside its burst window (no tail share)
CR_A = {
    "campaigns": 3, "posts": 3, "spend": 12_000 + 7_400 + 5_000,
    "median_cpe": {"douyin": (12_000 / 10_000 + 7_400 / 4_000) / 2, "xiaohongshu": 5_000 / 3_000},
    "median_cpm": {"douyin": (12_000 / 200 + 7_400 / 100) / 2, "xiaohongshu": 5_000 / 40},
    "save_rate": (1_200 + 700 + 800) / (200_000 + 100_000 + 40_000), "search_rate": None,
    "intent_rate": (10 + 2) / (100 + 50), "tail_share": (0.3 * 10_000 + 0.2 * 4_000) / (10_000 + 4_000),
    "heating_response": 1_000 / 2_000,
}


def same(got: Any, want: Any) -> bool:
    if isinstance(want, dict):
        return set(got) == set(want) and all(same(got[k], v) for k, v in want.items())
    return got is want if want is None or got is None else got == pytest.approx(want, rel=1e-9)


@pytest.fixture
def pool(store: Store, cli_on_store: Callable[..., Result]) -> Callable[..., Result]:
    seed_pool(store)
    return cli_on_store


def run(cli: Callable[..., Result], *args: str) -> str:
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_creator_on_two_platforms_has_one_card_with_the_hand_computed_figures(pool: Callable[..., Result],
                                                                                 store: Store) -> None:
    card = json.loads(run(pool, "creators", "show", "cr-a", "--format", "json"))["scorecard"]
    wrong = {k: (card[k], v) for k, v in CR_A.items() if not same(card[k], v)}
    assert not wrong, f"(got, expected): {wrong}"
    cards = store.query_sync("SELECT creator_id, posts, campaigns, spend FROM v_creator_scorecard "
                             "ORDER BY creator_id").rows
    # cr-d: the post deleted from the registry counts nowhere, the one taken down keeps its last counters
    assert cards == [("cr-a", 3, 3, 24_400.0), ("cr-b", 1, 1, 2_000.0), ("cr-c", 2, 2, 3_700.0 + 3_000.0),
                     ("cr-d", 1, 1, 4_000.0)]


def test_a_creator_with_few_posts_is_marked_and_ranked_after_the_others(pool: Callable[..., Result]) -> None:
    """cr-b's one post has the pool's best save rate and 2 intent comments of 2: it topped both rankings,
    above cr-a's three posts over three campaigns."""
    for by in ("save_rate", "intent_rate"):
        ranked = json.loads(run(pool, "creators", "rank", "--by", by, "--format", "json"))
        assert [(c["creator_id"], c["few_posts"]) for c in ranked][0] == ("cr-a", False), by
        assert {c["creator_id"] for c in ranked if c["few_posts"]} == {"cr-b", "cr-c", "cr-d"}
        assert [c["creator_id"] for c in ranked][1] == "cr-b"  # still ranked, among the few-post creators
    table = run(pool, "creators", "rank")
    (solo,) = [line for line in table.splitlines() if line.startswith("cr-b ")]
    assert " yes " in solo and "few posts: fewer than 3, ranked after the others" in table
    every = json.loads(run(pool, "creators", "rank", "--min-posts", "1", "--format", "json"))
    assert [c["creator_id"] for c in every][0] == "cr-b" and not any(c["few_posts"] for c in every)


def test_rank_as_csv_json_and_table_agree(pool: Callable[..., Result]) -> None:
    run(pool, "creators", "tag", "cr-a", "--add", "tone:warm")
    as_json = {c["creator_id"]: c for c in json.loads(run(pool, "creators", "rank", "--format", "json"))}
    as_csv = {r["creator_id"]: r for r in csv.DictReader(io.StringIO(run(pool, "creators", "rank", "--format", "csv")))}
    assert as_csv["cr-a"]["tags"] == "beauty, tone:warm" and as_csv["cr-c"]["tags"] == ""
    assert as_json["cr-a"]["tags"] == ["beauty", "tone:warm"]
    assert (as_csv["cr-a"]["few_posts"], as_csv["cr-b"]["few_posts"]) == ("false", "true")
    for cid, row in as_json.items():
        assert float(as_csv[cid]["spend"]) == pytest.approx(row["spend"])
        assert as_csv[cid]["intent_rate"] == ("" if row["intent_rate"] is None else str(row["intent_rate"]))
    (line,) = [x for x in run(pool, "creators", "rank").splitlines() if x.startswith("cr-a ")]
    assert line.endswith("beauty, tone:warm")


FIRST = """post,creator,creator_name,tier,tenant,campaign,published_at,fee,currency,tags
https://www.douyin.com/video/7300000000000000001,cr-a,Lin,mid,acme,c1,2025-03-01 10:00,10000,CNY,beauty
"""
NEXT = """post,creator,creator_name,followers,tenant,campaign,published_at,fee,currency,tags
https://www.douyin.com/video/7300000000000000002,cr-a,Lin,320000,acme,c2,2025-05-01 10:00,8000,CNY,vertical:skincare
"""


def test_tags_and_notes_outlive_the_next_campaigns_import(cli_on_broker: Callable[..., Result], store: Store,
                                                          tmp_path: Path) -> None:
    """The next campaign's file named cr-a again: its creators row (versioned by the file's age) replaced
    the pool's, and the tags and notes `creators tag` had given, and the first file's tag, were gone. (A
    file older than the tagging lost instead: none of what it gave was kept.)"""
    first, following = tmp_path / "c1.csv", tmp_path / "c2.csv"
    first.write_text(FIRST)
    assert cli_on_broker("posts", "import", first, "--version", "1000").exit_code == 0
    run(cli_on_broker, "creators", "tag", "cr-a", "--tenant", "acme", "--add", "tone:warm", "--note", "no alcohol")
    following.write_text(NEXT)  # written after the tagging
    assert cli_on_broker("posts", "import", following).exit_code == 0
    rows = store.query_sync("SELECT name, tier, followers, tags, notes FROM creators FINAL").rows
    assert rows == [("Lin", "mid", 320_000, ["beauty", "tone:warm", "vertical:skincare"], "no alcohol")]
    again = cli_on_broker("posts", "import", following)  # nothing new: no creators row written
    assert again.exit_code == 0 and "creators" not in again.output, again.output
    assert cli_on_broker("posts", "import", first, "--version", "1000").exit_code == 0  # the first file again: nothing new
    assert store.query_sync("SELECT tier, followers, tags, notes FROM creators FINAL").rows == [
        ("mid", 320_000, ["beauty", "tone:warm", "vertical:skincare"], "no alcohol")]
