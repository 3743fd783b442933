"""``tracker heat POST_ID``: record a heating node (a paid boost) of a post."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from tracker.errors import InvalidInput, TrackerError
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.store.access import Reader

RETRY_HOURS = 2
"""Without --start, a stored node of the same tenant, post, channel and spend starting within this
many hours of now is the one recorded again (a retry): the tolerance pulse attribution matches a
pulse onset to a heating start with."""

SCAN_RECORDS = 5000
"""Records of the post's partition of tracker.heating.v1 read back (the latest ones) for a node
sent but not stored yet: a worker stopped or behind has not stored what a first command sent."""

EPILOG = f"""\b
Examples:
  tracker heat douyin:7312345678901234567 --spend 500 --currency CNY --channel dou+
  tracker heat xiaohongshu:65f0c2a1000000001203abcd --spend 800 --channel shutiao \\
      --start 2025-09-20T20:00:00+08:00 --end 2025-09-21T20:00:00+08:00 --status planned

A node is identified by its id: --id, else one derived from post, channel and
start, so repeating a command with --start records its node once. Without
--start the boost starts now, unless the store holds a node of the post for
the same tenant, channel and spend starting within {RETRY_HOURS} h of now: the command
then records that node again (its id and window) instead of a second one, as
a retry or a planned node now executed should. A second boost of the same spend
within {RETRY_HOURS} h takes its own --start (or --id). A node sent but not stored yet
(no worker running, or one behind) is found on Kafka, among the latest
{SCAN_RECORDS} heating records of the post's partition. --status cancelled withdraws a
node (without --start or --id, the one found so).
"""


YEN_SIGNS = ("¥", "￥")
YEN = ("CNY", "JPY")
"""A spend written with ¥ is in yuan or yen, and one written with $ in neither: ``records.amount``
reads the number after the sign, so the sign is checked against --currency here."""


@dataclass(frozen=True)
class Stored:
    """A heating node the store holds: id and delivery window (UTC; end None for the default 24 h)."""

    heating_id: str
    start: datetime
    end: datetime | None


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


def not_in_registry(post_id: str, or_else: str = "") -> str:
    """"<post_id> is not in the registry; import it first …": a post import goes through Kafka, so a
    post just imported is in the store only once a worker has read it, and the message says so.
    ``or_else`` is what else would do (" or pass --tenant")."""
    from tracker.cli.posts import WORKER

    return (f"{post_id} is not in the registry; import it first (tracker posts import){or_else}. If you just "
            f"imported it, it is stored once {WORKER} has read it: start one and try again")


def owner(reader: Reader, post_id: str, tenant: str | None) -> tuple[str, str]:
    """The tenant a node of ``post_id`` is recorded for, and a warning ('' if none). Without
    ``tenant``, the one tenant whose registry holds the post. With it, the post must be that
    tenant's, or no tenant's yet (a post just imported waits for a worker: the warning says
    the node counts once the post is stored)."""
    from tracker.report.queries import holders, only_holder, registered_tenants

    found = holders(reader, "post", post_id)
    if tenant is None:
        if not found:
            raise click.ClickException("post " + not_in_registry(post_id, " or pass --tenant"))
        try:
            return only_holder("post", post_id, found), ""
        except InvalidInput as exc:
            raise click.ClickException(exc.reason) from exc
    if found and tenant not in found:
        raise click.ClickException(f"--tenant: {post_id} is a post of tenant {', '.join(map(repr, found))}, "
                                   f"not {tenant!r}")
    if found:
        return tenant, ""
    known = registered_tenants(reader)
    unknown = "" if tenant in known else (f"; tenant {tenant!r} is not in the registry either "
                                          f"(tenants: {', '.join(known) or 'none yet'})")
    return tenant, (f"{post_id} is not in the registry yet: the node counts for tenant {tenant!r} once a worker "
                    f"has stored the post (tracker posts import){unknown}")


def written_in(spend: str, currency: str) -> str:
    """Why ``spend``'s currency sign contradicts ``currency`` ("" when it does not): --spend '$200'
    without --currency was recorded as 200 CNY."""
    sign = spend.strip()[:1]
    if sign == "$" and currency in YEN:
        return f"{spend!r} is written in dollars, not {currency}"
    if sign in YEN_SIGNS and currency not in YEN:
        return f"{spend!r} is written in yuan or yen, not {currency}"
    return ""


def post_window(reader: Reader, tenant: str, post_id: str) -> tuple[datetime | None, str]:
    """The post's publish time (UTC) and its campaign's time zone ("" when unknown)."""
    rows = reader.query(
        "SELECT toUnixTimestamp64Milli(p.published_at), c.time_zone FROM (SELECT campaign_id, published_at "
        "FROM posts FINAL WHERE tenant = {t:String} AND post_id = {p:String} AND deleted = 0) AS p "
        "LEFT JOIN (SELECT campaign_id, time_zone FROM campaigns FINAL WHERE tenant = {t:String}) AS c "
        "ON c.campaign_id = p.campaign_id LIMIT 1", {"t": tenant, "p": post_id}).rows
    if not rows:
        return None, ""
    published, zone = rows[0]
    return (None if not published else datetime.fromtimestamp(published / 1000, UTC)), str(zone or "")


def same_node(reader: Reader, tenant: str, post_id: str, channel: str, spend: dict[str, str],
              now: datetime) -> Stored | None:
    """The stored node of ``post_id`` with this tenant, channel and spend whose start is nearest
    ``now`` and within ``RETRY_HOURS`` of it (any status), or None."""
    millis = int(now.timestamp() * 1000)
    rows = reader.query(
        "SELECT heating_id, toUnixTimestamp64Milli(start_at), toUnixTimestamp64Milli(end_at) "
        "FROM heating_nodes FINAL WHERE tenant = {t:String} AND post_id = {p:String} AND channel = {c:String} "
        "AND spend_amount = toDecimal64({a:String}, 4) AND spend_currency = {cur:String} "
        "AND abs(toUnixTimestamp64Milli(start_at) - {now:Int64}) <= {window:Int64} "
        "ORDER BY abs(toUnixTimestamp64Milli(start_at) - {now:Int64}), heating_id LIMIT 1",
        {"t": tenant, "p": post_id, "c": channel, "a": spend["amount"], "cur": spend["currency"], "now": millis,
         "window": RETRY_HOURS * 3_600_000}).rows
    if not rows:
        return None
    node, start_ms, end_ms = rows[0]
    return Stored(str(node), datetime.fromtimestamp(start_ms / 1000, UTC),
                  None if end_ms is None else datetime.fromtimestamp(end_ms / 1000, UTC))


def sent_node(settings: Settings, tenant: str, post_id: str, channel: str, spend: dict[str, str],
              now: datetime) -> Stored | None:
    """``same_node`` among the heating nodes on Kafka not stored yet: the latest message of each node
    in the last ``SCAN_RECORDS`` records of the post's partition (the topic is keyed by post_id)."""
    return asyncio.run(_sent_node(settings, tenant, post_id, channel, spend, now))


