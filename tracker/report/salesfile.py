"""Reading order and attribution-key files for ROAS, and what their rows point at.

Files are read by ``tracker.registry.reader`` like every import: CSV (UTF-8 or
GB18030), XLSX (first sheet), a JSON/YAML list of objects or JSON Lines; the
header names the columns (any case).

Orders: ``order_id, attribution_key, revenue, currency, ordered_at`` and
optionally ``key_kind`` (post | link | promo) and ``tenant``. Without a
``key_kind`` the key's shape decides: ``platform:id`` with a known platform is
a post id, an ``http(s)://`` URL a tracking link, anything else a promo code.

Keys: ``key_kind, attribution_key, post_id`` and optionally ``campaign_id``
and ``tenant``: which post a tracking link or promo code belongs to.

A file with any bad line is refused whole, every bad line named with its
reason. Rows that point at nothing known yet (a post not in the registry, a
code without a key row, an unknown tenant) are kept: ``unattributed`` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tracker.contracts.vocab import PLATFORMS
from tracker.errors import InvalidInput
from tracker.registry.reader import Row, read
from tracker.registry.records import MAX_AMOUNT, RowError, currency, ident, ungrouped

KEY_KINDS = ("post", "link", "promo")
POST_ID = re.compile(rf"^(?:{'|'.join(PLATFORMS)}):\S{{1,256}}$")  # as in the tracker.posts.v1 contract
MAX_REVENUE = Decimal(MAX_AMOUNT)  # sales.revenue is money, Decimal(18, 4) like every amount
SHOWN = 20  # bad lines named in a refusal
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Sheet:
    """The checked rows of a file, each with where it came from (``orders.csv line 3``)."""

    name: str
    what: str  # "orders" or "keys"
    rows: list[dict[str, Any]] = field(default_factory=list)
    where: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Known:
    """What the registry holds for the tenants of a file."""

    tenants: frozenset[str]
    posts: frozenset[tuple[str, str]]  # (tenant, post_id)
    keys: frozenset[tuple[str, str, str]]  # (tenant, key_kind, attribution_key)
    owners: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """The tenants that do hold a post the file names for another tenant."""


@dataclass
class Unattributed:
    """Rows kept although they point at nothing known yet: why, and where."""

    reason: str
    lines: list[str] = field(default_factory=list)


def key_kind(key: str) -> str:
    """post, link or promo, from the key's shape."""
    if key.startswith(("http://", "https://")):
        return "link"
    if POST_ID.match(key):
        return "post"
    return "promo"


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (the store's DateTime64(3) keeps no finer)."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _text(value: Any) -> str:
    """A cell as text: Excel numbers without their ``.0``, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _post_id(value: str, name: str) -> str:
    if not POST_ID.match(value):
        raise RowError(f"{name} {value!r:.60} is not a post id (platform:id with a known platform, "
                       "e.g. douyin:7301234567890)")
    return value


def _revenue(value: Any) -> Decimal:
    """Money ≥ 0 with at most 4 decimals that fits the store's Decimal(18, 4); a comma only groups
    thousands (1,299.00), so 19,90 is refused rather than read as 1990."""
    text = "" if isinstance(value, bool) else ungrouped(_text(value), "revenue")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise RowError(f"revenue {value!r:.30} is not a number")
    if number >= MAX_REVENUE:
        raise RowError(f"revenue {value!r:.30} is too large (at most 99,999,999,999,999.9999)")
    if isinstance(value, float):  # a binary float has no exact decimals to keep
        number = number.quantize(Decimal("0.0001"))
    if number < 0 or number.as_tuple().exponent < -4:  # type: ignore[operator]
        raise RowError("revenue must be ≥ 0 with at most 4 decimals")
    return number


def _timestamp(value: Any) -> tuple[datetime, date]:
    """The order's time in UTC and its date in the UTC offset it is written with
    (the day its revenue converts at)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise RowError(f"ordered_at {value.isoformat()!r} is a date without a time and UTC offset "
                       "(write e.g. 2024-11-11T20:00:00+08:00)")
    else:
        text = _text(value)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise RowError(f"ordered_at {text!r:.40} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise RowError(f"ordered_at {str(value)!r:.40} has no UTC offset (write e.g. 2024-11-11T20:00:00+08:00"
                       + (", as text: an Excel date cell carries none)" if isinstance(value, datetime) else ")"))
    day = moment.date()
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000), day


def _sheet(path: Path, required: tuple[str, ...], check: Callable[[dict[str, Any]], dict[str, Any]],
           unique: Callable[[dict[str, Any]], tuple[str, ...]], what: str) -> Sheet:
    """Read ``path``, check every row; refuse the file with every bad line when there is one."""
    try:
        doc = read(path)
    except InvalidInput as exc:  # read's reasons for a missing or unsupported file name it already
        raise InvalidInput(exc.reason if exc.reason.startswith(f"{path}:") else f"{path}: {exc.reason}") from None
    if doc.kind != "table":
        raise InvalidInput(f"{path}: expected a table of {what} (a header row, or a list of objects), "
                           "not a mapping")
    headers = {str(h).strip().lower() for h in doc.headers}
    missing = [c for c in required if c not in headers]
    if missing:
        raise InvalidInput(f"{path}: missing column(s) {', '.join(missing)} (header: {', '.join(required)})")
    sheet = Sheet(path.name, what)
    problems: list[str] = []
    first: dict[tuple[str, ...], str] = {}
    for row in doc.rows:
        where = f"{path.name} {row.label()}"
        try:
            if row.problem:  # a broken CSV line: its cells are a guess
                raise RowError(row.problem)
            record = check(_values(row))
            key = unique(record)
            if key in first:
                raise RowError(f"{' '.join(key[1:])} appears again (first on {first[key]}); give one row each")
            first[key] = row.label()
        except RowError as exc:
            problems.append(f"{where}: {exc}")
            continue
        sheet.rows.append(record)
        sheet.where.append(where)
    if problems:
        more = f"\n  … and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise InvalidInput(f"{path}: {len(problems)} bad line(s), nothing imported:\n  "
                           + "\n  ".join(problems[:SHOWN]) + more)
    return sheet


