"""The Grafana rule "Campaign without fresh snapshots" follows the collector's cadence (board tests'
simulated campaign, read endpoint, the rule's query as Grafana sends it).

Posts past their first month are refreshed every 12 hours, all at once after a collector starts:
the rule's fixed 6 hours fired for half of every day on a mature campaign collected on time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.integration import test_dashboards_queries as board_test
from tests.integration.test_dashboards_queries import NOW, POSTS, TENANT, campaign_rows, ts
from tracker.collect.cadence import Cadence
from tracker.ops import dashboards as d
from tracker.ops.macros import TimeRange, expand_sql
from tracker.settings import Settings
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

campaign_store = board_test.campaign_store
grafana_client = board_test.own_grafana_client  # on this test's own campaign_store, which it writes to

P3 = POSTS[2][0]  # c2's only post


def stale(client: Any, settings: Settings | None = None) -> dict[str, float]:
    """The rule's rows as Grafana reads them, by campaign, above its threshold."""
    rules = d.SQL_ALERTS if settings is None else d.sql_alerts(settings)  # the defaults: deploy/grafana's
    (rule,) = [r for r in rules if r.uid == "tracker-campaign-stale"]
    window = TimeRange(NOW - timedelta(seconds=rule.window_s), NOW + timedelta(hours=1))
    rows = client.query(expand_sql(d._dedent(rule.query), window)).result_rows
    return {campaign: value for tenant, campaign, value in rows if tenant == TENANT and value > rule.threshold}


def since_now() -> float:
    """Hours from the board tests' NOW (the hour they were imported in) to the engine's now(), which
    the rule measures from: the suite can run well past that hour."""
    return (datetime.now(UTC) - NOW).total_seconds() / 3600


def refreshed(store: Store, post_id: str, *, published_days_ago: float, hours_ago: float) -> None:
    """The post published ``published_days_ago`` and last observed ``hours_ago``."""
    (post,) = [p for p in campaign_rows()["posts"] if p["post_id"] == post_id]
    (totals,) = [t for t in campaign_rows()["post_totals"] if t["post_id"] == post_id]
    post = {**post, "published_at": ts(NOW - timedelta(days=published_days_ago)), "version": post["version"] + 1}
    totals = {**totals, "as_of": ts(NOW - timedelta(hours=hours_ago)), "version": totals["version"] + 1}
    for table, row in (("posts", post), ("post_totals", totals)):
        assert insert_json_rows(store, table, orjson.dumps(row) + b"\n", None) == 1


def test_a_mature_campaign_refreshed_on_schedule_is_not_stale(campaign_store: Store, grafana_client: Any) -> None:
    assert Cadence().interval(40 * 24, heated=False) == 12 * 3600  # the collector's cadence after a month
    assert set(stale(grafana_client)) == {"c2"}  # p3, five days old (every 3 h), last seen 15 h ago
    refreshed(campaign_store, P3, published_days_ago=40, hours_ago=7)  # due again in 5 h
    assert stale(grafana_client) == {}
    refreshed(campaign_store, P3, published_days_ago=40, hours_ago=37)  # three refreshes missed
    assert stale(grafana_client) == {"c2": pytest.approx(37 + since_now(), abs=0.1)}


def test_the_rule_takes_the_cadence_it_is_generated_with(campaign_store: Store, grafana_client: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    refreshed(campaign_store, P3, published_days_ago=40, hours_ago=7)
    monkeypatch.setenv("TRACKER_COLLECT_OLD_MINUTES", "60")  # posts past their first month: hourly
    assert stale(grafana_client, Settings()) == {"c2": pytest.approx(7 + since_now(), abs=0.1)}