async def _sent_node(settings: Settings, tenant: str, post_id: str, channel: str, spend: dict[str, str],
                     now: datetime) -> Stored | None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    from tracker.broker import topics as t
    from tracker.broker.reach import start_client
    from tracker.contracts import decode

    topic, key = settings.topic(t.HEATING), post_id.encode()
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None)
    await start_client(consumer, settings.kafka_bootstrap)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - no public refresh
            partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            return None  # no topic yet: nothing sent (sending says what is missing)
        tp = TopicPartition(topic, t.home_partition(key, len(partitions)))  # where the producers put it
        consumer.assign([tp])
        first, end = (await consumer.beginning_offsets([tp]))[tp], (await consumer.end_offsets([tp]))[tp]
        if end <= first:
            return None
        consumer.seek(tp, max(first, end - SCAN_RECORDS))
        latest: dict[str, dict[str, Any]] = {}
        deadline = asyncio.get_running_loop().time() + 30
        while await consumer.position(tp) < end and asyncio.get_running_loop().time() < deadline:
            for record in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                if record.offset >= end or record.key != key:
                    continue
                try:
                    message = decode(t.HEATING, record.value)
                except TrackerError:  # the worker sends it to the DLQ: no node
                    continue
                latest[message["heating_id"]] = message
    finally:
        await consumer.stop()
    window = timedelta(hours=RETRY_HOURS)
    matching = [m for m in latest.values()
                if (m["tenant"], m["post_id"], m["channel"], m["spend"]["currency"]) == (tenant, post_id, channel,
                                                                                           spend["currency"])
                and Decimal(str(m["spend"]["amount"])) == Decimal(spend["amount"]) and abs(m["start"] - now) <= window]
    if not matching:
        return None
    best = min(matching, key=lambda m: (abs(m["start"] - now), m["heating_id"]))
    return Stored(best["heating_id"], best["start"].astimezone(UTC), best["end"] and best["end"].astimezone(UTC))


def nearest(now: datetime, *nodes: Stored | None) -> Stored | None:
    """The node starting nearest ``now`` (then the smallest id); a node on Kafka, passed last,
    replaces the store's of the same id: it is the newer version."""
    by_id = {node.heating_id: node for node in nodes if node is not None}
    return min(by_id.values(), key=lambda n: (abs(n.start - now), n.heating_id), default=None)


@click.command(epilog=EPILOG)
@click.argument("post_id")
@click.option("--spend", required=True, help="Amount spent (a decimal such as 500 or 1200.50).")
@click.option("--currency", default="CNY", show_default=True, help="ISO-4217 currency of the spend.")
@click.option("--channel", required=True, help="Heating channel, e.g. dou+, shutiao, ads.")
@click.option("--start", type=IsoTime(),
              help=f"Start of the delivery window (ISO time with offset) [now, or the start of the same node "
                   f"stored within {RETRY_HOURS} h: see below].")