def _values(row: Row) -> dict[str, Any]:
    if "__invalid__" in row.values:
        raise RowError(f"not an object with named columns (got {row.values['__invalid__']!r:.40})")
    return {str(k).strip().lower(): v for k, v in row.values.items()}


Tenant = str | Callable[[str, str], str]
"""The tenant of rows without a tenant cell: one name, or a function of the row's (key kind, key): ("post",
post id), ("link", url) or ("promo", code); ("post", "") for a key row that names a campaign only."""


def _tenant(cell: Any, default: Tenant, kind: str, key: str) -> str:
    """The row's tenant, else the default (a callable is asked, with the row's key, only when a row has none)."""
    given = _text(cell) or default
    if not isinstance(given, str):
        try:
            given = given(kind, key)
        except InvalidInput as exc:  # the row's problem, listed with its line
            raise RowError(f"tenant: {exc.reason}") from None
    return ident(given, "tenant")


def read_orders(path: Path, tenant: Tenant, version: int) -> Sheet:
    """Order rows for the ``sales`` table (``version`` in epoch ms); ``tenant`` is the default of
    rows without a tenant cell, or a function of their key (``Tenant``)."""

    def check(v: dict[str, Any]) -> dict[str, Any]:
        order_id, key = _text(v.get("order_id")), _text(v.get("attribution_key"))
        if not order_id or not key:
            raise RowError("order_id and attribution_key are required")
        kind = _text(v.get("key_kind")).lower() or key_kind(key)
        if kind not in KEY_KINDS:
            raise RowError(f"key_kind {kind!r:.20} is not one of {', '.join(KEY_KINDS)}")
        if kind == "post":
            _post_id(key, "attribution_key")
        ordered_at, order_day = _timestamp(v.get("ordered_at"))
        return {"tenant": _tenant(v.get("tenant"), tenant, kind, key), "order_id": order_id,
                "attribution_key": key, "key_kind": kind, "revenue": _revenue(v.get("revenue")),
                "currency": currency(v.get("currency"), "currency"), "ordered_at": ordered_at,
                "order_day": order_day, "version": version}

    return _sheet(path, ("order_id", "attribution_key", "revenue", "currency", "ordered_at"), check,
                  lambda r: (r["tenant"], "order", r["order_id"]), "orders")


