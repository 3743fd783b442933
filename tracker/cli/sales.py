"""``tracker sales``: orders (and the keys that attribute them to posts) for ROAS.

Both commands: read and check the file (``tracker.report.salesfile``), look up
what the registry and the store already hold, write only the rows the store
does not hold as they are, then report what was written and which rows point
at nothing known yet.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from tracker.errors import InvalidInput
from tracker.registry.records import DEFAULT_ZONE
from tracker.report import queries as q
from tracker.report.options import friendly_errors, reading, tenant_option
from tracker.report.salesfile import (
    Known,
    Sheet,
    Tenant,
    Unattributed,
    changed,
    epoch_ms,
    key_key,
    key_values,
    order_key,
    order_values,
    read_keys,
    read_orders,
    unattributed,
)
from tracker.settings import Settings
from tracker.store.access import Reader, json_each_row, open_writer

BATCH = 10_000
FIRST = 5  # lines shown under a warning
ALREADY = "already imported (same file and options); nothing new written"


def _write(table: str, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``; each batch's deduplication token is derived from its rows (tenant, values and this
    import's version), so only a retry of the very same insert is dropped."""
    with friendly_errors(), open_writer(Settings()) as writer:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            token = f"{table}:{hashlib.sha256(json_each_row(batch)).hexdigest()[:32]}"
            writer.insert_json(table, batch, dedup_token=token)
    return len(rows)


def _default_tenant(reader: Reader, tenant: str | None) -> Tenant:
    """The tenant of a row without a tenant cell: --tenant, else the store's only tenant, else the one
    tenant holding the row's post id, or its link or promo code (a key row ``tracker sales keys``
    stored, as that command takes the tenant from the post). Each is looked up once, and only when
    such a row needs it; a row none of them names is refused with what to do."""
    if tenant:
        return tenant
    stored = functools.cache(lambda: q.tenants(reader))
    posts = functools.cache(lambda: q.post_tenants(reader))
    keys = functools.cache(lambda: _key_tenants(reader))
    several = "pass --tenant, or give the file a tenant column"

    def default(kind: str, key: str) -> str:
        if len(stored()) < 2:  # none yet, or one
            return q.only_tenant(stored())
        tenants = f"the store has several tenants ({', '.join(stored())})"
        if kind == "post":
            if not key:
                raise InvalidInput(f"the row names no post, and {tenants}: {several}")
            if key not in posts():
                raise InvalidInput(f"post {key!r} is not registered yet and {tenants}: {several}")
            return q.only_holder("post", key, posts()[key])
        holders = keys().get((kind, key), [])
        if not holders:
            raise InvalidInput(f"{kind} {key!r} has no key row yet and {tenants}: import its key row first "
                               f"(tracker sales keys), {several}")
        if len(holders) > 1:
            raise InvalidInput(f"{kind} {key!r} has key rows of several tenants ({', '.join(holders)}): {several}")
        return holders[0]

    return default


def _key_tenants(reader: Reader) -> dict[tuple[str, str], list[str]]:
    """Every stored (key kind, link or promo code) with the tenants whose key rows hold it."""
    rows = reader.query("SELECT toString(key_kind), attribution_key, arraySort(groupUniqArray(tenant)) "
                        "FROM attribution_keys FINAL GROUP BY key_kind, attribution_key").rows
    return {(str(k), str(a)): [str(t) for t in ts] for k, a, ts in rows}


def _known(reader: Reader, sheet: Sheet) -> Known:
    """The registry's tenants, and the posts and key rows of the file's tenants."""
    tenants = {"t": sorted({r["tenant"] for r in sheet.rows})}
    registered = reader.query("SELECT tenant FROM tenants UNION DISTINCT SELECT tenant FROM posts")
    named = sorted({r["attribution_key"] if sheet.what == "orders" else r["post_id"] for r in sheet.rows
                    if sheet.what != "orders" or r["key_kind"] == "post"})
    owners: dict[str, set[str]] = {}
    for t, p in reader.query("SELECT tenant, post_id FROM posts FINAL WHERE has({p:Array(String)}, post_id) "
                             "AND deleted = 0", {"p": named}).rows:
        owners.setdefault(str(p), set()).add(str(t))
    return Known(
        frozenset(str(r[0]) for r in registered),
        frozenset((str(t), str(p)) for t, p in reader.query(
            "SELECT tenant, post_id FROM posts FINAL WHERE tenant IN {t:Array(String)} AND deleted = 0", tenants)),
        frozenset((str(t), str(k), str(a)) for t, k, a in reader.query(
            "SELECT tenant, toString(key_kind), attribution_key FROM attribution_keys FINAL "
            "WHERE tenant IN {t:Array(String)}", tenants)),
        {post: frozenset(held) for post, held in owners.items()},
    )


