"""``tracker sales``: orders (and the keys that attribute them to posts) for ROAS."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import click

from tracker.report import queries as q
from tracker.report.options import friendly_errors, reading, tenant_option
from tracker.report.salesfile import read_keys, read_orders
from tracker.settings import Settings
from tracker.store.access import open_writer

BATCH = 10_000


def _import(table: str, rows: list[dict], path: Path) -> int:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    written = 0
    with friendly_errors(), open_writer(Settings()) as writer:
        for start in range(0, len(rows), BATCH):
            # the same file imported twice is one insert per batch (dedup token), and rows replace by key anyway
            written += writer.insert_json(table, rows[start:start + BATCH], dedup_token=f"{table}:{digest}:{start}")
    return written


def _tenant(tenant: str | None) -> str:
    with reading() as (_, reader):
        return q.resolve_tenant(reader, tenant)


@click.group()
def sales() -> None:
    """Orders with an attribution key (post id, tracking link or promo code) for ROAS."""


@sales.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
def import_orders(file: Path, tenant: str | None) -> None:
    """Import orders from a CSV FILE.

    \b
    Columns: order_id, attribution_key, revenue, currency, ordered_at
             [, key_kind (post|link|promo)] [, tenant]
    Without key_kind, "douyin:7301…" is a post id, "https://…" a tracking
    link, anything else a promo code. Links and codes need a key row
    (tracker sales keys FILE). Re-importing a file replaces its orders.

    \b
    Example:
      tracker sales import orders.csv
    """
    t = _tenant(tenant)
    with friendly_errors():
        rows = read_orders(file, t, time.time_ns() // 1_000_000)
    written = _import("sales", rows, file)
    kinds = {k: sum(1 for r in rows if r["key_kind"] == k) for k in ("post", "link", "promo")}
    click.echo(f"{file.name}: {len(rows)} orders read ({kinds['post']} by post id, {kinds['link']} by link, "
               f"{kinds['promo']} by promo code), {written} rows written")


@sales.command("keys")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
def import_keys(file: Path, tenant: str | None) -> None:
    """Import which post each tracking link or promo code belongs to, from a CSV FILE.

    \b
    Columns: key_kind (link|promo), attribution_key, post_id [, campaign_id] [, tenant]
    """
    t = _tenant(tenant)
    with friendly_errors():
        rows = read_keys(file, t, time.time_ns() // 1_000_000)
    written = _import("attribution_keys", rows, file)
    click.echo(f"{file.name}: {len(rows)} keys read, {written} rows written")
