"""``tracker costs fx`` records the rate a missing-rate warning of ``tracker roi`` asks for, and the spend
it made n/a reads again."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from tests.integration.test_roi import P1_SPEND, cost, post, put
from tracker.store.store import Store

pytestmark = pytest.mark.integration


def test_roi_names_the_missing_rate_and_costs_fx_records_it(campaign_cli: Callable[..., Result],
                                                            store: Store) -> None:
    put(store, "cost_lines", [cost("acme", "x-jpy", "c1", "douyin:5", "extra", "1000", "JPY", date(2025, 3, 2))])
    before = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme")
    assert before.exit_code == 0, before.output
    assert ("JPY → CNY needed from 2025-03-02: tracker costs fx --base JPY --quote CNY --rate RATE "
            "--date 2025-03-02") in before.stderr

    recorded = campaign_cli("costs", "fx", "--base", "jpy", "--quote", "CNY", "--rate", "0.048",
                            "--date", "2025-03-01", "--tenant", "acme")
    assert recorded.exit_code == 0, recorded.output
    assert recorded.output == "1 JPY = 0.048 CNY from 2025-03-01 on (tenant acme)\n"
    assert store.query_sync("SELECT tenant, base, quote, rate_date, toString(rate), source FROM fx_rates FINAL "
                            "WHERE base = 'JPY'").rows == [("acme", "JPY", "CNY", date(2025, 3, 1), "0.048", "manual")]

    after = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json")
    douyin = next(g for g in json.loads(after.stdout)["groups"] if g["value"] == "douyin")
    assert douyin["fx_missing"] == 0 and douyin["spend"] == pytest.approx(P1_SPEND + 8_000 + 1_000 * 0.048)
    table = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme")
    assert "warning" not in table.stderr

    again = campaign_cli("costs", "fx", "--base", "JPY", "--quote", "CNY", "--rate", "0.05", "--date", "2025-03-01",
                         "--tenant", "acme")  # the same pair and date: replaced
    assert again.exit_code == 0
    assert store.query_sync("SELECT toString(rate) FROM fx_rates FINAL WHERE base = 'JPY'").rows == [("0.05",)]


def test_report_names_the_missing_rate_to_its_reader_and_the_command_to_its_author(
        campaign_cli: Callable[..., Result], store: Store, tmp_path: Path) -> None:
    put(store, "cost_lines", [cost("acme", "x-jpy", "c1", "douyin:5", "extra", "1000", "JPY", date(2025, 3, 2))])
    xlsx, html = tmp_path / "r.xlsx", tmp_path / "r.html"
    made = campaign_cli("report", "--campaign", "c1", "--tenant", "acme", "--xlsx", str(xlsx), "--html", str(html))
    assert made.exit_code == 0, made.output
    line = "1 amount has no FX rate to CNY (JPY from 2025-03-02): totals that depend on it read n/a."
    assert f"warning: {line}" in made.stderr
    assert "tracker costs fx --base JPY --quote CNY --rate RATE --date 2025-03-02" in made.stderr
    assert line in html.read_text(encoding="utf-8")
    summary = [r[1] for r in openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True) if r[0] == "note"]
    assert summary[0] == line

    put(store, "fx_rates", [{"tenant": "acme", "base": "JPY", "quote": "CNY", "rate_date": date(2025, 3, 1),
                             "rate": Decimal("0.048"), "source": "manual", "version": 1}])
    again = campaign_cli("report", "--campaign", "c1", "--tenant", "acme", "--html", str(html))
    assert again.exit_code == 0 and "warning" not in again.stderr
    assert "no FX rate" not in html.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "reason"), [
    (["--base", "RMB", "--quote", "USD", "--rate", "0.14"], "RMB is not an ISO-4217 code; write CNY"),
    (["--base", "USD", "--quote", "USD", "--rate", "1"], "the same currency as --base"),
    (["--base", "USD", "--quote", "CNY", "--rate", "-7"], "--rate: must be above 0"),
    (["--base", "USD", "--quote", "CNY", "--rate", "seven"], "--rate: not a number"),
    (["--base", "USD", "--quote", "CNY", "--rate", "7", "--date", "09/01"], "--date: '09/01' is not a date"),
])
def test_costs_fx_refuses_what_it_cannot_record(cli_on_store: Callable[..., Result], args: list[str],
                                                reason: str) -> None:
    result = cli_on_store("costs", "fx", *args)
    assert result.exit_code == 2 and reason in result.output, result.output


def test_costs_fx_help_teaches_how_rates_apply(cli_on_store: Callable[..., Result]) -> None:
    out = cli_on_store("costs", "fx", "--help").output
    for words in ("1 BASE = RATE QUOTE", "latest rate on or before", "tenant's own rate before", "fx list",
                  "tracker costs fx --base USD --quote CNY --rate 7.12"):
        assert words in " ".join(out.split()), words


def test_a_rate_without_a_date_covers_an_amount_dated_today_in_any_of_its_campaigns(
        campaign_cli: Callable[..., Result], store: Store) -> None:
    """A tenant with two campaigns in zones whose dates differ from UTC's at this hour: its rate
    recorded without --date starts on the earlier of their todays, so that a cost added today in
    either converts (a rate dated today in UTC left one of them n/a)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from tests.integration.test_roi import T0

    ahead = datetime.now(UTC).hour >= 11
    zones = ("Pacific/Kiritimati", "Pacific/Tongatapu") if ahead else ("Pacific/Honolulu", "Pacific/Pago_Pago")
    earlier = min(datetime.now(ZoneInfo(zone)).date() for zone in zones)
    assert earlier != datetime.now(UTC).date()
    put(store, "tenants", [{"tenant": "far", "name": "Far", "reporting_currency": "USD", "version": 1}])
    put(store, "campaigns", [
        {"tenant": "far", "campaign_id": f"c{i}", "name": zone, "time_zone": zone, "reporting_currency": "USD",
         "starts_at": T0, "ends_at": None, "brand_terms": [], "version": 1} for i, zone in enumerate(zones)])
    put(store, "posts", [post("far", f"douyin:9{i}", f"c{i}", "cr1", "micro", "video") for i in range(2)])
    recorded = campaign_cli("costs", "fx", "--base", "EUR", "--quote", "USD", "--rate", "1.1", "--tenant", "far")
    assert recorded.exit_code == 0, recorded.output
    assert store.query_sync("SELECT rate_date FROM fx_rates FINAL WHERE tenant = 'far'").rows == [(earlier,)]
    for campaign in ("c0", "c1"):
        added = campaign_cli("costs", "add", "--tenant", "far", "--campaign", campaign, "--amount", "10",
                             "--currency", "EUR")
        assert added.exit_code == 0, added.output
        roi = campaign_cli("roi", "--campaign", campaign, "--tenant", "far", "--format", "json")
        assert roi.exit_code == 0 and "needed from" not in roi.stderr, roi.stderr



