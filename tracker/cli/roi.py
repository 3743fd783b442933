"""``tracker roi``: what a campaign returned, per platform, tier, creator, post or content form."""

from __future__ import annotations

from typing import Any

import click

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
    CPE_NOTE,
    FX_MISSING_COLUMNS,
    LIKES_HIDDEN_COLUMNS,
    RATIO_NOTE,
    RATIO_SPEND_COLUMNS,
    ROI_COLUMNS,
    TITLE_CHARS,
    Column,
    creator_label,
    likes_hidden_note,
    opening,
    render,
    to_csv,
    to_json,
)


@click.command()
@campaign_option
@click.option("--by", type=click.Choice(q.DIMENSIONS), default="platform", show_default=True,
              help="Group posts by this dimension.")
@window_options
@format_option
@tenant_option
def roi(campaign_id: str, by: str, since: Any, until: Any, fmt: str, tenant: str | None) -> None:
    """Campaign ROI in the campaign's reporting currency.

    Spend = fee + service fee + bundle share + extra costs + heating, each
    converted at its own date. CPM = spend ÷ views × 1000; CPE = spend ÷
    engagements (n/a across platforms: they count engagements differently);
    cost per save / search / intent comment; EMV and (EMV − spend) ÷ spend;
    ROAS = attributed revenue ÷ spend; tail = engagements after the 72 h
    burst window ÷ engagements; eng/heat = incremental engagements per unit
    of heating spend. A metric a platform does not expose reads "n/a",
    never 0. The last row is the whole campaign, campaign-level costs
    (those without a post) included.

    Each ratio divides the spend of the posts that have its metric and a
    spend by that metric of the same posts (posts not yet measured, on a
    platform without it, or whose spend is n/a for want of an FX rate are
    left out, as are campaign-level costs): spend ÷ views × 1000 of a row is
    its CPM only when every post in it has views and a spend. csv and json
    show the spend each ratio divides (cpm_spend, cpe_spend, …, roas_spend);
    by creator, the creator's name beside the id; by post, its title (the
    table shows its first 24 characters).

    A post whose likes are hidden (Instagram, YouTube) has engagements
    without its likes: its CPE is n/a and every row's CPE leaves it out
    (its engagements still count); the table says how many such posts
    there are, csv and json count them per row (likes_hidden_posts).

    A spend, EMV or revenue that would leave out an amount without an FX
    rate reads n/a, in its row and the total, never a short sum; csv and
    json count those amounts (fx_missing) and the posts whose EMV or revenue
    lacks a rate (emv_fx_missing_posts, revenue_fx_missing_posts), and the
    table's warning names the rates to record.

    \b
    Examples:
      tracker roi --campaign 2024-double11
      tracker roi --campaign 2024-double11 --by tier --since 2024-11-01 --format csv
    """
    span = window(since, until)
    with reading() as (_, reader):
        camp = q.campaign(reader, campaign_id, tenant)
        groups, totals = q.roi_report(reader, camp, by, span)
        missing = q.missing_rates(reader, camp, span) if totals.get("fx_missing") else []
    if fmt == "json":
        click.echo(to_json({"tenant": camp.tenant, "campaign": camp.campaign_id, "currency": camp.currency,
                            "by": by, "groups": groups, "total": totals}), nl=False)
    elif fmt == "csv":
        named: list[Column] = {"creator": [("creator_name", "creator_name", "text")],
                               "post": [("title", "title", "text")]}.get(by, [])
        columns = [ROI_COLUMNS[0], *named, *ROI_COLUMNS[1:], *RATIO_SPEND_COLUMNS, *LIKES_HIDDEN_COLUMNS,
                   *FX_MISSING_COLUMNS]
        click.echo(to_csv(columns, [*groups, totals], by=by, cur=camp.currency), nl=False)
    else:
        table = ROI_COLUMNS
        if by == "creator":  # "橙子种草机 (cr-0035)" where the id alone was
            groups = [{**g, "value": creator_label(g.get("creator_name"), g["value"])} for g in groups]
        elif by == "post":  # the title's opening beside the id, as `tracker top` shows it
            groups = [{**g, "title": opening(g.get("title"), TITLE_CHARS)} for g in groups]
            table = [ROI_COLUMNS[0], ("title", "title", "text"), *ROI_COLUMNS[1:]]
        click.echo(f"{camp.name} ({camp.tenant}/{camp.campaign_id}) — ROI by {by}, {camp.currency}, "
                   f"times in {camp.time_zone}")
        click.echo(render(table, groups, totals, by=by, cur=camp.currency), nl=False)
        click.echo(RATIO_NOTE)
        if any((row.get("platforms") or 0) > 1 for row in [*groups, totals]):
            click.echo(CPE_NOTE)
        hidden = likes_hidden_note(totals.get("likes_hidden_posts"))
        if hidden:
            click.echo(hidden)
        outside = q.outside_note(totals)
        if outside:
            click.echo(outside)
        if totals.get("fx_missing"):
            click.echo(f"warning: {totals['fx_missing']} amount(s) have no FX rate to {camp.currency}; "
                       "a spend, EMV or revenue that would leave one out reads n/a (in its row and the total) "
                       "rather than a short sum, and ratios leave those posts out", err=True)
            without = without_rate(totals, groups)
            if without:
                click.echo(f"  without a rate: {without}", err=True)
            echo_rate_commands(missing)


def echo_rate_commands(missing: list[dict[str, Any]]) -> None:
    """On stderr, per currency pair amounts lack a rate for (queries.missing_rates), the command recording it."""
    for pair in missing:
        click.echo(f"  {pair['base']} → {pair['quote']} needed from {pair['since']}: tracker costs fx "
                   f"--base {pair['base']} --quote {pair['quote']} --rate RATE --date {pair['since']}", err=True)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def without_rate(totals: dict[str, Any], groups: list[dict[str, Any]]) -> str:
    """"EMV of 1 post; revenue of 2 posts and 1 campaign-level order": whose EMV and revenue read n/a
    for want of a rate (their spend is in the warning's first line), or "" when none."""
    orders = sum(g.get("revenue_fx_missing") or 0 for g in groups if g["value"] == q.CAMPAIGN_LEVEL)
    parts = []
    if totals.get("emv_fx_missing_posts"):
        parts.append(f"EMV of {_count(totals['emv_fx_missing_posts'], 'post')}")
    revenue = [_count(n, what) for n, what in ((totals.get("revenue_fx_missing_posts") or 0, "post"),
                                               (orders, "campaign-level order")) if n]
    if revenue:
        parts.append("revenue of " + " and ".join(revenue))
    return "; ".join(parts)
