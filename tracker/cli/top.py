"""``tracker top``: a campaign's best (or worst) posts by one metric."""

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
from tracker.report.tables import Column, render, to_csv, to_json


@click.command()
@campaign_option
@click.option("--metric", type=click.Choice(q.TOP_METRICS), default="saves", show_default=True,
              help="Rank by this figure (costs rank lowest first).")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--bottom", is_flag=True, help="The worst posts instead of the best.")
@window_options
@format_option
@tenant_option
def top(campaign_id: str, metric: str, limit: int, bottom: bool, since: Any, until: Any, fmt: str,
        tenant: str | None) -> None:  # fmt: skip
    """List the top posts of a campaign by METRIC; posts where it is n/a are left out.

    \b
    Examples:
      tracker top --campaign 2024-double11 --metric saves
      tracker top --campaign 2024-double11 --metric cpe --bottom --limit 5
    """
    with reading() as (_, reader):
        camp = q.campaign(reader, campaign_id, tenant)
        rows = q.top_posts(reader, camp, metric, limit, bottom, window(since, until))
    money = metric in q.LOWER_IS_BETTER or metric in ("emv", "revenue")
    kind = "money" if money else "rate" if metric in ("emv_return", "tail_contribution") else (
        "ratio" if metric in ("roas", "heating_efficiency") else "count")
    columns: list[Column] = [
        ("post_id", "post", "text"), ("platform", "platform", "text"), ("creator_id", "creator", "text"),
        ("creator_tier", "tier", "text"), ("spend", "spend {cur}", "money"), ("views", "views", "count"),
        ("engagements", "engagements", "count"), ("value", metric + (" {cur}" if money else ""), kind),
    ]
    if fmt == "json":
        click.echo(to_json({"campaign": camp.campaign_id, "metric": metric, "currency": camp.currency,
                            "posts": rows}), nl=False)
    elif fmt == "csv":
        click.echo(to_csv(columns, rows), nl=False)
    else:
        click.echo(f"{'bottom' if bottom else 'top'} {len(rows)} posts of {camp.name} by {metric}")
        click.echo(render(columns, rows, cur=camp.currency), nl=False)
