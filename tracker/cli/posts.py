"""``tracker posts import FILE``: the campaign registry from a file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from tracker.contracts.vocab import PLATFORMS
from tracker.errors import InvalidInput
from tracker.registry import records
from tracker.settings import Settings

EPILOG = """\b
Files:
  campaign document   YAML or JSON, format tracker.campaign.v1 (tenants, campaigns,
                      creators with accounts, bundles, posts, planned heating, fx);
                      layout: tracker/simulate/registry.py, e.g. deploy/demo/campaign.yaml
  flat table          CSV, XLSX (first sheet), or a JSON/YAML list: one post per row with
                      tracker's columns (tenant, campaign, creator, creator_name, followers,
                      tier, tags, platform, post | url, published_at, content_form,
                      tracking_days | tracking_end, fee, currency, service_fee |
                      service_fee_rate, bundle, bundle_fee) or the Chinese headers of
                      Xingtu (巨量星图) and Pugongying (蒲公英) order exports; campaign
                      columns (time_zone, reporting_currency, campaign_name,
                      campaign_start, campaign_end, brand_terms) create or update
                      the campaign's record
  heating table       rows with post | url, channel, start, end, spend, currency, status

\b
Tiers from followers: koc <5k, nano <20k, micro <100k, mid <500k, macro <2M, top >=2M.
Times without an offset are read in the campaign's time zone (--time-zone);
an end written as a date alone (campaign_end, tracking_end, a heating end)
includes that day.
Re-importing the same file changes nothing; an edited file (newer modification
time, or a higher --version) replaces what it imported before.
Posts and heating nodes are sent to Kafka and stored by a running worker
(tracker run or tracker worker); the other records are written to the store.
Until a worker has read them, commands that look posts up in the store
(costs add, heat, snapshots import) do not find them.

\b
Exit status: 0 all rows imported; 1 nothing read (no row, or every row refused);
2 some rows refused (the others imported), or a usage error such as a missing FILE.

\b
Examples:
  tracker posts import deploy/demo/campaign.yaml
  tracker posts import xingtu-orders.xlsx --tenant lumi-beauty --campaign lumi-serum-launch
  tracker posts import posts.csv --dry-run
"""


THROUGH_KAFKA = ("posts", "heating nodes")
"""What an import sends to Kafka (``Registry.counts`` names), stored by a worker; the rest is
written to the store directly."""
WORKER = "a running worker (tracker run or tracker worker)"


def _said(counts: dict[str, int], dry_run: bool) -> str:
    """What the import did, saying which records wait for a worker: ``sent 4 posts to Kafka;
    wrote 4 creators to the store`` and how the posts get stored."""
    listed = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    if not listed:
        return "would import nothing" if dry_run else "imported nothing"
    kinds = " and ".join(name for name in THROUGH_KAFKA if counts.get(name))
    if dry_run:
        return f"would import {listed}" + (f"; the {kinds} go to Kafka and {WORKER} stores them" if kinds else "")
    kafka = ", ".join(f"{counts[name]} {name}" for name in THROUGH_KAFKA if counts.get(name))
    store = ", ".join(f"{n} {name}" for name, n in counts.items() if n and name not in THROUGH_KAFKA)
    parts = ([f"sent {kafka} to Kafka"] if kafka else []) + ([f"wrote {store} to the store"] if store else [])
    return "; ".join(parts) + (f"\n  the {kinds} are stored once {WORKER} reads them; until then commands that "
                               "look them up in the store (costs add, heat, snapshots import) do not find them"
                               if kinds else "")


@click.group()
def posts() -> None:
    """The campaign registry: import posts, creators, campaigns and planned heating."""


def _checked(check: Callable[[str, str], str]) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback running one of the import's value checks on an option, once, up front."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        name = param.opts[0]
        try:
            return check(value, name)
        except ValueError as exc:
            raise click.BadParameter(str(exc).removeprefix(f"{name}: "), ctx, param) from None

    return callback


@posts.command("import", epilog=EPILOG, short_help="Import posts, creators, campaigns and planned heating.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", callback=_checked(records.ident), help="Tenant of a flat table's rows without a tenant column.")
@click.option("--campaign", callback=_checked(records.text_id),
              help="Campaign of a flat table's rows without a campaign column.")
@click.option("--platform", type=click.Choice(PLATFORMS, case_sensitive=False),
              help="Platform of bare post ids (Xingtu = douyin, Pugongying = xiaohongshu).")
@click.option("--currency", default="CNY", show_default=True, callback=_checked(records.currency),
              help="Currency of fees without a currency column.")
@click.option("--time-zone", "--tz", "time_zone", default=None, metavar="ZONE",
              callback=_checked(records.zone),
              help="IANA zone of a flat table's times written without an offset (published_at, tracking_end, "
                   "campaign_start / campaign_end, a heating table's start) where no time_zone column gives "
                   "one, and the time zone of a campaign the table creates without one "
                   f"[a stored campaign's own zone, else {records.DEFAULT_ZONE}].")
@click.option("--tracking-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Tracking window (days) of posts whose row gives none.")
@click.option("--version", "version", type=click.IntRange(min=0), default=None,
              help="Version (epoch ms) of the imported records [the file's modification time].")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_(file: Path, tenant: str | None, campaign: str | None, platform: str | None, currency: str,
            time_zone: str | None, tracking_days: int, version: int | None, dry_run: bool) -> None:
    """Import FILE: report every bad row with its line and reason, import the good ones."""
    from tracker.registry.importer import import_file, version_of
    from tracker.registry.reader import named

    options = records.Options(version=version_of(file, version), tenant=tenant, campaign=campaign,
                              platform=platform, currency=currency, time_zone=time_zone,
                              tracking_days=tracking_days)
    try:
        outcome = import_file(file, Settings(), options, dry_run=dry_run)
    except InvalidInput as exc:  # about the file; a broker or store error speaks for itself
        raise click.ClickException(named(file, exc)) from exc
    reg = outcome.registry
    counts = ", ".join(f"{n} {name}" for name, n in reg.counts().items() if n)
    click.echo(f"{file} ({reg.layout}): {_said(reg.counts(), dry_run)}")
    for note in reg.notes:
        click.echo(f"  note: {note}")
    if reg.problems:
        click.echo(f"{len(reg.problems)} row(s) refused:", err=True)
        for problem in reg.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2 if counts else 1)
