"""Money in registry files and commands: a comma is read only as a thousands separator. ``8,00`` (a
decimal comma) was read as 800 and ``1,5`` as 15, in ``tracker heat --spend``, ``tracker costs add
--amount`` and the fees, bundle fees and spends of imported files alike; now it is refused with what
to write. No services: every refusal here comes before a store or a broker is reached."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tracker.cli.main import main
from tracker.registry.importer import parse
from tracker.registry.records import Options, RowError, amount
from tracker.report.salesfile import read_orders

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch", time_zone="Asia/Shanghai")
UNREACHABLE = {"TRACKER_KAFKA_BOOTSTRAP": "127.0.0.1:19092", "TRACKER_CLICKHOUSE_URL": "http://127.0.0.1:9"}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=UNREACHABLE, catch_exceptions=False)


@pytest.mark.parametrize(("given", "stored"), [
    ("1,234", "1234"), ("1,234,567.5", "1234567.5"), ("12,345.00", "12345"), ("¥1,200", "1200"),
    ("8.00", "8"), ("800", "800"), (1234.5, "1234.5"), (Decimal("0.5"), "0.5"),
])
def test_a_comma_that_groups_thousands_is_read(given: object, stored: str) -> None:
    assert amount(given, "fee") == stored


@pytest.mark.parametrize(("given", "says"), [
    ("8,00", "--spend: 8,00: a comma only groups thousands here; write 8.00"),
    ("1,5", "--spend: 1,5: a comma only groups thousands here; write 1.5"),
    ("1.234,56", "--spend: 1.234,56: a comma only groups thousands here; write 1234.56"),
    ("12,34,567", "--spend: 12,34,567: a comma only groups thousands here; write the number with a point "
                  "for decimals and no other commas, e.g. 1234.50"),
    ("1234,567", "--spend: 1234,567: a comma only groups thousands here; write 1234.567"),
    (",5", "--spend: ,5: a comma only groups thousands here; write .5"),
])
def test_any_other_comma_is_refused_with_what_to_write(given: str, says: str) -> None:
    with pytest.raises(RowError) as caught:
        amount(given, "--spend")
    assert str(caught.value) == says


def test_heat_refuses_a_decimal_comma_before_anything_is_sent() -> None:
    result = invoke("heat", "douyin:7312345678901234567", "--spend", "8,00", "--channel", "dou+",
                    "--tenant", "acme")
    assert result.exit_code == 2, result.output
    assert "--spend: 8,00: a comma only groups thousands here; write 8.00" in result.output


def test_costs_add_refuses_a_decimal_comma_before_the_store_is_asked() -> None:
    result = invoke("costs", "add", "--tenant", "acme", "--campaign", "launch", "--amount", "1,5")
    assert result.exit_code == 2, result.output
    assert "--amount: 1,5: a comma only groups thousands here; write 1.5" in result.output


def test_costs_fx_refuses_a_decimal_comma_in_the_rate() -> None:
    result = invoke("costs", "fx", "--base", "USD", "--quote", "CNY", "--rate", "7,12")
    assert result.exit_code == 2, result.output
    assert "--rate: 7,12: a comma only groups thousands here; write 7.12" in result.output


def test_a_flat_tables_fees_read_grouping_and_refuse_a_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text('creator,followers,platform,post,published_at,fee,bundle,bundle_fee\n'
                    'cr-1,12000,douyin,7301234567890123401,2025-09-10T12:00:00+08:00,"1,200.50",,\n'
                    'cr-2,12000,douyin,7301234567890123402,2025-09-10T12:00:00+08:00,"8,00",,\n'
                    'cr-3,12000,douyin,7301234567890123403,2025-09-10T12:00:00+08:00,,b-1,"3,00"\n',
                    encoding="utf-8")
    reg = parse(path, OPTS)
    assert [m["fee"]["amount"] for m in reg.posts] == ["1200.5"]
    assert [str(p) for p in reg.problems] == [
        "line 3: fee: 8,00: a comma only groups thousands here; write 8.00",
        "line 4: bundle_fee: 3,00: a comma only groups thousands here; write 3.00"]
    assert not reg.tables["bundles"]


def test_a_heating_tables_spend_refuses_a_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "heating.csv"
    path.write_text('post,channel,start,spend\n'
                    'douyin:7301234567890123401,dou+,2025-09-10T12:00:00+08:00,"1,500"\n'
                    'douyin:7301234567890123401,dou+,2025-09-11T12:00:00+08:00,"8,00"\n', encoding="utf-8")
    reg = parse(path, OPTS)
    assert [m["spend"]["amount"] for m in reg.heating] == ["1500"]
    assert [str(p) for p in reg.problems] == ["line 3: spend: 8,00: a comma only groups thousands here; write 8.00"]


def test_a_campaign_documents_fees_refuse_a_decimal_comma(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    paid = next(p for p in doc["posts"] if p.get("fee"))
    paid["fee"]["amount"] = "2,50"
    doc["bundles"][0]["fee"]["amount"] = "12,000"
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, Options(version=1))
    first, *others = [p.reason for p in reg.problems]  # the others: the refused post's heating nodes
    assert first == "fee.amount: 2,50: a comma only groups thousands here; write 2.50"
    assert set(others) <= {f"post {paid['id']} is not among the file's posts"}
    assert next(b["amount"] for b in reg.tables["bundles"] if b["bundle_id"] == doc["bundles"][0]["id"]) == "12000"


def test_an_orders_revenue_reads_grouping_and_refuses_a_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    header = "order_id,attribution_key,revenue,currency,ordered_at\n"
    path.write_text(header + 'o1,douyin:1,"1,299.00",CNY,2025-03-06T10:00:00+08:00\n', encoding="utf-8")
    assert read_orders(path, "acme", 7).rows[0]["revenue"] == Decimal("1299.00")
    path.write_text(header + 'o1,douyin:1,"19,90",CNY,2025-03-06T10:00:00+08:00\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"line 2: revenue: 19,90: a comma only groups thousands here; write 19.90"):
        read_orders(path, "acme", 7)