@click.option("--end", type=IsoTime(), help="End of the delivery window [start + 24 h, the analytics' default].")
@click.option("--status", type=click.Choice(["planned", "executed", "cancelled"]), default="executed",
              show_default=True)
@click.option("--tenant", help="Tenant of the post [looked up in the store]; the post must be this tenant's.")
@click.option("--id", "heating_id", help="Heating node id [derived from post, channel and start].")
def heat(post_id: str, spend: str, currency: str, channel: str, start: datetime | None, end: datetime | None,
         status: str, tenant: str | None, heating_id: str | None) -> None:
    """Record a heating node of POST_ID (platform:id) to tracker.heating.v1."""
    from tracker.alerting.wording import span, when
    from tracker.broker import topics as t
    from tracker.contracts import encode
    from tracker.registry import records
    from tracker.registry.importer import send
    from tracker.store.access import open_reader

    # Every option is checked here, before the store or Kafka is asked anything.
    post = post_of(post_id)
    try:
        money = {"amount": records.amount(spend, "--spend"), "currency": records.currency(currency, "--currency")}
        tenant = records.ident(tenant, "--tenant") if tenant is not None else None
    except records.RowError as exc:  # the message names the option
        raise click.UsageError(str(exc)) from exc
    contradiction = written_in(spend, money["currency"])
    if contradiction:
        raise click.UsageError(f"--spend: {contradiction}; give the amount alone with its --currency")
    now = datetime.now(UTC).replace(microsecond=0)
    begins = start.astimezone(UTC) if start else now
    if end and end < begins:
        shown = start.isoformat() if start else f"now, {begins:%Y-%m-%dT%H:%M:%SZ}"
        raise click.BadParameter(f"{end.isoformat()} is before the start ({shown})", param_hint="--end")
    settings = Settings()
    try:
        with open_reader(settings) as reader:
            tenant, warning = owner(reader, post, tenant)
            published, zone = post_window(reader, tenant, post)
            found = None if start or heating_id else same_node(reader, tenant, post, channel, money, now)
        if not (start or heating_id):  # a node sent but not stored yet (no worker, or one behind) counts too
            found = nearest(now, found, sent_node(settings, tenant, post, channel, money, now))
    except TrackerError as exc:
        raise click.ClickException(getattr(exc, "reason", str(exc))) from exc
    if found and end and end < found.start:  # not the node this window describes
        found = None
    if found is None and status == "cancelled" and not (start or heating_id):
        raise click.ClickException(
            f"--status cancelled: {post} has no {channel} node of {money['amount']} {money['currency']} for tenant "
            f"{tenant!r} starting within {RETRY_HOURS} h of now; give the node's --id or --start (list them: "
            f"tracker sql \"SELECT heating_id, start_at, spend_amount FROM heating_nodes FINAL WHERE post_id = "
            f"'{post}'\")")
    if found:
        node, begins = found.heating_id, found.start
    else:
        node = heating_id or "h-" + hashlib.sha1(f"{post}|{channel}|{begins.isoformat()}".encode()).hexdigest()[:12]
    ends = end.astimezone(UTC) if end else (found and found.end) or begins + timedelta(hours=24)
    if published is not None and ends <= published and status != "cancelled":  # heats nothing: a mistyped date
        raise click.ClickException(
            f"--start: the boost's window {span(begins, ends, zone)} ends before {post} was published "
            f"({when(published, zone)}); check the date and its offset")
    if warning:
        click.echo(f"warning: {warning}", err=True)
    try:
        message = {"tenant": tenant, "post_id": post, "heating_id": node, "channel": channel, "start": begins,
                   "end": ends, "spend": money, "status": status, "updated_at": datetime.now(UTC)}
        encode(t.HEATING, message)  # the contract's verdict before connecting to Kafka
        asyncio.run(send(settings, [(t.HEATING, message)]))
    except TrackerError as exc:
        raise click.ClickException(getattr(exc, "reason", str(exc))) from exc
    click.echo(f"heating {node}: {post} {channel} {money['amount']} {money['currency']} "
               f"{begins:%Y-%m-%dT%H:%MZ} → {ends:%Y-%m-%dT%H:%MZ} ({status})")
    if zone and zone != "UTC":  # a time written with the wrong offset shows here
        click.echo(f"  campaign time ({zone}): {span(begins, ends, zone)}")
    if found:
        done = "withdrawn" if status == "cancelled" else "recorded again, not a second boost (give one its own --start)"
        click.echo(f"  the node recorded for the same post, channel and spend, starting within {RETRY_HOURS} h of now: "
                   f"{done}")
