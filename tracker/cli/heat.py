"""``tracker heat POST_ID``: record a heating node (a paid boost) of a post."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import click

from tracker.errors import TrackerError
from tracker.settings import Settings

EPILOG = """\b
Examples:
  tracker heat douyin:7312345678901234567 --spend 500 --currency CNY --channel dou+
  tracker heat xiaohongshu:65f0c2a1000000001203abcd --spend 800 --channel shutiao \\
      --start 2025-09-20T20:00:00+08:00 --end 2025-09-21T20:00:00+08:00 --status planned

Repeating the same command records the same node once (its id derives from post,
channel and start unless --id is given); --status cancelled withdraws it.
"""


def parse_time(value: str | None, default: datetime | None = None) -> datetime | None:
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time such as 2025-09-20T20:00:00+08:00") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no offset; add Z or +08:00")
    return moment.astimezone(UTC)


def post_of(value: str, hint: str = "POST_ID") -> str:
    """``platform:id`` of a post given as platform:id or a post URL (a bare id names no platform);
    ``hint`` names the argument or option in errors."""
    from tracker.contracts.vocab import PLATFORMS
    from tracker.registry.urls import UrlError, resolve

    text = value.strip()
    head, sep, tail = text.partition(":")
    if not text.startswith(("http://", "https://")) and not (sep and head in PLATFORMS):
        raise click.BadParameter(f"{text!r} names no platform; write platform:id (e.g. douyin:{tail or head}); "
                                 f"platforms: {', '.join(PLATFORMS)}", param_hint=hint)
    try:
        platform, pid = resolve(text)
    except UrlError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from exc
    return f"{platform}:{pid}"


def tenant_of(post_id: str, settings: Settings) -> str:
    """The tenant of a registered post, from the store."""
    from tracker.store.access import open_reader

    with open_reader(settings) as reader:
        rows = reader.query("SELECT tenant FROM posts FINAL WHERE post_id = {p:String} AND deleted = 0 LIMIT 1",
                            {"p": post_id})
    for (tenant,) in rows:
        return str(tenant)
    raise click.ClickException(f"post {post_id} is not in the registry; import it first or pass --tenant")


@click.command(epilog=EPILOG)
@click.argument("post_id")
@click.option("--spend", required=True, help="Amount spent (a decimal such as 500 or 1200.50).")
@click.option("--currency", default="CNY", show_default=True, help="ISO-4217 currency of the spend.")
@click.option("--channel", required=True, help="Heating channel, e.g. dou+, shutiao, ads.")
@click.option("--start", help="Start of the delivery window (ISO time with offset) [now].")
@click.option("--end", help="End of the delivery window [start + 24 h, the analytics' default].")
@click.option("--status", type=click.Choice(["planned", "executed", "cancelled"]), default="executed",
              show_default=True)
@click.option("--tenant", help="Tenant of the post [looked up in the store].")
@click.option("--id", "heating_id", help="Heating node id [derived from post, channel and start].")
def heat(post_id: str, spend: str, currency: str, channel: str, start: str | None, end: str | None, status: str,
         tenant: str | None, heating_id: str | None) -> None:
    """Record a heating node of POST_ID (platform:id) to tracker.heating.v1."""
    from tracker.broker import topics as t
    from tracker.contracts import encode
    from tracker.registry import records
    from tracker.registry.importer import send

    # Every option is checked here, before the store or Kafka is asked anything.
    post = post_of(post_id)
    try:
        money = {"amount": records.amount(spend, "--spend"), "currency": records.currency(currency, "--currency")}
    except records.RowError as exc:  # the message names the option
        raise click.UsageError(str(exc)) from exc
    begins = parse_time(start, datetime.now(UTC).replace(microsecond=0))
    assert begins is not None
    ends = parse_time(end, begins + timedelta(hours=24))
    assert ends is not None
    if ends < begins:
        raise click.BadParameter(f"{end} is before the start ({start or f'now, {begins:%Y-%m-%dT%H:%M:%SZ}'})",
                                 param_hint="--end")
    settings = Settings()
    node = heating_id or "h-" + hashlib.sha1(f"{post}|{channel}|{begins.isoformat()}".encode()).hexdigest()[:12]
    try:
        message = {"tenant": tenant or tenant_of(post, settings), "post_id": post, "heating_id": node,
                   "channel": channel, "start": begins, "end": ends, "spend": money, "status": status,
                   "updated_at": datetime.now(UTC)}
        encode(t.HEATING, message)  # the contract's verdict before connecting to Kafka
        asyncio.run(send(settings, [(t.HEATING, message)]))
    except TrackerError as exc:
        raise click.ClickException(getattr(exc, "reason", str(exc))) from exc
    click.echo(f"heating {node}: {post} {channel} {money['amount']} {money['currency']} "
               f"{begins:%Y-%m-%dT%H:%MZ} → {ends:%Y-%m-%dT%H:%MZ} ({status})")
