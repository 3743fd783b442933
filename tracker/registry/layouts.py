"""Column layouts of flat post tables: tracker's own headers and the order exports of
Xingtu (巨量星图, Douyin) and Pugongying (蒲公英, Xiaohongshu).

Headers are matched case-insensitively, ignoring spaces, against aliases; a
layout is recognised by headers only it has and brings the platform its rows
are on. Unknown columns are ignored (and listed in the report). The Chinese
headers are those of the platforms' order-export sheets as users download them;
add an alias here when a sheet differs.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELDS: dict[str, tuple[str, ...]] = {
    "tenant": ("tenant", "client", "brand", "客户", "品牌"),
    "campaign": ("campaign", "campaign_id", "活动", "活动id", "项目", "项目id", "任务名称"),
    "creator": ("creator", "creator_id", "达人id", "星图id", "博主id", "达人uid"),
    "creator_name": ("creator_name", "name", "达人昵称", "达人名称", "博主昵称", "博主名称"),
    "handle": ("handle", "抖音号", "小红书号", "账号"),
    "account_id": ("account_id", "open_id", "uid", "达人抖音uid"),
    "followers": ("followers", "粉丝数", "粉丝量", "粉丝"),
    "tier": ("tier", "creator_tier", "达人层级"),
    "tags": ("tags", "标签", "达人标签"),
    "platform": ("platform", "平台"),
    "post": ("post", "post_id", "platform_post_id", "视频id", "作品id", "item_id", "笔记id", "note_id"),
    "url": ("url", "link", "视频链接", "作品链接", "笔记链接", "链接"),
    "title": ("title", "视频标题", "作品标题", "笔记标题", "标题"),
    "content_form": ("content_form", "form", "内容类型", "笔记类型", "视频类型"),
    "published_at": ("published_at", "publish_time", "发布时间", "视频发布时间", "笔记发布时间"),
    "tracking_days": ("tracking_days", "跟踪天数"),
    "tracking_end": ("tracking_end", "跟踪结束"),
    "fee": ("fee", "price", "订单金额", "达人报价", "视频报价", "合作金额", "报价", "笔记报价"),
    "currency": ("currency", "fee_currency", "币种"),
    "service_fee": ("service_fee", "平台服务费", "服务费", "星图服务费", "蒲公英服务费"),
    "service_fee_rate": ("service_fee_rate", "服务费率"),
    "bundle": ("bundle", "bundle_id", "打包id", "套餐id"),
    "bundle_fee": ("bundle_fee", "打包金额", "套餐金额"),
    "bundle_split": ("bundle_split", "split"),  # equal, by_views, by_engagements or by_fee
    # campaign-level columns: the same on every row of a campaign; they create or update its record
    "time_zone": ("time_zone", "campaign_tz", "时区"),
    "reporting_currency": ("reporting_currency", "结算币种"),
    "campaign_name": ("campaign_name", "活动名称", "项目名称"),
    "campaign_start": ("campaign_start", "campaign_starts_at", "活动开始时间"),
    "campaign_end": ("campaign_end", "campaign_ends_at", "活动结束时间"),
    "brand_terms": ("brand_terms", "品牌词"),
    "order": ("order_id", "订单id", "订单号"),
    # heating tables
    "heating_id": ("heating_id", "加热id"),
    "channel": ("channel", "加热渠道", "投放渠道"),
    "start": ("start", "开始时间", "投放开始时间"),
    "end": ("end", "结束时间", "投放结束时间"),
    "spend": ("spend", "加热金额", "投放金额", "消耗"),
    "status": ("status", "状态"),
}
_LOOKUP = {alias.lower().replace(" ", ""): name for name, aliases in FIELDS.items() for alias in aliases}


@dataclass(frozen=True)
class Layout:
    """A recognised table layout: its name, the platform it implies, whether rows are heating nodes."""

    name: str
    platform: str | None = None
    heating: bool = False


def field_of(header: str) -> str | None:
    """The canonical field of a header, or None."""
    return _LOOKUP.get(str(header).strip().lower().replace(" ", "").replace("_", "_"))


def detect(headers: list[str]) -> Layout:
    """The layout of a table from its headers."""
    names = {str(h).strip().lower().replace(" ", "") for h in headers}
    fields = {field_of(h) for h in headers}
    if {"channel", "spend", "start"} <= fields:
        return Layout("heating", heating=True)
    if names & {"抖音号", "星图id", "达人抖音uid", "视频链接"} or any("星图" in n for n in names):
        return Layout("xingtu", "douyin")
    if names & {"笔记id", "笔记链接", "小红书号", "博主昵称"} or any("蒲公英" in n for n in names):
        return Layout("pugongying", "xiaohongshu")
    return Layout("tracker")


def canonical_row(values: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """(canonical field → value, headers not understood) of one table row."""
    out: dict[str, object] = {}
    unknown: list[str] = []
    for header, value in values.items():
        name = field_of(header)
        if name is None:
            unknown.append(header)
        elif name not in out or out[name] in (None, ""):
            out[name] = value
    return out, unknown