def test_costs_fx_refuses_a_tenant_the_registry_does_not_know(campaign_cli: Callable[..., Result],
                                                              store: Store) -> None:
    """A tenant's rate applies to that tenant's amounts only: one for a tenant no import registered
    applied to nobody. The refusal names the tenants there are; a global rate needs none."""
    result = campaign_cli("costs", "fx", "--base", "USD", "--quote", "CNY", "--rate", "7.1", "--tenant", "nosuchtenant")
    assert result.exit_code == 1, result.output
    assert result.output == ("Error: --tenant: 'nosuchtenant' is not in the registry (tenants: acme, globex); import "
                             "its campaign first (tracker posts import), or leave --tenant out for a rate of every "
                             "tenant\n")
    assert store.query_sync("SELECT count() FROM fx_rates WHERE source = 'manual'").scalar() == 0
    assert campaign_cli("costs", "fx", "--base", "USD", "--quote", "CNY", "--rate", "7.1", "--tenant",
                        "globex").exit_code == 0
    assert store.query_sync("SELECT tenant FROM fx_rates FINAL WHERE source = 'manual'").rows == [("globex",)]


def test_costs_fx_in_an_empty_registry_takes_global_rates_only(cli_on_store: Callable[..., Result],
                                                               store: Store) -> None:
    result = cli_on_store("costs", "fx", "--base", "USD", "--quote", "CNY", "--rate", "7.1", "--tenant", "acme")
    assert result.exit_code == 1 and "(tenants: none yet)" in result.output, result.output
    result = cli_on_store("costs", "fx", "--base", "USD", "--quote", "CNY", "--rate", "7.1", "--date", "2025-09-01")
    assert result.exit_code == 0, result.output
    assert store.query_sync("SELECT tenant, rate_date FROM fx_rates FINAL").rows == [("", date(2025, 9, 1))]
