"""``tracker snapshots import FILE``: metric exports → ``tracker.snapshots.v1``.

For platforms without an API (Xiaohongshu, WeChat Channels) and Xingtu data
reports: each row maps to one snapshot with the same validation the collectors
apply (``tracker.collect.exportrows``); every bad row is reported with its line.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from tracker.contracts.vocab import PLATFORMS
from tracker.errors import TrackerError
from tracker.settings import Settings

EPILOG = """\b
Files: CSV, XLSX (first sheet), JSON Lines (.jsonl: one object a line; a line that is
  not one is refused like a bad row), or a JSON/YAML list of objects.
Columns (any of the aliases, case-insensitive):
  post_id (platform:id) | platform_post_id + platform (视频ID, 作品ID, 笔记ID…)
  as_of (observed_at, 数据时间, 统计时间, 日期): the time of the figures, with a zone
    (2025-09-20T12:00:00Z or +08:00) unless --tz gives it; a date = midnight (UTC, or in --tz)
  views (播放量, 阅读量, 观看量)  likes (点赞数)  comments (评论数)  shares (分享数, 转发数)
  saves (收藏数)  searches (看后搜, 看后搜次数)  tenant (客户, 品牌)
Empty cells, "-" and \\N mean "not in this export" (null, never 0); "1.2万" is 12,000, rounded.

\b
Examples:
  tracker snapshots import wechat-channels-export.csv --platform wechat_channels
  tracker snapshots import xingtu-report.xlsx --platform douyin --tenant lumi-beauty
  tracker sql "SELECT tenant, post_id, observed_at, views, likes, comments, shares, saves,
    searches FROM snapshots FINAL WHERE post_id = 'douyin:123' FORMAT CSVWithNames" > p.csv
  tracker snapshots import p.csv --tz UTC --dry-run    # the store's times are UTC

Rows are sent to Kafka; a running worker (tracker run or tracker worker) stores them.

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


tz_option = click.option(  # shared with tracker analyze; kept here, where imports are light
    "--tz", callback=_zone, metavar="ZONE",
    help="Zone of the file's times written without one, e.g. UTC (tracker sql exports) or Asia/Shanghai; "
    "dates are midnight in it [such times refused; dates midnight UTC].",
)


WORKER = "a running worker (tracker run or tracker worker)"


@click.group()
def snapshots() -> None:
    """Snapshots from metric files (exports of platforms without an API)."""


@snapshots.command("import", epilog=EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--platform", type=click.Choice(PLATFORMS, case_sensitive=False),
              help="Platform of rows that give a bare platform id.")
@click.option("--tenant", help="Tenant of rows without a tenant column [looked up in the registry].")
@click.option("--source", type=click.Choice(["export", "provider", "manual"]), default="export", show_default=True)
@click.option("--dry-run", is_flag=True, help="Check every row; send nothing.")
@tz_option
def import_(file: Path, platform: str | None, tenant: str | None, source: str, dry_run: bool,
            tz: tzinfo | None) -> None:
    """Send one snapshot per row of FILE (CSV, XLSX, JSON Lines, or a JSON or YAML list)."""
    from tracker.broker import topics as t
    from tracker.cli.snapshotfile import read_rows, reason
    from tracker.collect.exportrows import RowError, canonical, observation_from_row
    from tracker.collect.produce import snapshot_message
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
    tenants = {} if tenant or tenant_col else _tenants(settings)
    messages: list[tuple[str, bytes]] = []
    problems: list[str] = []
    now = datetime.now(UTC)
    for row in rows:
        try:
            if row.problem:
                raise RowError(row.problem)
            obs = observation_from_row(row.values, platform, tz=tz)
            owner = tenant or (str(row.values.get(tenant_col) or "") if tenant_col else tenants.get(obs.post_id))
            if not owner:
                raise RowError(f"tenant: {obs.post_id} is not in the registry; pass --tenant or add a tenant "
                               f"column (a post just imported is in the store only once {WORKER} has read it)")
            assert obs.observed_at is not None
            messages.append((obs.post_id, snapshot_message(obs, owner, obs.post_id.partition(":")[0],
                                                           obs.observed_at, source, now)))
        except RowError as exc:
            problems.append(f"{row.label()}: {reason(exc)}")
        except TrackerError as exc:
            problems.append(f"{row.label()}: {getattr(exc, 'reason', exc)}")
    if messages and not dry_run:
        asyncio.run(_send(settings, settings.topic(t.SNAPSHOTS), messages))
    click.echo(f"{file}: {'would send' if dry_run else 'sent'} {len(messages)} snapshot(s) to "
               f"{settings.topic(t.SNAPSHOTS)}" + (f"; {WORKER} stores them" if messages else ""))
    if problems:
        click.echo(f"{len(problems)} row(s) refused:", err=True)
        for line in problems:
            click.echo(f"  {line}", err=True)
        sys.exit(2 if messages else 1)


def _tenants(settings: Settings) -> dict[str, str]:
    """post_id → tenant of every registered post (empty when the store cannot be read)."""
    from tracker.store.access import open_reader

    try:
        with open_reader(settings) as reader:
            return {str(p): str(t) for p, t in reader.query("SELECT post_id, tenant FROM posts FINAL WHERE deleted = 0")}
    except Exception as exc:  # noqa: BLE001 - rows then need --tenant, and say so
        click.echo(f"registry not readable ({exc}); rows need --tenant or a tenant column", err=True)
        return {}


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
