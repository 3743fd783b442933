"""A post deleted from the registry leaves the boards' alert panels and the Grafana alert rules, as
it leaves the ROI views and the pulse tables (board tests' simulated campaign, read endpoint,
macros expanded as Grafana's plugin does).

The worker keeps a deleted post's alert rows, firing ones included: the Decaying posts board
listed it as a re-heat candidate and counted its alerts, and the rules paged for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from tests.integration import test_dashboards_queries as board_test
from tests.integration.test_dashboards_queries import (
    ALL_VALUES,
    NOW,
    POSTS,
    RANGE,
    TENANT,
    campaign_rows,
)
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, TimeRange, expand_sql
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

campaign_store = board_test.campaign_store
grafana_client = board_test.own_grafana_client  # on this test's own campaign_store, which it writes to

EVERYTHING = {"tenant": TENANT, "campaign": ALL, "platform": ALL}
P1, P2, P3 = (p[0] for p in POSTS)  # p1: PostDecaying firing; p3: PostStalled firing, a no-response heating


def delete_posts(store: Store, *post_ids: str) -> None:
    """The registry rows of ``post_ids`` marked deleted (a tombstone read by the worker)."""
    rows = [{**row, "deleted": 1, "version": row["version"] + 1}
            for row in campaign_rows()["posts"] if row["post_id"] in post_ids]
    assert insert_json_rows(store, "posts", b"".join(orjson.dumps(r) + b"\n" for r in rows), None) == len(post_ids)


def rows(client: Any, board: d.Board, title: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    (panel,) = [p for p in board.to_json()["panels"] if p["title"] == title]
    result = client.query(expand_sql(panel["targets"][0]["rawSql"], RANGE, variables, ALL_VALUES))
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def rule_rows(client: Any, uid: str) -> list[tuple[Any, ...]]:
    (rule,) = [r for r in d.SQL_ALERTS if r.uid == uid]
    window = TimeRange(NOW - timedelta(seconds=rule.window_s), NOW + timedelta(hours=1))
    return client.query(expand_sql(d._dedent(rule.query), window)).result_rows


def test_a_deleted_posts_alerts_leave_the_decaying_posts_board(campaign_store: Store, grafana_client: Any) -> None:
    board = d.decaying_posts()
    assert [r["post_id"] for r in rows(grafana_client, board, "Alerted as decaying (PostDecaying firing): "
                                       "re-heat candidates", EVERYTHING)] == [P1]
    delete_posts(campaign_store, P1, P3)

    assert rows(grafana_client, board, "Alerted as decaying (PostDecaying firing): re-heat candidates",
                EVERYTHING) == []
    assert rows(grafana_client, board, "Post alerts firing", EVERYTHING) == []  # p1's PostDecaying, p3's PostStalled
    started: dict[str, int] = {}
    for row in rows(grafana_client, board, "Alerts started per hour", EVERYTHING):
        started[row["alert"]] = started.get(row["alert"], 0) + row["started"]
    assert started == {"PostUnavailable": 1, "PostStalled": 2}  # p2's, all resolved
    others = rows(grafana_client, board, "Other post alerts (firing and resolved in range)", EVERYTHING)
    assert {r["post_id"] for r in others} == {P2}


def test_a_deleted_posts_alerts_leave_the_pipeline_count_and_the_alert_rules(campaign_store: Store,
                                                                            grafana_client: Any) -> None:
    assert {r["alert"]: r["firing"] for r in rows(grafana_client, d.pipeline_health(), "Post alerts firing", {})} \
        == {"PostDecaying": 1, "PostStalled": 1}
    assert [r[:2] for r in rule_rows(grafana_client, "tracker-decaying-unhandled")] == [(TENANT, "c1")]
    assert [r[:2] for r in rule_rows(grafana_client, "tracker-heating-no-response")] == [(TENANT, P3)]
    delete_posts(campaign_store, P1, P3)

    assert rows(grafana_client, d.pipeline_health(), "Post alerts firing", {}) == []
    assert rule_rows(grafana_client, "tracker-decaying-unhandled") == []
    assert rule_rows(grafana_client, "tracker-heating-no-response") == []
