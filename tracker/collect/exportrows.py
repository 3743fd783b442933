"""One row of a metric export → one observation: the mapping shared by the export
adapter and ``tracker snapshots import``.

Column names are matched case-insensitively against aliases: tracker's own
(``post_id, platform_post_id, as_of, views, likes, comments, shares, saves,
searches``) and the Chinese headers of Xingtu (巨量星图) and Pugongying (蒲公英)
data reports and WeChat Channels exports (播放量, 点赞数, 评论数, 分享数, 收藏数,
看后搜…). Empty cells, "-", "--" and ClickHouse's ``\\N`` are None (not exposed),
never 0; "1.2万" is 12,000 and listed as rounded, and so is every counter a ``rounded``
column names (``['likes','saves']`` in an export of the store, ``likes,saves``, or a JSON
list): a stored snapshot's counts are numbers, the platform's "1.2万" only in that list.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, tzinfo
from typing import Any

from tracker.collect import errors as e
from tracker.collect.counts import count
from tracker.collect.model import Observation
from tracker.contracts.vocab import METRICS, PLATFORMS


class RowError(ValueError):
    """A row that cannot become a snapshot; the message is the reason."""


class NoZone(RowError):
    """A time written without a zone, read with no zone to assume (commands offer --time-zone)."""


ALIASES: dict[str, tuple[str, ...]] = {
    "post_id": ("post_id",),
    "platform_post_id": ("platform_post_id", "item_id", "video_id", "note_id", "photo_id", "视频id", "作品id",
                         "笔记id", "视频号id", "内容id", "feed_id"),
    "platform": ("platform", "平台"),
    "tenant": ("tenant", "客户", "品牌"),
    "as_of": ("as_of", "observed_at", "date", "time", "数据时间", "统计时间", "更新时间", "数据日期", "日期"),
    "views": ("views", "plays", "播放量", "播放数", "播放次数", "阅读量", "阅读数", "观看量", "观看次数"),
    "likes": ("likes", "点赞", "点赞数", "点赞量", "喜欢数"),
    "comments": ("comments", "评论", "评论数", "评论量"),
    "shares": ("shares", "分享", "分享数", "分享量", "转发", "转发数"),
    "saves": ("saves", "favorites", "collects", "收藏", "收藏数", "收藏量"),
    "searches": ("searches", "看后搜", "看后搜数", "看后搜次数", "看后搜索", "回搜", "回搜次数"),
    "status": ("status", "状态", "作品状态", "内容状态"),
    "rounded": ("rounded",),
}
STATUSES = {
    "ok": "ok", "live": "ok", "public": "ok", "正常": "ok", "已发布": "ok",
    "unavailable": "unavailable", "private": "unavailable", "hidden": "unavailable", "不可见": "unavailable",
    "仅自己可见": "unavailable", "审核中": "unavailable",
    "deleted": "deleted", "removed": "deleted", "taken down": "deleted", "已删除": "deleted", "已下架": "deleted",
    "下架": "deleted",
}
"""A status column's words (lower case) and the snapshot status each means: a post the platform no
longer shows (``unavailable``) or took down (``deleted``) may have no counter in its row."""
_LOOKUP = {alias: canon for canon, aliases in ALIASES.items() for alias in aliases}
EMPTY = {"", "-", "--", "—", "n/a", "null", "none", "\\n"}  # \N: ClickHouse's null in CSV/TSV


def canonical(header: str) -> str | None:
    """The canonical field of a column header, or None when it is not one tracker reads."""
    return _LOOKUP.get(str(header).strip().lower().replace(" ", "_"))


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in EMPTY)


DAY_END = time(23, 59, 59)
"""The time a daily export's date stands for: its figures are the counts at the end of that day."""


