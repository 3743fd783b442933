"""DingTalk custom robot: ``msgtype: markdown``, signed in the query string; 20/min.

Signature: ``ts`` in unix milliseconds, key = secret, message = ``"<ts>\\n<secret>"``,
HMAC-SHA256, base64, URL-encoded; ``timestamp`` and ``sign`` are query parameters.
Going over 20 messages a minute mutes the robot for 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from tracker.alerting.chat.base import Channel, Reply, coded_reply
from tracker.alerting.digest import CampaignDigest, Entry

THROTTLED = frozenset({130101})
MUTE_SECONDS = 600.0
"""Over its limit a DingTalk bot is muted for 10 minutes (PLATFORMS.md §11)."""


def sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk's signature of ``timestamp_ms``, base64 (URL-encode it for the query string)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalk(Channel):
    name = "dingtalk"
    windows = ((60.0, 20),)
    max_bytes = 16_000
    chinese = True

    def line(self, entry: Entry) -> str:
        change = entry.change
        link = self.link(entry)
        post = f"[{change.post_id}]({link})" if link else f"`{change.post_id}`"
        text = (f"- **{self.status(entry)}** {change.severity} {self.alert(entry)} · {post}"
                f"{self.who(entry, self.markdown_link)}: {change.summary}")
        text += f"\n  - ⏱ {entry.timeline}" if entry.timeline else ""
        return text + (f"\n  - ↳ {entry.suggestion}" if entry.suggestion else "")

    def render(self, digest: CampaignDigest) -> dict[str, Any]:
        title = self.title(digest)
        text = f"#### {title}\n\n" + "\n".join(self.lines(digest, self.line))
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                "at": {"atMobiles": [], "isAtAll": False}}

    def request(self, body: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
        if not self.secret:
            return self.url, body
        ts = int(now * 1000)
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}timestamp={ts}&sign={quote_plus(sign(ts, self.secret))}", body

    def reply(self, status: int, headers: Mapping[str, str], text: str) -> Reply:
        return coded_reply(status, text, code_keys=("errcode",), throttle_codes=THROTTLED, throttle_wait=MUTE_SECONDS)
