"""``tracker heat POST_ID``: record a heating node (a paid boost) of a post."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import click

from tracker.errors import InvalidInput, TrackerError
from tracker.settings import Settings

EPILOG = """\b
Examples:
  tracker heat douyin:7312345678901234567 --spend 500 --currency CNY --channel dou+
  tracker heat xiaohongshu:65f0c2a1000000001203abcd --spend 800 --channel shutiao \\
      --start 2025-09-20T20:00:00+08:00 --end 2025-09-21T20:00:00+08:00 --status planned

Repeating the same command records the same node once (its id derives from post,
channel and start unless --id is given); --status cancelled withdraws it.
"""


class IsoTime(click.ParamType):
    """An ISO time with an offset (Z or +08:00), as given; errors name the option."""

    name = "time"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not an ISO time such as 2025-09-20T20:00:00+08:00", param, ctx)
        if moment.tzinfo is None:
            self.fail(f"{value!r} has no offset; add Z or +08:00", param, ctx)
        return moment


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


def tenants_of(post_id: str, settings: Settings) -> list[str]:
    """The tenants whose registry holds ``post_id`` (sorted; two may track the same post)."""
    from tracker.report.queries import holders
    from tracker.store.access import open_reader

    with open_reader(settings) as reader:
        return holders(reader, "post", post_id)


def tenant_of(post_id: str, settings: Settings) -> str:
    """The one tenant of a registered post; refuses a post two tenants track (which one paid
    is theirs to say: --tenant)."""
    from tracker.report.queries import only_holder

    found = tenants_of(post_id, settings)
    if not found:
        raise click.ClickException("post " + not_in_registry(post_id, " or pass --tenant"))
    try:
        return only_holder("post", post_id, found)
    except InvalidInput as exc:
        raise click.ClickException(exc.reason) from exc


def not_in_registry(post_id: str, or_else: str = "") -> str:
    """"<post_id> is not in the registry; import it first …": a post import goes through Kafka, so a
    post just imported is in the store only once a worker has read it, and the message says so.
    ``or_else`` is what else would do (" or pass --tenant")."""
    from tracker.cli.posts import WORKER

    return (f"{post_id} is not in the registry; import it first (tracker posts import){or_else}. If you just "
            f"imported it, it is stored once {WORKER} has read it: start one and try again")


@click.command(epilog=EPILOG)
@click.argument("post_id")
@click.option("--spend", required=True, help="Amount spent (a decimal such as 500 or 1200.50).")
@click.option("--currency", default="CNY", show_default=True, help="ISO-4217 currency of the spend.")
@click.option("--channel", required=True, help="Heating channel, e.g. dou+, shutiao, ads.")
@click.option("--start", type=IsoTime(), help="Start of the delivery window (ISO time with offset) [now].")
@click.option("--end", type=IsoTime(), help="End of the delivery window [start + 24 h, the analytics' default].")
@click.option("--status", type=click.Choice(["planned", "executed", "cancelled"]), default="executed",
              show_default=True)
@click.option("--tenant", help="Tenant of the post [looked up in the store].")
@click.option("--id", "heating_id", help="Heating node id [derived from post, channel and start].")
def heat(post_id: str, spend: str, currency: str, channel: str, start: datetime | None, end: datetime | None,
         status: str, tenant: str | None, heating_id: str | None) -> None:
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
    begins = start.astimezone(UTC) if start else datetime.now(UTC).replace(microsecond=0)
    ends = end.astimezone(UTC) if end else begins + timedelta(hours=24)
    if end and ends < begins:
        shown = start.isoformat() if start else f"now, {begins:%Y-%m-%dT%H:%M:%SZ}"
        raise click.BadParameter(f"{end.isoformat()} is before the start ({shown})", param_hint="--end")
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
