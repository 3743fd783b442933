"""``tracker snapshots import FILE``: metric exports → ``tracker.snapshots.v1``.

For platforms without an API (Xiaohongshu, WeChat Channels) and Xingtu data
reports: each row maps to one snapshot with the same validation the collectors
apply (``tracker.collect.exportrows``); every bad row is reported with its line.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from tracker.contracts.vocab import METRICS, PLATFORMS
from tracker.errors import TrackerError
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.collect.model import Observation
    from tracker.registry.reader import Row
    from tracker.store.access import Reader

EPILOG = """\b
Files: CSV, XLSX (first sheet), JSON Lines (.jsonl: one object a line; a line that is
  not one is refused like a bad row), or a JSON/YAML list of objects.
Columns (any of the aliases, case-insensitive):
  post_id (platform:id) | platform_post_id + platform (视频ID, 作品ID, 笔记ID…)
  as_of (observed_at, 数据时间, 统计时间, 日期): the time of the figures, with a zone
    (2025-09-20T12:00:00Z or +08:00) unless --time-zone gives it; a date alone = the end
    of that day (UTC, or in --time-zone), as a daily export's figures stand, or now while
    that day is not over
  views (播放量, 阅读量, 观看量)  likes (点赞数)  comments (评论数)  shares (分享数, 转发数)
  saves (收藏数)  searches (看后搜, 看后搜次数)  tenant (客户, 品牌)
  status (状态): ok (正常), unavailable (不可见, private) or deleted (已删除, taken down);
    a post no longer shown may have no counter in its row
Empty cells, "-" and \\N mean "not in this export" (null, never 0); "1.2万" is 12,000, rounded.

\b
Examples:
  tracker snapshots import wechat-channels-export.csv --platform wechat_channels
  tracker snapshots import xingtu-report.xlsx --platform douyin --tenant lumi-beauty
  tracker sql "SELECT tenant, post_id, observed_at, views, likes, comments, shares, saves,
    searches FROM snapshots FINAL WHERE post_id = 'douyin:123' FORMAT CSVWithNames" > p.csv
  tracker snapshots import p.csv --time-zone UTC --dry-run    # the store's times are UTC

Rows are sent to Kafka; a running worker (tracker run or tracker worker) stores them.
A row older than its post's newest snapshot (the store's, or an earlier row's) by more
than the reorder window (TRACKER_REORDER_WINDOW_HOURS, 6 h) is late: the worker keeps it
in late_snapshots and counts it, but does not analyse it. The import names such rows when
the store is readable: import a post's exports before collection starts for it, oldest
first; tracker analyze FILE reads a whole file offline. A row the store already holds
(the same tenant, post, time, figures and status), or one repeated in the file, is
skipped and counted, not sent again: importing a file again after an interrupted
import sends only what is new.

Exit status: 0 all rows sent; 1 nothing read (no row, or every row refused);
2 some rows refused (the others sent), or a usage error such as a missing FILE.
"""


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> tzinfo | None:
    if value is None:
        return None
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise click.BadParameter(f"unknown time zone {value!r:.40}; use an IANA name such as UTC or "
                                 "Asia/Shanghai") from None


def zone_option(times: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--time-zone`` (``--tz`` for short, as ``tracker posts import`` takes both): the IANA zone of
    ``times`` ("the file's times (as_of)") when written without one. Shared with tracker analyze."""
    return click.option(
        "--time-zone", "--tz", "tz", callback=_zone, metavar="ZONE",
        help=f"IANA zone of {times} written without an offset, e.g. UTC (tracker sql exports) or Asia/Shanghai; "
        "a date alone is the end of that day in it [such times are refused; dates are read in UTC].",
    )


WORKER = "a running worker (tracker run or tracker worker)"


@click.group()
def snapshots() -> None:
    """Snapshots from metric files (exports of platforms without an API)."""


