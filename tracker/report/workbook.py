"""The post-campaign report as an XLSX workbook (openpyxl).

Sheets: Summary, By platform, By tier, Tier distribution, Posts, Top and
bottom, Heating, Long tail, Keywords, Charts. Numbers stay numbers (with
thousands-separator formats) so a client can recompute; "n/a" cells are
text, never 0.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tracker.report.content import RANKINGS, Report
from tracker.report.tables import (
    LIKES_HIDDEN_COLUMNS,
    NA,
    RATIO_NOTE,
    RATIO_SPEND_COLUMNS,
    ROI_COLUMNS,
    Column,
    is_missing,
    plain,
)

SHEETS = ("Summary", "By platform", "By tier", "Tier distribution", "Posts", "Top and bottom", "Heating",
          "Long tail", "Keywords", "Charts")
FORMATS = {"count": "#,##0", "money": "#,##0.00", "rate": "0.0%", "ratio": "#,##0.00##", "text": "@"}
HEADER = PatternFill("solid", fgColor="1E3A8A")

POST_COLUMNS: list[Column] = [
    ("post_id", "post", "text"), ("title", "title", "text"), ("platform", "platform", "text"),
    ("creator_id", "creator id", "text"), ("creator_name", "creator", "text"), ("creator_tier", "tier", "text"), ("content_form", "form", "text"),
    ("published_at", "published", "time"), ("as_of", "last snapshot", "time"), ("status", "status", "text"),
    ("fee", "fee {cur}", "money"), ("service_fee", "service fee {cur}", "money"),
    ("bundle_share", "bundle share {cur}", "money"), ("extra", "extra {cur}", "money"),
    ("heating", "heating {cur}", "money"), ("spend", "spend {cur}", "money"), ("views", "views", "count"),
    ("likes", "likes", "count"), ("comments", "comments", "count"), ("shares", "shares", "count"),
    ("saves", "saves", "count"), ("searches", "searches", "count"), ("engagements", "engagements", "count"),
    ("intent_comments", "intent comments", "count"), ("cpm", "CPM {cur}", "money"), ("cpe", "CPE {cur}", "money"),
    ("cost_per_save", "per save {cur}", "money"), ("cost_per_search", "per search {cur}", "money"),
    ("cost_per_intent_comment", "per intent {cur}", "money"), ("emv", "EMV {cur}", "money"),
    ("emv_return", "EMV ROI", "rate"), ("revenue", "revenue {cur}", "money"), ("roas", "ROAS", "ratio"),
    ("tail_contribution", "tail", "rate"), ("heating_efficiency", "eng/heat", "ratio"), ("url", "url", "text"),
]
TIER_COLUMNS: list[Column] = [
    ("platform", "platform", "text"), ("creator_tier", "tier", "text"), ("posts", "posts", "count"),
    ("total_spend", "spend {cur}", "money"),
    *[(f"{k}_q.{i}", f"{label} p{p}", kind) for k, label, kind in (
        ("cpm", "CPM", "money"), ("cpe", "CPE", "money"), ("engagements_per_1k", "eng / 1k spend", "ratio"),
        ("saves_per_1k", "saves / 1k spend", "ratio")) for i, p in enumerate((25, 50, 75))],
]
HEATING_COLUMNS: list[Column] = [
    ("post_id", "post", "text"), ("pulse_index", "pulse", "count"), ("heating_ids", "heating nodes", "text"),
    ("onset", "onset", "time"), ("status", "status", "text"), ("spend", "spend {cur}", "money"),
    ("incremental_engagements", "incremental engagements", "count"), ("efficiency", "eng per unit spend", "ratio"),
]
TAIL_COLUMNS: list[Column] = [
    ("post_id", "post", "text"), ("platform", "platform", "text"), ("tail_share", "tail share", "rate"),
    ("organic_tail_share", "organic tail", "rate"), ("paid_tail_share", "paid tail", "rate"),
    ("projected_30d", "projected 30 d", "count"), ("projected_90d", "projected 90 d", "count"),
]
KEYWORD_COLUMNS: list[Column] = [("kind", "kind", "text"), ("term", "term", "text"),
                                 ("mentions", "mentions", "count"), ("posts", "posts", "count")]


def ranked_value_columns(report: Report) -> list[Column]:
    """The columns after a top or bottom post's own: what ranks it (and its CPE beside a CPE index)."""
    metric, label, kind = report.ranked_by or RANKINGS[0]
    cpe: list[Column] = [("cpe", "CPE {cur}", "money")] if metric == "cpe_index" else []
    return [*cpe, ("value", label, kind)]


def _value(row: Mapping[str, Any], key: str) -> Any:
    if "." in key:  # "cpm_q.1": element of an array column
        name, index = key.split(".")
        values = row.get(name) or []
        return values[int(index)] if int(index) < len(values) else None
    return row.get(key)


