"""Excel dates in registry files: openpyxl gives a date-formatted cell as a datetime but a General
cell holding a date as Excel's serial number (days since 1899-12-30, or 1904-01-01 in a workbook of
the 1904 date system). Every time and date column reads a serial from 2000 to 2099 as the date it
is, in the row's time zone; another number is refused naming it (it was reported "missing")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from tracker.registry.importer import parse
from tracker.registry.records import Options, RowError, moment

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch", time_zone="Asia/Shanghai")
HEADER = ["creator", "followers", "platform", "post", "published_at", "fee"]
TEN_AM = datetime(2025, 9, 5, 2, tzinfo=UTC)  # 2025-09-05 10:00 in Shanghai = serial 45905.41666…
RANGE = "an Excel date serial between 36526 (2000-01-01) and 73051 (2100-01-01)"


def workbook(path: Path, header: list[str], rows: list[list[Any]], formats: dict[str, str] | None = None,
             epoch: datetime | None = None) -> Path:
    """An XLSX file as Excel saves it; ``formats`` gives cells (``E2``) their number format."""
    book = Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    book.save(path)
    return path


def post(i: int, published: Any) -> list[Any]:
    return [f"cr-{i}", 12000, "douyin", f"73012345678901234{i:02d}", published, 1000]


def test_a_serial_in_a_general_cell_is_the_date_a_formatted_cell_gives(tmp_path: Path) -> None:
    full = (datetime(2025, 9, 5, 10, 0, 37) - datetime(1899, 12, 30)).total_seconds() / 86400
    path = workbook(tmp_path / "posts.xlsx", HEADER, [
        post(1, 45905.4166),  # General: 4 decimals (8.6 s steps) mean a minute
        post(2, datetime(2025, 9, 5, 10)),  # date-formatted: openpyxl gives the datetime
        post(3, 45905),  # a whole serial is midnight
        post(4, full),  # Excel's full precision keeps the seconds
    ], formats={"E3": "yyyy-mm-dd hh:mm"})
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    assert [m["published_at"] for m in reg.posts] == [TEN_AM, TEN_AM, datetime(2025, 9, 4, 16, tzinfo=UTC),
                                                      datetime(2025, 9, 5, 2, 0, 37, tzinfo=UTC)]


def test_a_number_that_is_no_plausible_serial_is_refused_naming_it(tmp_path: Path) -> None:
    path = workbook(tmp_path / "posts.xlsx", HEADER, [post(1, 123), post(2, 1757037600), post(3, True)])
    reg = parse(path, OPTS)
    assert not reg.posts
    reasons = [p.reason for p in reg.problems]
    assert reasons[0].startswith("published_at: 123 is neither a time nor " + RANGE), reasons
    assert reasons[1].startswith("published_at: 1757037600 is neither"), reasons
    assert "published_at: not a time (got True)" in reasons[2] and "missing" not in " ".join(reasons)


def test_a_workbook_of_the_1904_date_system_counts_from_1904(tmp_path: Path) -> None:
    serial = (datetime(2025, 9, 5, 10) - datetime(1904, 1, 1)).days + 0.4166
    path = workbook(tmp_path / "posts.xlsx", HEADER, [post(1, serial), post(2, datetime(2025, 9, 5, 10))],
                    formats={"E3": "yyyy-mm-dd hh:mm"}, epoch=CALENDAR_MAC_1904)
    reg = parse(path, OPTS)
    assert not reg.problems and [m["published_at"] for m in reg.posts] == [TEN_AM, TEN_AM]


def test_every_time_column_of_a_flat_table_reads_serials(tmp_path: Path) -> None:
    header = [*HEADER, "tracking_end", "campaign_start", "campaign_end"]
    path = workbook(tmp_path / "posts.xlsx", header, [[*post(1, 45905.4166), 45935.5, 45900, 45930.75]])
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    assert reg.posts[0]["tracking_end"] == datetime(2025, 10, 5, 4, tzinfo=UTC)
    (update,) = reg.campaigns
    assert update.given["starts_at"] == datetime(2025, 8, 30, 16, tzinfo=UTC)
    assert update.given["ends_at"] == datetime(2025, 9, 30, 10, tzinfo=UTC)


def test_a_heating_tables_times_read_serials(tmp_path: Path) -> None:
    path = workbook(tmp_path / "heating.xlsx", ["post", "channel", "start", "end", "spend"],
                    [["douyin:7301234567890123401", "dou+", 45905.4166, 45906.5, 500]])
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    assert reg.heating[0]["start"] == TEN_AM
    assert reg.heating[0]["end"] == datetime(2025, 9, 6, 4, tzinfo=UTC)


def test_a_csv_holds_the_serial_excel_wrote_as_text(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(",".join(HEADER) + "\ncr-1,12000,douyin,7301234567890123401,45905.4166,1000\n"
                    "cr-2,12000,douyin,7301234567890123402,20250905,1000\n", encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems  # 20250905: a basic ISO date, not a serial
    assert [m["published_at"] for m in reg.posts] == [TEN_AM, datetime(2025, 9, 4, 16, tzinfo=UTC)]


def test_a_campaign_documents_times_and_dates_read_serials(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    campaign = next(c for c in doc["campaigns"] if c["time_zone"] == "Asia/Shanghai")
    campaign.update(start=45900, end=45930.75)
    first = next(p for p in doc["posts"] if p["campaign"] == campaign["id"])
    first["published_at"] = 45905.4166
    doc["fx"][0]["date"] = 45900
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    record = next(c for c in reg.tables["campaigns"] if c["campaign_id"] == campaign["id"])
    assert record["starts_at"] == datetime(2025, 8, 30, 16, tzinfo=UTC)
    assert record["ends_at"] == datetime(2025, 9, 30, 10, tzinfo=UTC)
    assert next(m for m in reg.posts if m["post_id"] == first["id"])["published_at"] == TEN_AM
    assert reg.tables["fx_rates"][0]["rate_date"] == date(2025, 8, 31)


@pytest.mark.parametrize("given", [36525.9, 73051, -1, float("nan"), float("inf")])
def test_the_plausible_range_is_2000_to_2099(given: float) -> None:
    with pytest.raises(RowError, match="Excel date serial between"):
        moment(given, "published_at")