@snapshots.command("import", epilog=EPILOG, short_help="Send one snapshot per row of a CSV, XLSX, JSONL or YAML file.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--platform", type=click.Choice(PLATFORMS, case_sensitive=False),
              help="Platform of rows that give a bare platform id.")
@click.option("--tenant", help="Tenant of rows without a tenant column [looked up in the registry].")
@click.option("--source", type=click.Choice(["export", "provider", "manual"]), default="export", show_default=True)
@click.option("--dry-run", is_flag=True, help="Check every row; send nothing.")
@zone_option("the file's times (as_of)")
def import_(file: Path, platform: str | None, tenant: str | None, source: str, dry_run: bool,
            tz: tzinfo | None) -> None:
    """Send one snapshot per row of FILE (CSV, XLSX, JSON Lines, or a JSON or YAML list)."""
    from tracker.broker import topics as t
    from tracker.cli.snapshotfile import read_rows, reason
    from tracker.collect.exportrows import RowError, canonical, observation_from_row
    from tracker.collect.produce import snapshot_message
    from tracker.contracts.timestamps import ahead_of_sending, before_publish
    from tracker.registry.reader import named

    settings = Settings()
    try:
        doc = read_rows(file)
    except TrackerError as exc:
        raise click.ClickException(named(file, exc)) from exc
    if doc.kind != "table" and "rows" not in doc.sections:
        raise click.ClickException(f"{file}: a mapping without a rows list; expected a table of snapshots "
                                   "(one row each) or an export document with rows")
    rows = doc.rows if doc.kind == "table" else doc.sections["rows"]
    if not rows:
        raise click.ClickException(f"{file}: no rows: nothing to send")
    tenant_col = next((h for h in doc.headers if canonical(h) == "tenant"), None)
    read: list[tuple[int, Row, Observation]] = []
    problems: list[tuple[int, str]] = []
    now = datetime.now(UTC)  # a date alone is the end of its day, as the collector reads a daily export
    for i, row in enumerate(rows):
        try:
            if row.problem:
                raise RowError(row.problem)
            read.append((i, row, observation_from_row(row.values, platform, tz=tz, now=now)))
        except RowError as exc:
            problems.append((i, f"{row.label()}: {reason(exc)}"))
    times = [obs.observed_at for _, _, obs in read if obs.observed_at is not None]
    stored = _stored(settings, {obs.post_id for _, _, obs in read}, tenants=not (tenant or tenant_col),
                     span=(min(times), max(times)) if times else None)
    messages: list[tuple[str, bytes]] = []
    sent: list[tuple[str, datetime]] = []
    seen = set(stored.rows)  # the store's snapshots, then the rows sent from this file
    skipped = 0
    for i, row, obs in read:
        try:
            owner = tenant or (str(row.values.get(tenant_col) or "") if tenant_col else stored.tenants.get(obs.post_id))
            if not owner:
                raise RowError(f"tenant: {obs.post_id} is not in the registry; pass --tenant or add a tenant "
                               f"column (a post just imported is in the store only once {WORKER} has read it)")
            assert obs.observed_at is not None
            ahead = ahead_of_sending(obs.observed_at, now, settings.max_snapshot_lead_hours)
            if ahead is not None:  # the worker would send it to the DLQ
                raise RowError(ahead)
            early = before_publish(obs.observed_at, stored.published.get(obs.post_id))
            if early is not None:  # so would it this
                raise RowError(early)
            key = identity(owner, obs.post_id, obs.observed_at, obs.metrics, obs.status)
            if key in seen:  # stored already (or sent above): sent again, the worker would book it late
                skipped += 1
                continue
            seen.add(key)
            messages.append((obs.post_id, snapshot_message(obs, owner, obs.post_id.partition(":")[0],
                                                           obs.observed_at, source, now)))
            sent.append((obs.post_id, obs.observed_at))
        except RowError as exc:
            problems.append((i, f"{row.label()}: {reason(exc)}"))
        except TrackerError as exc:
            problems.append((i, f"{row.label()}: {getattr(exc, 'reason', exc)}"))
    if messages and not dry_run:
        asyncio.run(_send(settings, settings.topic(t.SNAPSHOTS), messages))
    click.echo(f"{file}: {'would send' if dry_run else 'sent'} {len(messages)} snapshot(s) to "
               f"{settings.topic(t.SNAPSHOTS)}" + (f"; {WORKER} stores them" if messages else ""))
    if skipped:
        click.echo(f"{skipped} row(s) already stored, {'would be ' if dry_run else ''}skipped: the same post, time, "
                   "figures and status as a stored snapshot (or an earlier row of this file)")
    late = late_rows(sent, stored.latest, timedelta(hours=settings.reorder_window_hours))
    if late:
        _warn_late(late, settings.reorder_window_hours, dry_run)
    if problems:
        click.echo(f"{len(problems)} row(s) refused:", err=True)
        for _, line in sorted(problems):
            click.echo(f"  {line}", err=True)
        sys.exit(2 if messages else 1)


