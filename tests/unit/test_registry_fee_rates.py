"""Service-fee rates in registry files: ``5%`` and 0.05 are the same 5 %, and a bare number of 1 or
more (服务费率 5, as Xingtu and Pugongying sheets write it) is refused with how to write it, never
stored as a 500 % fee. Flat tables and campaign documents read rates alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.registry.importer import parse
from tracker.registry.records import Options, RowError, fee_rate

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")
HEADER = "creator,followers,platform,post,published_at,fee,service_fee_rate\n"


def table(tmp_path: Path, rates: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "posts.csv"
    path.write_text(header + "".join(f"cr-{i},12000,douyin,73012345678901234{i:02d},2025-09-10T12:00:00+08:00,"
                                     f"100,{rate}\n" for i, rate in enumerate(rates)), encoding="utf-8")
    return path


@pytest.mark.parametrize(("given", "share"), [
    ("0.05", "0.05"), ("5%", "0.05"), ("5 %", "0.05"), ("5％", "0.05"), ("0", "0"), ("0.999", "0.999"),
    ("100%", "1"), (0.07, "0.07"), ("12.5%", "0.125"),
])
def test_a_rate_is_a_share_of_the_fee(given: object, share: str) -> None:
    assert format(fee_rate(given, "service_fee_rate"), "f") == share


@pytest.mark.parametrize(("given", "says"), [
    ("5", "service_fee_rate 5 would be 500 %: write 0.05 or 5%"),
    (5, "service_fee_rate 5 would be 500 %: write 0.05 or 5%"),
    ("1", "service_fee_rate 1 would be 100 %: write 0.01 or 1%"),
    ("12.5", "service_fee_rate 12.5 would be 1250 %: write 0.125 or 12.5%"),
    ("150%", "service_fee_rate: must be from 0 to 100 % (got '150%')"),
    ("-5%", "service_fee_rate: must be from 0 to 100 % (got '-5%')"),
    ("five", "service_fee_rate: not a rate (got 'five'); write 0.05 or 5%"),
    ("nan", "service_fee_rate: not a rate (got 'nan'); write 0.05 or 5%"),
])
def test_a_rate_that_is_no_share_is_refused_with_how_to_write_it(given: object, says: str) -> None:
    with pytest.raises(RowError) as caught:
        fee_rate(given, "service_fee_rate")
    assert str(caught.value) == says


def test_a_flat_table_stores_5_percent_and_refuses_a_bare_5(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, ["5%", "0.05", "5", "abc"]), OPTS)
    assert [m["service_fee"]["amount"] for m in reg.posts] == ["5", "5"]
    assert [str(p) for p in reg.problems] == ["line 4: service_fee_rate 5 would be 500 %: write 0.05 or 5%",
                                              "line 5: service_fee_rate: not a rate (got 'abc'); write 0.05 or 5%"]


def test_an_exports_chinese_rate_column_is_read_alike(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, ["10%", "10"], HEADER.replace("service_fee_rate", "服务费率")), OPTS)
    assert [m["service_fee"]["amount"] for m in reg.posts] == ["10"]
    assert [p.reason for p in reg.problems] == ["service_fee_rate 10 would be 1000 %: write 0.1 or 10%"]


def test_a_campaign_documents_rate_is_read_as_a_flat_tables(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    paid = [p for p in doc["posts"] if p.get("fee") and p["fee"]["currency"] == "CNY"][:3]
    for post, rate in zip(paid, [5, "5%", "five"], strict=True):
        post["fee"].update(amount=300, service_fee_rate=rate)
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, OPTS)
    posts = {m["post_id"]: m for m in reg.posts}
    assert paid[0]["id"] not in posts and paid[2]["id"] not in posts
    assert posts[paid[1]["id"]]["service_fee"] == {"amount": "15", "currency": "CNY"}
    assert [p.reason for p in reg.problems if "(posts[" in p.where] == [
        "fee.service_fee_rate 5 would be 500 %: write 0.05 or 5%",
        "fee.service_fee_rate: not a rate (got 'five'); write 0.05 or 5%"]
