"""``tracker costs add``: an extra cost line (production, travel, agency fee…)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime

import click

from tracker.errors import TrackerError
from tracker.settings import Settings

EPILOG = """\b
Examples:
  tracker costs add --tenant lumi-beauty --campaign lumi-serum-launch --amount 3000 --note "shooting day"
  tracker costs add --tenant lumi-beauty --campaign lumi-serum-launch --post douyin:73123 \\
      --amount 200 --currency CNY --date 2025-09-20 --kind heating --note "DOU+ invoiced without a node"

Adding the same line again (same tenant, campaign, post, kind, amount, date and
note) records it once; give --id to correct a line you added before.
"""


@click.group()
def costs() -> None:
    """Cost lines beyond fees and heating nodes."""


@costs.command(epilog=EPILOG)
@click.option("--tenant", required=True, help="Tenant the cost belongs to.")
@click.option("--campaign", required=True, help="Campaign the cost belongs to.")
@click.option("--post", "post_id", default="", help="Post the cost belongs to (platform:id) [campaign level].")
@click.option("--amount", "value", required=True, help="Amount (a decimal such as 3000 or 120.50).")
@click.option("--currency", default="CNY", show_default=True, help="ISO-4217 currency.")
@click.option("--date", "day", default=None, help="Date of the cost (YYYY-MM-DD) [today, UTC].")
@click.option("--kind", type=click.Choice(["extra", "heating", "fee", "service_fee", "bundle"]), default="extra",
              show_default=True)
@click.option("--note", default="", help="What the cost is for.")
@click.option("--id", "cost_id", default=None, help="Cost line id [derived from the other fields].")
def add(tenant: str, campaign: str, post_id: str, value: str, currency: str, day: str | None, kind: str, note: str,
        cost_id: str | None) -> None:
    """Write one cost line to the store."""
    from tracker.registry.records import RowError, amount, ident
    from tracker.registry.records import currency as check_currency
    from tracker.store.access import open_writer

    try:
        tenant = ident(tenant, "--tenant")
        money = amount(value, "--amount")
        cur = check_currency(currency, "--currency")
        when = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except (RowError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from exc
    line = cost_id or "x-" + hashlib.sha1(
        f"{tenant}|{campaign}|{post_id}|{kind}|{money}|{cur}|{when}|{note}".encode()).hexdigest()[:16]
    row = {"tenant": tenant, "cost_id": line, "campaign_id": campaign, "post_id": post_id, "bundle_id": "",
           "kind": kind, "amount": money, "currency": cur, "cost_date": when, "note": note,
           "version": int(time.time() * 1000)}
    try:
        with open_writer(Settings()) as writer:
            writer.insert_json("cost_lines", [row], dedup_token=None if cost_id else f"cost:{line}")
    except TrackerError as exc:
        raise click.ClickException(getattr(exc, "reason", str(exc))) from exc
    click.echo(f"cost line {line}: {tenant}/{campaign}{'/' + post_id if post_id else ''} {kind} {money} {cur} "
               f"on {when}")
