"""The post board's Pulses table: a pulse's spend converted as the ROI views convert it, and cost
per incremental engagement n/a below one engagement, as ``tracker analyze`` and the README say.

It divided the pulse row's own amount by its incremental engagements: a boost an hour old,
credited 0.00486 engagements for 40 USD, read 8,230.45 per engagement, in the currency the
worker last saw whatever the nodes' currencies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from tests.integration import test_dashboards_queries as board_test
from tests.integration.test_dashboards_queries import NOW, POSTS, TENANT, panel_rows, ts
from tracker.ops import dashboards as d
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

campaign_store = board_test.campaign_store  # the board tests' simulated campaign, on the read endpoint
grafana_client = board_test.own_grafana_client  # on this test's own campaign_store, which it writes to

USD_CNY = 7.1  # the fixture's global rate


def add_boost_an_hour_old(store: Store) -> None:
    """p1's pulse 3: a 40 USD node started an hour ago, credited 0.00486 incremental engagements; the
    row as the worker wrote it before 0012 (its amount in the node's currency, unconverted)."""
    start = NOW - timedelta(hours=1)
    node = {"tenant": TENANT, "post_id": POSTS[0][0], "heating_id": "h4", "campaign_id": "c1", "channel": "dou+",
            "start_at": ts(start), "end_at": None, "spend_amount": "40.00", "spend_currency": "USD",
            "status": "executed", "version": 1}
    pulse = {"tenant": TENANT, "post_id": POSTS[0][0], "pulse_index": 3, "onset": ts(start), "ends_at": None,
             "trigger": "heating", "heating_ids": ["h4"], "peak_at": None, "peak_velocity": None, "baseline": 5.0,
             "rise_hours": None, "half_life_hours": None, "theta": None, "fit_r2": None, "fit_note": "rising",
             "incremental_engagements": 0.00486, "spend_amount": "40.00", "spend_currency": "USD",
             "status": "rising", "version": 1}
    for table, row in (("heating_nodes", node), ("pulses", pulse)):
        assert insert_json_rows(store, table, orjson.dumps(row) + b"\n", None) == 1


def test_cost_per_incremental_is_na_below_one_engagement(campaign_store: Store, grafana_client: Any) -> None:
    add_boost_an_hour_old(campaign_store)
    rows = {r["pulse_index"]: r for r in panel_rows(grafana_client, d.post_pulses(), "Pulses")}
    assert sorted(rows) == [0, 1, 3]
    young = rows[3]
    assert young["cost_per_incremental"] is None  # not 40 ÷ 0.00486
    assert young["spend"] == pytest.approx(40 * USD_CNY) and young["currency"] == "CNY"  # c1 reports in CNY
    assert young["engagements_per_spend"] == pytest.approx(0.00486 / (40 * USD_CNY))
    assert rows[1]["cost_per_incremental"] == pytest.approx(2000 / 3600)
    assert rows[1]["spend"] == pytest.approx(2000) and rows[1]["currency"] == "CNY"
    assert rows[0]["spend"] is None and rows[0]["currency"] == "" and rows[0]["cost_per_incremental"] is None
