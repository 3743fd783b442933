"""``tracker alerts``: current and past post alerts (PostDecaying, PostStalled, …)."""

from __future__ import annotations

import json
from typing import Any

import click

from tracker.alerting.wording import describe_suggestion
from tracker.contracts.vocab import ALERT_TYPES
from tracker.report import queries as q
from tracker.report.options import format_option, reading, tenant_option
from tracker.report.tables import TITLE_CHARS, Column, opening, render, to_csv, to_json

COLUMNS: list[Column] = [
    ("state", "state", "text"), ("alert", "alert", "text"), ("severity", "severity", "text"),
    ("campaign_id", "campaign", "text"), ("post_id", "post", "text"), ("title", "title", "text"),
    ("starts_at", "since (UTC)", "text"),
    ("ends_at", "resolved (UTC)", "text"), ("summary", "summary", "text"), ("suggestion", "suggestion", "text"),
]


@click.command()
@click.option("--state", type=click.Choice(["firing", "resolved", "all"]), default="firing", show_default=True)
@click.option("--campaign", "campaign_id", default=None, help="Only this campaign's alerts.")
@click.option("--alert", "alert_name", type=click.Choice(ALERT_TYPES), default=None, help="Only this alert.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@format_option
@tenant_option
def alerts(state: str, campaign_id: str | None, alert_name: str | None, limit: int, fmt: str,
           tenant: str | None) -> None:  # fmt: skip
    """List post alerts, newest first (one row per alert episode, its latest state): when
    each fired and, once resolved, when it resolved (UTC).

    PostDecaying carries a suggested re-heat; PostStalled means no fresh
    snapshot; PostUnavailable a take-down or regressed counters.

    \b
    Examples:
      tracker alerts
      tracker alerts --state all --campaign 2024-double11 --format json
    """
    sql = ("SELECT tenant, alert_id, post_id, campaign_id, alert, state, severity, starts_at, ends_at, summary, "
           "evidence, suggestion FROM alerts FINAL WHERE ({s:String} = 'all' OR state = {s:String}) "
           "AND ({c:String} = '' OR campaign_id = {c:String}) AND ({t:String} = '' OR tenant = {t:String}) "
           "AND ({a:String} = '' OR alert = {a:String}) "
           f"ORDER BY starts_at DESC, alert_id LIMIT {limit}")
    with reading() as (_, reader):
        rows = reader.query(sql, {"s": state, "c": campaign_id or "", "t": tenant or "", "a": alert_name or ""}).named()
        if not rows:  # "no alerts" must not hide a mistyped tenant or campaign
            if tenant:
                q.require_tenant(reader, tenant)
            if campaign_id:
                q.campaign_rows(reader, campaign_id, tenant)
    rows = [{**row, "evidence": _decoded(row["evidence"]) or {}, "suggestion": _decoded(row["suggestion"])}
            for row in rows]  # times: JSON and CSV give the store's UTC times their offset (tables.plain)
    if fmt == "json":
        click.echo(to_json(rows), nl=False)
        return
    rows = [{**row, "suggestion": _sentence(row["suggestion"]), "title": row["evidence"].get("title") or ""}
            for row in rows]
    if fmt == "csv":
        click.echo(to_csv(COLUMNS, rows), nl=False)
    elif not rows:
        click.echo(f"no {state if state != 'all' else ''} alerts".replace("  ", " "))
    else:  # a firing alert has not resolved: a blank, not n/a
        click.echo(render(COLUMNS, [{**row, "ends_at": row["ends_at"] or "", "title": opening(row["title"], TITLE_CHARS)}
                                    for row in rows]), nl=False)


def _decoded(text: str) -> Any:
    """A stored JSON column as its value; None when empty; the text itself when it is no JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _sentence(suggestion: Any) -> str:
    """The suggestion as people read it (``re-heat via dou+ with 2,000 CNY: …``)."""
    if isinstance(suggestion, dict):
        return describe_suggestion(suggestion)
    return "" if suggestion is None else str(suggestion)
