"""The post-campaign report (结案报告) as data: every section and chart, read once.

Both renderers (``workbook`` for XLSX, ``page`` for HTML) take this
``Report``; neither queries the store. Times are in the campaign's time
zone, money in its reporting currency (the tenant's unless the campaign
sets its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tracker.report import charts
from tracker.report import queries as q
from tracker.store.access import Reader


@dataclass
class Report:
    campaign: q.Campaign
    generated_at: datetime
    totals: dict[str, Any]
    by_platform: list[dict[str, Any]]
    by_tier: list[dict[str, Any]]
    tiers: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    top: list[dict[str, Any]]
    bottom: list[dict[str, Any]]
    ranked_by: tuple[str, str, str] | None
    """(metric, label, kind) the top and bottom posts are ranked by; None: no post has one."""
    ranking_note: str
    heating: list[dict[str, Any]]
    long_tail: list[dict[str, Any]]
    keywords: list[dict[str, Any]]
    charts: dict[str, bytes] = field(default_factory=dict)

    def local(self, ts: datetime | None) -> datetime | None:
        """``ts`` (UTC) in the campaign's time zone, without tzinfo (for tables and sheets)."""
        if ts is None:
            return None
        aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.campaign.time_zone)).replace(tzinfo=None)


def build(reader: Reader, camp: q.Campaign, top_n: int = 10) -> Report:
    """Read every section of ``camp``'s report and draw its charts."""
    by_platform, totals = q.roi_report(reader, camp, "platform")
    by_tier, _ = q.roi_report(reader, camp, "tier")
    report = Report(
        campaign=camp,
        generated_at=datetime.now(UTC),
        totals=totals,
        by_platform=by_platform,
        by_tier=by_tier,
        tiers=q.tier_distribution(reader, camp),
        posts=q.post_rows(reader, camp),
        **rank(reader, camp, top_n),
        heating=q.heating(reader, camp),
        long_tail=q.long_tail(reader, camp),
        keywords=q.keywords(reader, camp),
    )
    report.charts = draw(report, q.campaign_curve(reader, camp))
    return report


RANKINGS = (("emv_return", "(EMV − spend) ÷ spend", "rate"), ("cpe", "cost per engagement", "money"))
"""What the top and bottom posts are ranked by: the first a post of the campaign has."""


def rank(reader: Reader, camp: q.Campaign, top_n: int) -> dict[str, Any]:
    """The top and bottom posts, what ranks them, and a note when that is not the first choice."""
    for i, (metric, label, kind) in enumerate(RANKINGS):
        top = q.top_posts(reader, camp, metric, top_n)
        if top:
            note = "" if i == 0 else (
                f"No post has an EMV (it needs EMV unit values: the emv list of a campaign document, "
                f"tracker posts import FILE), so posts are ranked by {label}.")
            return {"top": top, "bottom": q.top_posts(reader, camp, metric, top_n, bottom=True),
                    "ranked_by": (metric, label, kind), "ranking_note": note}
    return {"top": [], "bottom": [], "ranked_by": None,
            "ranking_note": "No post has an EMV or a cost per engagement yet (no snapshot, or no EMV unit values "
                            "and no engagements), so none is ranked."}


def draw(report: Report, curve: list[dict[str, Any]]) -> dict[str, bytes]:
    """The report's charts, by name (PNG bytes)."""
    cur = report.campaign.currency
    platforms = [g for g in report.by_platform if g["value"] != q.CAMPAIGN_LEVEL]
    out = {
        "spend_emv_by_platform": charts.bars_png(
            f"Spend, EMV and revenue by platform ({cur})", [g["value"] for g in platforms],
            {"spend": [g["spend"] for g in platforms], "EMV": [g["emv"] for g in platforms],
             "revenue": [g["revenue"] for g in platforms]}, cur),
        "cpm_by_tier": charts.ranges_png(
            f"CPM by platform and tier, p25-p75 and median ({cur})",
            [f"{t['platform']}/{t['creator_tier']}" for t in report.tiers], [t["cpm_q"] for t in report.tiers], cur),
    }
    if curve:
        out["cumulative_engagements"] = charts.line_png(
            f"Cumulative engagements, all posts (by day, {report.campaign.time_zone})",
            [c["day"] for c in curve], [c["cumulative"] or 0 for c in curve], "engagements")
    if report.heating:
        out["heating_efficiency"] = charts.bars_png(
            f"Incremental engagements per {cur} of heating, per pulse",
            [f"{h['post_id']}#{h['pulse_index']}" for h in report.heating],
            {"engagements per unit spend": [h["efficiency"] for h in report.heating]}, f"per {cur}")
    return out
