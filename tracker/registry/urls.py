"""Post ids from what campaign sheets hold: a full post id, a platform id, or a URL.

Known URL shapes: douyin.com/video/ID, xiaohongshu.com/explore/ID (or
/discovery/item/ID), weibo.com/detail/ID, kuaishou.com/short-video/ID,
bilibili.com/video/BV…, channels.weixin.qq.com/feed/ID, tiktok.com/@user/video/ID,
instagram.com/reel|p/ID, youtube.com/watch?v=ID, youtu.be/ID, youtube.com/shorts/ID.
Short links (v.douyin.com, xhslink.com, b23.tv) need a network round trip to
resolve: they are refused with a reason, never guessed.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tracker.contracts.vocab import PLATFORMS

_PATHS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("douyin", "douyin.com", re.compile(r"/(?:video|note)/(\d+)")),
    ("xiaohongshu", "xiaohongshu.com", re.compile(r"/(?:explore|discovery/item)/([0-9a-f]{24})")),
    ("weibo", "weibo.com", re.compile(r"/(?:detail/|\d+/)(\w+)")),
    ("weibo", "weibo.cn", re.compile(r"/(?:detail|status)/(\w+)")),
    ("kuaishou", "kuaishou.com", re.compile(r"/(?:short-video|photo)/([\w]+)")),
    ("bilibili", "bilibili.com", re.compile(r"/video/(BV\w{10})")),
    ("wechat_channels", "channels.weixin.qq.com", re.compile(r"/feed/([\w-]+)")),
    ("tiktok", "tiktok.com", re.compile(r"/video/(\d+)")),
    ("instagram", "instagram.com", re.compile(r"/(?:reel|p|tv)/([\w-]+)")),
    ("youtube", "youtube.com", re.compile(r"/(?:shorts|live|embed)/([\w-]{11})")),
)
SHORT_LINKS = ("v.douyin.com", "xhslink.com", "b23.tv", "t.cn", "vm.tiktok.com")


class UrlError(ValueError):
    """The value names no post tracker can read; the message says why."""


def from_url(url: str) -> tuple[str, str]:
    """(platform, platform_post_id) of a post URL."""
    parsed = urlparse(url.strip())
    host = (parsed.hostname or "").lower()
    if not host:
        raise UrlError(f"not a URL ({url!r:.60})")
    if any(host == s or host.endswith("." + s) for s in SHORT_LINKS):
        raise UrlError(f"{host} is a short link: open it and give the full post URL or the post id")
    if host == "youtu.be":
        return "youtube", parsed.path.strip("/")
    if host.endswith("youtube.com") and parsed.path == "/watch":
        vid = parse_qs(parsed.query).get("v", [""])[0]
        if vid:
            return "youtube", vid
    for platform, domain, pattern in _PATHS:
        if host == domain or host.endswith("." + domain):
            match = pattern.search(parsed.path)
            if match:
                return platform, match.group(1)
            raise UrlError(f"{url!r:.80} is a {platform} URL without a post id in a known place")
    raise UrlError(f"{host} is not a known platform host")


def resolve(value: str, platform: str | None = None) -> tuple[str, str]:
    """(platform, platform_post_id) from ``platform:id``, a URL, or a bare id plus its platform."""
    text = str(value).strip()
    if not text:
        raise UrlError("no post id or URL")
    if text.startswith(("http://", "https://")):
        found, pid = from_url(text)
        if platform and platform != found:
            raise UrlError(f"the URL is a {found} post but the row says platform {platform}")
        return found, pid
    head, sep, tail = text.partition(":")
    if sep and head in PLATFORMS:
        if platform and platform != head:
            raise UrlError(f"post id {text!r} is a {head} id but the row says platform {platform}")
        return head, tail
    if not platform:
        raise UrlError(f"{text!r}: a bare id needs the platform (a platform column, or --platform)")
    if platform not in PLATFORMS:
        raise UrlError(f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}")
    return platform, text
