"""Numbers shown in their unit, on the board tests' simulated campaign (read endpoint, macros
expanded as Grafana's plugin does):

- the Spend by component bars name each campaign's currency: a tenant's campaigns can report in
  different currencies, and the bars shared one axis with nothing to tell CNY from USD;
- a table's decimals leave its counts whole: Grafana pads every number to the panel's decimals,
  so posts read "139.00", a pulse "1.00" and followers "1428458.000".
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.integration import test_dashboards_queries as board_test
from tests.integration.test_dashboards_queries import (
    ALL_VALUES,
    RANGE,
    SELECTIONS,
    TENANT,
    campaign_rows,
)
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, expand_sql
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

campaign_store = board_test.campaign_store
grafana_client = board_test.own_grafana_client  # on this test's own campaign_store, which it writes to

USD_CNY = 7.1  # the fixture's global rate


def test_spend_by_component_names_each_campaigns_currency(campaign_store: Store, grafana_client: Any) -> None:
    """c2 reports in USD, c1 in CNY: each bar says which."""
    (c2,) = [c for c in campaign_rows()["campaigns"] if c["campaign_id"] == "c2"]
    usd = {**c2, "reporting_currency": "USD", "version": c2["version"] + 1}
    assert insert_json_rows(campaign_store, "campaigns", orjson.dumps(usd) + b"\n", None) == 1
    (panel,) = [p for p in d.campaign_roi().to_json()["panels"] if p["title"] == "Spend by component"]
    result = grafana_client.query(expand_sql(panel["targets"][0]["rawSql"], RANGE,
                                             {"tenant": TENANT, "campaign": ALL, "platform": ALL}, ALL_VALUES))
    bars = {row[0]: dict(zip(result.column_names, row, strict=True)) for row in result.result_rows}
    assert result.column_names[0] == panel["options"]["xField"]
    assert sorted(bars) == ["c1 (CNY)", "c2 (USD)"]
    assert bars["c1 (CNY)"]["fee"] == pytest.approx(16_000)  # two posts' 8,000 CNY fees
    assert bars["c2 (USD)"]["fee"] == pytest.approx(8_000 / USD_CNY)


def test_tables_with_decimals_show_their_counts_whole(grafana_client: Any) -> None:
    """Every integer column the engine returns to a panel that sets decimals is shown with none."""
    checked = 0
    for board in d.boards():
        for panel in board.to_json()["panels"]:
            if panel.get("fieldConfig", {}).get("defaults", {}).get("decimals") is None:
                continue
            whole = {o["matcher"]["options"] for o in panel["fieldConfig"]["overrides"]
                     if {"id": "decimals", "value": 0} in o["properties"]}
            result = grafana_client.query(expand_sql(panel["targets"][0]["rawSql"], RANGE,
                                                     SELECTIONS["all campaigns"], ALL_VALUES))
            counts = {name for name, kind in zip(result.column_names, result.column_types, strict=True)
                      if "Int" in kind.name}
            assert counts <= whole, (board.uid, panel["title"], counts - whole)
            checked += len(counts)
    assert checked >= 20
