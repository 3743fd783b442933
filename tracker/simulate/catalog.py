"""What the simulator knows about each platform and creator tier.

The metric sets follow the matrix in DESIGN.md: ``api`` metrics appear in the
platform's API payloads, ``export`` metrics only in exports (Xingtu,
Pugongying, manual CSV). A metric in neither is absent from every payload
and ``None`` in the ground truth.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

METRICS: tuple[str, ...] = ("views", "likes", "comments", "shares", "saves", "searches")
"""Metric names, in the order of the simulator's arrays."""

ENGAGEMENT_METRICS: tuple[str, ...] = ("likes", "comments", "shares", "saves")
"""DESIGN.md: engagements = likes + comments + shares + saves (those a platform has)."""


@dataclass(frozen=True)
class PlatformSpec:
    """One platform's metric coverage, money, audience clock and post shapes."""

    name: str
    api: frozenset[str]
    export: frozenset[str]
    currency: str
    utc_offset: int  # audience's local time, hours east of UTC (drives the daily cycle)
    heating_channel: str
    content_forms: tuple[str, ...]
    service_fee_rate: float  # platform service fee on the placement fee (Xingtu, Pugongying...)
    like_rate: tuple[float, float]  # likes per (latent) view, uniform range per post

    @property
    def metrics(self) -> frozenset[str]:
        """Metrics the platform exposes anywhere (API or exports); the truth's non-null set."""
        return self.api | self.export

    @property
    def engagement_metrics(self) -> tuple[str, ...]:
        """The engagement metrics this platform has."""
        return tuple(m for m in ENGAGEMENT_METRICS if m in self.metrics)


def _spec(name: str, api: str, export: str, currency: str, offset: int, channel: str,
          forms: str, fee: float, likes: tuple[float, float]) -> PlatformSpec:
    return PlatformSpec(name, frozenset(api.split()), frozenset(export.split()), currency, offset,
                        channel, tuple(forms.split()), fee, likes)


PLATFORMS: dict[str, PlatformSpec] = {s.name: s for s in (
    _spec("douyin", "views likes comments shares", "saves searches", "CNY", 8, "dou+",
          "short_video live_clip", 0.05, (0.02, 0.06)),
    _spec("xiaohongshu", "likes comments shares saves", "views searches", "CNY", 8, "shutiao",
          "image_note video_note", 0.10, (0.03, 0.09)),
    _spec("weibo", "likes comments shares", "", "CNY", 8, "fensitong",
          "post video", 0.0, (0.005, 0.02)),
    _spec("kuaishou", "views likes comments", "", "CNY", 8, "fans_top",
          "short_video", 0.05, (0.02, 0.06)),
    _spec("bilibili", "views likes comments shares saves", "", "CNY", 8, "qifei",
          "long_video short_video", 0.07, (0.03, 0.08)),
    _spec("wechat_channels", "", "views likes comments shares saves", "CNY", 8, "wechat_ads",
          "short_video", 0.0, (0.01, 0.04)),
    _spec("tiktok", "views likes comments shares saves", "", "USD", -5, "spark_ads",
          "short_video", 0.0, (0.04, 0.10)),
    _spec("instagram", "views likes comments shares saves", "", "USD", -5, "partnership_ads",
          "reel carousel image", 0.0, (0.02, 0.07)),
    _spec("youtube", "views likes comments", "", "USD", -5, "google_ads",
          "long_video short", 0.0, (0.02, 0.05)),
)}

CN_PLATFORMS = ("douyin", "xiaohongshu", "weibo", "kuaishou", "bilibili", "wechat_channels")
INTL_PLATFORMS = ("tiktok", "instagram", "youtube")

# tier -> (min followers, max followers, share of creators); budgets go to mid and long tail
TIERS: dict[str, tuple[int, int, float]] = {
    "koc": (500, 5_000, 0.24),
    "nano": (5_000, 20_000, 0.20),
    "micro": (20_000, 100_000, 0.25),
    "mid": (100_000, 500_000, 0.18),
    "macro": (500_000, 2_000_000, 0.09),
    "top": (2_000_000, 20_000_000, 0.04),
}

# tier -> heating spend range per node in CNY (USD platforms divide by USD_CNY)
HEATING_SPEND_CNY: dict[str, tuple[float, float]] = {
    "koc": (100, 500), "nano": (200, 1_000), "micro": (500, 3_000),
    "mid": (1_000, 8_000), "macro": (3_000, 20_000), "top": (5_000, 50_000),
}
USD_CNY = 7.2  # synthetic FX used to scale USD amounts; the FX table in the campaign file is dated


def tier_of(followers: int) -> str:
    """The tier whose follower range holds ``followers``."""
    for name, (_, high, _) in TIERS.items():
        if followers < high:
            return name
    return "top"


def platform_post_id(platform: str, rnd: random.Random) -> str:
    """A platform-shaped post id (numeric item ids, BV ids, note ids, video ids)."""
    if platform in ("douyin", "tiktok"):
        return ("73" if platform == "douyin" else "74") + "".join(rnd.choices(string.digits, k=17))
    if platform == "xiaohongshu":
        return "".join(rnd.choices("0123456789abcdef", k=24))
    if platform == "weibo":
        return "49" + "".join(rnd.choices(string.digits, k=14))
    if platform == "kuaishou":
        return "3x" + "".join(rnd.choices(string.ascii_lowercase + string.digits, k=13))
    if platform == "bilibili":
        alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        return "BV1" + "".join(rnd.choices(alphabet, k=9))
    if platform == "wechat_channels":
        return "14" + "".join(rnd.choices(string.digits, k=17))
    if platform == "instagram":
        return "178" + "".join(rnd.choices(string.digits, k=14))
    if platform == "youtube":
        return "".join(rnd.choices(string.ascii_letters + string.digits + "-_", k=11))
    raise ValueError(f"unknown platform {platform!r}")


def post_url(platform: str, pid: str) -> str:
    """The public URL of a post, as a campaign sheet would carry it."""
    return {
        "douyin": f"https://www.douyin.com/video/{pid}",
        "xiaohongshu": f"https://www.xiaohongshu.com/explore/{pid}",
        "weibo": f"https://weibo.com/detail/{pid}",
        "kuaishou": f"https://www.kuaishou.com/short-video/{pid}",
        "bilibili": f"https://www.bilibili.com/video/{pid}",
        "wechat_channels": f"https://channels.weixin.qq.com/feed/{pid}",
        "tiktok": f"https://www.tiktok.com/@creator/video/{pid}",
        "instagram": f"https://www.instagram.com/reel/{pid}",
        "youtube": f"https://www.youtube.com/watch?v={pid}",
    }[platform]
