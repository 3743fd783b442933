"""Rows → registry records: every check a row must pass, and the reason when it does not.

``build(document, options)`` returns a ``Registry``: the messages for
``tracker.posts.v1`` and ``tracker.heating.v1`` (already validated against their
contracts), the rows for the registry tables, and one ``Problem`` per bad row
(its line and the reason). A bad row never stops the others.

Versions: every record carries ``version`` = the import's version (the file's
modification time in epoch ms unless given), and ``updated_at`` = that instant,
so importing an unchanged file again writes identical records (idempotent). The
last import of a post wins, whatever its file's time: the worker stores a post's
entries in the order they were sent (``tracker.stream.processor.registry_version``),
as the collectors and the compacted topic keep them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.broker import topics as t
from tracker.contracts import encode
from tracker.contracts.timestamps import local_day
from tracker.contracts.vocab import CURRENCIES, CURRENCY_HINTS, METRICS, PLATFORMS
from tracker.errors import InvalidInput
from tracker.registry.layouts import Layout, canonical_row, detect, field_of
from tracker.registry.reader import Document, Row
from tracker.registry.serials import EPOCH_1900, bounds, local_time
from tracker.registry.tiers import NAMES as TIER_NAMES
from tracker.registry.tiers import tier_of
from tracker.registry.urls import UrlError, resolve

ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
FORMATS = ("tracker.campaign.v1",)
"""The campaign document formats read (a document's ``format``); a document without one is read as the first."""
DEFAULT_TRACKING_DAYS = 30
DEFAULT_ZONE = "Asia/Shanghai"  # a campaign's time zone when nothing gives one
SNAPSHOT_COLUMNS = frozenset({"as_of", "observed_at", *METRICS})
"""Headers of metric exports (``tracker snapshots import``) that no post table has."""
FORMS = {
    "video": ("video", "short_video", "long_video", "short", "shorts", "video_note", "reel", "reels", "live_clip",
              "clip", "vlog", "视频", "短视频", "长视频", "视频笔记"),
    "image": ("image", "image_text", "image_and_text", "images", "image_note", "carousel", "photo", "photos",
              "picture", "图文", "图片", "图文笔记"),
    "text": ("text", "post", "文字", "微博"),
    "live": ("live", "livestream", "live_stream", "直播"),
    "story": ("story", "stories", "快拍", "限时动态"),
    "article": ("article", "文章"),
    "other": ("other", "其他"),
}
"""The content forms of tracker.posts.v1 (its ``content_form`` enum) and what files call them: the posts
table's documented image_text is ``image``; a value of none of them is stored as ``other``, with a note."""
_FORM = {alias: name for name, aliases in FORMS.items() for alias in aliases}


class RowError(ValueError):
    """A bad row; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Options:
    """What the file does not say: version and defaults for flat tables."""

    version: int  # epoch ms
    tenant: str | None = None
    campaign: str | None = None
    platform: str | None = None
    currency: str = "CNY"
    time_zone: str | None = None  # given: a flat row's zone where it has no time_zone column
    tracking_days: int = DEFAULT_TRACKING_DAYS
    campaign_zones: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """The zones of stored campaigns (tenant, campaign id): a flat row of one of them without a
    time_zone column takes it when no time_zone is given, not the default."""
    post_zones: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """The campaign zones of stored posts (tenant, post id): a heating table's times for one of
    them are read in it when no time_zone is given."""

    def zone_for(self, tenant: str | None, campaign: str | None, column: Any = None) -> str:
        """A flat row's zone: its time_zone column, the one given, its stored campaign's, the default."""
        return str(column or self.time_zone or self.campaign_zones.get((tenant or "", campaign or ""))
                   or DEFAULT_ZONE)


CAMPAIGN_COLUMNS = {"time_zone": "time_zone", "reporting_currency": "reporting_currency", "campaign_name": "name",
                    "campaign_start": "starts_at", "campaign_end": "ends_at", "brand_terms": "brand_terms"}
"""Campaign-level columns of a flat table → the campaigns column each sets."""


@dataclass
class CampaignUpdate:
    """A campaign of a flat table: the campaign columns its rows give (``given``), and what a new record
    takes for the others (``defaults``: the import's time zone, the earliest publish time as start…)."""

    tenant: str
    campaign_id: str
    given: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    where: str = ""  # the first row that gave each campaign column, for conflicts


def campaign_record(update: CampaignUpdate, stored: dict[str, Any] | None, version: int) -> dict[str, Any] | None:
    """The campaigns row after a flat import: the stored record (or the defaults) with the columns the
    table gives; None when that changes nothing. Its version is above the stored one, so that the
    table's columns win whatever the file's age."""
    base = {"tenant": update.tenant, "campaign_id": update.campaign_id, **update.defaults}
    if stored is not None:
        base.update({k: stored[k] for k in ("name", "time_zone", "reporting_currency", "starts_at", "ends_at",
                                            "brand_terms")})
    record = {**base, **update.given}
    if stored is not None and all(record[k] == stored[k] for k in record if k in stored and k != "version"):
        return None
    record["version"] = version if stored is None else max(version, int(stored["version"]) + 1)
    return record


def creator_record(row: dict[str, Any], stored: dict[str, Any] | None, version: int) -> dict[str, Any] | None:
    """A file's creators row over the stored one of the pool: the stored tags and notes stay (those of
    ``tracker creators tag`` and of earlier campaigns' files), the file's tags are added to them, and the
    file's tier, followers and name (when it gives one) replace the stored ones; None when that changes
    nothing. Its version is above the stored one, so that the file's figures win whatever its age."""
    if stored is None:
        return row
    named = row["name"] and row["name"] != row["creator_id"]
    record = {**row, "name": row["name"] if named else stored["name"] or row["name"],
              "followers": stored["followers"] if row["followers"] is None else row["followers"],
              "tags": list(stored["tags"]) + [x for x in row["tags"] if x not in stored["tags"]],
              "notes": stored["notes"]}
    if all(record[k] == stored[k] for k in record if k in stored and k != "version"):
        return None
    record["version"] = max(version, int(stored["version"]) + 1)
    return record


@dataclass
class Registry:
    """What an import writes, and what it refused."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    heating: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layout: str = ""
    campaigns: list[CampaignUpdate] = field(default_factory=list)
    """Campaigns a flat table names, with its campaign-level columns: the importer merges each with the
    stored record (``campaign_record``) into ``tables['campaigns']`` (and a tenant row when none is stored)."""

    def counts(self) -> dict[str, int]:
        out = {"posts": len(self.posts), "heating nodes": len(self.heating)}
        out.update({name: len(rows) for name, rows in self.tables.items()})
        return out


# -- value checks -----------------------------------------------------------------------
def ident(value: Any, name: str) -> str:
    text = "" if value is None else str(value).strip()
    if not ID.match(text):
        raise RowError(f"{name}: must be 1-64 characters from A-Z a-z 0-9 _ . - (got {text!r:.60})")
    return text


def text_id(value: Any, name: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text or len(text) > 128:
        raise RowError(f"{name}: must be 1-128 characters (got {text!r:.60})")
    return text


def currency(value: Any, name: str) -> str:
    """An ISO 4217 code (any case in, upper case out); "RMB" and the like are refused with
    the code to write instead."""
    text = "" if value is None else str(value).strip().upper()
    if text in CURRENCY_HINTS:
        raise RowError(f"{name}: {text} is not an ISO-4217 code; write {CURRENCY_HINTS[text]}")
    if text not in CURRENCIES:
        raise RowError(f"{name}: must be an ISO-4217 code such as CNY (got {value!r:.20})")
    return text


MAX_AMOUNT = 10**14
"""Money is stored as Decimal(18, 4): 14 digits before the point."""


GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
"""A number whose commas group thousands: 1,234 and 1,234,567.5 (a comma after the point groups nothing)."""


def ungrouped(text: str, name: str) -> str:
    """``text`` without the commas that group its thousands (1,234.5 → 1234.5). Any other comma is
    refused with what to write: 8,00 is 8.00 written with a decimal comma, never 800."""
    if "," not in text:
        return text
    if GROUPED.match(text):
        return text.replace(",", "")
    if text.count(",") == 1 and "." not in text.split(",")[1]:  # a decimal comma: 8,00 or 1.234,56
        hint = text.replace(".", "").replace(",", ".")
    else:
        hint = "the number with a point for decimals and no other commas, e.g. 1234.50"
    raise RowError(f"{name}: {text}: a comma only groups thousands here; write {hint}")


def amount(value: Any, name: str) -> str:
    """A non-negative decimal text with at most 4 decimals (money). A comma is read only as a
    thousands separator (1,234.50); 8,00 is refused, not read as 800."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(f"{name}: missing amount")
    text = ungrouped(str(value).strip().lstrip("¥$￥").strip(), name)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(f"{name}: not an amount (got {value!r:.30})") from None
    if not number.is_finite() or number < 0:
        raise RowError(f"{name}: must be a non-negative amount (got {value!r:.30})")
    # checked before rounding too: 1e30 has more digits than the decimal context can round
    if number >= MAX_AMOUNT or (number := number.quantize(Decimal("0.0001"))) >= MAX_AMOUNT:
        raise RowError(f"{name}: amount too large (got {value!r:.30}); the largest is {MAX_AMOUNT - 1}")
    return format(number.normalize(), "f") if number != number.to_integral() else str(int(number))


SPLITS = ("equal", "by_views", "by_engagements", "by_fee")
"""How a bundle's amount is shared over its posts (bundles.split; v_bundle_shares computes each share):
equally, by the posts' views, their engagements, or their fees. Equal when the weights are missing."""


def split(value: Any, name: str) -> str:
    """A bundle's split (``equal`` when not given); "by views", "By-Views" are by_views. Another value
    is refused: it was stored as equal before, silently."""
    text = re.sub(r"[\s-]+", "_", "" if value is None else str(value).strip().lower())
    if not text:
        return "equal"
    if text not in SPLITS:
        raise RowError(f"{name}: a bundle is split {', '.join(SPLITS[:-1])} or {SPLITS[-1]} over its posts "
                       f"(got {value!r:.30}); for other shares give each post its own fee instead of a bundle")
    return text


def fee_rate(value: Any, name: str) -> Decimal:
    """A service-fee rate as a share of the fee: ``5%`` (``5 %``, ``5％``) and 0.05 are both 0.05. A
    bare number of 1 or more is refused with how to write it: Xingtu and Pugongying sheets write
    服务费率 5 for 5 %, which read as a share would be a 500 % fee (and 1 is 1 % as often as 100 %)."""
    text = "" if value is None or isinstance(value, bool) else str(value).strip().replace("％", "%")
    percent = text.endswith("%")
    try:
        number = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise RowError(f"{name}: not a rate (got {value!r:.20}); write 0.05 or 5%")
    if not percent and number >= 1:
        raise RowError(f"{name} {_plain(number)} would be {_plain(number * 100)} %: write {_plain(number / 100)} "
                       f"or {_plain(number)}%")
    share = number / 100 if percent else number
    if not 0 <= share <= 1:
        raise RowError(f"{name}: must be from 0 to 100 % (got {value!r:.20})")
    return share


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 500, 0.05."""
    return format(number.normalize(), "f")


def zone(value: Any, name: str) -> str:
    text = "" if value is None else str(value).strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise RowError(f"{name}: unknown IANA time zone (got {text!r:.40}); e.g. Asia/Shanghai") from None
    return text


def moment(value: Any, name: str, tz: str = "UTC", epoch: datetime = EPOCH_1900) -> datetime:
    """An aware UTC datetime; texts, Excel datetimes and Excel date serials (a General cell's number,
    or the text of one in a CSV; days since the workbook's ``epoch``) without an offset are read in ``tz``."""
    if isinstance(value, datetime):
        moment_ = value
    elif isinstance(value, date):
        moment_ = datetime(value.year, value.month, value.day)
    elif value is None or (isinstance(value, str) and not value.strip()):
        raise RowError(f"{name}: missing")
    else:
        moment_ = _time_of(value, name, epoch)
    if moment_.tzinfo is None:
        moment_ = moment_.replace(tzinfo=ZoneInfo(tz))
    return moment_.astimezone(UTC)


LAST_MS = time(23, 59, 59, 999_000)
"""The last instant of a day the store keeps (DateTime64(3)): a date-only end means the end of that day."""


def end_moment(value: Any, name: str, tz: str = "UTC", epoch: datetime = EPOCH_1900) -> datetime:
    """An end (a campaign's): as ``moment``, but a date without a time (2025-09-08, a YAML date, a whole
    Excel serial) is the last millisecond of that day in ``tz``, so that the day is in the campaign.
    Ends are inclusive: the report reads "campaign ended 2025-09-08" from it."""
    day = _date_only(value, epoch)
    if day is None:
        return moment(value, name, tz, epoch)
    return datetime.combine(day, LAST_MS, ZoneInfo(tz)).astimezone(UTC)


def _date_only(value: Any, epoch: datetime) -> date | None:
    """The day ``value`` names when it names no time of day: a date, an ISO date text, a whole serial."""
    if isinstance(value, datetime | bool):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-") if value is not None else ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if not NUMBER.match(text) or Decimal(text) != Decimal(text).to_integral_value():
        return None
    local = local_time(Decimal(text), epoch)
    return local.date() if local is not None else None


def _time_of(value: Any, name: str, epoch: datetime) -> datetime:
    """A time text (ISO 8601, ``/`` for ``-`` too) or an Excel date serial from 2000 to 2099."""
    example = "use 2025-09-15T20:00:00+08:00"
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            if not NUMBER.match(text):
                raise RowError(f"{name}: not a time (got {value!r:.40}); {example}") from None
    elif isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise RowError(f"{name}: not a time (got {value!r:.40}); {example}")
    local = local_time(Decimal(str(value).strip()), epoch)
    if local is None:
        raise RowError(f"{name}: {str(value).strip():.40} is neither a time nor an Excel date serial "
                       f"{bounds(epoch)}; {example}")
    return local


def whole(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace(",", "")
    try:
        number = float(text[:-1]) * 10_000 if text.endswith(("万", "w", "W")) else float(text)
    except ValueError:
        raise RowError(f"{name}: not a number (got {value!r:.30})") from None
    if number < 0 or number != number:
        raise RowError(f"{name}: must be >= 0 (got {value!r:.30})")
    return int(round(number))


def form(value: Any) -> str | None:
    """The content form of a cell (case, spaces and hyphens aside): ``video`` when empty, None when unknown."""
    text = re.sub(r"[\s-]+", "_", "" if value is None else str(value).strip().lower())
    return _FORM.get(text) if text else "video"


def tags(value: Any) -> list[str]:
    """A list of short texts (brand terms, creator tags): a list as given, or a text split at commas,
    semicolons, bars and the enumeration comma Chinese lists are written with ("花西子、小黑瓶")."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[,;，；|、]", str(value))
    return [str(x).strip()[:64] for x in items if str(x).strip()][:64]


# -- the builder --------------------------------------------------------------------------
class Builder:
    """Accumulates records and problems over one document."""

    def __init__(self, options: Options, epoch: datetime | None = None) -> None:
        self.o = options
        self.epoch = epoch or EPOCH_1900  # the workbook's date system, for serials
        self.updated = datetime.fromtimestamp(options.version / 1000, UTC)
        self.r = Registry()
        self.tenants: dict[str, dict[str, Any]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.creators: dict[str, dict[str, Any]] = {}
        self.bundles: dict[str, dict[str, Any]] = {}
        self.bundle_splits: dict[str, tuple[str, str]] = {}  # a flat table's bundle -> (split, first row giving it)
        self.posts: dict[str, dict[str, Any]] = {}  # post_id -> message
        self.creator_tenants: dict[str, set[str]] = defaultdict(set)
        self.unknown_forms: dict[str, list[str]] = defaultdict(list)  # value -> rows
        self.flat_campaigns: dict[tuple[str, str], CampaignUpdate] = {}

    def form(self, row: Row, value: Any) -> str:
        """The row's content form; an unknown one is stored as ``other`` and named in a note (``noted_forms``)."""
        known = form(value)
        if known is None:
            self.unknown_forms[str(value).strip()].append(row.label())
            return "other"
        return known

    def noted_forms(self) -> None:
        for value, rows in self.unknown_forms.items():
            where = ", ".join(rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
            self.r.notes.append(f"content_form {value!r} is not a known form ({', '.join(FORMS)}); stored as "
                                f"'other' on {where}")

    def moment(self, value: Any, name: str, tz: str = "UTC") -> datetime:
        """``moment`` with the file's Excel date system (a number is a serial since ``self.epoch``)."""
        return moment(value, name, tz, self.epoch)

    def end_moment(self, value: Any, name: str, tz: str = "UTC") -> datetime:
        """``end_moment`` (a date-only end is the end of that day) with the file's Excel date system."""
        return end_moment(value, name, tz, self.epoch)

    def problem(self, row: Row, reason: str) -> None:
        self.r.problems.append(Problem(row.label(), reason))

    def each(self, rows: list[Row], handle: Any) -> None:
        for row in rows:
            if "__invalid__" in row.values:
                self.problem(row, f"expected a mapping of fields, got {type(row.values['__invalid__']).__name__}")
                continue
            if row.problem:  # a broken CSV line: its cells are a guess
                self.problem(row, row.problem)
                continue
            try:
                handle(row)
            except (RowError, UrlError) as exc:
                self.problem(row, str(exc))
            except InvalidInput as exc:
                self.problem(row, exc.reason)

    # -- campaign documents ----------------------------------------------------------------
    def campaign_document(self, doc: Document) -> Registry:
        self.r.layout = str(doc.meta.get("format") or "campaign document")
        if doc.meta.get("format") not in (None, *FORMATS):
            raise InvalidInput(f"format {doc.meta['format']!r} is not one tracker reads (supported: "
                               f"{', '.join(FORMATS)}, or no format line)")
        known = {"tenants", "campaigns", "creators", "bundles", "posts", "heating", "fx", "emv"}
        if not known & set(doc.sections):
            raise InvalidInput("no posts, creators or campaigns section: not a campaign document "
                               "(tracker.campaign.v1: tenants, campaigns, creators, posts, heating, fx, emv lists)")
        if not any(doc.sections[name] for name in known & set(doc.sections)):
            raise InvalidInput(f"the {', '.join(sorted(known & set(doc.sections)))} section(s) are empty: "
                               "nothing to import")
        for name in sorted(set(doc.sections) - known):
            self.r.notes.append(f"section {name!r} ignored (known: {', '.join(sorted(known))})")
        self.each(doc.sections.get("tenants", []), self._tenant)
        self.each(doc.sections.get("campaigns", []), self._campaign)
        self.each(doc.sections.get("creators", []), self._creator)
        self.each(doc.sections.get("bundles", []), self._bundle_stub)
        self.each(doc.sections.get("posts", []), self._doc_post)
        self.each(doc.sections.get("bundles", []), self._bundle)
        self.each(doc.sections.get("heating", []), self._heating)
        self.each(doc.sections.get("fx", []), self._fx)
        self.each(doc.sections.get("emv", []), self._emv)
        self._creator_rows()
        self.noted_forms()
        return self.r

    def _tenant(self, row: Row) -> None:
        v = row.values
        tenant = ident(v.get("id"), "id")
        self.tenants[tenant] = {"tenant": tenant, "name": str(v.get("name") or tenant),
                                "reporting_currency": currency(v.get("reporting_currency") or "CNY",
                                                               "reporting_currency"), "version": self.o.version}
        self.r.tables["tenants"].append(self.tenants[tenant])

    def _campaign(self, row: Row) -> None:
        v = row.values
        cid = text_id(v.get("id"), "id")
        tenant = ident(v.get("tenant"), "tenant")
        if tenant not in self.tenants:
            raise RowError(f"tenant: {tenant!r} is not among the file's tenants")
        tz = zone(v.get("time_zone") or DEFAULT_ZONE, "time_zone")
        record = {"tenant": tenant, "campaign_id": cid, "name": str(v.get("name") or cid), "time_zone": tz,
                  "reporting_currency": currency(v.get("reporting_currency") or
                                                 self.tenants[tenant]["reporting_currency"], "reporting_currency"),
                  "starts_at": self.moment(v.get("start"), "start", tz),  # a date or a time without offset is local
                  "ends_at": self.end_moment(v["end"], "end", tz) if v.get("end") else None,
                  "brand_terms": tags(v.get("brand_terms")), "version": self.o.version}
        ends, starts = record["ends_at"], record["starts_at"]
        if isinstance(ends, datetime) and isinstance(starts, datetime) and ends < starts:
            raise RowError("end: before start")
        self.campaigns[cid] = record
        self.r.tables["campaigns"].append(record)

    def _creator(self, row: Row) -> None:
        v = row.values
        cid = text_id(v.get("id"), "id")
        accounts = []
        for i, acc in enumerate(v.get("accounts") or []):
            if not isinstance(acc, dict):
                raise RowError(f"accounts[{i}]: expected a mapping")
            platform = str(acc.get("platform") or "")
            if platform not in PLATFORMS:
                raise RowError(f"accounts[{i}].platform: unknown {platform!r}; one of {', '.join(PLATFORMS)}")
            accounts.append({"platform": platform, "account_id": text_id(acc.get("account_id"), f"accounts[{i}].account_id"),
                             "handle": str(acc.get("handle") or ""),
                             "followers": whole(acc.get("followers"), f"accounts[{i}].followers")})
        self._add_creator(cid, str(v.get("name") or cid), v.get("tier"), tags(v.get("tags")), accounts)

    def _add_creator(self, cid: str, name: str, tier: Any, tag_list: list[str], accounts: list[dict[str, Any]],
                     followers: int | None = None) -> None:
        followers = max((a["followers"] for a in accounts if a["followers"] is not None), default=followers)
        if tier:
            tier = str(tier).strip().lower()
            if tier not in TIER_NAMES:
                raise RowError(f"tier: must be one of {', '.join(TIER_NAMES)} (got {tier!r:.20})")
        elif followers is not None:
            tier = tier_of(followers)
        else:
            raise RowError("tier: unknown; give the tier or the creator's followers")
        known = self.creators.get(cid)
        if known is not None:  # the same creator on several rows of a flat table: merge accounts
            seen = {(a["platform"], a["account_id"]) for a in known["accounts"]}
            known["accounts"] += [a for a in accounts if (a["platform"], a["account_id"]) not in seen]
            # its tier follows its largest account, whichever row names it first
            if TIER_NAMES.index(tier) > TIER_NAMES.index(known["tier"]):
                known["tier"] = tier
            if followers is not None and (known["followers"] is None or followers > known["followers"]):
                known["followers"] = followers
            return
        self.creators[cid] = {"id": cid, "name": name, "tier": tier, "followers": followers, "tags": tag_list,
                              "accounts": accounts}

    def _bundle_stub(self, row: Row) -> None:
        bid = text_id(row.values.get("id"), "id")
        self.bundles[bid] = {"row": row}

    def _doc_post(self, row: Row) -> None:
        v = row.values
        platform, pid = resolve(str(v.get("id") or v.get("url") or ""), v.get("platform") or None)
        if v.get("platform_post_id") and str(v["platform_post_id"]) != pid:
            raise RowError(f"platform_post_id: {v['platform_post_id']!r} differs from the id {pid!r}")
        cid = text_id(v.get("campaign"), "campaign")
        campaign = self.campaigns.get(cid)
        if campaign is None:
            raise RowError(f"campaign: {cid!r} is not among the file's campaigns")
        tenant = ident(v.get("tenant") or campaign["tenant"], "tenant")
        if tenant != campaign["tenant"]:
            raise RowError(f"tenant: {tenant!r} differs from campaign {cid!r}'s tenant {campaign['tenant']!r}")
        creator = self.creators.get(text_id(v.get("creator"), "creator"))
        if creator is None:
            raise RowError(f"creator: {v.get('creator')!r} is not among the file's creators")
        bundle = v.get("bundle")
        if bundle and str(bundle) not in self.bundles:
            raise RowError(f"bundle: {bundle!r} is not among the file's bundles")
        published = self.moment(v.get("published_at"), "published_at", campaign["time_zone"])
        days = whole(v.get("tracking_days"), "tracking_days")
        fee = v.get("fee")
        fee_money = service = None
        if fee is not None:
            if not isinstance(fee, dict):
                raise RowError("fee: expected {amount, currency[, service_fee_rate]} or null")
            fee_money = {"amount": amount(fee.get("amount"), "fee.amount"), "currency": currency(fee.get("currency"),
                                                                                               "fee.currency")}
            rate = fee.get("service_fee_rate")
            if rate:
                share = fee_rate(rate, "fee.service_fee_rate")
                service = {"amount": amount(Decimal(fee_money["amount"]) * share, "service_fee"),
                           "currency": fee_money["currency"]}
        elif not bundle:
            self.r.notes.append(f"{row.label()}: post {platform}:{pid} has neither a fee nor a bundle")
        self._add_post(row, tenant, platform, pid, v.get("url"), campaign, creator, published,
                       published + timedelta(days=days if days is not None else self.o.tracking_days),
                       self.form(row, v.get("content_form")), fee_money, service, str(bundle) if bundle else None,
                       v.get("title"))

    def _add_post(self, row: Row, tenant: str, platform: str, pid: str, url: Any, campaign: dict[str, Any],
                  creator: dict[str, Any], published: datetime, tracking_end: datetime, content_form: str,
                  fee: dict[str, str] | None, service: dict[str, str] | None, bundle: str | None,
                  title: Any = None) -> None:
        followers = next((a["followers"] for a in creator["accounts"] if a["platform"] == platform),
                         creator["followers"])
        message = {
            "tenant": tenant, "post_id": f"{platform}:{pid}", "platform": platform, "platform_post_id": pid,
            "url": str(url).strip() if url and str(url).strip().startswith(("http://", "https://")) else None,
            "title": _title(title),
            "campaign_id": campaign["campaign_id"],
            "campaign_name": _name(campaign.get("name"), campaign["campaign_id"]),
            "creator_id": creator["id"], "creator_name": _name(creator.get("name"), creator["id"]),
            "creator_tier": creator["tier"], "followers": followers,
            "published_at": published, "content_form": content_form, "tracking_end": tracking_end, "fee": fee,
            "service_fee": service, "bundle_id": bundle, "tags": creator["tags"],
            "campaign_tz": campaign["time_zone"], "reporting_currency": campaign.get("reporting_currency") or None,
            "updated_at": self.updated,
        }
        encode(t.POSTS, message)  # the contract's own checks; InvalidInput names the field
        if message["post_id"] in self.posts:
            raise RowError(f"post {message['post_id']} appears twice; the first one was kept")
        self.posts[message["post_id"]] = message
        self.r.posts.append(message)
        self.creator_tenants[creator["id"]].add(tenant)

    def _bundle(self, row: Row) -> None:
        v = row.values
        bid = text_id(v.get("id"), "id")
        campaign = self.campaigns.get(str(v.get("campaign")))
        if campaign is None:
            raise RowError(f"campaign: {v.get('campaign')!r} is not among the file's campaigns")
        fee: dict[str, Any] = v["fee"] if isinstance(v.get("fee"), dict) else {}
        posts = [self.posts.get(str(p)) for p in v.get("posts") or []]
        dates = [p["published_at"] for p in posts if p is not None]
        self.r.tables["bundles"].append({
            "tenant": campaign["tenant"], "bundle_id": bid, "campaign_id": campaign["campaign_id"],
            "amount": amount(fee.get("amount"), "fee.amount"), "currency": currency(fee.get("currency"), "fee.currency"),
            "cost_date": local_day(min(dates) if dates else campaign["starts_at"], campaign["time_zone"]),
            "split": split(v.get("split"), "split"),
            "version": self.o.version})

    def _heating(self, row: Row) -> None:
        v = row.values
        platform, pid = resolve(str(v.get("post") or v.get("post_id") or v.get("url") or ""),
                                v.get("platform") or self.o.platform)
        post = self.posts.get(f"{platform}:{pid}")
        flat = self.r.layout == "heating"  # a heating table may name posts imported before
        tenant = post["tenant"] if post else (flat and self.o.tenant and ident(self.o.tenant, "--tenant"))
        if not tenant:
            raise RowError(f"post {platform}:{pid} is not among the file's posts"
                           + ("; pass --tenant to plan heating for posts imported before" if flat else ""))
        spend = v.get("spend")
        if isinstance(spend, dict):
            money = {"amount": amount(spend.get("amount"), "spend.amount"),
                     "currency": currency(spend.get("currency"), "spend.currency")}
        else:
            money = {"amount": amount(spend, "spend"), "currency": currency(v.get("currency") or self.o.currency,
                                                                          "currency")}
        tz = post["campaign_tz"] if post else (self.o.time_zone or self.o.post_zones.get((tenant, f"{platform}:{pid}"))
                                               or DEFAULT_ZONE)
        start = self.moment(v.get("start"), "start", tz)
        message = {"tenant": tenant, "post_id": f"{platform}:{pid}",
                   "heating_id": text_id(v.get("id") or v.get("heating_id") or
                                         f"h-{pid[-12:]}-{int(start.timestamp())}", "id"),
                   "channel": str(v.get("channel") or "").strip() or "unknown", "start": start,
                   "end": self.end_moment(v["end"], "end", tz) if v.get("end") else None, "spend": money,
                   "status": str(v.get("status") or "planned").strip().lower(), "updated_at": self.updated}
        encode(t.HEATING, message)
        self.r.heating.append(message)

    def _fx(self, row: Row) -> None:
        v = row.values
        rate = v.get("rate")
        try:
            value = Decimal(str(rate))
        except InvalidOperation:
            raise RowError(f"rate: not a number (got {rate!r:.20})") from None
        if not value.is_finite() or value <= 0:
            raise RowError(f"rate: must be > 0 (got {rate!r:.20})")
        day = self.moment(v.get("date"), "date").date()
        self.r.tables["fx_rates"].append({"tenant": "", "base": currency(v.get("base"), "base"),
                                          "quote": currency(v.get("quote"), "quote"), "rate_date": day,
                                          "rate": format(value, "f"), "source": "import", "version": self.o.version})

    def _emv(self, row: Row) -> None:
        """One EMV unit value: what one count of ``metric`` is worth, from ``valid_from`` on, on
        ``platform`` (none: every platform without its own), for ``tenant`` (none: every tenant
        without its own). Configured figures, never an official rate."""
        v = row.values
        metric = str(v.get("metric") or "").strip()
        if metric not in METRICS:
            raise RowError(f"metric: one of {', '.join(METRICS)} (got {metric!r:.20})")
        platform = str(v.get("platform") or "").strip()
        if platform and platform not in PLATFORMS:
            raise RowError(f"platform: unknown {platform!r:.20}; one of {', '.join(PLATFORMS)}, or leave it out "
                           "for every platform")
        raw = v.get("unit_value")
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise RowError(f"unit_value: not a number (got {raw!r:.20})") from None
        if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
            raise RowError(f"unit_value: must be from 0 to {MAX_AMOUNT:,} (got {raw!r:.20})")
        since = v.get("valid_from")
        self.r.tables["emv_unit_values"].append({
            "tenant": text_id(v["tenant"], "tenant") if v.get("tenant") else "", "platform": platform,
            "metric": metric, "valid_from": self.moment(since, "valid_from").date() if since else date(1970, 1, 1),
            "unit_value": format(value, "f"), "currency": currency(v.get("currency"), "currency"),
            "version": self.o.version})

    def _creator_rows(self, note: bool = True) -> None:
        for cid, tenants in self.creator_tenants.items():
            creator = self.creators[cid]
            for tenant in sorted(tenants):
                self.r.tables["creators"].append({
                    "tenant": tenant, "creator_id": cid, "name": creator["name"], "tier": creator["tier"],
                    "followers": creator["followers"], "tags": creator["tags"], "notes": "",
                    "version": self.o.version})
                for acc in creator["accounts"]:
                    self.r.tables["creator_accounts"].append({
                        "tenant": tenant, "creator_id": cid, "platform": acc["platform"],
                        "account_id": acc["account_id"], "handle": acc["handle"], "followers": acc["followers"],
                        "version": self.o.version})
        unused = len(self.creators) - len(self.creator_tenants)
        if unused and note:
            self.r.notes.append(f"{unused} creator(s) without a post in this file were not written "
                                "(a creator belongs to the tenants it posts for)")

    # -- flat tables ------------------------------------------------------------------------
    def table(self, doc: Document) -> Registry:
        if not doc.rows:
            raise InvalidInput("no rows: the file has no post (or heating node) to import")
        layout = detect(doc.headers)
        self.r.layout = layout.name
        if not layout.heating:
            _check_post_columns(doc.headers)
        unknown: set[str] = set()
        if layout.heating:
            rows = []
            for row in doc.rows:
                values, extra = canonical_row(row.values)
                unknown.update(extra)
                values["post"] = values.get("post") or values.get("url")
                values["id"] = values.get("heating_id")
                rows.append(Row(row.line, values, row.where, row.problem))
            self.each(rows, self._heating)
        else:
            for row in doc.rows:
                values, extra = canonical_row(row.values)
                unknown.update(extra)
                if row.problem:
                    self.problem(row, row.problem)
                    continue
                try:
                    self._flat_post(Row(row.line, values, row.where), layout)
                except (RowError, UrlError) as exc:
                    self.problem(row, str(exc))
                except InvalidInput as exc:
                    self.problem(row, exc.reason)
            self._creator_rows(note=False)
        if unknown:
            self.r.notes.append(f"columns ignored: {', '.join(sorted(map(str, unknown)))}")
        self.noted_forms()
        self.r.campaigns = list(self.flat_campaigns.values())
        name_campaigns(self.r.posts, {(u.tenant, u.campaign_id): u.given["name"] for u in self.r.campaigns
                                      if u.given.get("name")})
        return self.r

    def _flat_post(self, row: Row, layout: Layout) -> None:
        """One row of a flat post table. Every field is read before anything is registered, so
        that a refused row names all its problems at once, not the first one only."""
        v = row.values
        problems: list[str] = []

        def read(parse: Any, *args: Any) -> Any:
            try:
                return parse(*args)
            except (RowError, UrlError) as exc:
                problems.append(str(exc))
                return None

        platform = str(v.get("platform") or self.o.platform or layout.platform or "").strip().lower() or None
        platform, pid = resolve(str(v.get("post") or v.get("url") or ""), platform)
        tenant = read(ident, v.get("tenant") or self.o.tenant, "tenant (column or --tenant)")
        cid = read(text_id, v.get("campaign") or self.o.campaign, "campaign (column or --campaign)")
        tz = read(zone, self.o.zone_for(tenant, cid, v.get("time_zone")), "time_zone")
        reporting = read(currency, v["reporting_currency"], "reporting_currency") if v.get("reporting_currency") \
            else None
        handle = str(v.get("handle") or "").strip()
        account = str(v.get("account_id") or handle or "").strip()
        creator_id = read(text_id, v.get("creator") or (f"{platform}:{account}" if account else v.get("creator_name")),
                          "creator (creator_id, account or name)")
        followers = read(whole, v.get("followers"), "followers")
        published = read(self.moment, v.get("published_at"), "published_at", tz) if tz else None
        end = days = None
        if v.get("tracking_end"):
            end = read(self.end_moment, v["tracking_end"], "tracking_end", tz) if tz else None
        else:
            days = read(whole, v.get("tracking_days"), "tracking_days")
        cur = read(currency, v.get("currency") or self.o.currency, "currency")
        fee = {"amount": read(amount, v["fee"], "fee"), "currency": cur} if v.get("fee") not in (None, "") else None
        service = None
        if v.get("service_fee") not in (None, ""):
            service = {"amount": read(amount, v["service_fee"], "service_fee"), "currency": cur}
        elif v.get("service_fee_rate") not in (None, ""):
            share = read(fee_rate, v["service_fee_rate"], "service_fee_rate")
            if share is not None and fee is not None and fee["amount"] is not None:
                service = {"amount": read(amount, Decimal(fee["amount"]) * share, "service_fee_rate"), "currency": cur}
        bundle = str(v["bundle"]).strip() if v.get("bundle") else None
        if fee is None and bundle is None:
            problems.append("fee: missing (give the fee, or the bundle that pays for the post)")
        bundle_fee = read(amount, v["bundle_fee"], "bundle_fee") if bundle and v.get("bundle_fee") not in (None, "") \
            else None
        shared = read(split, v["bundle_split"], "bundle_split") if bundle and v.get("bundle_split") not in (None, "") \
            else None
        if shared and bundle in self.bundle_splits and self.bundle_splits[bundle][0] != shared:
            first, where = self.bundle_splits[bundle]
            problems.append(f"bundle_split: {shared} differs from {first} given for bundle {bundle!r} on {where}")
        tier = str(v.get("tier") or "").strip().lower()
        if tier and tier not in TIER_NAMES:
            problems.append(f"tier: must be one of {', '.join(TIER_NAMES)} (got {tier!r:.20})")
        elif not tier and v.get("followers") in (None, ""):
            problems.append("tier: unknown; give the tier or the creator's followers")
        given = read(self._campaign_columns, v, tz)
        if problems:
            raise RowError("; ".join(problems))
        content_form = self.form(row, v.get("content_form"))
        assert creator_id is not None and published is not None and tenant is not None and cid is not None
        self._flat_campaign(row, tenant, cid, given or {}, published)
        accounts = [{"platform": platform, "account_id": account, "handle": handle, "followers": followers}] \
            if account else []
        self._add_creator(creator_id, str(v.get("creator_name") or creator_id), v.get("tier"), tags(v.get("tags")),
                          accounts, followers)
        creator = dict(self.creators[creator_id])
        if tier or followers is not None:  # the post's tier is its row's (its account's), not the creator's largest
            creator["tier"] = tier or tier_of(followers)
        if end is None:
            end = published + timedelta(days=days if days is not None else self.o.tracking_days)
        campaign = {"campaign_id": cid, "time_zone": tz, "reporting_currency": reporting}
        self._add_post(row, tenant, platform, pid, v.get("url"), campaign, creator, published, end,
                       content_form, fee, service, bundle, v.get("title"))
        if bundle is not None and shared is not None:
            self.bundle_splits.setdefault(bundle, (shared, row.label()))
            if bundle in self.bundles:  # its fee came on an earlier row
                self.bundles[bundle]["split"] = shared
        if bundle is not None and bundle_fee is not None and bundle not in self.bundles:
            self.bundles[bundle] = {
                "tenant": tenant, "bundle_id": bundle, "campaign_id": cid, "amount": bundle_fee, "currency": cur,
                "cost_date": local_day(published, tz), "split": self.bundle_splits.get(bundle, ("equal",))[0],
                "version": self.o.version}
            self.r.tables["bundles"].append(self.bundles[bundle])

    def _campaign_columns(self, v: dict[str, Any], tz: str | None) -> dict[str, Any]:
        """The campaign-level columns a flat row gives, as campaigns values."""
        given: dict[str, Any] = {}
        if v.get("time_zone"):
            given["time_zone"] = zone(v["time_zone"], "time_zone")
        if v.get("reporting_currency"):
            given["reporting_currency"] = currency(v["reporting_currency"], "reporting_currency")
        if v.get("campaign_name"):
            given["name"] = str(v["campaign_name"]).strip()
        if v.get("campaign_start"):
            given["starts_at"] = self.moment(v["campaign_start"], "campaign_start", tz or DEFAULT_ZONE)
        if v.get("campaign_end"):
            given["ends_at"] = self.end_moment(v["campaign_end"], "campaign_end", tz or DEFAULT_ZONE)
        if v.get("brand_terms"):
            given["brand_terms"] = tags(v["brand_terms"])
        starts, ends = given.get("starts_at"), given.get("ends_at")
        if starts is not None and ends is not None and ends < starts:
            raise RowError("campaign_end: before campaign_start")
        return given

    def _flat_campaign(self, row: Row, tenant: str, cid: str, given: dict[str, Any], published: datetime) -> None:
        """Collect a flat row's campaign columns; a row that contradicts an earlier one of its campaign is
        refused (nothing of it is registered)."""
        update = self.flat_campaigns.get((tenant, cid))
        if update is None:
            update = CampaignUpdate(tenant, cid, defaults={
                "name": cid, "time_zone": self.o.zone_for(tenant, cid), "reporting_currency": "",
                "starts_at": published,
                "ends_at": None, "brand_terms": []}, where=row.label())
        clash = [f"{name}: {value!r} differs from {update.given[name]!r} given for campaign {cid!r} on "
                 f"{update.where}" for name, value in given.items()
                 if name in update.given and update.given[name] != value]
        if clash:
            raise RowError("; ".join(clash))
        if not update.given:
            update.where = row.label()
        update.given.update(given)
        update.defaults["starts_at"] = min(update.defaults["starts_at"], published)
        self.flat_campaigns[(tenant, cid)] = update


def _check_post_columns(headers: list[str]) -> None:
    """Refuse, once for the whole file, a flat table whose every row would lack its post or
    publish time (a snapshot export given to ``tracker posts import``, most often)."""
    fields = {field_of(h) for h in headers}
    snapshot = any(str(h).strip().lower() in SNAPSHOT_COLUMNS for h in headers)
    hint = ": is this a snapshot file? (tracker snapshots import)"
    if not fields & {"post", "url"}:
        raise InvalidInput("no post or url column" + hint)
    if "published_at" not in fields:
        raise InvalidInput("no published_at column (publish_time, 发布时间: when each post went live)"
                           + (hint if snapshot else ""))


def build(doc: Document, options: Options) -> Registry:
    """The records of a parsed file (see the module docstring)."""
    builder = Builder(options, doc.epoch)
    return builder.campaign_document(doc) if doc.kind == "campaign" else builder.table(doc)


def _title(value: Any) -> str | None:
    """A post's title as the registry keeps it: one line, at most 1,000 characters; None when blank."""
    text = "" if value is None else " ".join(str(value).split())
    return text[:1000] or None


def name_campaigns(posts: list[dict[str, Any]], names: Mapping[tuple[str, str], Any]) -> None:
    """Give the post messages of a flat table without a campaign name the one ``names`` has for their
    (tenant, campaign id): a campaign_name column on any row of the campaign, or its stored record."""
    for message in posts:
        if not message.get("campaign_name"):
            message["campaign_name"] = _name(names.get((message["tenant"], message["campaign_id"])),
                                             message["campaign_id"])


def _name(name: Any, of_id: str) -> str | None:
    """A creator's or campaign's name for the post message, when it says more than the id (a record
    without a name carries its id as its name); cut to the contract's 200 characters."""
    text = str(name or "").strip()
    return text[:200] if text and text != of_id else None
