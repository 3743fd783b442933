"""``import_file``: parse, check, then write what passed.

Posts go to ``tracker.posts.v1`` and heating nodes to ``tracker.heating.v1``
(idempotent producer, key = post_id); the worker upserts them and the fee cost
lines. Tenants, campaigns, creators, accounts, bundles and FX rates go to their
tables through ``open_writer`` with an insert deduplication token derived from
the rows, so repeating an import is a no-op.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from tracker.broker import topics as t
from tracker.broker.reach import start_client
from tracker.contracts import encode
from tracker.errors import StoreUnavailable
from tracker.registry.reader import read
from tracker.registry.records import (
    CampaignUpdate,
    Options,
    Registry,
    build,
    campaign_record,
    creator_record,
    name_campaigns,
)
from tracker.settings import Settings
from tracker.store.access import json_each_row, open_reader, open_writer
from tracker.store.client import has_store
from tracker.store.errors import StoreBusy

TABLE_ORDER = ("tenants", "campaigns", "creators", "creator_accounts", "bundles", "fx_rates", "emv_unit_values",
               "cost_lines")


@dataclass
class Outcome:
    """What an import did."""

    registry: Registry
    sent: dict[str, int]
    written: dict[str, int]


def version_of(path: Path, given: int | None = None) -> int:
    """The import's version: given, else the file's modification time in epoch ms."""
    return given if given is not None else int(path.stat().st_mtime * 1000)


def parse(path: Path, options: Options) -> Registry:
    """Read and check a file without writing anything."""
    return build(read(path), options)


def import_file(path: Path, settings: Settings, options: Options, dry_run: bool = False) -> Outcome:
    """Import ``path``; raises InvalidInput when the file itself cannot be read. A dry run reads
    the store as the import would (to count only the campaigns and tenants it would change) and
    writes nothing; without a store to read it counts them all, and says so in a note."""
    if dry_run:
        try:
            return Outcome(prepare(path, settings, options), {}, {})
        except (StoreUnavailable, StoreBusy) as exc:
            registry = parse(path, options)
            campaign_tables(registry, {}, set(), options.version)
            if registry.campaigns:
                why = str(exc).split(": ", 1)[0]  # "store … unavailable", without the driver's account
                registry.notes.append(f"the store could not be read ({why}): campaigns and tenants are "
                                      "counted as new, and times without an offset of rows of stored "
                                      "campaigns read in the file's or the default time zone")
            return Outcome(registry, {}, {})
    registry = prepare(path, settings, options)
    sent = asyncio.run(send(settings, [(t.POSTS, m) for m in registry.posts] +
                            [(t.HEATING, m) for m in registry.heating]))
    written = write_tables(settings, registry.tables)
    return Outcome(registry, sent, written)


def prepare(path: Path, settings: Settings, options: Options) -> Registry:
    """``path`` read as the store makes it: rows of stored campaigns and heating of stored posts
    read in their zones (unless one is given), and the campaigns and tenants rows that change."""
    registry = parse(path, options)
    if not has_store(settings.store_url):  # nothing stored yet: every campaign and tenant is new
        campaign_tables(registry, {}, set(), options.version)
        return registry
    stored, tenants = stored_campaigns(settings, registry.campaigns) if registry.campaigns else ({}, set())
    if options.time_zone is None:  # read again if stored campaigns' rows and posts' heating take their zones
        zones = {key: str(record["time_zone"]) for key, record in stored.items() if record["time_zone"]}
        in_file = {m["post_id"] for m in registry.posts}
        post_zones = stored_post_zones(settings, {(m["tenant"], m["post_id"]) for m in registry.heating
                                                  if m["post_id"] not in in_file})
        if zones or post_zones:
            registry = parse(path, replace(options, campaign_zones=zones, post_zones=post_zones))
    if registry.campaigns:
        campaign_tables(registry, stored, tenants, options.version)
    if registry.tables.get("creators"):
        creator_tables(registry, stored_creators(settings, registry.tables["creators"]), options.version)
    return registry


CAMPAIGN_FIELDS = ("name", "time_zone", "reporting_currency", "starts_at", "ends_at", "brand_terms", "version")


def stored_campaigns(settings: Settings, updates: list[CampaignUpdate]) -> tuple[dict[tuple[str, str], dict[str, Any]],
                                                                                   set[str]]:
    """The stored campaigns records of the flat table's campaigns, and which of their tenants have a record."""
    tenants = sorted({u.tenant for u in updates})
    with open_reader(settings) as reader:
        rows = reader.query(
            f"SELECT tenant, campaign_id, {', '.join(CAMPAIGN_FIELDS)} FROM campaigns FINAL "
            "WHERE has({t:Array(String)}, tenant)", {"t": tenants}).named()
        known = {str(r[0]) for r in reader.query(
            "SELECT DISTINCT tenant FROM tenants FINAL WHERE has({t:Array(String)}, tenant)", {"t": tenants}).rows}
    wanted = {(u.tenant, u.campaign_id) for u in updates}
    stored = {(r["tenant"], r["campaign_id"]): r for r in rows if (r["tenant"], r["campaign_id"]) in wanted}
    for record in stored.values():
        for key in ("starts_at", "ends_at"):
            if isinstance(record[key], datetime):
                record[key] = record[key].astimezone(UTC)
        record["brand_terms"] = list(record["brand_terms"])
    return stored, known


