"""The report workbook: what the figures cover, the spend each ratio divides, creators by name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from tracker.report import queries as q
from tracker.report.content import Report
from tracker.report.tables import RATIO_NOTE
from tracker.report.workbook import write_xlsx

CAMPAIGN = q.Campaign("acme", "c1", "Launch", "Asia/Shanghai", "CNY", "CNY", datetime(2025, 9, 1, tzinfo=UTC),
                      datetime(2025, 12, 20, 13, tzinfo=UTC))
TOTALS = {"value": "total", "posts": 2, "spend": 3_000.0, "views": 10_000, "cpm": 100.0, "cpm_spend": 1_000.0}
POST = {"post_id": "weibo:1", "platform": "weibo", "creator_id": "cr-0035", "creator_name": "橙子种草机",
        "creator_tier": "micro", "published_at": datetime(2025, 9, 2, tzinfo=UTC), "spend": 2_000.0}


def workbook(tmp_path: Path) -> openpyxl.Workbook:
    report = Report(CAMPAIGN, datetime(2025, 9, 12, tzinfo=UTC), TOTALS, [TOTALS | {"value": "douyin"}], [], [],
                    [POST], [], [], None, "", [], [], [], data_as_of=datetime(2025, 9, 11, 4, 48, 37, tzinfo=UTC))
    write_xlsx(report, tmp_path / "r.xlsx")
    return openpyxl.load_workbook(tmp_path / "r.xlsx")


def test_summary_says_when_the_data_were_seen_and_that_the_campaign_runs_on(tmp_path: Path) -> None:
    rows = [r for r in workbook(tmp_path)["Summary"].iter_rows(values_only=True) if r and r[0]]
    facts = {r[0]: r[1] for r in rows}
    assert facts["data as of"] == datetime(2025, 9, 11, 12, 48)  # a date cell, campaign time zone
    assert facts["generated"] == datetime(2025, 9, 12, 8, 0)
    assert facts["campaign status"] == "campaign in progress (ends 2025-12-20)"
    assert ("note", RATIO_NOTE) in rows


def test_roi_sheets_show_the_spend_each_ratio_divides(tmp_path: Path) -> None:
    sheet = workbook(tmp_path)["By platform"]
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["CPM CNY"] == 100.0 and values["CPM spend CNY"] == 1_000.0 and values["spend CNY"] == 3_000.0


def test_posts_sheet_names_the_creator_beside_the_id(tmp_path: Path) -> None:
    sheet = workbook(tmp_path)["Posts"]
    posts = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert posts["creator id"] == "cr-0035" and posts["creator"] == "橙子种草机"


def test_summary_shows_the_spend_the_campaign_cpm_divides(tmp_path: Path) -> None:
    facts = {r[0]: r[1] for r in workbook(tmp_path)["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert facts["spend CNY"] == 3_000.0 and facts["CPM CNY"] == 100.0 and facts["CPM spend CNY"] == 1_000.0


def test_a_small_ratio_keeps_its_digits_instead_of_reading_zero(tmp_path: Path) -> None:
    """0.003 engagements per CNY of heating read "0.00" in the workbook while the page said 0.003."""
    report = Report(CAMPAIGN, datetime(2025, 9, 12, tzinfo=UTC), TOTALS | {"heating_efficiency": 0.003},
                    [], [], [], [], [], [], None, "", [], [], [])
    write_xlsx(report, tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"]
    cell = next(row[1] for row in sheet.iter_rows() if row[0].value == "eng/heat CNY")
    assert cell.value == 0.003 and cell.number_format == "#,##0.00##"  # Excel shows 0.003, and 1,234.50


def test_the_cpe_note_appears_only_when_a_row_mixes_platforms(tmp_path: Path) -> None:
    def notes(totals: dict) -> list[str]:
        report = Report(CAMPAIGN, datetime(2025, 9, 12, tzinfo=UTC), totals, [], [], [], [], [], [], None, "",
                        [], [], [])
        write_xlsx(report, tmp_path / "r.xlsx")
        rows = openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"].iter_rows(values_only=True)
        return [r[1] for r in rows if r and r[0] == "note"]

    assert not any("mixes platforms" in n for n in notes(TOTALS | {"platforms": 1}))
    assert any("mixes platforms" in n for n in notes(TOTALS | {"platforms": 2}))
