"""Panels that say what they show, on the board tests' simulated campaign (read endpoint, macros
expanded as Grafana's plugin does):

- the pipeline board's post alerts firing are the store's (the Prometheus gauge is set by the
  optional notifier only, so the panel was empty on a default run);
- the Campaign and Platform variables filter the panels whose views have the column;
- a decaying pulse whose peak was not observed is listed as such, not as "past its peak".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from tests.integration import test_dashboards_queries as board_test
from tests.integration.test_dashboards_queries import (
    ALL_VALUES,
    LATE_POST,
    NOW,
    POSTS,
    RANGE,
    TENANT,
    ts,
)
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, expand_sql
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

campaign_store = board_test.campaign_store
grafana_client = board_test.own_grafana_client  # on this test's own campaign_store, which it writes to

EVERYTHING = {"tenant": TENANT, "campaign": ALL, "platform": ALL}
C1 = {"tenant": TENANT, "campaign": ["c1"], "platform": ALL}
C1_DOUYIN = {"tenant": TENANT, "campaign": ["c1"], "platform": ["douyin"]}


def rows(client: Any, board: d.Board, title: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    (panel,) = [p for p in board.to_json()["panels"] if p["title"] == title]
    result = client.query(expand_sql(panel["targets"][0]["rawSql"], RANGE, variables, ALL_VALUES))
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_post_alerts_firing_counts_each_episodes_latest_state(campaign_store: Store, grafana_client: Any) -> None:
    """One row per (alert_id, starts_at) episode, the newest version deciding: an episode resolved
    since is not firing; a second episode of an alert that resolved before is."""
    p1, p2, _ = (p[0] for p in POSTS)
    base = {"tenant": TENANT, "campaign_id": "c1", "alert": "PostUnavailable", "severity": "critical",
            "summary": "taken down", "evidence": "{}", "suggestion": ""}
    went = ts(NOW - timedelta(hours=6))
    again = [  # p1: fired and resolved (same episode, newer version); p2: its earlier episode resolved, a new one fires
        {**base, "alert_id": f"PostUnavailable:{p1}:1", "post_id": p1, "state": "firing", "starts_at": went,
         "ends_at": None, "version": 5},
        {**base, "alert_id": f"PostUnavailable:{p1}:1", "post_id": p1, "state": "resolved", "starts_at": went,
         "ends_at": ts(NOW - timedelta(hours=2)), "version": 6},
        {**base, "alert_id": f"PostUnavailable:{p2}:1", "post_id": p2, "state": "firing",
         "starts_at": ts(NOW - timedelta(hours=4)), "ends_at": None, "version": 7},
    ]
    campaign_store.command_sync("SYSTEM STOP MERGES alerts")  # the rows stay apart, as before a merge
    try:
        body = b"".join(orjson.dumps(row) + b"\n" for row in again)
        assert insert_json_rows(campaign_store, "alerts", body, None) == len(again)
        got = rows(grafana_client, d.pipeline_health(), "Post alerts firing", {})
    finally:
        campaign_store.command_sync("SYSTEM START MERGES alerts")
    assert {r["alert"]: r["firing"] for r in got} == {"PostDecaying": 1, "PostStalled": 1, "PostUnavailable": 1}


@pytest.mark.parametrize(("variables", "expected"), [
    (EVERYTHING, ["bilibili", "douyin", "xiaohongshu"]), (C1_DOUYIN, ["douyin"])])
def test_roi_by_platform_follows_the_platform_variable(grafana_client: Any, variables: dict, expected: list) -> None:
    got = rows(grafana_client, d.campaign_roi(), "ROI by platform", variables)
    assert sorted({r["platform"] for r in got}) == expected


@pytest.mark.parametrize(("variables", "expected"), [
    (EVERYTHING, ["cr1", "cr2", "cr3"]), (C1, ["cr1", "cr2"]), (C1_DOUYIN, ["cr1"])])
def test_creator_scorecard_lists_the_selected_campaigns_and_platforms_creators(
        grafana_client: Any, variables: dict, expected: list) -> None:
    got = rows(grafana_client, d.creators_tiers(), "Creator scorecard", variables)
    assert sorted(r["creator_id"] for r in got) == expected
    (cr1,) = [r for r in got if r["creator_id"] == "cr1"]
    assert cr1["posts"] == 2  # the scorecard's figures: over all the creator's posts, whatever the selection


@pytest.mark.parametrize(("variables", "expected"), [
    (EVERYTHING, [("cr1", "douyin"), ("cr2", "xiaohongshu"), ("cr3", "bilibili")]),
    (C1, [("cr1", "douyin"), ("cr2", "xiaohongshu")]),
    ({**EVERYTHING, "platform": ["bilibili"]}, [("cr3", "bilibili")]),
    (C1_DOUYIN, [("cr1", "douyin")])])
def test_accounts_in_the_pool_follow_campaign_and_platform(grafana_client: Any, variables: dict,
                                                           expected: list) -> None:
    got = rows(grafana_client, d.creators_tiers(), "Accounts in the pool", variables)
    assert sorted((r["creator_id"], r["platform"]) for r in got) == expected


def test_posts_per_tier_follow_the_platform_variable(grafana_client: Any) -> None:
    got = rows(grafana_client, d.creators_tiers(), "Posts per tier and platform", C1_DOUYIN)
    assert [(r["creator_tier"], r["douyin"], r["xiaohongshu"]) for r in got] == [("mid", 2, 0)]


def test_a_decaying_pulse_without_an_observed_peak_is_listed_as_such(grafana_client: Any) -> None:
    """LATE_POST's pulse has no snapshot within 6 h of its onset: no peak. It is not "past its peak"
    and still shows, with the reason, in a table of its own."""
    board = d.decaying_posts()
    past = rows(grafana_client, board, "Pulses past their peak, still falling (status decaying)", EVERYTHING)
    assert [r["post_id"] for r in past] == [POSTS[1][0]]
    assert all(r["peak_at"] is not None and r["peak_velocity"] is not None for r in past)
    unseen = rows(grafana_client, board, "Pulses falling with no observed peak (status decaying)", C1)
    assert [(r["post_id"], r["pulse"]) for r in unseen] == [(LATE_POST, 0)]
    assert unseen[0]["why_no_peak"].startswith("no snapshot within 6 h of the onset")
