"""The post-campaign report (结案报告) as data: every section and chart, read once.

Both renderers (``workbook`` for XLSX, ``page`` for HTML) take this
``Report``; neither queries the store. Times are in the campaign's time
zone, money in its reporting currency (the tenant's unless the campaign
sets its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tracker.registry.tiers import NAMES as TIER_ORDER
from tracker.report import charts
from tracker.report import queries as q
from tracker.report.tables import CPE_NOTE, likes_hidden_note
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
    data_as_of: datetime | None = None
    """When the latest snapshot of the campaign's posts was observed (UTC); None before the first."""
    missing_rates: list[dict[str, Any]] = field(default_factory=list)
    """The currency pairs amounts lack a rate for (queries.missing_rates); empty when none does."""

    def local(self, ts: datetime | None) -> datetime | None:
        """``ts`` (UTC) in the campaign's time zone, without tzinfo (for tables and sheets)."""
        if ts is None:
            return None
        aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.campaign.time_zone)).replace(tzinfo=None)

    def data_line(self) -> str:
        """What the figures cover, for the header: "data as of 2025-09-11 12:48 · campaign in progress
        (ends 2025-12-20)" — times and dates in the campaign's time zone."""
        as_of = self.local(self.data_as_of)
        parts = [f"data as of {as_of:%Y-%m-%d %H:%M}" if as_of else "no snapshot yet"]
        status = self.status()
        return " · ".join(parts + [status] if status else parts)

    def fx_line(self) -> str | None:
        """"2 amounts have no FX rate to CNY (USD from 2025-03-05, EUR from 2025-03-01): totals that
        depend on them read n/a." — for the summary; None when every amount has its rate."""
        n = self.totals.get("fx_missing") or 0
        if not n:
            return None
        pairs = ", ".join(f"{p['base']} from {p['since']:%Y-%m-%d}" for p in self.missing_rates)
        return (f"{n:,} amount{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} no FX rate to "
                f"{self.campaign.currency}{f' ({pairs})' if pairs else ''}: totals that depend on "
                f"{'them' if n != 1 else 'it'} read n/a.")

    def cpe_line(self) -> str | None:
        """Why CPE reads n/a, when a ROI row of the report mixes platforms, and which posts every CPE leaves
        out (those whose likes are hidden); None for a one-platform campaign without such posts."""
        rows = [self.totals, *self.by_platform, *self.by_tier]
        mixed = CPE_NOTE if any((row.get("platforms") or 0) > 1 for row in rows) else ""
        return " ".join(n for n in (mixed, likes_hidden_note(self.totals.get("likes_hidden_posts"))) if n) or None

    def orders_line(self) -> str | None:
        """"3 order(s) counted in the revenue and ROAS are dated outside their post's or campaign's dates
        (…); they count all the same." — what ``tracker roi`` notes under its table; None when none is."""
        return q.outside_note(self.totals).removeprefix("note: ") or None

    def status(self) -> str | None:
        """"campaign in progress (ends <date>)" while the campaign ends after both the data and the report's
        generation; "campaign ended <date>" after, with how much of its end the data miss when the latest
        snapshot is older than the end ("… · no snapshot in its last 4 days"); None without an end date.

        A report generated after the end whose data stop before it is no campaign in progress: the client
        reads a finished campaign whose last days are not covered."""
        ends, generated = self.local(self.campaign.ends_at), self.local(self.generated_at)
        seen = self.local(self.data_as_of)
        if ends is None or generated is None:
            return None
        if ends > max(seen or generated, generated):
            return f"campaign in progress (ends {ends:%Y-%m-%d})"
        if seen is None or seen >= ends:
            return f"campaign ended {ends:%Y-%m-%d}"
        gap = ends - seen
        missed = f"{gap.days} day{'s' if gap.days != 1 else ''}" if gap.days else \
            f"{max(1, gap.seconds // 3600)} h"
        return f"campaign ended {ends:%Y-%m-%d} · no snapshot in its last {missed}"