def parse_time(value: Any, tz: tzinfo | None = None, day_end: bool = False) -> datetime:
    """An aware UTC datetime from an RFC 3339 text, a date or an Excel datetime. Values without
    a zone are read in ``tz``; without ``tz`` a date is midnight UTC and a text time is refused.
    ``day_end``: a date alone (a daily export's 数据日期) is the end of that day in ``tz``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz or UTC).astimezone(UTC)
    text = str(value).strip().replace("/", "-")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"as_of: not a time ({text!r:.40}); use RFC 3339 such as 2025-09-20T12:00:00Z") from None
    if day_end and len(text) <= 10:  # a date alone
        moment = datetime.combine(moment.date(), DAY_END)
    if moment.tzinfo is None:
        if tz is None and len(text) > 10:
            raise NoZone(f"as_of: {text!r} has no time zone; add Z or an offset such as +08:00")
        moment = moment.replace(tzinfo=tz or UTC)
    return moment.astimezone(UTC)


def check_post_id(post_id: str) -> str:
    """The platform of ``<platform>:<id>``; RowError unless the platform is one tracker knows."""
    head, _, tail = post_id.partition(":")
    if head not in PLATFORMS or not tail:
        raise RowError(f"post_id: must be <platform>:<id> with a known platform (got {post_id!r:.60})")
    return head


def rounded_metrics(value: Any) -> tuple[str, ...]:
    """The counters a ``rounded`` cell names: a list, or a text such as ``likes,saves`` or
    ClickHouse's ``['likes','saves']`` (a ``tracker sql`` export of the store's snapshots);
    blank or ``[]`` names none. RowError for a name that is no counter."""
    if blank(value):
        return ()
    names = value if isinstance(value, list | tuple) else str(value).strip().strip("[]").replace(";", ",").split(",")
    out: list[str] = []
    for name in names:
        metric = str(name).strip().strip("'\"").strip()
        if not metric:
            continue
        if metric not in METRICS:
            raise RowError(f"rounded: {metric!r:.40} is not a counter ({', '.join(METRICS)})")
        if metric not in out:
            out.append(metric)
    return tuple(out)


def observation_from_row(row: dict[str, Any], platform: str | None = None, any_id: bool = False,
                         tz: tzinfo | None = None, now: datetime | None = None) -> Observation:
    """Map one export row (any alias headers) to an observation; raises RowError with the reason.
    ``any_id`` takes a ``post_id`` without a colon as it is (a label: offline analysis needs no
    platform), while one with a colon must name a known platform as everywhere; ``tz`` is the
    zone of times written without one. ``now`` (a daily export read as it is served): a date
    alone is the end of that day in ``tz``, or ``now`` while that day is not over, never a time
    to come; without ``now`` a date is the start of its day, as ``parse_time`` reads it."""
    fields: dict[str, Any] = {}
    for header, value in row.items():
        canon = canonical(header)
        if canon is not None and canon not in fields:
            fields[canon] = value
    post_id = str(fields.get("post_id") or "").strip()
    pid = str(fields.get("platform_post_id") or "").strip()
    plat = str(fields.get("platform") or platform or "").strip()
    if post_id and (not any_id or ":" in post_id):
        head = check_post_id(post_id)
        if plat and plat != head:
            raise RowError(f"post_id: platform {head!r} differs from the platform {plat!r}")
    elif not post_id and pid:
        if plat not in PLATFORMS:
            raise RowError("platform: unknown or missing; add a platform column or pass --platform")
        post_id = f"{plat}:{pid}"
    elif not post_id:
        raise RowError("post_id: missing (give post_id, or platform_post_id with the platform)")
    if blank(fields.get("as_of")):
        raise RowError("as_of: missing; the export must state the time of its figures")
    observed = parse_time(fields["as_of"], tz, day_end=now is not None)
    if now is not None and observed > now and len(str(fields["as_of"]).strip()) <= 10:
        observed = now
    metrics: dict[str, int | None] = {}
    rounded = []
    for metric in METRICS:
        value = fields.get(metric)
        if blank(value):
            metrics[metric] = None
            continue
        try:
            metrics[metric], was_rounded = count(value.strip() if isinstance(value, str) else value, metric, "export")
        except e.InvalidResponse:
            raise RowError(f"{metric}: not a count ({value!r:.40})") from None
        if was_rounded:
            rounded.append(metric)
    listed = rounded_metrics(fields.get("rounded"))
    rounded += [m for m in listed if metrics[m] is not None and m not in rounded]
    status = "ok" if blank(fields.get("status")) else STATUSES.get(str(fields["status"]).strip().lower())
    if status is None:
        raise RowError(f"status: {fields['status']!r:.40} is not one of ok, unavailable, deleted "
                       "(or 正常, 不可见, 已删除 …)")
    if status == "ok" and all(v is None for v in metrics.values()):
        raise RowError(f"no metric column holds a value (columns read: {', '.join(METRICS)} or their aliases)")
    return Observation(post_id, metrics, tuple(rounded), status, observed)
