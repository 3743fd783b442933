"""``tracker dlq``: what the worker set aside, why, and sending it again once fixed.

The worker writes every message it cannot use to ``tracker.dlq.v1`` and to the
store's ``dlq`` table with its reason; nothing is lost, and good messages behind
a bad one go on. ``tracker dlq`` groups them by topic and reason, ``dlq show``
lists them, and ``dlq replay`` sends their payloads back to their topics, keyed
by their post, after the cause is fixed: a producer that keyed records by
something else than the post_id, or a tracker release that accepts what an older
one refused. A payload that is still bad lands in the DLQ again with its
reason; one that is good is applied as if it had arrived late (every topic is
idempotent, so replaying twice changes nothing), and the worker notes it in
``dlq_replayed``: it is no longer listed as set aside, and ``dlq show --replayed``
lists those.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import click
import orjson

from tracker.broker.topics import REPLAY_OF
from tracker.registry.importer import RawRecord, send_raw
from tracker.report.options import format_option, reading
from tracker.report.tables import Column, opening, render, to_csv, to_json

SUMMARY: list[Column] = [
    ("source_topic", "topic", "text"), ("reason", "reason", "text"), ("messages", "messages", "count"),
    ("first", "first (UTC)", "text"), ("last", "last (UTC)", "text"),
]
ROWS: list[Column] = [
    ("rejected_at", "set aside (UTC)", "text"), ("source_topic", "topic", "text"), ("at", "partition:offset", "text"),
    ("reason", "reason", "text"), ("preview", "payload", "text"),
]
REASON_CHARS, PREVIEW_CHARS = 70, 60

MESSAGES = (
    "(SELECT d.*, r.replayed_at AS replayed_at FROM dlq AS d FINAL LEFT ANY JOIN "
    "(SELECT tenant, source_topic, src_partition, src_offset, max(replayed_at) AS replayed_at FROM dlq_replayed "
    "GROUP BY tenant, source_topic, src_partition, src_offset) AS r "
    "USING (tenant, source_topic, src_partition, src_offset))")
"""Every DLQ row with when the worker applied it once sent again (``replayed_at``; 1970 when never).
A row is still set aside when that is before its latest rejection: a message replayed, then
rejected again by a later release, is set aside again."""
STILL, REPLAYED = "replayed_at < rejected_at", "replayed_at >= rejected_at"


def _filters(fn: Any) -> Any:
    fn = click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
                      help="Only messages set aside at or after this UTC time.")(fn)
    fn = click.option("--reason", "reason", default=None,
                      help="Only messages whose reason contains this text (case-insensitive).")(fn)
    return click.option("--topic", default=None,
                        help="Only this source topic (e.g. tracker.snapshots.v1; 'snapshots' is enough).")(fn)


def _where(topic: str | None, reason: str | None, since: datetime | None) -> tuple[str, dict[str, Any]]:
    sql = ("({topic:String} = '' OR source_topic = {topic:String} OR source_topic LIKE concat('%.', {topic:String}, "
           "'.v1')) AND ({reason:String} = '' OR positionCaseInsensitiveUTF8(reason, {reason:String}) > 0) "
           "AND rejected_at >= {since:DateTime64(3)}")
    return sql, {"topic": topic or "", "reason": reason or "", "since": since or datetime(1970, 1, 1)}


def _echo(fmt: str, columns: list[Column], rows: list[dict[str, Any]], empty: str) -> None:
    if fmt == "json":
        click.echo(to_json(rows), nl=False)
    elif fmt == "csv":
        click.echo(to_csv(columns, rows), nl=False)
    elif not rows:
        click.echo(empty)
    else:
        click.echo(render(columns, rows))


@click.group(invoke_without_command=True)
@_filters
@format_option
@click.pass_context
def dlq(ctx: click.Context, topic: str | None, reason: str | None, since: datetime | None, fmt: str) -> None:
    """Messages the worker set aside (the dead-letter queue), by topic and
    reason: how many, first and last. `dlq show` lists them, `dlq replay`
    sends them again once their cause is fixed.

    \b
    Examples:
      tracker dlq
      tracker dlq show --reason "differs from post_id" --limit 20
      tracker dlq replay --topic snapshots --reason "differs from post_id" --dry-run
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = (topic, reason, since)
        return
    where, args = _where(topic, reason, since)
    with reading() as (_, reader):
        rows = reader.query(
            f"SELECT source_topic, reason, count() AS messages, min(rejected_at) AS first, max(rejected_at) AS last "
            f"FROM {MESSAGES} WHERE {where} AND {STILL} GROUP BY source_topic, reason "
            f"ORDER BY messages DESC, source_topic, reason", args).named()
        replayed = _replayed(reader, where, args)
    for row in rows:
        row["reason"] = opening(row["reason"], REASON_CHARS) if fmt == "table" else row["reason"]
    _echo(fmt, SUMMARY, rows, "The DLQ is empty" + (" for these filters." if topic or reason or since else "."))
    if replayed and fmt == "table":
        click.echo(f"{replayed:,} more {'was' if replayed == 1 else 'were'} sent again and applied "
                   "(`tracker dlq show --replayed` lists them).")