def _stored_orders(reader: Reader, rows: list[dict[str, Any]]) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """The stored orders a file could repeat: per tenant, those in its order-id and order-time ranges (a
    primary-key range, so the read stays about the size of the file)."""
    out: dict[tuple[str, ...], tuple[Any, ...]] = {}
    for tenant in sorted({r["tenant"] for r in rows}):
        mine = [r for r in rows if r["tenant"] == tenant]
        ms = [epoch_ms(r["ordered_at"]) for r in mine]
        found = reader.query(
            "SELECT order_id, attribution_key, toString(key_kind), toString(revenue), currency, "
            "toUnixTimestamp64Milli(ordered_at), order_day FROM sales FINAL WHERE tenant = {t:String} "
            "AND order_id BETWEEN {lo:String} AND {hi:String} "
            "AND ordered_at BETWEEN fromUnixTimestamp64Milli({a:Int64}, 'UTC') "
            "AND fromUnixTimestamp64Milli({b:Int64}, 'UTC')",
            {"t": tenant, "lo": min(r["order_id"] for r in mine), "hi": max(r["order_id"] for r in mine),
             "a": min(ms), "b": max(ms)})
        for order_id, key, kind, revenue, cur, at, day in found:
            out[(tenant, str(order_id))] = (str(key), str(kind), Decimal(str(revenue)), str(cur), int(at), day)
    return out


def _stored_keys(reader: Reader, rows: list[dict[str, Any]]) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """The stored key rows of the file's tenants (a few per campaign)."""
    found = reader.query("SELECT tenant, toString(key_kind), attribution_key, post_id, campaign_id "
                         "FROM attribution_keys FINAL WHERE tenant IN {t:Array(String)}",
                         {"t": sorted({r["tenant"] for r in rows})})
    return {(str(t), str(k), str(a)): (str(p), str(c)) for t, k, a, p, c in found}


def _warn(notes: list[Unattributed], noun: str, label: str = "warning") -> None:
    """Rows kept although they point at nothing known yet (or, as a note, are dated outside their post's
    or campaign's dates): a count and the first lines, on stderr."""
    for note in notes:
        click.echo(f"{label}: {len(note.lines)} {noun}(s) {note.reason}:", err=True)
        for line in note.lines[:FIRST]:
            click.echo(f"  {line}", err=True)
        if len(note.lines) > FIRST:
            click.echo(f"  … and {len(note.lines) - FIRST} more", err=True)


def _outcome(read: str, total: int, written: int) -> str:
    """What was read, then how many rows were written, or that the store held every one already."""
    if not written:
        return f"{read}; {ALREADY}"
    unchanged = total - written
    return f"{read}, {written} rows written" + (f" ({unchanged} already stored as they are)" if unchanged else "")


Stored = dict[tuple[str, ...], tuple[Any, ...]]


def _sync(file: Path, tenant: str | None, read: Callable[[Path, Tenant, int], Sheet],
          stored_of: Callable[[Reader, list[dict[str, Any]]], Stored], table: str,
          key: Callable[[dict[str, Any]], tuple[str, ...]], values: Callable[[dict[str, Any]], tuple[Any, ...]],
          noun: str, notes_of: Callable[[Reader, Sheet], list[Unattributed]] | None = None,
          ) -> tuple[Sheet, Known, int, list[Unattributed]] | None:
    """Read ``file``, compare with the stored rows and write the new or edited ones: the sheet,
    what the registry knows of it, the rows written and what ``notes_of`` says of the rows (read with
    the same reader); None when the file holds no row."""
    with reading() as (_, reader):
        sheet = read(file, _default_tenant(reader, tenant), _version())
        if not sheet.rows:
            click.echo(f"{file.name}: no {noun} read; nothing written")
            return None
        known = _known(reader, sheet)
        stored = stored_of(reader, sheet.rows)
        notes = notes_of(reader, sheet) if notes_of is not None else []
    return sheet, known, _write(table, changed(sheet.rows, stored, key, values)), notes


Dates = tuple[str, int | None, int | None, str]
"""What an order is dated against: its post ('' for a campaign's), the post's publish time and the
campaign's (inclusive) end in epoch ms (None: not known), and the campaign's time zone."""


def _order_dates(reader: Reader, sheet: Sheet) -> dict[tuple[str, ...], Dates]:
    """Per (tenant, key kind, attribution key) of the file's orders that the registry attributes: the
    dates its orders are compared with (``Dates``)."""
    tenants = {"t": sorted({r["tenant"] for r in sheet.rows})}
    keys = _stored_keys(reader, sheet.rows)
    campaigns = {(str(t), str(c)): (None if end is None else int(end), str(tz) or DEFAULT_ZONE)
                 for t, c, end, tz in reader.query(
                     "SELECT tenant, campaign_id, toUnixTimestamp64Milli(ends_at), time_zone FROM campaigns FINAL "
                     "WHERE tenant IN {t:Array(String)}", tenants).rows}
    named = sorted({r["attribution_key"] if r["key_kind"] == "post" else keys.get(key_key(r), ("",))[0]
                    for r in sheet.rows} - {""})
    posts = {(str(t), str(p)): (str(c), int(at)) for t, p, c, at in reader.query(
        "SELECT tenant, post_id, campaign_id, toUnixTimestamp64Milli(published_at) FROM posts FINAL "
        "WHERE tenant IN {t:Array(String)} AND has({p:Array(String)}, post_id) AND deleted = 0",
        {**tenants, "p": named}).rows}
    dates: dict[tuple[str, ...], Dates] = {}
    for row in sheet.rows:
        t, key = row["tenant"], key_key(row)
        post, campaign = (row["attribution_key"], "") if row["key_kind"] == "post" else keys.get(key, ("", ""))
        published = None
        if post:
            if (t, post) not in posts:
                continue  # not attributed yet: `unattributed` warns of it
            campaign, published = posts[(t, post)]
        if campaign:
            end, zone = campaigns.get((t, campaign), (None, DEFAULT_ZONE))
            dates[key] = (post, published, end, zone)
    return dates


