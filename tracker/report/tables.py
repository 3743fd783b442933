"""Tables for the terminal, CSV and JSON: thousands separators, currency, "n/a".

A column is (key, header, kind); kind decides how a value reads:
``count`` (integer), ``money`` (2 decimals, currency in the header), ``rate``
(per cent), ``ratio`` (2 decimals), ``text``. None is always "n/a" in a
table (empty in CSV, null in JSON) — never 0, and a small value that is not 0
shows two significant digits rather than "0.00". CJK text counts two columns
per character when columns are aligned.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson

NA = "n/a"

Column = tuple[str, str, str]

ROI_COLUMNS: list[Column] = [
    ("value", "{by}", "text"),
    ("posts", "posts", "count"),
    ("spend", "spend {cur}", "money"),
    ("views", "views", "count"),
    ("engagements", "engagements", "count"),
    ("saves", "saves", "count"),
    ("searches", "searches", "count"),
    ("intent_comments", "intent", "count"),
    ("cpm", "CPM {cur}", "money"),
    ("cpe", "CPE {cur}", "money"),
    ("cost_per_save", "per save", "money"),
    ("cost_per_search", "per search", "money"),
    ("cost_per_intent_comment", "per intent", "money"),
    ("emv", "EMV {cur}", "money"),
    ("emv_return", "EMV ROI", "rate"),
    ("revenue", "revenue {cur}", "money"),
    ("roas", "ROAS", "ratio"),
    ("tail_contribution", "tail", "rate"),
    ("heating_efficiency", "eng/heat {cur}", "ratio"),
]

RATIO_SPEND_COLUMNS: list[Column] = [
    ("cpm_spend", "CPM spend {cur}", "money"),
    ("cpe_spend", "CPE spend {cur}", "money"),
    ("cost_per_save_spend", "per save spend {cur}", "money"),
    ("cost_per_search_spend", "per search spend {cur}", "money"),
    ("cost_per_intent_comment_spend", "per intent spend {cur}", "money"),
    ("emv_return_spend", "EMV ROI spend {cur}", "money"),
    ("roas_spend", "ROAS spend {cur}", "money"),
    ("heating_efficiency_spend", "eng/heat spend {cur}", "money"),
]
"""The spend each ratio of ROI_COLUMNS divides (queries.RATIO_SPEND), for CSV and the workbook."""

FX_MISSING_COLUMNS: list[Column] = [
    ("fx_missing", "amounts without FX rate", "count"),
    ("emv_fx_missing_posts", "posts whose EMV has no FX rate", "count"),
    ("revenue_fx_missing_posts", "posts whose revenue has no FX rate", "count"),
]
"""Why a row's spend, EMV or revenue reads n/a for want of an FX rate rather than of data, for CSV."""

RATIO_NOTE = ("CPM, CPE and cost-per figures divide the spend of the posts that have that metric and a spend "
              "by that metric of the same posts (posts without it — not yet published or measured, or on a "
              "platform that does not expose it — are left out, as are posts whose spend is n/a and "
              "campaign-level costs).")
"""Why spend ÷ views × 1000 of a row need not give its CPM; under every ROI table."""

CPE_NOTE = "CPE is n/a where a row mixes platforms: platforms count engagements differently."

LIKES_HIDDEN_COLUMNS: list[Column] = [("likes_hidden_posts", "posts whose likes are hidden (not in CPE)", "count")]
"""Posts a row's CPE leaves out because they hide their likes (queries.AGGREGATES), for CSV and the workbook."""


def likes_hidden_note(posts: int | None) -> str:
    """"CPE leaves out 1 post whose likes are hidden …" under a table whose total counts such posts
    (``likes_hidden_posts``); "" when none is. Their engagements lack their likes, so a CPE over them would
    read as if they had performed badly."""
    if not posts:
        return ""
    one = posts == 1
    its, it = ("its", "it counts") if one else ("their", "they count")
    return (f"CPE leaves out {posts:,} post{'' if one else 's'} whose likes are hidden: {its} engagements lack "
            f"{its} likes, so {its} CPE is n/a and {it} in no CPE above {'it' if one else 'them'} (row, total, "
            f"median); {its} engagements still count in the totals.")