def _replayed(reader: Any, where: str, args: dict[str, Any]) -> int:
    """How many set-aside messages matching ``where`` were sent again and applied."""
    return int(reader.query(f"SELECT count() FROM {MESSAGES} WHERE {where} AND {REPLAYED}", args).rows[0][0])


def _chosen(ctx: click.Context, topic: str | None, reason: str | None,
            since: datetime | None) -> tuple[str | None, str | None, datetime | None]:
    """The filters given after the subcommand, else those given before it."""
    before = ctx.obj or (None, None, None)
    return topic or before[0], reason or before[1], since or before[2]


@dlq.command(short_help="List the messages set aside, newest first, with why.")
@_filters
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--replayed", is_flag=True,
              help="List instead the messages that were sent again (`dlq replay`) and applied, with when.")
@format_option
@click.pass_context
def show(ctx: click.Context, topic: str | None, reason: str | None, since: datetime | None, limit: int,
         replayed: bool, fmt: str) -> None:
    """List the messages set aside, newest first: when, from where, why, and the
    start of the payload (json and csv give it whole, decoded). Those sent again
    and applied are left out; `--replayed` lists them."""
    where, args = _where(*_chosen(ctx, topic, reason, since))
    with reading() as (_, reader):
        rows = reader.query(
            f"SELECT rejected_at, source_topic, src_partition, src_offset, reason, error_class, payload, "
            f"payload_bytes, payload_sha256, replayed_at "
            f"FROM {MESSAGES} WHERE {where} AND {REPLAYED if replayed else STILL} "
            f"ORDER BY rejected_at DESC, source_topic, src_partition, src_offset LIMIT {limit}", args).named()
    for row in rows:
        if not replayed:
            del row["replayed_at"]
        raw = _payload(row.pop("payload"))
        text = raw.decode("utf-8", "replace") if raw is not None else "(not base64)"
        row["at"] = f"{row['src_partition']}:{row['src_offset']}"
        if fmt == "table":
            cut = f"(first {len(raw or b''):,} of {row['payload_bytes']:,} bytes) " if _cut(raw, row) else ""
            row["reason"], row["preview"] = opening(row["reason"], REASON_CHARS), cut + opening(text, PREVIEW_CHARS)
        else:
            row["payload"] = text
    columns = ROWS if fmt == "table" else [*ROWS[:-1], ("error_class", "error class", "text"),
                                           ("payload", "payload (its first 128 KiB)", "text"),
                                           ("payload_bytes", "whole payload (bytes)", "count"),
                                           ("payload_sha256", "whole payload's sha256", "text")]
    if replayed:
        columns = [*columns[:1], ("replayed_at", "applied again (UTC)", "text"), *columns[1:]]
    _echo(fmt, columns, rows, "No message sent again and applied matches." if replayed
          else "No message set aside matches.")


