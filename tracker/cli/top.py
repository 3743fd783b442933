"""``tracker top``: a campaign's best (or worst) posts by one metric."""

from __future__ import annotations

from typing import Any

import click

from tracker.contracts.vocab import METRICS, PLATFORMS
from tracker.report import queries as q
from tracker.report.options import (
    campaign_option,
    format_option,
    reading,
    tenant_option,
    window,
    window_options,
)
from tracker.report.tables import (
    TITLE_CHARS,
    Column,
    opening,
    render,
    to_csv,
    to_json,
    with_creator_labels,
)
from tracker.store.access import Reader

COUNTERS = (*METRICS, "engagements")  # n/a on a post = its platform does not expose the counter (or no snapshot yet)
ORDER_METRICS = ("revenue", "roas")  # n/a on every post when no order is attributed to the campaign


@click.command()
@campaign_option
@click.option("--metric", type=click.Choice(q.TOP_METRICS), default="saves", show_default=True,
              help="Rank by this figure (costs rank lowest first).")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--bottom", is_flag=True, help="The worst posts instead of the best.")
@click.option("--platform", type=click.Choice(PLATFORMS), default=None,
              help="Only posts on this platform (needed for cpe when the campaign has several).")
@window_options
@format_option
@tenant_option
def top(campaign_id: str, metric: str, limit: int, bottom: bool, platform: str | None, since: Any, until: Any,
        fmt: str, tenant: str | None) -> None:  # fmt: skip
    """List the top posts of a campaign by METRIC; posts where it is n/a are left out.

    CPE is compared within one platform only (platforms count engagements
    differently): with --metric cpe, pass --platform when the campaign's
    posts with a CPE are on several. A post whose likes are hidden has no
    CPE (its engagements lack them): the table says how many are left out.

    \b
    Examples:
      tracker top --campaign 2024-double11 --metric saves
      tracker top --campaign 2024-double11 --metric cpe --platform douyin --bottom --limit 5
    """
    span = window(since, until)
    with reading() as (_, reader):
        camp = q.campaign(reader, campaign_id, tenant)
        if metric in q.WITHIN_PLATFORM and platform is None:
            refuse_across_platforms(metric, q.platforms_with(reader, camp, metric, span))
        rows = q.top_posts(reader, camp, metric, limit, bottom, span, platform)
        why, hidden = None, ""
        if fmt == "table" and (not rows or metric == "cpe"):
            cover = q.coverage(reader, camp, span, platform)
            if metric == "cpe":
                hidden = likes_hidden_line(cover["likes_hidden"])
            if not rows:
                orders = order_counts(reader, camp) if metric in ORDER_METRICS else None
                why = why_none(metric, cover, span, orders, platform)
    money = metric in q.LOWER_IS_BETTER or metric in ("emv", "revenue")
    kind = "money" if money else "rate" if metric in ("emv_return", "tail_contribution") else (
        "ratio" if metric in ("roas", "heating_efficiency") else "count")
    head: list[Column] = [("post_id", "post", "text"), ("title", "title", "text"), ("platform", "platform", "text")]
    tail: list[Column] = [
        ("creator_tier", "tier", "text"), ("spend", "spend {cur}", "money"), ("views", "views", "count"),
        ("engagements", "engagements", "count"), ("value", metric + (" {cur}" if money else ""), kind),
    ]
    on = f" on {platform}" if platform else ""
    if fmt == "json":
        click.echo(to_json({"campaign": camp.campaign_id, "metric": metric, "platform": platform,
                            "currency": camp.currency, "posts": rows}), nl=False)
    elif fmt == "csv":
        named: list[Column] = [("creator_id", "creator_id", "text"), ("creator_name", "creator_name", "text")]
        click.echo(to_csv([*head, *named, *tail], rows), nl=False)
    elif why:
        click.echo(f"no post of {camp.name} ({camp.tenant}/{camp.campaign_id}){on} has {metric}: {why}")
    else:
        click.echo(f"{'bottom' if bottom else 'top'} {len(rows)} posts of {camp.name}{on} by {metric}")
        shown = [{**row, "title": opening(row.get("title"), TITLE_CHARS)} for row in with_creator_labels(rows)]
        shown_tail = [c for c in tail if c[0] != metric]  # ranked by spend, views or engagements: once, as the value
        click.echo(render([*head, ("creator", "creator", "text"), *shown_tail], shown, cur=camp.currency), nl=False)
    if hidden and fmt == "table":
        click.echo(hidden)


