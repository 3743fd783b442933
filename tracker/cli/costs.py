"""``tracker costs add``: an extra cost line (production, travel, agency fee…); ``tracker costs fx``: an
exchange rate to the reporting currency."""

from __future__ import annotations

import hashlib
import time
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from tracker.errors import TrackerError
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.store.access import Reader

EPILOG = """\b
Examples:
  tracker costs add --tenant lumi-beauty --campaign lumi-serum-launch --amount 3000 --note "shooting day"
  tracker costs add --tenant lumi-beauty --campaign lumi-serum-launch --post douyin:73123 \\
      --amount 200 --currency CNY --date 2025-09-20 --kind heating --note "DOU+ invoiced without a node"

Adding the same line again (same tenant, campaign, post, kind, amount, date and
note) records it once; give --id to correct a line you added before.
"""


@click.group()
def costs() -> None:
    """Cost lines beyond fees and heating nodes, and the FX rates that convert them."""


@costs.command(epilog=EPILOG)
@click.option("--tenant", required=True, help="Tenant the cost belongs to.")
@click.option("--campaign", required=True, help="Campaign the cost belongs to.")
@click.option("--post", "post_id", default="", help="Post the cost belongs to (platform:id) [campaign level].")
@click.option("--amount", "value", required=True, help="Amount (a decimal such as 3000 or 120.50).")
@click.option("--currency", default="CNY", show_default=True, help="ISO-4217 currency.")
@click.option("--date", "day", default=None,
              help="Date of the cost (YYYY-MM-DD), the day its FX rate is taken [today in the campaign's time zone].")
@click.option("--kind", type=click.Choice(["extra", "heating", "fee", "service_fee", "bundle"]), default="extra",
              show_default=True)
@click.option("--note", default="", help="What the cost is for.")
@click.option("--id", "cost_id", default=None, help="Cost line id [derived from the other fields].")
def add(tenant: str, campaign: str, post_id: str, value: str, currency: str, day: str | None, kind: str, note: str,
        cost_id: str | None) -> None:
    """Write one cost line to the store."""
    from tracker.cli.heat import post_of
    from tracker.registry.records import RowError, amount, ident, text_id
    from tracker.registry.records import currency as check_currency
    from tracker.store.access import open_writer

    try:
        tenant = ident(tenant, "--tenant")
        campaign = text_id(campaign, "--campaign")
        post_id = post_of(post_id, "--post") if post_id else ""
        money = amount(value, "--amount")
        cur = check_currency(currency, "--currency")
    except RowError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        given = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.UsageError(f"--date: {day!r} is not a date (YYYY-MM-DD)") from None
    settings = Settings()
    try:
        zone = _check_registered(settings, tenant, campaign, post_id)
    except TrackerError as exc:
        raise click.ClickException(f"the registry cannot be read to check the cost line: "
                                   f"{getattr(exc, 'reason', exc)}") from exc
    when = given or datetime.now(ZoneInfo(zone)).date()
    line = cost_id or "x-" + hashlib.sha1(
        f"{tenant}|{campaign}|{post_id}|{kind}|{money}|{cur}|{when}|{note}".encode()).hexdigest()[:16]
    row = {"tenant": tenant, "cost_id": line, "campaign_id": campaign, "post_id": post_id, "bundle_id": "",
           "kind": kind, "amount": money, "currency": cur, "cost_date": when, "note": note,
           "version": int(time.time() * 1000)}
    try:
        with open_writer(settings) as writer:
            writer.insert_json("cost_lines", [row], dedup_token=None if cost_id else f"cost:{line}")
    except TrackerError as exc:
        raise click.ClickException(getattr(exc, "reason", str(exc))) from exc
    click.echo(f"cost line {line}: {tenant}/{campaign}{'/' + post_id if post_id else ''} {kind} {money} {cur} "
               f"on {when}")


def _check_registered(settings: Settings, tenant: str, campaign: str, post_id: str) -> str:
    """Refuse a tenant, a campaign of the tenant, or a post of the campaign that no import
    registered (registry tables, and the posts of flat tables, which name their campaign);
    return the campaign's time zone."""
    from tracker.cli.heat import not_in_registry, tenants_of
    from tracker.registry.records import DEFAULT_ZONE
    from tracker.store.access import open_reader

    with open_reader(settings) as reader:
        rows = reader.query(
            "SELECT count(), countIf(campaign_id = {c:String}), groupUniqArrayIf(campaign_id, post_id = {p:String}), "
            "anyIf(zone, campaign_id = {c:String} AND zone != '') "
            "FROM (SELECT '' AS campaign_id, '' AS post_id, '' AS zone FROM tenants FINAL WHERE tenant = {t:String}"
            " UNION ALL SELECT campaign_id, '', toString(time_zone) FROM campaigns FINAL WHERE tenant = {t:String}"
            " UNION ALL SELECT campaign_id, post_id, '' FROM posts FINAL WHERE tenant = {t:String} AND deleted = 0)",
            {"t": tenant, "c": campaign, "p": post_id or "-"})
    known, in_campaign, post_campaigns, zone = next(iter(rows), (0, 0, [], ""))
    if not known:
        raise click.ClickException(f"--tenant: {tenant!r} is not in the registry; import its campaign first "
                                   "(tracker posts import)")
    if not in_campaign:
        raise click.ClickException(f"--campaign: {campaign!r} is not a campaign of tenant {tenant!r} in the "
                                   "registry; import it first (tracker posts import)")
    if post_id and campaign not in post_campaigns:
        if post_campaigns:
            raise click.ClickException(f"--post: {post_id} is in campaign {sorted(post_campaigns)[0]!r}, "
                                       f"not {campaign!r}")
        owners = tenants_of(post_id, settings)  # the post may be another tenant's
        if not owners:
            raise click.ClickException("--post: " + not_in_registry(post_id))
        raise click.ClickException(f"--post: {post_id} is a post of tenant {', '.join(map(repr, owners))}, "
                                   f"not {tenant!r}")
    return str(zone or DEFAULT_ZONE)


