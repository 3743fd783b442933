"""`tracker roi`'s total: fee + service fee + bundle share + extra + heating = spend.

The campaign-level costs (costs of no post, shown in the '(campaign-level)' row as extra) were added to the
total's spend only: in the fixture campaign (tests/integration/test_roi.py) the total's components summed to
30,630 CNY under a spend of 31,630, the agency's 1,000 CNY missing from its extra."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from click.testing import Result

from tests.integration.test_roi import P1_SPEND, P2_SPEND, P3_SPEND
from tracker.report.queries import CAMPAIGN_LEVEL, SPEND_COMPONENTS

pytestmark = pytest.mark.integration

CAMPAIGN_SPEND = P1_SPEND + P2_SPEND + P3_SPEND + 8_000 + 1_000  # the agency's 1,000 CNY has no post


@pytest.mark.parametrize("by", ["platform", "post"])
def test_the_components_of_every_row_add_up_to_its_spend(campaign_cli: Callable[..., Result], by: str) -> None:
    result = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", by, "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    total = shown["total"]
    assert total["spend"] == pytest.approx(CAMPAIGN_SPEND)
    assert sum(total[k] for k in SPEND_COMPONENTS) == pytest.approx(total["spend"])
    assert total["extra"] == pytest.approx(300 * 7.1 + 100 * 8.0 + 1_000)  # douyin:1's, instagram:2's, the agency's
    for row in shown["groups"]:
        assert sum(row[k] for k in SPEND_COMPONENTS) == pytest.approx(row["spend"]), row["value"]
    (level,) = [g for g in shown["groups"] if g["value"] == CAMPAIGN_LEVEL]
    assert level["extra"] == level["spend"] == 1_000 and level["fee"] == 0


def test_the_csv_and_table_totals_are_that_spend(campaign_cli: Callable[..., Result]) -> None:
    out = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "csv").stdout
    *_, total = csv.DictReader(io.StringIO(out))
    assert total["value"] == "total" and float(total["spend"]) == pytest.approx(CAMPAIGN_SPEND)
    table = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme").stdout
    (line,) = [x for x in table.splitlines() if x.startswith("total")]
    assert f"{CAMPAIGN_SPEND:,.2f}" in line
