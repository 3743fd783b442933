"""Snapshot and heating files in, per-post inputs of the analytics out (``tracker analyze``).

Two shapes of snapshot file:

- **a table** — CSV, XLSX, a JSON/YAML list or JSON Lines, one snapshot per row with
  the columns of ``tracker snapshots import`` (``post_id``, ``observed_at`` or
  ``as_of``, the counters; export headers such as 播放量 or 点赞数 too; "1.2万" is
  read as rounded). Any post id is taken as it is. An optional ``published_at``
  anchors a post's counters at 0 at publish; an optional ``tracking_end`` ends its
  tracking window (decay alerts resolve there; a date alone ends it at the end of that
  day, as a heating node's ``end``), else ``tracker analyze`` ends it
  ``DEFAULT_TRACKING_DAYS`` (30) after publish, as the registry does for the stream; an
  optional ``creator_tier`` picks what ``--learned-from-store`` leans on; an optional
  ``rounded`` lists the counters the platform showed rounded (a store export's snapshots).
- **a series document** — a JSON/YAML mapping of per-period counts
  ``daily_<metric>`` or ``hourly_<metric>`` (period 0 starts at ``start``), one
  snapshot at the end of each period. The records of the ACTIVE dataset (YouTube
  daily views and shares) have this shape: their ``item`` gives the post id and
  the upload time, whose day starts period 0.

Rows that cannot be read are reported with their line and reason; the others are
used. In JSON Lines a line that is not a JSON object is such a row (``read_rows``), not
a reason to refuse the whole file; so is a counter written as a fraction (``101.5``, in
any format): counters are whole numbers, and only a display text with its unit
(``1.2万``, ``3.4k``) stands for a rounded one. Times without a zone are read in the zone given with ``--time-zone``, else refused
(a date is then read in UTC); a date alone is the end of that day (a daily export's figures), as
``tracker snapshots import`` and the collectors read it. ClickHouse's null ``\\N`` is an empty cell, so an
export of the store (``tracker sql … FORMAT CSVWithNames``) reads with ``--time-zone UTC``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import orjson

from tracker.analytics.metrics import METRICS
from tracker.analytics.pulses import HeatingNode
from tracker.analytics.resample import Snapshot, to_hours
from tracker.collect.exportrows import (
    NoZone,
    RowError,
    blank,
    canonical,
    check_post_id,
    observation_from_row,
    parse_time,
)
from tracker.errors import InvalidInput
from tracker.registry import records
from tracker.registry.reader import Document, json_lines, read

PERIODS = {"daily": 24.0, "hourly": 1.0}
PUBLISHED = ("published_at", "publish_time", "发布时间")
TRACKING_END = ("tracking_end",)
TIER = ("creator_tier", "tier")
HEATING_STATUSES = ("planned", "executed", "cancelled")


def reason(exc: Exception) -> str:
    """Why a row was refused; a time without a zone also names --time-zone."""
    more = ", or pass the file's zone with --time-zone (UTC for tracker sql exports)" if isinstance(exc, NoZone) else ""
    return f"{exc}{more}"


def read_rows(path: Path) -> Document:
    """``path`` parsed as every import reads it, except that in JSON Lines (``.jsonl``,
    ``.ndjson``, or a ``.json`` file whose first line is a whole object and that has more
    lines) a line that is not a JSON object becomes a row refused with that reason: one bad
    line of a long export must not cost the others. A row whose counter is a fraction is
    refused too (``fractional_count``), whatever the format: ``tracker analyze`` and
    ``tracker snapshots import`` read counts alike."""
    suffix = path.suffix.lower()
    doc: Document | None = None
    if suffix in (".jsonl", ".ndjson", ".json") and path.is_file():
        raw = path.read_bytes()
        if suffix != ".json" or _json_lines(raw):
            doc = json_lines(raw)
    if doc is None:
        doc = read(path)
    for row in doc.rows if doc.kind == "table" else doc.sections.get("rows", []):
        row.problem = row.problem or _fractional_counter(row.values)
    return doc


_PLAIN_DECIMAL = re.compile(r"^\s*(\d+\.\d+)\s*\+?\s*$")
"""A decimal without a unit, as a display text of a counter could be written (``101.5``)."""


def fractional_count(value: Any) -> bool:
    """Whether a counter cell holds a fraction (``101.5``, ``"1,234.5"``): no counter counts
    halves, so it is bad data. Whole decimals (``102.0``, as spreadsheets write numbers) and
    display texts with a unit (``1.2万`` = 12,000, rounded) are counts."""
    if isinstance(value, float):
        return math.isfinite(value) and not value.is_integer()
    if isinstance(value, str):
        match = _PLAIN_DECIMAL.match(value.replace(",", ""))
        return match is not None and not float(match.group(1)).is_integer()
    return False


def _fractional_counter(values: dict[str, Any]) -> str:
    """Why a row is refused for a fractional counter (the column each metric is read from), or ''."""
    seen = set()
    for header, value in values.items():
        metric = canonical(str(header))
        if metric not in METRICS or metric in seen:
            continue
        seen.add(metric)
        if fractional_count(value):
            return (f"{metric}: not a count ({value!r:.40}): counters are whole numbers (a rounded display "
                    "such as 1.2万 is read)")
    return ""


def _json_lines(raw: bytes) -> bool:
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(orjson.loads(lines[0]), dict)
    except orjson.JSONDecodeError:
        return False


@dataclass
class SnapshotFile:
    """What a snapshot file holds, per post, in file order."""

    snapshots: dict[str, list[Snapshot]] = field(default_factory=lambda: defaultdict(list))
    published: dict[str, float] = field(default_factory=dict)
    """Publish time per post (hours since the epoch), when the file gives it."""
    tracking_end: dict[str, float] = field(default_factory=dict)
    """End of the tracking window per post (hours since the epoch), when the file gives it."""
    tier: dict[str, str] = field(default_factory=dict)
    """The creator tier per post (``creator_tier``), when the file gives it: what the stream
    learns from other posts is per platform and tier."""
    period_hours: float | None = None
    """A series document's period (24 for daily counts); None for a table."""
    problems: list[str] = field(default_factory=list)
    """Rows that were not used: ``line 7: as_of: not a time …``."""
    notes: list[str] = field(default_factory=list)


