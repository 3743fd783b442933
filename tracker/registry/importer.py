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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from tracker.broker import topics as t
from tracker.broker.reach import start_client
from tracker.contracts import encode
from tracker.registry.reader import read
from tracker.registry.records import Options, Registry, build
from tracker.settings import Settings
from tracker.store.access import json_each_row, open_writer

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
    """Import ``path``; raises InvalidInput when the file itself cannot be read."""
    registry = parse(path, options)
    if dry_run:
        return Outcome(registry, {}, {})
    sent = asyncio.run(send(settings, [(t.POSTS, m) for m in registry.posts] +
                            [(t.HEATING, m) for m in registry.heating]))
    written = write_tables(settings, registry.tables)
    return Outcome(registry, sent, written)


async def send(settings: Settings, messages: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    """Produce (logical topic, message) pairs, key = post_id; waits for every acknowledgement."""
    if not messages:
        return {}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all",
                                linger_ms=10, request_timeout_ms=30_000)
    await start_client(producer, settings.kafka_bootstrap)
    counts: dict[str, int] = {}
    try:
        futures = []
        for topic, message in messages:
            futures.append(await producer.send(settings.topic(topic), encode(topic, message),
                                               key=message["post_id"].encode()))
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