def likes_hidden_line(posts: int) -> str:
    """"note: 1 post whose likes are hidden has no CPE and is not listed …" under a CPE ranking, or "" when
    no post of it hides its likes: a bottom list by CPE would otherwise read as if it held the worst posts."""
    if not posts:
        return ""
    one = posts == 1
    return (f"note: {posts:,} post{'' if one else 's'} whose likes are hidden {'has' if one else 'have'} no CPE "
            f"and {'is' if one else 'are'} not listed ({'its' if one else 'their'} engagements lack "
            f"{'its' if one else 'their'} likes)")


def refuse_across_platforms(metric: str, platforms: list[str]) -> None:
    """A usage error when ``metric`` (one of queries.WITHIN_PLATFORM) would rank posts of several
    ``platforms`` (those of the campaign's posts that have it) in one list."""
    if len(platforms) > 1:
        raise click.UsageError(f"{q.WITHIN_PLATFORM[metric]} is compared within one platform (platforms count "
                               f"engagements differently): pass --platform ({', '.join(platforms)})")


def order_counts(reader: Reader, camp: q.Campaign) -> dict[str, int]:
    """Orders of the campaign's tenant: ``on_posts`` attributed to a post of the campaign,
    ``on_campaign`` to the campaign as a whole (a key naming no post), ``of_tenant`` in all."""
    return reader.query(
        "SELECT countIf(post_id IN (SELECT post_id FROM v_post_context WHERE tenant = {t:String} "
        "AND campaign_id = {c:String})) AS on_posts, countIf(ifNull(post_id, '') = '' AND key_campaign_id = "
        "{c:String}) AS on_campaign, count() AS of_tenant FROM v_sales_attributed WHERE tenant = {t:String}",
        {"t": camp.tenant, "c": camp.campaign_id}).named()[0]


def why_none(metric: str, cover: dict[str, Any], span: q.Window, orders: dict[str, int] | None = None,
             platform: str | None = None) -> str:  # fmt: skip
    """Why ``metric`` is n/a on every post, from the campaign's coverage (q.coverage, on ``platform``
    if given) and, for revenue and ROAS, its order counts (order_counts)."""
    posts, seen, platforms = cover["posts"], cover["with_snapshot"], ", ".join(cover["platforms"])
    if not posts:
        windowed = span.since or span.until
        if platform:
            return f"none of its posts is on {platform}" + (" in this window (--since / --until)" if windowed else "")
        return "none was published in this window (--since / --until)" if windowed else "it has no registered posts"
    if orders is not None and not orders["on_posts"]:
        if orders["on_campaign"]:
            return (f"its orders ({orders['on_campaign']}) are attributed to the campaign as a whole, not to a post "
                    "(tracker roi counts them at campaign level)")
        if orders["of_tenant"]:
            return (f"none of the orders imported for this tenant ({orders['of_tenant']}) is attributed to this "
                    "campaign (an order names a post, or a link or promo code mapped to one with tracker sales keys FILE)")
        return "no orders imported for this campaign (tracker sales import FILE)"
    unseen = f"{posts - seen} of its {posts} posts have no snapshot yet" if seen < posts else ""
    if metric in COUNTERS:
        if not seen:
            return f"none of its {posts} posts has a snapshot yet"
        return f"the platforms here ({platforms}) do not expose it" + (f"; {unseen}" if unseen else "")
    return ("it is n/a on every post: a figure it is computed from is missing (not exposed by the platform, "
            "no snapshot yet, no FX rate) or a divisor is 0" + (f"; {unseen}" if unseen else ""))
