"""Query builders over the ROI views (schemas/clickhouse/0003_roi_views.sql, 0005_roi_views_fast.sql,
0007_roi_ratios_same_posts.sql, 0009_roi_totals_without_rates.sql, 0012_pulse_spend_per_node.sql,
0024_cpe_without_hidden_likes.sql).

Every function takes a reader (``open_reader``: direct, or through the
process that holds the store) and returns plain dicts. Money is in the
campaign's reporting currency; None means "n/a" (a metric the platform does
not expose, or a ratio over 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tracker.analytics.roi import ratio
from tracker.errors import InvalidInput
from tracker.store.access import Reader

DIMENSIONS = ("platform", "tier", "creator", "content_form", "post")
CAMPAIGN_LEVEL = "(campaign-level)"

# The aggregates of v_roi_by, applied to v_roi_post rows (a test keeps the two equal). Each ratio covers the
# same posts above and below the line: those that have its metric *and* a spend (a post whose spend is n/a,
# an amount without an FX rate, leaves the ratio with its views, engagements, … instead of leaving those in
# the denominator and understating the ratio). Spend, each of its components (fee, extra, …), EMV and revenue
# are n/a rather than short when one post's could not be converted (0009, 0012); ``emv_fx_missing_posts`` and
# ``revenue_fx_missing_posts`` count the posts whose EMV or revenue lacks a rate. CPE leaves out the posts whose
# likes are hidden (their engagements lack them, 0024), which ``likes_hidden_posts`` counts. Over no post at all
# (the total of a window without posts) spend and its components are 0, not n/a: campaign-level money then adds
# to it.
AGGREGATES = """
    count() AS posts, uniqExact(r.platform) AS platforms,
    if(countIf(r.fee IS NULL) > 0, NULL, ifNull(sum(r.fee), 0))                   AS fee,
    if(countIf(r.service_fee IS NULL) > 0, NULL, ifNull(sum(r.service_fee), 0))   AS service_fee,
    if(countIf(r.bundle_share IS NULL) > 0, NULL, ifNull(sum(r.bundle_share), 0)) AS bundle_share,
    if(countIf(r.extra IS NULL) > 0, NULL, ifNull(sum(r.extra), 0))               AS extra,
    if(countIf(r.heating IS NULL) > 0, NULL, ifNull(sum(r.heating), 0))           AS heating,
    if(countIf(r.spend IS NULL) > 0, NULL, ifNull(sum(r.spend), 0))               AS spend,
    sum(r.fx_missing) AS fx_missing,
    sum(r.views) AS views, sum(r.likes) AS likes, sum(r.comments) AS comments, sum(r.shares) AS shares,
    sum(r.saves) AS saves, sum(r.searches) AS searches, sum(r.engagements) AS engagements,
    sum(r.intent_comments) AS intent_comments,
    if(countIf(r.emv_fx_missing > 0) > 0, NULL, sum(r.emv)) AS emv,
    if(countIf(r.revenue_fx_missing > 0) > 0, NULL, sum(r.revenue)) AS revenue,
    countIf(r.emv_fx_missing > 0) AS emv_fx_missing_posts, countIf(r.revenue_fx_missing > 0) AS revenue_fx_missing_posts,
    countIf(r.likes_hidden = 1) AS likes_hidden_posts,
    sum(r.tail_engagements) AS tail_engagements, sum(r.heating_incremental) AS heating_incremental,
    sum(r.heating_pulse_spend) AS heating_pulse_spend,
    sumIf(r.spend, r.views IS NOT NULL) * 1000
        / nullIf(toFloat64(sumIf(r.views, r.spend IS NOT NULL)), 0)                                 AS cpm,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL AND r.likes_hidden = 0)
        / nullIf(toFloat64(sumIf(r.engagements, r.spend IS NOT NULL AND r.likes_hidden = 0)), 0), NULL) AS cpe,
    sumIf(r.spend, r.saves IS NOT NULL) / nullIf(toFloat64(sumIf(r.saves, r.spend IS NOT NULL)), 0) AS cost_per_save,
    sumIf(r.spend, r.searches IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.searches, r.spend IS NOT NULL)), 0)                              AS cost_per_search,
    sumIf(r.spend, r.intent_comments IS NOT NULL)
        / nullIf(toFloat64(sumIf(r.intent_comments, r.spend IS NOT NULL)), 0)                       AS cost_per_intent_comment,
    (sumIf(r.emv, r.spend IS NOT NULL) - sumIf(r.spend, r.emv IS NOT NULL))
        / nullIf(sumIf(r.spend, r.emv IS NOT NULL), 0)                                              AS emv_return,
    sumIf(r.revenue, r.spend IS NOT NULL)
        / nullIf(sumIf(r.spend, r.revenue IS NOT NULL OR r.orders = 0), 0)                          AS roas,
    sum(r.tail_engagements) / nullIf(toFloat64(sumIf(r.engagements, r.tail_share IS NOT NULL)), 0) AS tail_contribution,
    sumIf(r.heating_incremental, r.heating_pulse_spend IS NOT NULL)
        / nullIf(sumIf(r.heating_pulse_spend, r.heating_incremental IS NOT NULL), 0)                AS heating_efficiency
