"""``tracker costs add`` against a registry (the fixture campaign of tests/integration/test_roi.py:
tenants acme and globex, campaigns c1 and c2, douyin:1 registered for both tenants): a tenant,
campaign or post the registry does not know is refused with what to do, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from tracker.store.store import Store

pytestmark = pytest.mark.integration

Run = Callable[..., Result]


@pytest.fixture
def cli(campaign_cli: Run) -> Run:
    return campaign_cli


def cost_lines(store: Store) -> int:
    return int(store.query_sync("SELECT count() FROM cost_lines").scalar())


@pytest.mark.parametrize(("args", "says"), [
    (["--tenant", "nobody", "--campaign", "c1"], "--tenant: 'nobody' is not in the registry"),
    (["--tenant", "acme", "--campaign", "bad campaign id!"],
     "--campaign: 'bad campaign id!' is not a campaign of tenant 'acme'"),
    (["--tenant", "acme", "--campaign", "c1", "--post", "douyin:404"], "--post: douyin:404 is not in the registry"),
    (["--tenant", "globex", "--campaign", "c1", "--post", "douyin:5"],
     "--post: douyin:5 is a post of tenant 'acme', not 'globex'"),
    (["--tenant", "acme", "--campaign", "c1", "--post", "douyin:6"], "--post: douyin:6 is in campaign 'c2'"),
])
def test_costs_add_refuses_what_the_registry_does_not_know(cli: Run, store: Store, args: list[str],
                                                           says: str) -> None:
    before = cost_lines(store)
    result = cli("costs", "add", *args, "--amount", "3")
    assert result.exit_code == 1 and says in result.output, result.output
    assert cost_lines(store) == before


def test_a_post_registered_for_two_tenants_takes_costs_of_either_and_no_other(cli: Run, store: Store) -> None:
    # douyin:1 is a post of acme and of globex: the post is checked for the tenant given, not the first found
    before = cost_lines(store)
    for tenant in ("acme", "globex"):
        result = cli("costs", "add", "--tenant", tenant, "--campaign", "c1", "--post", "douyin:1", "--amount", "5")
        assert result.exit_code == 0, result.output
    result = cli("costs", "add", "--tenant", "acme", "--campaign", "c2", "--amount", "30", "--date", "2025-03-02")
    assert result.exit_code == 0, result.output
    result = cli("costs", "add", "--tenant", "initech", "--campaign", "c1", "--post", "douyin:1", "--amount", "5")
    assert result.exit_code == 1 and "'initech' is not in the registry" in result.output, result.output
    assert cost_lines(store) == before + 3


def test_a_cost_without_a_date_counts_on_today_in_the_campaigns_zone(cli: Run, store: Store) -> None:
    """Whatever the hour, one of +14 h and −11 h is on another date than UTC: the campaign takes that zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from tests.integration.test_roi import T0, put

    zone = "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Pago_Pago"
    put(store, "campaigns", [{"tenant": "acme", "campaign_id": "c9", "name": "Far away", "time_zone": zone,
                              "reporting_currency": "", "starts_at": T0, "ends_at": None, "brand_terms": [],
                              "version": 1}])
    result = cli("costs", "add", "--tenant", "acme", "--campaign", "c9", "--amount", "5", "--note", "today")
    assert result.exit_code == 0, result.output
    today = datetime.now(ZoneInfo(zone)).date()
    assert today != datetime.now(UTC).date()
    assert store.query_sync("SELECT cost_date FROM cost_lines FINAL WHERE campaign_id = 'c9'").rows == [(today,)]
    assert result.output.endswith(f"on {today}\n")


def test_an_amount_is_read_with_thousands_commas_and_a_decimal_comma_writes_nothing(cli: Run, store: Store) -> None:
    """`--amount 1,5` was recorded as 15: a comma is read only where it groups thousands."""
    from decimal import Decimal

    before = cost_lines(store)
    refused = cli("costs", "add", "--tenant", "acme", "--campaign", "c1", "--amount", "1,5", "--note", "comma")
    assert refused.exit_code == 2 and "--amount: 1,5: a comma only groups thousands here; write 1.5" in refused.output
    assert cost_lines(store) == before
    result = cli("costs", "add", "--tenant", "acme", "--campaign", "c1", "--amount", "1,234.50", "--note", "grouped")
    assert result.exit_code == 0, result.output
    assert store.query_sync("SELECT amount FROM cost_lines FINAL WHERE note = 'grouped'").rows == [(Decimal("1234.5"),)]