FX_EPILOG = """\b
Examples:
  tracker costs fx --base USD --quote CNY --rate 7.12 --date 2025-09-01
  tracker costs fx --base USD --quote CNY --rate 7.05 --date 2025-09-01 --tenant lumi-beauty --source contract

\b
How rates apply: an amount converts at its own date (a fee at the post's
publish date, a cost line at its --date, heating at its start, all dates in
the campaign's time zone; an order at its date in the UTC offset its file
gives) with the latest rate on or before that date, the tenant's own rate
before the global one; a rate converts both ways (1 USD = 7.12 CNY also gives CNY → USD).
Without one the spend reads n/a and `tracker roi` warns, naming the missing
pair and date. Recording the same base, quote, date and tenant again replaces
the rate. A campaign document (tracker posts import) can carry rates too, in
its fx list: - {date: '2025-09-01', base: USD, quote: CNY, rate: 7.12}.
List them with: tracker sql "SELECT * FROM fx_rates FINAL ORDER BY base, quote, rate_date"
"""


@costs.command(epilog=FX_EPILOG)
@click.option("--base", required=True, help="Currency of the amounts to convert (ISO-4217, e.g. USD).")
@click.option("--quote", required=True, help="Currency they convert to, e.g. the reporting currency CNY.")
@click.option("--rate", "value", required=True, help="Units of QUOTE for 1 BASE (e.g. 7.12).")
@click.option("--date", "day", default=None,
              help="First date the rate applies (YYYY-MM-DD) [today in the time zone of the campaigns it serves "
                   "(the tenant's, else all) where today began last, so that it covers an amount dated today "
                   "in any of them].")
@click.option("--tenant", default="", help="A tenant's own (contracted) rate, for a tenant of the registry "
                                           "[global: every tenant].")
@click.option("--source", default="manual", show_default=True, help="Where the rate comes from.")
def fx(base: str, quote: str, value: str, day: str | None, tenant: str, source: str) -> None:
    """Record an FX rate: 1 BASE = RATE QUOTE from DATE on."""
    from tracker.registry.records import RowError, ident
    from tracker.registry.records import currency as check_currency
    from tracker.report import queries as q
    from tracker.store.access import open_reader, open_writer

    try:
        base, quote = check_currency(base, "--base"), check_currency(quote, "--quote")
        tenant = ident(tenant, "--tenant") if tenant else ""
    except RowError as exc:
        raise click.UsageError(str(exc)) from exc
    if base == quote:
        raise click.UsageError(f"--quote: the same currency as --base ({base}); a rate converts between two")
    rate = fx_rate(value)
    try:
        given = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.UsageError(f"--date: {day!r} is not a date (YYYY-MM-DD)") from None
    settings = Settings()
    try:
        with open_reader(settings) as reader:
            if tenant and tenant not in (known := q.registered_tenants(reader)):
                raise click.ClickException(
                    f"--tenant: {tenant!r} is not in the registry (tenants: {', '.join(known) or 'none yet'}); "
                    "import its campaign first (tracker posts import), or leave --tenant out for a rate of "
                    "every tenant")
            when = given or _today_for_campaigns(reader, tenant)
        row = {"tenant": tenant, "base": base, "quote": quote, "rate_date": when, "rate": rate,
               "source": source.strip() or "manual", "version": int(time.time() * 1000)}
        with open_writer(settings) as writer:
            writer.insert_json("fx_rates", [row])
    except TrackerError as exc:
        raise click.ClickException(getattr(exc, "reason", str(exc))) from exc
    click.echo(f"1 {base} = {rate} {quote} from {when} on ({f'tenant {tenant}' if tenant else 'every tenant'})")


def _today_for_campaigns(reader: Reader, tenant: str) -> date:
    """Today in the zone of the stored campaigns (the tenant's, else all) where today began
    last: a rate from then on converts an amount dated today in any of them (``costs add``
    dates an amount today in its campaign's zone)."""
    from tracker.registry.records import DEFAULT_ZONE

    zones = [str(z) for (z,) in reader.query(
        "SELECT DISTINCT toString(time_zone) FROM campaigns FINAL WHERE ({t:String} = '' OR tenant = {t:String}) "
        "AND time_zone != ''", {"t": tenant}).rows]
    return min(datetime.now(ZoneInfo(zone)).date() for zone in zones or [DEFAULT_ZONE])


def fx_rate(value: str) -> str:
    """A rate as fx_rates stores it (Decimal(18, 8)): positive, at most 8 decimals, below 10^10; a comma
    only groups thousands (7,12 is refused, not read as 712)."""
    from decimal import Decimal, InvalidOperation

    from tracker.registry.records import RowError, ungrouped

    try:
        number = Decimal(ungrouped(value.strip(), "--rate"))
    except RowError as exc:
        raise click.UsageError(str(exc)) from None
    except InvalidOperation:
        raise click.UsageError(f"--rate: not a number (got {value!r:.20})") from None
    if not number.is_finite() or number <= 0 or number >= 10**10:
        raise click.UsageError(f"--rate: must be above 0 and below 10,000,000,000 (got {value!r:.20})")
    rounded = number.quantize(Decimal("0.00000001"))
    if rounded == 0:
        raise click.UsageError(f"--rate: {value} rounds to 0 at 8 decimals; record the inverse pair instead")
    return format(rounded.normalize(), "f")
