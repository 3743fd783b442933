"""`tracker creators show`: every post's money says its currency, and the tenant's figures the scorecard
takes sit beside it. In the fixture (tests/integration/test_roi.py) creator cr1 has douyin:6 in acme's USD
campaign c2: its CPE of 0.18 and CPM of 10.00 USD read as if in CNY, the scorecard's currency, where they
are 1.26 and 71.00 CNY (100 USD at acme's 7.1). ``--format csv`` printed the table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from click.testing import Result

pytestmark = pytest.mark.integration

ENGAGEMENTS = 500 + 10 + 5 + 50  # douyin:6: likes + comments + shares + saves
VIEWS = 10_000


def shown(cli: Callable[..., Result], fmt: str) -> str:
    result = cli("creators", "show", "cr1", "--tenant", "acme", "--format", fmt)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_usd_campaigns_post_gives_its_currency_and_the_tenants_figures(campaign_cli: Callable[..., Result]
                                                                          ) -> None:
    data = json.loads(shown(campaign_cli, "json"))
    assert data["scorecard"]["currency"] == "CNY"
    posts = {p["post_id"]: p for p in data["posts"]}
    usd = posts["douyin:6"]
    assert (usd["currency"], usd["tenant_currency"]) == ("USD", "CNY")
    assert usd["cpe"] == pytest.approx(100 / ENGAGEMENTS) and usd["cpm"] == pytest.approx(100 / VIEWS * 1000)
    assert usd["cpe_tenant"] == pytest.approx(710 / ENGAGEMENTS)
    assert usd["cpm_tenant"] == pytest.approx(710 / VIEWS * 1000)
    assert posts["douyin:1"]["currency"] == "CNY" and posts["douyin:1"]["cpe_tenant"] == posts["douyin:1"]["cpe"]
    tenant_cpes = sorted(p["cpe_tenant"] for p in data["posts"] if p["cpe_tenant"] is not None)
    assert data["scorecard"]["median_cpe"]["douyin"] == pytest.approx(sum(tenant_cpes) / 2)  # of two posts

    table = shown(campaign_cli, "table")
    (row,) = [line for line in table.splitlines() if line.startswith("c2 ")]
    assert f"{710 / ENGAGEMENTS:,.2f}" in row and f"{710 / VIEWS * 1000:,.2f}" in row  # CNY, as the header says


def test_csv_is_csv(campaign_cli: Callable[..., Result]) -> None:
    rows = list(csv.DictReader(io.StringIO(shown(campaign_cli, "csv"))))
    assert [r["post_id"] for r in rows] == ["douyin:1", "douyin:5", "douyin:6"]
    usd = rows[2]
    assert (usd["currency"], usd["tenant_currency"]) == ("USD", "CNY")
    assert float(usd["cpe_tenant"]) == pytest.approx(710 / ENGAGEMENTS)
    assert float(usd["cpm"]) == pytest.approx(10.0)
