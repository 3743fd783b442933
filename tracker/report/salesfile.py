"""Reading order and attribution-key files for ROAS (CSV with a header row).

Orders: ``order_id, attribution_key, revenue, currency, ordered_at`` and
optionally ``key_kind`` (post | link | promo) and ``tenant``. Without a
``key_kind`` the key's shape decides: ``platform:id`` is a post id, an
``http(s)://`` URL a tracking link, anything else a promo code.

Keys: ``key_kind, attribution_key, post_id`` and optionally ``campaign_id``
and ``tenant``: which post a tracking link or promo code belongs to.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tracker.errors import InvalidInput

KEY_KINDS = ("post", "link", "promo")
POST_ID = re.compile(r"^[a-z_]+:[^\s]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def key_kind(key: str) -> str:
    """post, link or promo, from the key's shape."""
    if key.startswith(("http://", "https://")):
        return "link"
    if POST_ID.match(key):
        return "post"
    return "promo"


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"{path}: missing column(s) {', '.join(missing)} (header: {', '.join(required)})")
        for number, row in enumerate(reader, start=2):
            yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k}


def _timestamp(text: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{where}: ordered_at {text!r} is not an ISO-8601 time") from exc
    if value.tzinfo is None:
        raise InvalidInput(f"{where}: ordered_at {text!r} has no UTC offset (write e.g. 2024-11-11T20:00:00+08:00)")
    return value.astimezone(UTC)


def read_orders(path: Path, tenant: str, version: int) -> list[dict[str, Any]]:
    """Order rows for the ``sales`` table; refuses the whole file on the first bad line."""
    out: list[dict[str, Any]] = []
    for number, row in _rows(path, ("order_id", "attribution_key", "revenue", "currency", "ordered_at")):
        where = f"{path.name} line {number}"
        if not row["order_id"] or not row["attribution_key"]:
            raise InvalidInput(f"{where}: order_id and attribution_key are required")
        kind = row.get("key_kind") or key_kind(row["attribution_key"])
        if kind not in KEY_KINDS:
            raise InvalidInput(f"{where}: key_kind {kind!r} is not one of {', '.join(KEY_KINDS)}")
        try:
            revenue = Decimal(row["revenue"].replace(",", ""))
        except InvalidOperation as exc:
            raise InvalidInput(f"{where}: revenue {row['revenue']!r} is not a number") from exc
        if revenue < 0 or revenue.as_tuple().exponent < -4:  # type: ignore[operator]
            raise InvalidInput(f"{where}: revenue must be ≥ 0 with at most 4 decimals")
        if not CURRENCY.match(row["currency"]):
            raise InvalidInput(f"{where}: currency {row['currency']!r} is not an ISO-4217 code such as CNY")
        out.append({
            "tenant": row.get("tenant") or tenant, "order_id": row["order_id"],
            "attribution_key": row["attribution_key"], "key_kind": kind, "revenue": revenue,
            "currency": row["currency"], "ordered_at": _timestamp(row["ordered_at"], where), "version": version,
        })
    return out


def read_keys(path: Path, tenant: str, version: int) -> list[dict[str, Any]]:
    """Attribution-key rows (tracking link or promo code → post)."""
    out: list[dict[str, Any]] = []
    for number, row in _rows(path, ("key_kind", "attribution_key", "post_id")):
        where = f"{path.name} line {number}"
        if row["key_kind"] not in ("link", "promo"):
            raise InvalidInput(f"{where}: key_kind must be link or promo (post ids need no key row)")
        if not row["attribution_key"] or not (row["post_id"] or row.get("campaign_id")):
            raise InvalidInput(f"{where}: attribution_key and a post_id (or campaign_id) are required")
        out.append({"tenant": row.get("tenant") or tenant, "key_kind": row["key_kind"],
                    "attribution_key": row["attribution_key"], "post_id": row["post_id"],
                    "campaign_id": row.get("campaign_id", ""), "version": version})
    return out