def read_snapshots(path: Path, tz: tzinfo | None = None) -> SnapshotFile:
    """The snapshots of ``path`` (times without a zone read in ``tz``); raises InvalidInput
    when the file as a whole is unreadable."""
    doc = read_rows(path)
    if doc.kind == "table":
        return _table(doc, tz)
    if any(_series_name(k) for k in doc.sections):
        return _series(doc.data, path.stem, tz)
    raise InvalidInput(
        "neither a table of snapshots (one row each) nor a series document "
        "(daily_<metric> or hourly_<metric> lists)"
    )


def _table(doc: Document, tz: tzinfo | None) -> SnapshotFile:
    out = SnapshotFile()
    if not doc.rows:
        raise InvalidInput("no rows: the file has a header but no snapshot")
    now = datetime.now(UTC)  # a date alone is the end of its day, as the stream reads a daily export
    dated = 0
    for row in doc.rows:
        try:
            if row.problem:
                raise RowError(row.problem)
            obs = observation_from_row(row.values, any_id=True, tz=tz, now=now)
            stamp = next((v for k, v in row.values.items() if canonical(str(k)) == "as_of"), None)
            dated += tz is None and isinstance(stamp, str) and len(stamp.strip()) <= 10
            for names, name, into, is_end in ((PUBLISHED, "published_at", out.published, False),
                                              (TRACKING_END, "tracking_end", out.tracking_end, True)):
                given = next((row.values[k] for k in row.values if str(k).strip().lower() in names), None)
                if not blank(given) and obs.post_id not in into:
                    into[obs.post_id] = to_hours(_time(given, name, tz, day_end=is_end))
            tier = next((row.values[k] for k in row.values if str(k).strip().lower() in TIER), None)
            if not blank(tier) and obs.post_id not in out.tier:
                out.tier[obs.post_id] = str(tier).strip()
        except RowError as exc:
            out.problems.append(f"{row.label()}: {reason(exc)}")
            continue
        assert obs.observed_at is not None
        values = tuple(None if obs.metrics[m] is None else float(obs.metrics[m]) for m in METRICS)  # type: ignore[arg-type]
        if obs.status != "ok":  # the post no longer shown: read as the stream reads it (the poll, any counters)
            out.notes.append(f"{row.label()}: {obs.post_id} is {obs.status} then"
                             + ("" if any(v is not None for v in values) else " (no counter to analyse)")
                             + "; the stream's PostUnavailable on the platform's status is not in this report")
        out.snapshots[obs.post_id].append(Snapshot(to_hours(obs.observed_at), values, obs.rounded))
    if not out.snapshots:
        raise InvalidInput(f"no usable row; the first problem: {out.problems[0]}")
    if dated:
        out.notes.append(f"{dated} row(s) give a date alone, read as the end of that day in UTC; the collector reads "
                         "a platform's export in the platform's zone (Asia/Shanghai for the Chinese platforms: 8 h "
                         "earlier): give the file's zone with --time-zone")
    return out


