"""The post-campaign report as one self-contained HTML page (jinja2; charts embedded as PNG)."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from tracker.report import queries as q
from tracker.report.content import Report
from tracker.report.tables import (
    RATIO_NOTE,
    ROI_COLUMNS,
    Column,
    cell,
    with_creator_labels,
)
from tracker.report.workbook import (
    HEATING_COLUMNS,
    KEYWORD_COLUMNS,
    TAIL_COLUMNS,
    ranked_value_columns,
)

CHART_TITLES = {
    "spend_emv_by_platform": "Spend, EMV and revenue by platform",
    "cpm_by_tier": "CPM by platform and tier (p25–p75, median)",
    "cumulative_engagements": "Cumulative engagements",
    "heating_efficiency": "Heating efficiency per pulse",
}


def environment() -> Environment:
    env = Environment(loader=PackageLoader("tracker.report", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = cell
    env.filters["b64"] = lambda data: base64.b64encode(data).decode()
    return env


RANKED_COLUMNS: list[Column] = [
    ("post_id", "post", "text"), ("title", "title", "text"), ("platform", "platform", "text"),
    ("creator", "creator", "text"), ("creator_tier", "tier", "text"), ("content_form", "form", "text"), ("published_at", "published", "time"),
    ("spend", "spend {cur}", "money"), ("engagements", "engagements", "count"),
]
"""The top and bottom tables' columns before what ranks them; ``creator`` reads "橙子种草机 (cr-0035)"."""


def render_html(report: Report) -> str:
    """The report page: every section, numbers formatted, "n/a" where a figure does not exist."""
    template = environment().get_template("report.html")
    return template.render(
        r=report, c=report.campaign, roi_columns=ROI_COLUMNS,
        post_columns=RANKED_COLUMNS + ranked_value_columns(report),
        top=with_creator_labels(report.top), bottom=with_creator_labels(report.bottom),
        heating_columns=HEATING_COLUMNS, tail_columns=TAIL_COLUMNS, keyword_columns=KEYWORD_COLUMNS,
        chart_titles=CHART_TITLES, campaign_level=q.CAMPAIGN_LEVEL, ratio_note=RATIO_NOTE, cpe_note=report.cpe_line() or "",
    )


def write_html(report: Report, path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")
