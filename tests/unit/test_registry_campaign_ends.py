"""A campaign end given as a date (``campaign_end: 2025-09-08``, ``end: 2025-09-08``) is the end of that
day in the campaign's time zone, not its first instant: stored as 00:00 it left the last day out of the
campaign (the report said "no snapshot in its last 14 h" of a day the campaign had not reached). Ends
are inclusive, so the stored instant is the day's last millisecond (DateTime64(3)) and the report still
reads "campaign ended 2025-09-08". A date-only start stays at 00:00; an end with a time is that time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from tracker.registry.importer import parse
from tracker.registry.records import Options, end_moment
from tracker.report import queries as q
from tracker.report.content import Report

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")
SHANGHAI_LAST_MS = datetime(2025, 9, 8, 15, 59, 59, 999_000, tzinfo=UTC)  # 2025-09-08 23:59:59.999 +08:00
HEADER = "creator,followers,platform,post,published_at,fee,time_zone,campaign_start,campaign_end\n"


@pytest.mark.parametrize("given", ["2025-09-08", "2025/09/08", "20250908", date(2025, 9, 8), 45908, "45908",
                                   45908.0])
def test_a_date_only_end_is_the_last_millisecond_of_that_day(given: Any) -> None:
    assert end_moment(given, "end", "Asia/Shanghai") == SHANGHAI_LAST_MS


@pytest.mark.parametrize(("given", "at"), [
    ("2025-09-08T00:00", datetime(2025, 9, 7, 16, tzinfo=UTC)),  # a time, even midnight, is that time
    ("2025-09-08 21:00", datetime(2025, 9, 8, 13, tzinfo=UTC)),
    ("2025-09-08T12:00:00Z", datetime(2025, 9, 8, 12, tzinfo=UTC)),
    (datetime(2025, 9, 8), datetime(2025, 9, 7, 16, tzinfo=UTC)),
    (45908.5, datetime(2025, 9, 8, 4, tzinfo=UTC)),
])
def test_an_end_with_a_time_is_that_time(given: Any, at: datetime) -> None:
    assert end_moment(given, "end", "Asia/Shanghai") == at


def test_a_flat_tables_date_only_end_takes_in_the_whole_day_in_the_campaigns_zone(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "cr-1,12000,douyin,7301234567890123401,2025-09-02T12:00:00-04:00,100,"
                             "America/New_York,2025-09-01,2025-09-08\n", encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    (update,) = reg.campaigns
    assert update.given["starts_at"] == datetime(2025, 9, 1, 4, tzinfo=UTC)  # 00:00 in New York
    assert update.given["ends_at"] == datetime(2025, 9, 9, 3, 59, 59, 999_000, tzinfo=UTC)  # 23:59:59.999 there


def test_a_one_day_campaign_of_dates_is_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "cr-1,12000,douyin,7301234567890123401,2025-09-08T12:00:00+08:00,100,"
                             "Asia/Shanghai,2025-09-08,2025-09-08\n", encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    assert reg.campaigns[0].given["ends_at"] == SHANGHAI_LAST_MS


def test_an_xlsx_whole_serial_end_is_the_end_of_that_day(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["cr-1", 12000, "douyin", "7301234567890123401", "2025-09-02T12:00:00+08:00", 100,
                  "Asia/Shanghai", 45901, 45908])
    book.save(tmp_path / "posts.xlsx")
    reg = parse(tmp_path / "posts.xlsx", OPTS)
    assert not reg.problems, reg.problems
    assert reg.campaigns[0].given["starts_at"] == datetime(2025, 8, 31, 16, tzinfo=UTC)
    assert reg.campaigns[0].given["ends_at"] == SHANGHAI_LAST_MS


def test_a_campaign_documents_date_only_end_is_the_end_of_that_day(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    campaign = next(c for c in doc["campaigns"] if c["time_zone"] == "Asia/Shanghai")
    campaign.update(start=date(2025, 9, 1), end=date(2025, 9, 8))  # YAML's unquoted dates
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, Options(version=1))
    record = next(c for c in reg.tables["campaigns"] if c["campaign_id"] == campaign["id"])
    assert record["starts_at"] == datetime(2025, 8, 31, 16, tzinfo=UTC)
    assert record["ends_at"] == SHANGHAI_LAST_MS


def report(ends_at: datetime, data_as_of: datetime) -> Report:
    camp = q.Campaign("acme", "launch", "Launch", "Asia/Shanghai", "CNY", "CNY", None, ends_at)
    return Report(camp, datetime(2025, 9, 20, tzinfo=UTC), {}, [], [], [], [], [], [], None, "", [], [], [],
                  data_as_of=data_as_of)


def test_the_report_reads_the_end_of_day_as_the_day_the_campaign_ended(tmp_path: Path) -> None:
    """The user's case: a snapshot at 10:00 on the last day. Stored as 00:00, the end read as passed
    before that day began; as the day's end, the report names the same date and the hours it misses."""
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "cr-1,12000,douyin,7301234567890123401,2025-09-02T12:00:00+08:00,100,"
                             "Asia/Shanghai,2025-09-01,2025-09-08\n", encoding="utf-8")
    ends = parse(path, OPTS).campaigns[0].given["ends_at"]
    seen = datetime(2025, 9, 8, 2, tzinfo=UTC)  # 10:00 on 8 September in Shanghai
    assert report(ends, seen).status() == "campaign ended 2025-09-08 · no snapshot in its last 13 h"
    assert report(ends, datetime(2025, 9, 8, 16, tzinfo=UTC)).status() == "campaign ended 2025-09-08"
    assert report(ends, datetime(2025, 9, 7, 2, tzinfo=UTC)).status() == \
        "campaign ended 2025-09-08 · no snapshot in its last 1 day"


def test_a_date_only_tracking_end_tracks_the_post_through_that_day(tmp_path: Path) -> None:
    """tracking_end: 2025-09-08 read as 00:00 stopped tracking (and resolved the post's decay alert)
    a day before the date the ops person wrote."""
    path = tmp_path / "posts.csv"
    path.write_text("creator,followers,platform,post,published_at,fee,time_zone,tracking_end\n"
                    "cr-1,12000,douyin,7301234567890123401,2025-09-02T12:00:00+08:00,100,Asia/Shanghai,2025-09-08\n"
                    "cr-2,12000,douyin,7301234567890123402,2025-09-02T12:00:00+08:00,100,Asia/Shanghai,"
                    "2025-09-08T18:00\n", encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    assert [p["tracking_end"] for p in reg.posts] == [SHANGHAI_LAST_MS, datetime(2025, 9, 8, 10, tzinfo=UTC)]


def test_a_heating_nodes_date_only_end_delivers_through_that_day(tmp_path: Path) -> None:
    path = tmp_path / "heating.csv"
    path.write_text("post,channel,start,end,spend,time_zone\n"
                    "douyin:7301234567890123401,dou+,2025-09-07T20:00,2025-09-08,500,Asia/Shanghai\n",
                    encoding="utf-8")
    reg = parse(path, Options(version=1, tenant="acme", currency="CNY"))
    assert not reg.problems, reg.problems
    assert reg.heating[0]["start"] == datetime(2025, 9, 7, 12, tzinfo=UTC)
    assert reg.heating[0]["end"] == SHANGHAI_LAST_MS