def build(reader: Reader, camp: q.Campaign, top_n: int = 10) -> Report:
    """Read every section of ``camp``'s report and draw its charts."""
    roi = q.roi_reports(reader, camp, ("platform", "tier"))  # the campaign-level money read once for both
    by_platform, totals = roi["platform"]
    by_tier, _ = roi["tier"]
    report = Report(
        campaign=camp,
        generated_at=datetime.now(UTC),
        totals=totals,
        by_platform=by_platform,
        by_tier=by_tier,
        tiers=sorted(q.tier_distribution(reader, camp), key=tier_key),
        posts=q.post_rows(reader, camp),
        **rank(reader, camp, top_n),
        heating=q.heating(reader, camp),
        long_tail=q.long_tail(reader, camp),
        keywords=q.keywords(reader, camp),
        data_as_of=q.data_as_of(reader, camp),
        missing_rates=q.missing_rates(reader, camp) if totals.get("fx_missing") else [],
    )
    report.charts = draw(report, daily_totals(q.campaign_curve(reader, camp)))
    return report


def tier_key(row: Mapping[str, Any]) -> tuple[str, int, str]:
    """Platform, then tier from the smallest (koc) to the largest (top); unknown tiers last."""
    tier = str(row.get("creator_tier") or "")
    return (str(row.get("platform")), TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER), tier)


RANKINGS = (("emv_return", "(EMV − spend) ÷ spend", "rate"),
            ("cpe_index", "CPE ÷ platform median CPE", "ratio"))
"""What the top and bottom posts are ranked by: the first a post of the campaign has.

CPE is only compared within one platform, so the fallback is platform-neutral: a post's CPE
over the median CPE of the campaign's posts on the same platform (queries.DERIVED)."""

CPE_INDEX_NOTE = ("CPE is only compared within one platform (platforms count engagements differently), so a "
                  "post's CPE is divided by the median CPE of this campaign's posts on the same platform: below "
                  "1.00 its engagements cost less than is usual there, above 1.00 more.")


def rank(reader: Reader, camp: q.Campaign, top_n: int) -> dict[str, Any]:
    """The top and bottom posts, what ranks them, and a note when that is not the first choice or when
    posts are left out of the ranking (and why: a top list of the posts on one platform, read as the
    campaign's, would hide the others)."""
    if top_n <= 0:
        return {"top": [], "bottom": [], "ranked_by": None,
                "ranking_note": "The top and bottom lists are turned off (TRACKER_REPORT_TOP_POSTS=0)."}
    for i, (metric, label, kind) in enumerate(RANKINGS):
        top = q.top_posts(reader, camp, metric, top_n)
        if top:
            note = "" if i == 0 else (
                f"No post has an {RANKINGS[0][1]} (it needs an EMV, from EMV unit values: the emv list of a "
                f"campaign document, tracker posts import FILE, and a spend), so posts are ranked by cost per "
                f"engagement. {CPE_INDEX_NOTE}")
            left_out = unranked_note(q.unranked(reader, camp, metric), label)
            note = " ".join(n for n in (note, left_out) if n)
            top, bottom = apart(top, q.top_posts(reader, camp, metric, top_n, bottom=True))
            return {"top": top, "bottom": bottom, "ranked_by": (metric, label, kind), "ranking_note": note}
    why = unranked_note(q.unranked(reader, camp, RANKINGS[-1][0]), RANKINGS[-1][1])
    return {"top": [], "bottom": [], "ranked_by": None,
            "ranking_note": f"No post has an {RANKINGS[0][1]} or a cost per engagement yet, so none is ranked."
                            + (f" {why}" if why else "")}