"""

# The spend each ratio of AGGREGATES divides: that of the posts that have the ratio's metric and a spend
# (sumIf skips a NULL spend), not every post's. Shown beside the ratios in JSON and CSV so that they can be
# recomputed. ROAS divides the spend of the posts whose revenue is known (none: no order; n/a: no FX rate),
# heating efficiency the heating-pulse spend of the posts with heated pulses.
RATIO_SPEND = """
    sumIf(r.spend, r.views IS NOT NULL)                                          AS cpm_spend,
    if(uniqExact(r.platform) = 1, sumIf(r.spend, r.engagements IS NOT NULL AND r.likes_hidden = 0), NULL)
                                                                                 AS cpe_spend,
    sumIf(r.spend, r.saves IS NOT NULL)                                          AS cost_per_save_spend,
    sumIf(r.spend, r.searches IS NOT NULL)                                       AS cost_per_search_spend,
    sumIf(r.spend, r.intent_comments IS NOT NULL)                                AS cost_per_intent_comment_spend,
    sumIf(r.spend, r.emv IS NOT NULL)                                            AS emv_return_spend,
    sumIf(r.spend, r.revenue IS NOT NULL OR r.orders = 0)                        AS roas_spend,
    sumIf(r.heating_pulse_spend, r.heating_incremental IS NOT NULL)              AS heating_efficiency_spend