@dataclass
class Late:
    """Rows of one post the worker will set aside as late (``late_snapshots``)."""

    rows: int
    before: datetime
    """The first late row's cutoff: the newest snapshot then, minus the reorder window."""
    newest: datetime
    stored: bool
    """Whether that newest snapshot is the store's (else a row earlier in the file)."""


Identity = tuple[str, str, int, tuple[int | None, ...], str]
"""(tenant, post_id, observed_at in epoch ms, the METRICS' values, status) of a snapshot."""


def identity(tenant: str, post_id: str, observed_at: datetime, metrics: Mapping[str, Any], status: str) -> Identity:
    """What makes two snapshots the same one: a row equal to a stored snapshot is not sent again
    (the worker would book it late when older than the reorder window)."""
    values = tuple(None if metrics.get(m) is None else int(metrics[m]) for m in METRICS)
    return (tenant, post_id, _ms(observed_at), values, status)


def late_rows(rows: Iterable[tuple[str, datetime]], stored: Mapping[str, datetime],
              window: timedelta) -> dict[str, Late]:
    """Per post, the rows (post_id, observed_at; in the order they are sent) that the worker
    will find older than the post's newest snapshot so far (the store's latest, then the rows
    before them) by more than ``window``: those it keeps in late_snapshots, counted, and does
    not analyse. The same rule as the stream processor's."""
    newest = dict(stored)
    late: dict[str, Late] = {}
    for post_id, at in rows:
        top = newest.get(post_id)
        if top is not None and at < top - window:
            if post_id in late:
                late[post_id].rows += 1
            else:
                late[post_id] = Late(1, top - window, top, top == stored.get(post_id))
        elif top is None or at > top:
            newest[post_id] = at
    return late


def _warn_late(late: dict[str, Late], window_hours: float, dry_run: bool) -> None:
    from tracker.alerting.wording import when

    total = sum(x.rows for x in late.values())
    will = "would" if dry_run else "will"
    click.echo(f"warning: {total} of these rows are late: older than their post's newest snapshot by more than "
               f"the reorder window ({window_hours:g} h; TRACKER_REORDER_WINDOW_HOURS):", err=True)
    for post_id, x in sorted(late.items()):
        newest = (f"latest stored snapshot {when(x.newest)}" if x.stored
                  else f"a newer row earlier in this file, {when(x.newest)}")
        click.echo(f"  {post_id}: {x.rows} row(s) before {when(x.before)} ({newest})", err=True)
    click.echo(f"  The worker {will} keep them in late_snapshots and count them (tracker_late_snapshots_total), "
               "but they are not analysed: no curve or pulse uses them (a metric none of the post's later "
               "snapshots has still becomes its total, such as an export's saves). Import a post's exports before "
               "collection starts for it (oldest rows first); `tracker analyze FILE` reads a whole file offline.",
               err=True)