CREATOR_FIELDS = ("name", "tier", "followers", "tags", "notes", "version")


def stored_creators(settings: Settings, rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The pool's stored creators records of the file's creators rows, by (tenant, creator id)."""
    wanted = {(r["tenant"], r["creator_id"]) for r in rows}
    with open_reader(settings) as reader:
        stored = reader.query(
            f"SELECT tenant, creator_id, {', '.join(CREATOR_FIELDS)} FROM creators FINAL "
            "WHERE has({t:Array(String)}, tenant) AND has({c:Array(String)}, creator_id)",
            {"t": sorted({t for t, _ in wanted}), "c": sorted({c for _, c in wanted})}).named()
    return {(r["tenant"], r["creator_id"]): {**r, "tags": list(r["tags"])} for r in stored
            if (r["tenant"], r["creator_id"]) in wanted}


def creator_tables(registry: Registry, stored: dict[tuple[str, str], dict[str, Any]], version: int) -> None:
    """The file's creators rows merged with the pool's (``creator_record``): an import keeps the tags and
    notes a creator has, and writes no row that would change nothing."""
    merged = (creator_record(row, stored.get((row["tenant"], row["creator_id"])), version)
              for row in registry.tables["creators"])
    registry.tables["creators"] = [row for row in merged if row is not None]


def stored_post_zones(settings: Settings, posts: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The campaign time zone of each stored (tenant, post id) of ``posts``."""
    if not posts:
        return {}
    with open_reader(settings) as reader:
        rows = reader.query(
            "SELECT p.tenant, p.post_id, c.time_zone FROM (SELECT tenant, post_id, campaign_id FROM posts FINAL "
            "WHERE deleted = 0 AND has({ids:Array(String)}, post_id)) AS p "
            "INNER JOIN (SELECT tenant, campaign_id, toString(time_zone) AS time_zone FROM campaigns FINAL) AS c "
            "ON c.tenant = p.tenant AND c.campaign_id = p.campaign_id",
            {"ids": sorted({post for _, post in posts})}).rows
    return {(str(tenant), str(post)): str(zone) for tenant, post, zone in rows
            if (tenant, post) in posts and zone}


def campaign_tables(registry: Registry, stored: dict[tuple[str, str], dict[str, Any]], tenants: set[str],
                    version: int) -> None:
    """Add the campaigns rows a flat table's campaign columns make (``campaign_record``), and a tenants row
    for a tenant without one: named by its id, reporting in its campaigns' currency when the table gives
    one (else CNY, the default)."""
    name_campaigns(registry.posts, {key: record["name"] for key, record in stored.items()})
    currencies: dict[str, set[str]] = {}
    for update in registry.campaigns:
        record = campaign_record(update, stored.get((update.tenant, update.campaign_id)), version)
        if record is not None:
            registry.tables["campaigns"].append(record)
        if "reporting_currency" in update.given:
            currencies.setdefault(update.tenant, set()).add(update.given["reporting_currency"])
    for tenant in sorted({u.tenant for u in registry.campaigns} - tenants):
        given = currencies.get(tenant, set())
        registry.tables["tenants"].append({"tenant": tenant, "name": tenant, "version": version,
                                           "reporting_currency": next(iter(given)) if len(given) == 1 else "CNY"})


async def send(settings: Settings, messages: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    """Produce (logical topic, message) pairs, key = post_id; waits for every acknowledgement."""
    return await send_raw(settings, [(topic, message["post_id"].encode(), encode(topic, message), [])
                                     for topic, message in messages])


RawRecord = tuple[str, bytes, bytes, list[tuple[str, bytes]]]
"""A record to produce as it is: logical topic, key, value bytes, headers."""


async def send_raw(settings: Settings, records: list[RawRecord]) -> dict[str, int]:
    """Produce records as they are; waits for every acknowledgement."""
    if not records:
        return {}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all",
                                linger_ms=10, request_timeout_ms=30_000)
    await start_client(producer, settings.kafka_bootstrap)
    counts: dict[str, int] = {}
    try:
        futures = []
        for topic, key, value, headers in records:
            futures.append(await producer.send(settings.topic(topic), value, key=key, headers=headers or None))
            counts[topic] = counts.get(topic, 0) + 1
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return counts


def write_tables(settings: Settings, tables: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Insert registry rows, table by table, each with a token derived from its rows."""
    written: dict[str, int] = {}
    present = [name for name in TABLE_ORDER if tables.get(name)]
    if not present:
        return written
    with open_writer(settings) as writer:
        for name in present:
            rows = tables[name]
            token = f"import:{name}:{hashlib.sha256(json_each_row(rows)).hexdigest()[:32]}"
            writer.insert_json(name, rows, dedup_token=token)
            written[name] = len(rows)
    return written


def digest(registry: Registry) -> str:
    """A short fingerprint of what an import would write (for logs and tests)."""
    payload = orjson.dumps([registry.posts, registry.heating, dict(registry.tables)], default=str,
                           option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:16]