def _series_name(key: str) -> tuple[float, str] | None:
    period, _, metric = key.partition("_")
    return (PERIODS[period], metric) if period in PERIODS and metric else None


def _series(data: dict[str, Any], stem: str, tz: tzinfo | None) -> SnapshotFile:
    item: dict[str, Any] = data["item"] if isinstance(data.get("item"), dict) else {}
    periods = {_series_name(k)[0] for k in data if _series_name(k)}  # type: ignore[index]
    if len(periods) > 1:
        raise InvalidInput("mixes daily_ and hourly_ series: give one period")
    period = periods.pop()
    out = SnapshotFile(period_hours=period)
    series: dict[str, list[Any]] = {}
    for key, values in data.items():
        name = _series_name(key)
        if name is None:
            continue
        if name[1] not in METRICS:
            out.notes.append(f"{key} ignored: {name[1]} is not a counter tracker reads ({', '.join(METRICS)})")
        elif not isinstance(values, list):
            raise InvalidInput(f"{key}: must be a list of counts per period")
        else:
            series[name[1]] = values
    if not series:
        raise InvalidInput(f"no series of a counter tracker reads ({', '.join(METRICS)})")
    start = data.get("start") or data.get("published_at") or item.get("upload_time") or item.get("published_at")
    if not start:
        raise InvalidInput("the series has no start: add start (the beginning of period 0, e.g. 2024-06-01T00:00:00Z)")
    begin = _time(start, "start", tz)
    if "start" not in data:  # an upload time: period 0 is the calendar day (or hour) it falls in, in
        begin = _floor(begin, period, tz or _own_zone(start))  # tz, else the zone it is written in
    platform, video = item.get("platform"), item.get("video_id") or item.get("id")
    post_id = str(data.get("post_id") or (f"{platform}:{video}" if platform and video else stem))
    if ":" in post_id:
        try:
            check_post_id(post_id)
        except RowError as exc:
            raise InvalidInput(str(exc)) from None
    length = max(len(v) for v in series.values())
    totals = dict.fromkeys(series, 0.0)
    for i in range(length):
        for metric, values in series.items():
            if i < len(values):
                totals[metric] += _count(values[i], f"{metric} period {i}")
        values_at = tuple(totals.get(m) if m in series else None for m in METRICS)
        out.snapshots[post_id].append(Snapshot(to_hours(begin + timedelta(hours=period * (i + 1))), values_at))
    out.published[post_id] = to_hours(begin)
    return out


def _count(value: Any, where: str) -> float:
    """One period's count of a series: a whole number ≥ 0 (``3.0`` is one, ``1.5`` is not)."""
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0
            or not float(value).is_integer()):
        raise InvalidInput(f"{where}: {value!r:.40} is not a count (a whole number ≥ 0)")
    return float(value)


def _own_zone(value: Any) -> tzinfo | None:
    """The UTC offset a time is written with (``2024-06-01T07:00:00+08:00`` → +08:00), if any."""
    try:
        written = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return written.tzinfo