def creator_label(name: str | None, creator_id: str | None) -> str:
    """A creator as people read it: "橙子种草机 (cr-0035)", or the id alone when the creators table has no name."""
    if not name:
        return creator_id or ""
    return f"{name} ({creator_id})" if creator_id else name


def with_creator_labels(rows: Iterable[Mapping[str, Any]], key: str = "creator") -> list[dict[str, Any]]:
    """``rows`` with ``key`` = :func:`creator_label` of their ``creator_name`` and ``creator_id``."""
    return [{**r, key: creator_label(r.get("creator_name"), r.get("creator_id"))} for r in rows]


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cell(value: Any, kind: str) -> str:
    """One value as a table shows it."""
    if is_missing(value):
        return NA
    if kind == "count":
        return f"{round(float(value)):,}"
    if kind in ("money", "ratio"):
        return _decimals(float(value), 2)
    if kind == "rate":
        return _decimals(float(value) * 100, 1) + "%"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _decimals(x: float, places: int) -> str:
    """``x`` with ``places`` decimals, or two significant digits below the last decimal but one,
    where those would show it as 0 or one digit (a ROAS of 0.00027 is no "0.00")."""
    if x != 0 and abs(x) < 10 ** (1 - places):
        return f"{x:.2g}" if abs(x) >= 1e-4 else f"{x:.1e}"
    return f"{x:,.{places}f}"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def headers(columns: Sequence[Column], **names: str) -> list[str]:
    return [h.format(**names) for _, h, _ in columns]


def render(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], totals: Mapping[str, Any] | None = None,
           **names: str) -> str:  # fmt: skip
    """An aligned text table (numbers right-aligned), with a totals row under a rule."""
    head = headers(columns, **names)
    body = [[cell(r.get(k), kind) for k, _, kind in columns] for r in rows]
    foot = [[cell(totals.get(k), kind) for k, _, kind in columns]] if totals is not None else []
    widths = [max(_width(x) for x in col) for col in zip(head, *body, *foot, strict=True)]
    right = [kind != "text" for _, _, kind in columns]

    def line(values: Sequence[str]) -> str:
        pads = [" " * (w - _width(v)) for v, w in zip(values, widths, strict=True)]
        return "  ".join(p + v if r else v + p for v, p, r in zip(values, pads, right, strict=True)).rstrip()

    out = [line(head), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in body]
    if foot:
        out.append("  ".join("=" * w for w in widths))
        out += [line(r) for r in foot]
    return "\n".join(out) + "\n"


TITLE_CHARS = 24
"""How much of a post's title a table shows (CSV and JSON give it whole)."""


def opening(text: Any, chars: int) -> str:
    """``text`` cut to ``chars`` characters with an ellipsis (a title in a table or a chat line)."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "…"


def plain(value: Any) -> Any:
    """A value for CSV / JSON: numbers as numbers, to 12 significant digits (a sum of converted
    amounts reads 730768.0, not 730768.0000000001), missing as None, times with their UTC offset
    (the store's times are UTC, and come back without a zone)."""
    if is_missing(value):
        return None
    if isinstance(value, Decimal | float):
        return float(f"{value:.12g}")
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: as :func:`plain`, missing as empty, a list as a table shows it ("beauty,
    tone:warm", which ``tracker posts import`` reads back as two tags; it read "['beauty', 'tone:warm']"),
    true and false as JSON writes them."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(csv_value(v)) for v in value)
    return value


def to_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], **names: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([k for k, _, _ in columns])
    for r in rows:
        writer.writerow([csv_value(r.get(k)) for k, _, _ in columns])
    return buf.getvalue()


def to_json(payload: Any) -> str:
    def default(value: Any) -> Any:
        return plain(value)

    def clean(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return plain(value)

    return orjson.dumps(clean(payload), default=default, option=orjson.OPT_INDENT_2).decode() + "\n"