def _outside_dates(reader: Reader, sheet: Sheet) -> list[Unattributed]:
    """The file's orders dated before their post's publish time, and those after their campaign's end:
    kept and counted in ROAS (attribution windows are the client's call), but said so, by line."""
    dates = _order_dates(reader, sheet)
    before = Unattributed("dated before their post's publish time (counted in its ROAS all the same)")
    after = Unattributed("dated after their campaign's end (counted in its ROAS all the same)")
    for row, where in zip(sheet.rows, sheet.where, strict=True):
        found = dates.get(key_key(row))
        if found is None:
            continue
        post, published, end, zone = found
        at = epoch_ms(row["ordered_at"])
        ordered = f"{where}: order {row['order_id']} at {_local(at, zone)}"
        if published is not None and at < published:
            before.lines.append(f"{ordered}, {post} published {_local(published, zone)} ({zone})")
        if end is not None and at > end:
            after.lines.append(f"{ordered}, campaign ended {_local(end, zone)} ({zone})")
    return [n for n in (before, after) if n.lines]


def _local(ms: int, zone: str) -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _version() -> int:
    """This import's version (epoch ms): it wins over every earlier import of the same rows."""
    return time.time_ns() // 1_000_000


@click.group()
def sales() -> None:
    """Orders with an attribution key (post id, tracking link or promo code) for ROAS."""


@sales.command("import", short_help="Import orders (revenue per attribution key).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
def import_orders(file: Path, tenant: str | None) -> None:
    """Import orders from FILE (CSV in UTF-8 or GB18030, XLSX, JSON/YAML list or JSON Lines).

    \b
    Columns: order_id, attribution_key, revenue, currency, ordered_at
             [, key_kind (post|link|promo)] [, tenant (else --tenant)]
    Without key_kind, "douyin:7301…" is a post id, "https://…" a tracking
    link, anything else a promo code. Links and codes need a key row
    (tracker sales keys FILE). ordered_at carries its UTC offset.
    Without a tenant cell or --tenant, a row is the store's only tenant's,
    or the tenant its registered post id, or its link or promo code's key
    row (tracker sales keys), belongs to.
    A file with a bad line is refused whole, every bad line named. Orders
    whose post, key row or tenant is not in the registry yet are imported
    and listed as warnings. Re-importing a file writes only the orders that
    changed; an edited order replaces the stored one.

    \b
    Example:
      tracker sales import orders.csv
    """
    done = _sync(file, tenant, read_orders, _stored_orders, "sales", order_key, order_values, "orders",
                 _outside_dates)
    if done is None:
        return
    sheet, known, written, outside = done
    kinds = {k: sum(1 for r in sheet.rows if r["key_kind"] == k) for k in ("post", "link", "promo")}
    click.echo(_outcome(f"{file.name}: {len(sheet.rows)} orders read ({kinds['post']} by post id, "
                        f"{kinds['link']} by link, {kinds['promo']} by promo code)", len(sheet.rows), written))
    _warn(unattributed(sheet, known), "order")
    _warn(outside, "order", "note")


@sales.command("keys", short_help="Import which post each link or promo code belongs to.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
def import_keys(file: Path, tenant: str | None) -> None:
    """Import which post each tracking link or promo code belongs to, from FILE (CSV, XLSX, JSON, YAML).

    \b
    Columns: key_kind (link|promo), attribution_key, post_id [, campaign_id]
             [, tenant (else --tenant)]
    post_id is platform:id (e.g. douyin:7301234567890). Without a tenant cell
    or --tenant, a row is the store's only tenant's, or its post's tenant.
    A file with a bad line is refused whole; keys of posts or tenants not in
    the registry yet are imported and listed as warnings.
    """
    done = _sync(file, tenant, read_keys, _stored_keys, "attribution_keys", key_key, key_values, "keys")
    if done is None:
        return
    sheet, known, written, _ = done
    click.echo(_outcome(f"{file.name}: {len(sheet.rows)} keys read", len(sheet.rows), written))
    _warn(unattributed(sheet, known), "key")