def _sheet(wb: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], report: Report,
           **names: str) -> None:  # fmt: skip
    ws = wb.create_sheet(title)
    ws.append([h.format(cur=report.campaign.currency, **names) for _, h, _ in columns])
    for c in ws[1]:
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEADER
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        values: list[Any] = []
        for key, _, kind in columns:
            v = _value(row, key)
            if kind == "time":
                values.append(report.local(v))
            elif kind == "text":
                values.append(", ".join(v) if isinstance(v, list) else "" if v is None else str(v))
            else:
                values.append(NA if is_missing(v) else plain(v))
        ws.append(values)
    for i, (_, _, kind) in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 26 if kind == "text" else 14
        for cell in ws[letter][1:]:
            if cell.value == NA:
                cell.alignment = Alignment(horizontal="right")
            elif kind == "time":
                cell.number_format = "yyyy-mm-dd hh:mm"
            else:
                cell.number_format = FORMATS[kind]
    ws.freeze_panes = "B2"


def _summary(wb: Workbook, report: Report) -> None:
    ws = wb.active
    ws.title = "Summary"
    c, t = report.campaign, report.totals
    ws.append(["结案报告 Post-campaign report"])
    ws["A1"].font = Font(bold=True, size=14)
    facts: list[tuple[str, Any, str]] = [
        ("campaign", f"{c.name} ({c.campaign_id})", "text"), ("tenant", c.tenant, "text"),
        ("reporting currency", c.currency, "text"), ("time zone", c.time_zone, "text"),
        ("campaign from", report.local(c.starts_at) or "not given", "time"),
        ("campaign to", report.local(c.ends_at) or "not given", "time"),
        ("generated", report.local(report.generated_at), "time"),
        ("data as of", report.local(report.data_as_of) or "no snapshot yet", "time"),
    ]
    if report.status():
        facts.append(("campaign status", report.status(), "text"))
    facts.append(("posts", t.get("posts"), "count"))
    facts += [(header.format(by="", cur=c.currency).strip(), t.get(key), kind)
              for key, header, kind in ROI_COLUMNS[2:] + RATIO_SPEND_COLUMNS + LIKES_HIDDEN_COLUMNS]
    for label, value, kind in facts:
        if isinstance(value, datetime):  # a date cell, to the minute (not ISO text)
            ws.append([label, value.replace(second=0, microsecond=0)])
        else:
            ws.append([label, NA if is_missing(value) else plain(value)])
        cell = ws.cell(ws.max_row, 2)
        cell.number_format = "yyyy-mm-dd hh:mm" if kind == "time" else FORMATS.get(kind, "@")
    ws.append([])
    for note in (report.fx_line(), report.orders_line(), RATIO_NOTE, report.cpe_line(), report.ranking_note):
        if note:
            ws.append(["note", note])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 30


def _charts(wb: Workbook, report: Report) -> None:
    ws = wb.create_sheet("Charts")
    row = 1
    for name, data in report.charts.items():
        ws.cell(row, 1, name.replace("_", " "))
        image = Image(io.BytesIO(data))
        image.anchor = f"A{row + 1}"
        ws.add_image(image)
        row += int(image.height / 20) + 3


def write_xlsx(report: Report, path: Path) -> None:
    """Write the report's workbook to ``path``."""
    wb = Workbook()
    _summary(wb, report)
    # the spend each ratio divides, so that it can be recomputed, and the posts CPE leaves out
    roi_columns = ROI_COLUMNS + RATIO_SPEND_COLUMNS + LIKES_HIDDEN_COLUMNS
    _sheet(wb, "By platform", roi_columns, [*report.by_platform, report.totals], report, by="platform")
    _sheet(wb, "By tier", roi_columns, [*report.by_tier, report.totals], report, by="tier")
    _sheet(wb, "Tier distribution", TIER_COLUMNS, report.tiers, report)
    _sheet(wb, "Posts", POST_COLUMNS, report.posts, report)
    _sheet(wb, "Top and bottom", [("rank", "rank", "text"), *POST_COLUMNS[:6], ("spend", "spend {cur}", "money"),
                                  *ranked_value_columns(report)],
           [{**r, "rank": f"top {i + 1}"} for i, r in enumerate(report.top)]
           + [{**r, "rank": f"bottom {i + 1}"} for i, r in enumerate(report.bottom)], report)
    if report.ranking_note:  # what ranks the posts when it is not the first choice, and whom it leaves out
        ranked = wb["Top and bottom"]
        ranked.append([])
        ranked.append(["note", report.ranking_note])
    _sheet(wb, "Heating", HEATING_COLUMNS, report.heating, report)
    _sheet(wb, "Long tail", TAIL_COLUMNS, report.long_tail, report)
    _sheet(wb, "Keywords", KEYWORD_COLUMNS, report.keywords, report)
    _charts(wb, report)
    wb.save(path)