@dataclass
class Stored:
    """What the store holds for an import's posts (empty when it cannot be read)."""

    tenants: dict[str, str] = field(default_factory=dict)
    """post_id → tenant of every registered post (looked up only when rows need it)."""
    latest: dict[str, datetime] = field(default_factory=dict)
    """post_id → observed_at of its newest stored snapshot."""
    published: dict[str, datetime] = field(default_factory=dict)
    """post_id → publish time of every registered post of the file."""
    rows: set[Identity] = field(default_factory=set)
    """Every snapshot stored of these posts between the file's first and last time (``identity``),
    analysed or set aside as late."""


def _stored(settings: Settings, post_ids: set[str], tenants: bool,
            span: tuple[datetime, datetime] | None = None) -> Stored:
    """The registry's tenants (when ``tenants``), each post's newest stored snapshot and the
    snapshots stored within ``span`` (the file's first and last times), in one read; a store
    that does not exist yet holds nothing, one that cannot be read is said."""
    from tracker.store.access import open_reader
    from tracker.store.client import has_store

    out = Stored()
    if not post_ids or (not tenants and not has_store(settings.store_url)):
        return out  # no store yet: nothing to be late against
    try:
        with open_reader(settings) as reader:
            if tenants:
                out.tenants = {str(p): str(t) for p, t in
                               reader.query("SELECT post_id, tenant FROM posts FINAL WHERE deleted = 0")}
            out.published = {str(p): _utc(at) for p, at in reader.query(
                "SELECT post_id, published_at FROM posts FINAL WHERE deleted = 0 AND post_id IN {ids:Array(String)}",
                {"ids": sorted(post_ids)})}
            out.latest = {str(p): _utc(at) for p, at in reader.query(
                "SELECT post_id, max(observed_at) FROM snapshots WHERE post_id IN {ids:Array(String)} "
                "GROUP BY post_id", {"ids": sorted(post_ids)})}
            if span is not None:
                out.rows = _stored_rows(reader, post_ids, span)
    except Exception as exc:  # noqa: BLE001 - the import goes on; say what it could not check
        need = "rows need --tenant or a tenant column, and " if tenants else ""
        click.echo(f"store not readable ({exc}); {need}rows older than its snapshots of their post by more than "
                   "the reorder window (set aside by the worker as late) cannot be named, nor rows it holds "
                   "already skipped", err=True)
    return out


def _stored_rows(reader: Reader, post_ids: set[str], span: tuple[datetime, datetime]) -> set[Identity]:
    """``identity`` of every snapshot of ``post_ids`` stored between ``span``'s times, in
    snapshots or late_snapshots."""
    found: set[Identity] = set()
    parameters = {"ids": sorted(post_ids), "first": _ms(span[0]), "last": _ms(span[1])}
    for table in ("snapshots", "late_snapshots"):
        rows = reader.query(
            f"SELECT tenant, post_id, observed_at, {', '.join(METRICS)}, status FROM {table} FINAL "
            "WHERE post_id IN {ids:Array(String)} "
            "AND toUnixTimestamp64Milli(observed_at) BETWEEN {first:Int64} AND {last:Int64}", parameters)
        for tenant, post_id, at, *values, status in rows:
            found.add(identity(str(tenant), str(post_id), at, dict(zip(METRICS, values, strict=True)), str(status)))
    return found


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _ms(at: datetime) -> int:
    """Epoch milliseconds of ``at`` (naive = UTC, as the store returns it)."""
    return int(_utc(at).timestamp() * 1000)


async def _send(settings: Settings, topic: str, messages: list[tuple[str, bytes]]) -> None:
    from aiokafka import AIOKafkaProducer

    from tracker.broker.reach import start_client

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all",
                                linger_ms=10)
    await start_client(producer, settings.kafka_bootstrap)
    try:
        futures = [await producer.send(topic, value, key=key.encode()) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