@dlq.command(short_help="Send set-aside messages back once their cause is fixed.")
@_filters
@click.option("--dry-run", is_flag=True, help="Say what would be sent, send nothing.")
@click.pass_context
def replay(ctx: click.Context, topic: str | None, reason: str | None, since: datetime | None, dry_run: bool) -> None:
    """Send the payloads of the messages set aside back to their topics, keyed by
    their post_id, once their cause is fixed. A payload that is still bad is set
    aside again with its reason, in the place of its first row; one that is good
    is applied and no longer listed (`dlq show --replayed` lists it). Replaying
    twice changes nothing (every topic is idempotent). Payloads that are not a JSON
    message with a post_id (binary, keyless) cannot be sent again and are counted
    apart, as are those longer than the 128 KiB the DLQ keeps of a message: send
    those again from their source (`dlq show --format json` gives each one's size
    and sha256).

    \b
    Example (a producer keyed its records by account instead of post_id):
      tracker dlq show --reason "differs from post_id"
      tracker dlq replay --reason "differs from post_id" --dry-run
      tracker dlq replay --reason "differs from post_id"
    """
    topic, reason, since = _chosen(ctx, topic, reason, since)
    where, args = _where(topic, reason, since)
    with reading() as (settings, reader):
        rows = reader.query(f"SELECT source_topic, src_partition, src_offset, payload, payload_bytes FROM {MESSAGES} "
                            f"WHERE {where} AND {STILL} ORDER BY source_topic, src_partition, src_offset",
                            args).named()
        replayed = _replayed(reader, where, args) if not rows else 0
    ready: list[RawRecord] = []
    unusable = cut = 0
    for row in rows:
        raw = _payload(row["payload"])
        post_id = _post_id(raw)
        if _cut(raw, row):
            cut += 1
        elif raw is None or post_id is None:
            unusable += 1
        else:
            first = f"{row['source_topic']}@{row['src_partition']}:{row['src_offset']}".encode()
            ready.append((row["source_topic"], post_id.encode(), raw, [(REPLAY_OF, first)]))
    by_topic: dict[str, int] = {}
    for source_topic, *_ in ready:
        by_topic[source_topic] = by_topic.get(source_topic, 0) + 1
    counts = ", ".join(f"{n:,} to {name}" for name, n in sorted(by_topic.items())) or "nothing to send"
    skipped = f"; {unusable:,} not a JSON message with a post_id, left as they are" if unusable else ""
    if cut:
        skipped += (f"; {cut:,} longer than the 128 KiB the DLQ keeps of a message, left as they are "
                    "(send them again from their source: `tracker dlq show --format json` gives their size "
                    "and sha256)")
    if not rows:
        click.echo("No message set aside matches." + (
            f" {replayed:,} {'was' if replayed == 1 else 'were'} sent again and applied already "
            "(`tracker dlq show --replayed`)." if replayed else ""))
        return
    if dry_run:
        click.echo(f"{'would send ' if ready else ''}{counts}{skipped} (dry run: nothing sent)")
        return
    if not ready:
        click.echo(f"{counts}{skipped}.")
        return
    sent_at = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    asyncio.run(send_raw(settings, ready))  # as they were: the worker validates them again
    click.echo(f"sent {counts}{skipped}. The worker applies them as they come; any still bad is set aside "
               f"again in its own place, with its new reason (`tracker dlq --since {sent_at:%Y-%m-%dT%H:%M:%S}` "
               "shows those).")


def _payload(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _cut(raw: bytes | None, row: dict[str, Any]) -> bool:
    """The DLQ kept only the first bytes of this message (rows from before migration 0015 say 0)."""
    return raw is not None and row["payload_bytes"] > len(raw)


def _post_id(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    post_id = message.get("post_id") if isinstance(message, dict) else None
    return post_id if isinstance(post_id, str) and post_id else None