def _floor(moment: datetime, period: float, tz: tzinfo | None) -> datetime:
    """The start of the day (or hour) ``moment`` falls in, in ``tz`` (UTC when none is given)."""
    local = moment.astimezone(tz or UTC)
    if period >= 24.0:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        local = local.replace(minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def _time(value: Any, name: str, tz: tzinfo | None = None, day_end: bool = False) -> datetime:
    """``parse_time`` with errors naming the column; ``day_end``: a date alone is the end of that
    day (an end given as a day includes it)."""
    try:
        return parse_time(value, tz, day_end=day_end)
    except RowError as exc:
        raise type(exc)(str(exc).replace("as_of", name, 1)) from None


INSTANT_FORMATS = ("RFC 3339 with a zone (2024-06-03T12:00:00Z, 2024-06-03T20:00:00+08:00) "
                   "or a date (2024-06-03, for its midnight UTC)")
"""What ``parse_instant`` accepts, in words for a command's help and errors."""


def parse_instant(text: str) -> float:
    """A command-line time as hours since the epoch: RFC 3339 with a zone, or a date for its
    midnight UTC. ValueError naming the formats accepted."""
    try:
        return to_hours(parse_time(text))
    except NoZone:
        raise ValueError(f"{text!r:.40} has no time zone; give {INSTANT_FORMATS}") from None
    except RowError:
        raise ValueError(f"{text!r:.40} is not a time; give {INSTANT_FORMATS}") from None


@dataclass
class HeatingFile:
    """What a heating file holds, per post."""

    nodes: dict[str, list[HeatingNode]] = field(default_factory=lambda: defaultdict(list))
    """The nodes per post, cancelled ones left out (as the stream does: they never heat)."""
    problems: list[str] = field(default_factory=list)
    """Rows that were not used: ``line 3: end: not after start``."""
    refused: dict[str, int] = field(default_factory=dict)
    """Per post, how many of its rows were refused (its pulses and spend leave them out)."""


HEATING_COLUMNS = {"post_id": "post_id", "start": "start", "start_at": "start", "end": "end", "end_at": "end",
                   "spend": "spend", "spend_amount": "spend", "currency": "currency", "spend_currency": "currency",
                   "id": "id", "heating_id": "id", "status": "status"}
"""A heating file's headers (any case) by the column they give: the names of ``tracker analyze --help``'s
export and those of the store's ``heating_nodes`` columns."""


def _heating_values(values: dict[str, Any]) -> dict[str, Any]:
    """A heating row's values by column (HEATING_COLUMNS; the first header naming one wins); a
    spend written as the heating events write it, ``{amount, currency}``, is both columns."""
    out: dict[str, Any] = {}
    for header, value in values.items():
        column = HEATING_COLUMNS.get(str(header).strip().lower())
        if column is not None and column not in out:
            out[column] = value
    spend = out.get("spend")
    if isinstance(spend, dict):
        out["spend"] = spend.get("amount")
        if blank(out.get("currency")):
            out["currency"] = spend.get("currency")
    return out


def read_heating(path: Path, tz: tzinfo | None = None) -> HeatingFile:
    """Heating nodes per post from a table (post_id, start, end, spend, currency, id, status; the
    store's names start_at, end_at, spend_amount, spend_currency and heating_id too, in any case),
    and the rows refused with their line and reason. Times without a zone are read in ``tz``;
    a blank spend (ClickHouse's null ``\\N`` in a store export) is 0. A node's currency is blank
    when the file gives none: the pulses it heats then show their spend without one."""
    doc = read_rows(path)
    if doc.kind != "table":
        raise InvalidInput("a heating file is a table: one row per node (post_id, start, end, spend, currency)")
    out = HeatingFile()
    for i, row in enumerate(doc.rows):
        v = _heating_values(row.values)
        post_id = str(v.get("post_id") or "").strip()
        try:
            if row.problem:
                raise RowError(row.problem)
            if not post_id:
                raise RowError("post_id: missing")
            if ":" in post_id:
                check_post_id(post_id)
            if blank(v.get("start")):
                raise RowError("start: missing (when the node's delivery begins)")
            start = to_hours(_time(v["start"], "start", tz))
            end = None if blank(v.get("end")) else to_hours(_time(v["end"], "end", tz, day_end=True))
            if end is not None and end <= start:
                raise RowError("end: not after start")
            try:
                spend = 0.0 if blank(v.get("spend")) else float(v["spend"])
            except (TypeError, ValueError):
                spend = math.nan
            if not math.isfinite(spend):
                raise RowError(f"spend: not a number ({v.get('spend')!r:.40})")
            if spend < 0:
                raise RowError(f"spend: negative ({spend:g})")
            status = str(v.get("status") or "planned").strip().lower()
            if status not in HEATING_STATUSES:
                raise RowError(f"status: {status!r:.20} is not one of {', '.join(HEATING_STATUSES)}")
            cur = "" if blank(v.get("currency")) else records.currency(v["currency"], "currency")
        except (RowError, records.RowError) as exc:
            out.problems.append(f"{row.label()}: {reason(exc)}")
            if post_id:
                out.refused[post_id] = out.refused.get(post_id, 0) + 1
            continue
        if status == "cancelled":  # as the stream does: a cancelled node never heats
            continue
        out.nodes[post_id].append(HeatingNode(
            id=str(v.get("id") or f"heat-{i + 1}"),
            start=start, end=end, spend=spend,
            currency=cur, status=status,
        ))
    return out
