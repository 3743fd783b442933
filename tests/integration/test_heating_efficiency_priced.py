"""Heating efficiency of a post, a campaign and a creator divides the incremental engagements of the
heated pulses that have a spend by that spend (migration 0018): a pulse whose only node was cancelled
after the stream read it stands with no spend, and its lift no longer inflates the figure above the
pulses' own (the report's Heating sheet)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from tests.integration.test_roi import put
from tracker.store.store import Store

pytestmark = pytest.mark.integration


def add_cancelled_pulse(store: Store) -> None:
    """douyin:1 of the fixture campaign: pulse 1 (node h1, 2,000 CNY, 1,500 incremental engagements) and
    now pulse 2, whose node h3 (1,000 CNY) was cancelled once read: 800 incremental engagements, no spend."""
    put(store, "heating_nodes", [{
        "tenant": "acme", "post_id": "douyin:1", "campaign_id": "c1", "channel": "dou_plus", "end_at": None,
        "spend_currency": "CNY", "heating_id": "h3", "start_at": datetime(2025, 3, 6, 12, tzinfo=UTC),
        "spend_amount": Decimal("1000"), "status": "cancelled", "version": 1}])
    put(store, "pulses", [{
        "tenant": "acme", "post_id": "douyin:1", "pulse_index": 2, "onset": datetime(2025, 3, 6, 12, tzinfo=UTC),
        "ends_at": None, "trigger": "heating", "heating_ids": ["h3"], "peak_at": None, "peak_velocity": None,
        "baseline": None, "rise_hours": None, "half_life_hours": None, "theta": None, "fit_r2": None, "fit_note": "",
        "incremental_engagements": 800.0, "spend_amount": Decimal("1000"), "spend_currency": "CNY",
        "status": "decaying", "version": 1}])


def test_a_pulse_without_spend_leaves_heating_efficiency_as_the_priced_pulses_give_it(
        store: Store, campaign_cli: Callable[..., Result], tmp_path: Path) -> None:  # fmt: skip
    add_cancelled_pulse(store)
    pulses = store.query_sync("SELECT pulse_index, spend, efficiency FROM v_heating_efficiency WHERE tenant = 'acme' "
                              "AND post_id = 'douyin:1' ORDER BY pulse_index").rows
    assert pulses == [(1, 2000.0, 0.75), (2, None, None)]
    post = store.query_sync("SELECT heating_pulses, heating_incremental, heating_pulse_spend, heating_efficiency "
                            "FROM v_roi_post WHERE tenant = 'acme' AND post_id = 'douyin:1'").rows[0]
    assert post == (2, 1500.0, 2000.0, 0.75)  # was (2, 2300, 2000, 1.15): 800 engagements bought with nothing

    roi = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json")
    assert roi.exit_code == 0, roi.output
    total = json.loads(roi.output)["total"]
    assert total["heating_efficiency"] == pytest.approx(0.75) and total["heating_efficiency_spend"] == 2000.0
    card = store.query_sync("SELECT heating_response FROM v_creator_scorecard WHERE tenant = 'acme' "
                            "AND creator_id = 'cr1'").scalar()
    assert card == pytest.approx(0.75)

    xlsx = tmp_path / "r.xlsx"
    assert campaign_cli("report", "--campaign", "c1", "--tenant", "acme", "--xlsx", xlsx).exit_code == 0
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["eng/heat CNY"] == pytest.approx(0.75)