"""

# The revenue ROAS divides (with roas_spend), for roi_report to add campaign-level money to the total's ROAS.
ROAS_REVENUE = "sumIf(r.revenue, r.spend IS NOT NULL) AS roas_revenue"

# Creator names (the creators table) beside a post's creator id: LEFT JOIN after ``FROM v_roi_post AS r``.
# The joined columns have names of their own: with two joins, a name both sides have (post_id,
# creator_id) came back from ``r.*`` as ``r.post_id``.
CREATOR_JOIN = ("LEFT JOIN (SELECT creator_id AS named_creator, name AS creator_display FROM creators FINAL "
                "WHERE tenant = {tenant:String}) AS cr ON cr.named_creator = r.creator_id")
CREATOR_NAME = "nullIf(cr.creator_display, '')"
# Post titles (the registry's) beside a post's id: LEFT JOIN after ``FROM v_roi_post AS r``.
TITLE_JOIN = ("LEFT JOIN (SELECT post_id AS titled_post, title AS post_title FROM posts FINAL "
              "WHERE tenant = {tenant:String} AND deleted = 0) AS pt ON pt.titled_post = r.post_id")
TITLE = "nullIf(pt.post_title, '')"
# The post's status as its latest snapshot said (ok, unavailable, deleted): LEFT JOIN after ``v_roi_post AS r``.
STATUS_JOIN = ("LEFT JOIN (SELECT post_id AS status_post, status AS post_status FROM post_totals FINAL "
               "WHERE tenant = {tenant:String}) AS ps ON ps.status_post = r.post_id")

SPEND_COMPONENTS = ("fee", "service_fee", "bundle_share", "extra", "heating")
"""What a spend is the sum of (DESIGN.md ROI), in every row of roi_report: the campaign-level row's costs are
all extra costs."""

GROUP_COLUMN = {
    "platform": "toString(r.platform)", "tier": "toString(r.creator_tier)", "creator": "r.creator_id",
    "content_form": "toString(r.content_form)", "post": "r.post_id",
}


@dataclass(frozen=True)
class Campaign:
    tenant: str
    campaign_id: str
    name: str
    time_zone: str
    currency: str
    tenant_currency: str
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class Window:
    """Posts published in [since, until) (dates in the campaign's time zone); None = open."""

    since: date | None = None
    until: date | None = None

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(tz)
        lo = datetime.combine(self.since, time(), zone) if self.since else datetime(1970, 1, 1, tzinfo=UTC)
        hi = datetime.combine(self.until, time(), zone) if self.until else datetime(2200, 1, 1, tzinfo=UTC)
        return lo.astimezone(UTC), hi.astimezone(UTC)


def campaign_rows(reader: Reader, campaign_id: str, tenant: str | None = None) -> list[tuple[Any, ...]]:
    """(tenant, campaign_id, name, time zone, reporting currency, tenant currency) per tenant
    holding the campaign; refuses an id without registered posts with how to list the known ones."""
    rows = reader.query(
        "SELECT tenant, campaign_id, any(campaign_name), any(time_zone), any(reporting_currency), "
        "any(tenant_currency) FROM v_post_context WHERE campaign_id = {c:String} "
        "AND ({t:String} = '' OR tenant = {t:String}) GROUP BY tenant, campaign_id",
        {"c": campaign_id, "t": tenant or ""},
    ).rows
    if not rows:
        where = f" of tenant {tenant}" if tenant else ""
        raise InvalidInput(f"no registered posts in campaign {campaign_id!r}{where}; "
                           "list campaigns with: tracker sql \"SELECT DISTINCT tenant, campaign_id FROM posts\"")
    return list(rows)


def campaign(reader: Reader, campaign_id: str, tenant: str | None = None) -> Campaign:
    """The campaign's context; refuses an unknown or ambiguous id with what to pass instead."""
    rows = campaign_rows(reader, campaign_id, tenant)
    if len(rows) > 1:
        tenants = ", ".join(sorted(r[0] for r in rows))
        raise InvalidInput(f"campaign {campaign_id!r} exists for several tenants ({tenants}); pass --tenant")
    t, c, name, tz, currency, tenant_currency = rows[0]
    dates = reader.query("SELECT starts_at, ends_at FROM campaigns FINAL WHERE tenant = {t:String} "
                         "AND campaign_id = {c:String}", {"t": t, "c": c}).rows
    starts, ends = dates[0] if dates else (None, None)
    return Campaign(t, c, name or c, tz, currency, tenant_currency, starts, ends)


def _post_filter(camp: Campaign, window: Window, platform: str | None = None) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (over ``v_roi_post AS r``) of the campaign's posts in the window, on one platform if given."""
    lo, hi = window.bounds(camp.time_zone)
    where = ("r.tenant = {tenant:String} AND r.campaign_id = {campaign:String} "
             "AND r.published_at >= {lo:DateTime64(3, 'UTC')} AND r.published_at < {hi:DateTime64(3, 'UTC')}")
    params: dict[str, Any] = {"tenant": camp.tenant, "campaign": camp.campaign_id, "lo": lo, "hi": hi}
    if platform:
        where += " AND r.platform = {platform:String}"
        params["platform"] = platform
    return where, params


def roi_groups(reader: Reader, camp: Campaign, by: str, window: Window = Window()) -> tuple[list[dict], dict]:
    """(ROI per group of posts, largest spend first; the same over every post) in one pass.

    ``by`` is one of DIMENSIONS. Campaign-level money is not in either. Besides the
    figures of v_roi_by, each row has the spend every cost ratio divides (RATIO_SPEND:
    ``cpm_spend``, ``cpe_spend``, …); by creator, the creator's name (``creator_name``); by
    post, its title (``title``)."""
    if by not in GROUP_COLUMN:
        raise InvalidInput(f"--by must be one of {', '.join(DIMENSIONS)}")
    where, params = _post_filter(camp, window)
    name, join = {"creator": (f", any({CREATOR_NAME}) AS creator_name", CREATOR_JOIN),
                  "post": (f", any({TITLE}) AS title", TITLE_JOIN)}.get(by, ("", ""))
    sql = (f"SELECT {GROUP_COLUMN[by]} AS value, grouping(value) AS is_total, {AGGREGATES}, {RATIO_SPEND}, "
           f"{ROAS_REVENUE}{name} "
           f"FROM v_roi_post AS r {join} WHERE {where} GROUP BY GROUPING SETS ((value), ()) "
           "ORDER BY is_total, spend DESC NULLS FIRST, value")
    groups: list[dict[str, Any]] = []
    total: dict[str, Any] = {"posts": 0, "fx_missing": 0, "emv_fx_missing_posts": 0,
                             "revenue_fx_missing_posts": 0, "likes_hidden_posts": 0}  # no post in the window
    for row in reader.query(sql, params).named():
        if row.pop("is_total"):
            total = row
            for label in ("creator_name", "title"):
                if label in row:
                    row[label] = None  # the total row is no creator, no post
        else:
            row.pop("roas_revenue")  # the total's only (roi_report)
            groups.append(row)
    return groups, total


def campaign_level(reader: Reader, camp: Campaign, window: Window = Window()) -> dict[str, Any]:
    """Money of the campaign that belongs to no post, dated inside the window: spend (0 without a
    cost, as when that money is orders only) and revenue (None without an order), each n/a when an
    amount has no rate; the amounts without a rate (``fx_missing``; of them, orders:
    ``revenue_fx_missing``) and the count of amounts (``lines``)."""
    zone = ZoneInfo(camp.time_zone)
    lo, hi = window.bounds(camp.time_zone)
    sql = """
        SELECT
            if(countIf(m.converted IS NULL AND m.component != 'revenue') > 0, NULL,
               ifNull(sumIf(m.converted, m.component != 'revenue'), 0)) AS spend,
            if(countIf(m.component = 'revenue') = 0 OR countIf(m.component = 'revenue' AND m.converted IS NULL) > 0,
               NULL, sumIf(m.converted, m.component = 'revenue')) AS revenue,
            countIf(m.converted IS NULL) AS fx_missing,
            countIf(m.component = 'revenue' AND m.converted IS NULL) AS revenue_fx_missing, count() AS lines
        FROM v_campaign_money AS m
        WHERE m.tenant = {tenant:String} AND m.campaign_id = {campaign:String} AND m.scope != 'tenant'
          AND m.money_date >= {lo:Date} AND m.money_date < {hi:Date}
    """
    params = {"tenant": camp.tenant, "campaign": camp.campaign_id,
              "lo": lo.astimezone(zone).date(), "hi": hi.astimezone(zone).date()}
    return reader.query(sql, params).named()[0]


def orders_outside(reader: Reader, camp: Campaign, window: Window = Window()) -> dict[str, int]:
    """Of the orders the campaign's ROI counts in the window (roi_report: every order of its posts
    published in the window, and the orders attributed to the campaign only dated in it), how many are
    dated before their post's publish time (``orders_before_publish``), after the campaign's end
    (``orders_after_campaign_end``; an end is inclusive) and either (``orders_outside_dates``). They
    count all the same (attribution windows are the client's call); the figures say that they do."""
    zone = ZoneInfo(camp.time_zone)
    lo, hi = window.bounds(camp.time_zone)
    after = "o.ordered_at > {end:DateTime64(3, 'UTC')}" if camp.ends_at is not None else "0"
    sql = f"""
        SELECT countIf(o.ordered_at < o.published_at) AS orders_before_publish,
               countIf({after}) AS orders_after_campaign_end,
               countIf(o.ordered_at < o.published_at OR {after}) AS orders_outside_dates
        FROM
        (
            SELECT s.ordered_at AS ordered_at, toNullable(p.published_at) AS published_at
            FROM (SELECT post_id, ordered_at FROM v_sales_attributed
                  WHERE tenant = {{tenant:String}} AND ifNull(post_id, '') != '') AS s
            INNER JOIN (SELECT post_id, published_at FROM posts FINAL
                        WHERE tenant = {{tenant:String}} AND campaign_id = {{campaign:String}} AND deleted = 0
                          AND published_at >= {{lo:DateTime64(3, 'UTC')}} AND published_at < {{hi:DateTime64(3, 'UTC')}}
                       ) AS p ON p.post_id = s.post_id
            UNION ALL
            SELECT ordered_at, CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS published_at
            FROM v_sales_attributed
            WHERE tenant = {{tenant:String}} AND ifNull(post_id, '') = '' AND key_campaign_id = {{campaign:String}}
              AND ifNull(order_day, toDate(ordered_at)) >= {{lo_day:Date}}
              AND ifNull(order_day, toDate(ordered_at)) < {{hi_day:Date}}
        ) AS o
    """
    params: dict[str, Any] = {"tenant": camp.tenant, "campaign": camp.campaign_id, "lo": lo, "hi": hi,
                              "lo_day": lo.astimezone(zone).date(), "hi_day": hi.astimezone(zone).date()}
    if camp.ends_at is not None:
        params["end"] = camp.ends_at
    return {k: int(v) for k, v in reader.query(sql, params).named()[0].items()}


def outside_note(total: dict[str, Any]) -> str:
    """The one line under an ROI table that says how many of the orders it counts are dated outside their
    post's or campaign's dates (``orders_outside``), or "" when none is."""
    n = total.get("orders_outside_dates") or 0
    if not n:
        return ""
    parts = [f"{count} {what}" for count, what in ((total.get("orders_before_publish") or 0,
                                                    "before their post's publish time"),
                                                   (total.get("orders_after_campaign_end") or 0,
                                                    "after the campaign's end")) if count]
    return (f"note: {n} order(s) counted in the revenue and ROAS are dated outside their post's or campaign's "
            f"dates ({'; '.join(parts)}); they count all the same")


def roi_report(reader: Reader, camp: Campaign, by: str, window: Window = Window()) -> tuple[list[dict], dict]:
    """(groups, totals): groups by ``by`` plus a campaign-level row when there is such money;
    totals = the campaign's figures (posts + campaign-level money). The campaign-level row counts
    its orders without a rate (``revenue_fx_missing``); the total's revenue is n/a when there is one.
    Every row's spend is the sum of its SPEND_COMPONENTS (campaign-level costs are extra costs).
    The totals also count the orders they include that are dated outside their post's or
    campaign's dates (``orders_outside``; ``outside_note`` says so in one line).

    The queries run at once: the engine plans each on one core, and
    planning is about half of their time (tests/bench/bench_roi.py)."""
    return roi_reports(reader, camp, (by,), window)[by]


def roi_reports(reader: Reader, camp: Campaign, dimensions: Sequence[str],
                window: Window = Window()) -> dict[str, tuple[list[dict], dict]]:
    """``roi_report`` by each of ``dimensions``, the campaign-level money and the orders outside
    their dates read once for all of them (they do not depend on the grouping)."""
    for by in dimensions:
        if by not in GROUP_COLUMN:
            raise InvalidInput(f"--by must be one of {', '.join(DIMENSIONS)}")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tracker-roi") as pool:
        level_future = pool.submit(campaign_level, reader, camp, window)
        outside_future = pool.submit(orders_outside, reader, camp, window)
        grouped = {by: roi_groups(reader, camp, by, window) for by in dimensions}
        level = level_future.result()
        outside = outside_future.result()
    return {by: _with_campaign_level(groups, total, level, outside) for by, (groups, total) in grouped.items()}


def _with_campaign_level(groups: list[dict], total: dict, level: dict[str, Any],
                         outside: dict[str, int]) -> tuple[list[dict], dict]:
    """``roi_report``'s rows from ``roi_groups``' (``groups``, ``total``), the campaign-level money
    (``campaign_level``) and the orders outside their dates (``orders_outside``)."""
    total.update(outside)
    roas_revenue = total.pop("roas_revenue", None)
    if level["lines"]:
        groups.append({"value": CAMPAIGN_LEVEL, "posts": 0, "spend": level["spend"], "revenue": level["revenue"],
                       "fx_missing": level["fx_missing"], "revenue_fx_missing": level["revenue_fx_missing"],
                       "emv_fx_missing_posts": 0, "revenue_fx_missing_posts": 0, "likes_hidden_posts": 0,
                       **dict.fromkeys(SPEND_COMPONENTS, 0.0), "extra": level["spend"],
                       "roas": ratio(level["revenue"], level["spend"]), "roas_spend": level["spend"]})
        # the campaign-level costs are the total's extra costs too, so that its components add up to its spend
        total["spend"] = _plus(total["spend"], level["spend"])
        total["extra"] = _plus(total.get("extra", 0.0), level["spend"])
        if level["revenue_fx_missing"] or total.get("revenue_fx_missing_posts"):
            total["revenue"] = None  # n/a, as the spend: a sum without that order would read short
        else:
            revenues = [v for v in (total["revenue"], level["revenue"]) if v is not None]
            total["revenue"] = sum(revenues) if revenues else None
        total["fx_missing"] += level["fx_missing"]
        # ROAS: the revenue and spend of the posts whose both are known, plus the campaign-level money
        # (sales attributed to the campaign only, costs of no post); n/a while that money lacks a rate.
        if level["fx_missing"]:
            total["roas_spend"] = total["roas"] = None
        else:
            known_revenues = [v for v in (roas_revenue, level["revenue"]) if v is not None]
            total["roas_spend"] = (total.get("roas_spend") or 0.0) + (level["spend"] or 0.0)
            total["roas"] = ratio(sum(known_revenues) if known_revenues else None, total["roas_spend"])
    total["value"] = "total"
    return groups, total


def missing_rates(reader: Reader, camp: Campaign, window: Window = Window()) -> list[dict[str, Any]]:
    """The currency pairs the campaign's amounts lack a rate for (``base`` → ``quote``, the reporting
    currency), with the earliest date a rate is needed from and how many amounts wait for it. In a
    window, only the amounts its figures count (roi_report): those of the posts published in it,
    whatever their dates, and those of no post dated in it."""
    params: dict[str, Any] = {"t": camp.tenant, "c": camp.campaign_id}
    inside = ""
    if window.since or window.until:
        zone = ZoneInfo(camp.time_zone)
        lo, hi = window.bounds(camp.time_zone)
        params.update(lo=lo, hi=hi, lo_day=lo.astimezone(zone).date(), hi_day=hi.astimezone(zone).date())
        inside = (" AND if(post_id != '', post_id IN (SELECT post_id FROM posts FINAL WHERE tenant = {t:String} "
                  "AND campaign_id = {c:String} AND deleted = 0 AND published_at >= {lo:DateTime64(3, 'UTC')} "
                  "AND published_at < {hi:DateTime64(3, 'UTC')}), "
                  "money_date >= {lo_day:Date} AND money_date < {hi_day:Date})")
    return reader.query(
        "SELECT currency AS base, target AS quote, min(money_date) AS since, count() AS amounts FROM v_money "
        "WHERE tenant = {t:String} AND campaign_id = {c:String} AND scope != 'tenant' AND converted IS NULL "
        f"AND currency != target{inside} GROUP BY base, quote ORDER BY base, quote", params).named()


def _plus(a: float | None, b: float | None) -> float | None:
    """a + b, n/a when either is."""
    return None if a is None or b is None else a + b


def post_rows(reader: Reader, camp: Campaign, window: Window = Window()) -> list[dict[str, Any]]:
    """Every post of the campaign with its costs, outcomes, ratios, title, creator's name (``creator_name``) and
    status as its latest snapshot said (``status``: a post taken down keeps its last counters)."""
    where, params = _post_filter(camp, window)
    return reader.query(f"SELECT r.*, {TITLE} AS title, {CREATOR_NAME} AS creator_name, nullIf(ps.post_status, '') "
                        f"AS status FROM v_roi_post AS r {TITLE_JOIN} {CREATOR_JOIN} {STATUS_JOIN} WHERE {where} "
                        "ORDER BY r.published_at, r.post_id", params).named()


TOP_METRICS = ("views", "likes", "comments", "shares", "saves", "searches", "engagements", "intent_comments", "emv",
               "revenue", "spend", "cpm", "cpe", "cost_per_save", "cost_per_search", "cost_per_intent_comment",
               "emv_return", "roas", "tail_contribution", "heating_efficiency")
LOWER_IS_BETTER = frozenset({"cpm", "cpe", "cpe_index", "cost_per_save", "cost_per_search",
                             "cost_per_intent_comment", "spend"})
WITHIN_PLATFORM = {"cpe": "CPE"}
"""Figures compared within one platform only (README, DESIGN's metric matrix): platforms count engagements
differently. Heating efficiency and the other cost-per figures are not restricted there."""
DERIVED = {"cpe_index": ("cpe", "r.cpe / nullIf(quantileExactInclusive(0.5)(r.cpe) OVER (PARTITION BY r.platform), 0)")}
"""Rankings computed from a v_roi_post column: (that column, expression). ``cpe_index`` = the post's CPE ÷ the
median CPE of the posts of its platform that have one (same window): comparable across platforms; n/a where
that median is 0."""


def top_posts(reader: Reader, camp: Campaign, metric: str, limit: int = 10, bottom: bool = False,
              window: Window = Window(), platform: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The best (or worst) posts by ``metric`` (one of TOP_METRICS or DERIVED), on one platform if given;
    posts where it is n/a are left out. Rows carry the post's title, its creator's name (``creator_name``) and
    its CPE."""
    if metric not in TOP_METRICS and metric not in DERIVED:
        raise InvalidInput(f"--metric must be one of {', '.join(TOP_METRICS)}")
    column, value = DERIVED.get(metric, (metric, f"r.{metric}"))
    best_first = "ASC" if metric in LOWER_IS_BETTER else "DESC"
    order = best_first if not bottom else ("DESC" if best_first == "ASC" else "ASC")
    where, params = _post_filter(camp, window, platform)
    sql = (f"SELECT * FROM (SELECT r.post_id AS post_id, {TITLE} AS title, r.platform AS platform, "
           f"r.creator_id AS creator_id, "
           f"{CREATOR_NAME} AS creator_name, r.creator_tier AS creator_tier, r.content_form AS content_form, "
           f"r.published_at AS published_at, r.url AS url, r.spend AS spend, r.views AS views, "
           f"r.engagements AS engagements, r.saves AS saves, r.cpe AS cpe, {value} AS value "
           f"FROM v_roi_post AS r {TITLE_JOIN} {CREATOR_JOIN} WHERE {where} AND r.{column} IS NOT NULL) "
           f"WHERE value IS NOT NULL ORDER BY value {order}, post_id LIMIT {int(limit)}")
    return reader.query(sql, params).named()


UNRANKED_REASONS = {
    "emv_return": ("multiIf(r.as_of IS NULL, 'no snapshot yet', r.spend IS NULL, 'a spend of n/a, for want "
                   "of an FX rate', r.emv IS NULL, 'no EMV, no EMV unit value applying to their platform', "
                   "'no spend')"),
    "cpe_index": ("multiIf(r.as_of IS NULL, 'no snapshot yet', r.spend IS NULL, 'a spend of n/a, for want "
                  "of an FX rate', r.likes_hidden = 1, 'hidden likes', "
                  "ifNull(r.engagements, 0) = 0, 'no engagements', "
                  "'a platform median CPE of 0')"),
}
"""Why a post has no ranking figure (content.RANKINGS), the first cause that applies."""


def unranked(reader: Reader, camp: Campaign, metric: str, window: Window = Window()) -> list[dict[str, Any]]:
    """The campaign's posts that ``metric`` (a key of UNRANKED_REASONS) leaves out of :func:`top_posts`, by
    reason (``reason``, ``posts``, ``platforms``), most posts first: a top list over the others is no top of
    the campaign unless the report says whom it leaves out."""
    _, value = DERIVED.get(metric, (metric, f"r.{metric}"))
    where, params = _post_filter(camp, window)
    return reader.query(
        f"SELECT reason, count() AS posts, arraySort(groupUniqArray(platform)) AS platforms FROM "
        f"(SELECT {UNRANKED_REASONS[metric]} AS reason, toString(r.platform) AS platform, {value} AS value "
        f"FROM v_roi_post AS r WHERE {where}) WHERE value IS NULL GROUP BY reason ORDER BY posts DESC, reason",
        params).named()


def platforms_with(reader: Reader, camp: Campaign, metric: str, window: Window = Window()) -> list[str]:
    """The platforms of the campaign's posts in the window on which ``metric`` (a v_roi_post column) is not n/a."""
    if metric not in TOP_METRICS:
        raise InvalidInput(f"--metric must be one of {', '.join(TOP_METRICS)}")
    where, params = _post_filter(camp, window)
    rows = reader.query(f"SELECT DISTINCT toString(r.platform) FROM v_roi_post AS r WHERE {where} "
                        f"AND r.{metric} IS NOT NULL ORDER BY 1", params).rows
    return [str(r[0]) for r in rows]


def data_as_of(reader: Reader, camp: Campaign) -> datetime | None:
    """When the latest snapshot of the campaign's posts was observed (UTC); None before the first."""
    rows = reader.query(
        "SELECT max(t.as_of) FROM post_totals AS t FINAL WHERE t.tenant = {t:String} AND t.as_of > 0 AND t.post_id IN "
        "(SELECT post_id FROM posts FINAL WHERE tenant = {t:String} AND campaign_id = {c:String} AND deleted = 0) "
        "HAVING count() > 0", {"t": camp.tenant, "c": camp.campaign_id}).rows
    return rows[0][0] if rows else None


def coverage(reader: Reader, camp: Campaign, window: Window = Window(), platform: str | None = None) -> dict[str, Any]:
    """Posts of the campaign in the window (on one platform if given), how many have a snapshot, and their
    platforms, and how many hide their likes (``likes_hidden``: no CPE): why a figure can be n/a on every
    post. A totals row observed at 1970-01-01 is no snapshot: older workers wrote that placeholder
    (stream/processor.py EPOCH) for a post not yet observed, and the stores they wrote keep it for each post
    never observed since."""
    where, params = _post_filter(camp, window, platform)
    return reader.query(f"SELECT count() AS posts, countIf(r.as_of > 0) AS with_snapshot, "
                        f"countIf(r.likes_hidden = 1) AS likes_hidden, "
                        f"arraySort(groupUniqArray(toString(r.platform))) AS platforms "
                        f"FROM v_roi_post AS r WHERE {where}", params).named()[0]


def tier_distribution(reader: Reader, camp: Campaign) -> list[dict[str, Any]]:
    return reader.query("SELECT * FROM v_tier_distribution WHERE tenant = {t:String} AND campaign_id = {c:String} "
                        "ORDER BY platform, creator_tier", {"t": camp.tenant, "c": camp.campaign_id}).named()


def heating(reader: Reader, camp: Campaign) -> list[dict[str, Any]]:
    return reader.query("SELECT * FROM v_heating_efficiency WHERE tenant = {t:String} AND campaign_id = {c:String} "
                        "ORDER BY efficiency DESC NULLS LAST, post_id, pulse_index",
                        {"t": camp.tenant, "c": camp.campaign_id}).named()


def long_tail(reader: Reader, camp: Campaign) -> list[dict[str, Any]]:
    return reader.query(
        "SELECT p.post_id AS post_id, p.platform AS platform, p.creator_id AS creator_id, l.tail_share AS tail_share, "
        "l.organic_tail_share AS organic_tail_share, l.paid_tail_share AS paid_tail_share, "
        "l.projected_30d AS projected_30d, l.projected_90d AS projected_90d "
        "FROM (SELECT * FROM long_tail FINAL WHERE tenant = {t:String}) AS l "
        "INNER JOIN v_post_context AS p ON p.tenant = l.tenant AND p.post_id = l.post_id "
        "WHERE p.campaign_id = {c:String} ORDER BY l.tail_share DESC NULLS LAST, post_id",
        {"t": camp.tenant, "c": camp.campaign_id}).named()


def keywords(reader: Reader, camp: Campaign, limit: int = 20) -> list[dict[str, Any]]:
    return reader.query(
        "SELECT k.kind AS kind, k.term AS term, sum(k.count) AS mentions, uniqExact(k.post_id) AS posts "
        "FROM keyword_hours AS k INNER JOIN v_post_context AS p ON p.tenant = k.tenant AND p.post_id = k.post_id "
        "WHERE k.tenant = {t:String} AND p.campaign_id = {c:String} "
        f"GROUP BY kind, term ORDER BY mentions DESC, term LIMIT {int(limit)}",
        {"t": camp.tenant, "c": camp.campaign_id}).named()


def campaign_curve(reader: Reader, camp: Campaign, metric: str = "engagements") -> list[dict[str, Any]]:
    """Each post's cumulative ``metric`` per day (campaign time zone): ``last`` at the day's last grid hour,
    ``first`` at its first (the count its first snapshot found, on the day tracking began), by day."""
    return reader.query(
        "SELECT c.post_id AS post_id, toDate(c.hour, {tz:String}) AS day, argMax(c.cumulative, c.hour) AS last, "
        "argMin(c.cumulative, c.hour) AS first "
        "FROM (SELECT * FROM v_curves WHERE tenant = {t:String} AND metric = {m:String}) AS c "
        "INNER JOIN v_post_context AS p ON p.tenant = c.tenant AND p.post_id = c.post_id "
        "WHERE p.campaign_id = {c:String} GROUP BY c.post_id, day ORDER BY day, c.post_id",
        {"t": camp.tenant, "c": camp.campaign_id, "m": metric, "tz": camp.time_zone}).named()


def require_tenant(reader: Reader, tenant: str) -> None:
    """Refuses a tenant without registered posts, naming the tenants the store has."""
    tenants = [str(r[0]) for r in reader.query("SELECT DISTINCT tenant FROM posts ORDER BY tenant").rows]
    if tenant not in tenants:
        raise InvalidInput(f"no registered posts for tenant {tenant!r} "
                           f"(tenants: {', '.join(tenants) or 'none yet'})")


def resolve_tenant(reader: Reader, tenant: str | None, table: str = "posts") -> str:
    """``tenant``, or the only tenant of the store; refuses to guess between several."""
    return tenant or only_tenant(tenants(reader, table))


def tenants(reader: Reader, table: str = "posts") -> list[str]:
    """The tenants with rows in ``table``, sorted."""
    return [str(r[0]) for r in reader.query(f"SELECT DISTINCT tenant FROM {table} ORDER BY tenant").rows]


def registered_tenants(reader: Reader) -> list[str]:
    """The tenants the registry knows (a tenant, campaign or post stored), sorted."""
    return [str(t) for (t,) in reader.query(
        "SELECT DISTINCT tenant FROM (SELECT tenant FROM tenants FINAL UNION ALL SELECT tenant FROM campaigns FINAL "
        "UNION ALL SELECT tenant FROM posts FINAL WHERE deleted = 0) ORDER BY tenant").rows]


def only_tenant(tenants: list[str]) -> str:
    """The only one of the store's ``tenants``; refuses none or several."""
    if len(tenants) == 1:
        return tenants[0]
    if not tenants:
        raise InvalidInput("the store has no posts yet")
    raise InvalidInput(f"several tenants ({', '.join(tenants)}): pass --tenant")


def tenant_of(reader: Reader, tenant: str | None, what: Literal["post", "creator"], value: str) -> str:
    """``tenant``, or the one tenant whose registered posts carry ``what`` (post or creator) id ``value``;
    refuses an id found under no tenant or under several, as ``campaign`` does."""
    if tenant:
        return tenant
    return only_holder(what, value, holders(reader, what, value))


def holders(reader: Reader, what: Literal["post", "creator"], value: str) -> list[str]:
    """The tenants whose registered posts carry ``what`` (post or creator) id ``value``, sorted."""
    return [str(r[0]) for r in reader.query(
        f"SELECT DISTINCT tenant FROM posts FINAL WHERE deleted = 0 AND {what}_id = {{v:String}} ORDER BY tenant",
        {"v": value}).rows]


def only_holder(what: str, value: str, tenants: list[str]) -> str:
    """The one tenant of ``tenants`` (those holding ``what`` id ``value``); refuses none or several."""
    if not tenants:
        raise InvalidInput(f"no registered {what} {value!r}; list {what}s with: "
                           f"tracker sql \"SELECT DISTINCT tenant, {what}_id FROM posts\"")
    if len(tenants) > 1:
        raise InvalidInput(f"{what} {value!r} exists for several tenants ({', '.join(tenants)}); pass --tenant")
    return tenants[0]


def post_tenants(reader: Reader) -> dict[str, list[str]]:
    """Every registered post id with the tenants holding it (one, unless two tenants track the same post)."""
    rows = reader.query("SELECT post_id, arraySort(groupUniqArray(tenant)) FROM posts FINAL WHERE deleted = 0 "
                        "GROUP BY post_id").rows
    return {str(p): [str(t) for t in ts] for p, ts in rows}