def read_keys(path: Path, tenant: Tenant, version: int) -> Sheet:
    """Attribution-key rows (tracking link or promo code → post); ``tenant`` as in ``read_orders``."""

    def check(v: dict[str, Any]) -> dict[str, Any]:
        kind, key = _text(v.get("key_kind")).lower(), _text(v.get("attribution_key"))
        post_id, campaign = _text(v.get("post_id")), _text(v.get("campaign_id"))
        if kind not in ("link", "promo"):
            raise RowError("key_kind must be link or promo (post ids need no key row)")
        if not key or not (post_id or campaign):
            raise RowError("attribution_key and a post_id (or campaign_id) are required")
        if post_id:
            _post_id(post_id, "post_id")
        return {"tenant": _tenant(v.get("tenant"), tenant, "post", post_id), "key_kind": kind,
                "attribution_key": key, "post_id": post_id, "campaign_id": campaign, "version": version}

    return _sheet(path, ("key_kind", "attribution_key", "post_id"), check,
                  lambda r: (r["tenant"], r["key_kind"], r["attribution_key"]), "keys")


def unattributed(sheet: Sheet, known: Known) -> list[Unattributed]:
    """Rows of an order or key file that point at nothing the registry holds yet.

    Orders may arrive before their posts and keys, so these rows are written
    anyway; the caller says which ones wait.
    """
    tenants = Unattributed("name a tenant that is not in the registry")
    posts = Unattributed("point at a post that is not in the registry; attributed once it is imported")
    keys = Unattributed("use a link or promo code without a key row; attributed once `tracker sales keys` "
                        "maps it to a post")
    others = Unattributed("point at a post of another tenant, not attributed to this one (check --tenant or "
                          "the tenant column)")
    for row, where in zip(sheet.rows, sheet.where, strict=True):
        t = row["tenant"]
        if sheet.what == "orders":
            post = row["attribution_key"] if row["key_kind"] == "post" else ""
            code = "" if post else row["key_kind"]
        else:
            post, code = row["post_id"], ""
        if t not in known.tenants:
            tenants.lines.append(f"{where}: {t}")
        elif post and (t, post) not in known.posts and known.owners.get(post):
            others.lines.append(f"{where}: {post} is a post of {', '.join(sorted(known.owners[post]))}, not {t}")
        elif post and (t, post) not in known.posts:
            posts.lines.append(f"{where}: {post}")
        elif code and (t, code, row["attribution_key"]) not in known.keys:
            keys.lines.append(f"{where}: {code} {row['attribution_key']}")
    return [w for w in (tenants, others, posts, keys) if w.lines]


def changed(rows: list[dict[str, Any]], stored: dict[tuple[str, ...], tuple[Any, ...]],
            key: Callable[[dict[str, Any]], tuple[str, ...]],
            values: Callable[[dict[str, Any]], tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The rows the store does not already hold with the same values (new or edited ones)."""
    return [r for r in rows if stored.get(key(r)) != values(r)]


def order_key(row: dict[str, Any]) -> tuple[str, ...]:
    return row["tenant"], row["order_id"]


def order_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """What an order row says (everything but its version), comparable with the stored one."""
    return (row["attribution_key"], row["key_kind"], row["revenue"], row["currency"], epoch_ms(row["ordered_at"]),
            row["order_day"])


def key_key(row: dict[str, Any]) -> tuple[str, ...]:
    return row["tenant"], row["key_kind"], row["attribution_key"]


def key_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["post_id"], row["campaign_id"]