def unranked_note(rows: Iterable[Mapping[str, Any]], label: str) -> str:
    """"3 posts are not ranked (no CPE ÷ platform median CPE): 2 with no snapshot yet (on xiaohongshu); …"
    from queries.unranked; "" when every post is ranked."""
    rows = list(rows)
    n = sum(int(r["posts"]) for r in rows)
    if not n:
        return ""
    causes = "; ".join(f"{r['posts']} with {r['reason']} (on {', '.join(r['platforms'])})" for r in rows)
    return f"{n} post{'s are' if n != 1 else ' is'} not ranked (no {label}): {causes}."


def apart(top: list[dict[str, Any]], bottom: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The top posts (best first) and the bottom ones (worst first) with no post in both: when the campaign
    has fewer ranked posts than the two lists hold, the better half is the top and the rest the bottom,
    instead of every post listed twice (as "top 1" and as "bottom 7")."""
    ids = {r["post_id"] for r in top} | {r["post_id"] for r in bottom}
    if not {r["post_id"] for r in top} & {r["post_id"] for r in bottom}:
        return top, bottom
    keep = top[:(len(ids) + 1) // 2]
    kept = {r["post_id"] for r in keep}
    return keep, [r for r in bottom if r["post_id"] not in kept][:len(ids) - len(keep)]


def daily_totals(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The campaign's cumulative count per day from its posts' (``post_id``, ``day``, ``first``, ``last``)
    rows (queries.campaign_curve), days ascending.

    ``cumulative`` sums every tracked post's latest count (carried forward over days it has no
    row); ``carried`` is the part its first snapshot found — counted before its tracking began,
    not on that day; ``started`` counts the posts whose tracking began that day."""
    by_day: dict[date, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_day.setdefault(row["day"], []).append(row)
    latest: dict[str, float] = {}
    out, carried = [], 0.0
    for day in sorted(by_day):
        started = 0
        for row in by_day[day]:
            if row["post_id"] not in latest:
                started += 1
                carried += float(row["first"] or 0)
            latest[row["post_id"]] = float(row["last"] or 0)
        out.append({"day": day, "cumulative": sum(latest.values()), "carried": carried, "started": started})
    return out


def draw(report: Report, curve: list[dict[str, Any]]) -> dict[str, bytes]:
    """The report's charts, by name (PNG bytes); ``curve`` as :func:`daily_totals` gives it."""
    cur = report.campaign.currency
    platforms = [g for g in report.by_platform if g["value"] != q.CAMPAIGN_LEVEL]
    out = {
        "spend_emv_by_platform": charts.bars_png(
            f"Spend, EMV and revenue by platform ({cur})", [g["value"] for g in platforms],
            {"spend": [g["spend"] for g in platforms], "EMV": [g["emv"] for g in platforms],
             "revenue": [g["revenue"] for g in platforms]}, cur),
        "cpm_by_tier": charts.ranges_png(
            f"CPM by platform and tier, p25–p75 and median ({cur})",
            [f"{t['platform']} / {t['creator_tier']}" for t in report.tiers], [t["cpm_q"] for t in report.tiers],
            f"CPM {cur}", groups=[str(t["platform"]) for t in report.tiers],
            left_out="platform / tier groups without a CPM (no views on the platform, or none yet)"),
    }
    if curve:
        out["cumulative_engagements"] = charts.cumulative_png(
            f"Cumulative engagements, all posts (by day, {report.campaign.time_zone})",
            [c["day"] for c in curve], [c["cumulative"] for c in curve], [c["carried"] for c in curve],
            "engagements", [c["started"] for c in curve])
    if report.heating:
        out["heating_efficiency"] = charts.png(charts.hbars_figure(
            f"Incremental engagements per {cur} of heating, per heated pulse",
            [f"{h['post_id']} · pulse {h['pulse_index']}" for h in report.heating],
            [h["efficiency"] for h in report.heating], f"incremental engagements per {cur}",
            left_out="heated pulses without a figure (no spend or no lift measured yet)"))
    return out
