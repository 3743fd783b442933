"""``tracker snapshots import FILE``: metric exports → ``tracker.snapshots.v1``.

For platforms without an API (Xiaohongshu, WeChat Channels) and Xingtu data
reports: each row maps to one snapshot with the same validation the collectors
apply (``tracker.collect.exportrows``); every bad row is reported with its line.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from tracker.contracts.vocab import PLATFORMS
from tracker.errors import TrackerError
from tracker.settings import Settings

EPILOG = """\b
Columns (any of the aliases, case-insensitive):
  post_id (platform:id) | platform_post_id + platform (视频ID, 作品ID, 笔记ID…)
  as_of (数据时间, 统计时间, 日期): the time of the figures; a date = midnight UTC
  views (播放量, 阅读量, 观看量)  likes (点赞数)  comments (评论数)  shares (分享数, 转发数)
  saves (收藏数)  searches (看后搜, 看后搜次数)  tenant (客户, 品牌)
Empty cells and "-" mean "not in this export" (null, never 0); "1.2万" is 12,000, rounded.

\b
Examples:
  tracker snapshots import wechat-channels-export.csv --platform wechat_channels
  tracker snapshots import xingtu-report.xlsx --platform douyin --tenant lumi-beauty

Exit status: 0 all rows sent, 2 some rows refused (the others sent), 1 nothing read.
"""


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
def import_(file: Path, platform: str | None, tenant: str | None, source: str, dry_run: bool) -> None:
    """Send one snapshot per row of FILE (CSV, XLSX, JSON or YAML list)."""
    from tracker.broker import topics as t
    from tracker.collect.exportrows import RowError, canonical, observation_from_row
    from tracker.collect.produce import snapshot_message
    from tracker.registry.reader import named, read

    settings = Settings()
    try:
        doc = read(file)
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
            obs = observation_from_row(row.values, platform)
            owner = tenant or (str(row.values.get(tenant_col) or "") if tenant_col else tenants.get(obs.post_id))
            if not owner:
                raise RowError(f"tenant: {obs.post_id} is not in the registry; pass --tenant or add a tenant column")
            assert obs.observed_at is not None
            messages.append((obs.post_id, snapshot_message(obs, owner, obs.post_id.partition(":")[0],
                                                           obs.observed_at, source, now)))
        except RowError as exc:
            problems.append(f"{row.label()}: {exc}")
        except TrackerError as exc:
            problems.append(f"{row.label()}: {getattr(exc, 'reason', exc)}")
    if messages and not dry_run:
        asyncio.run(_send(settings, settings.topic(t.SNAPSHOTS), messages))
    click.echo(f"{file}: {'would send' if dry_run else 'sent'} {len(messages)} snapshot(s) to "
               f"{settings.topic(t.SNAPSHOTS)}")
    if problems:
        click.echo(f"{len(problems)} row(s) refused:", err=True)
        for line in problems:
            click.echo(f"  {line}", err=True)
        sys.exit(2)


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
