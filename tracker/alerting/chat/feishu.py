"""Feishu/Lark custom bot: ``msg_type: post``, signed in the body; 5/s and 100/min.

The post is sent under ``zh_cn`` (the locale PLATFORMS.md §11 documents), so status, alert
names and title carry short Chinese labels next to the English ones.

Signature: key = ``"<ts>\\n<secret>"`` (``ts`` in unix seconds), message = empty,
HMAC-SHA256, base64; ``timestamp`` and ``sign`` go into the JSON body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from tracker.alerting.chat.base import Channel, Reply, coded_reply
from tracker.alerting.digest import CampaignDigest, Entry, fit_lines

THROTTLED = frozenset({11232})


def sign(timestamp: int, secret: str) -> str:
    """Feishu's signature of ``timestamp`` (unix seconds)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class Feishu(Channel):
    name = "feishu"
    windows = ((1.0, 5), (60.0, 100))
    max_bytes = 16_000  # the whole body must stay under 20 KB
    chinese = True

    def paragraph(self, entry: Entry) -> list[dict[str, str]]:
        change = entry.change
        parts = [{"tag": "text", "text": f"{self.status(entry)} [{change.severity}] {self.alert(entry)} · "}]
        link = self.link(entry)
        parts.append({"tag": "a", "text": change.post_id, "href": link} if link
                     else {"tag": "text", "text": change.post_id})
        tail = (f"\n    ⏱ {entry.timeline}" if entry.timeline else "") + (
            f"\n    ↳ {entry.suggestion}" if entry.suggestion else "")
        who = self.who(entry, lambda text, url: f"\0{text}\0{url}\0")  # split at the link below
        if "\0" in who:
            before, text, url, after = who.split("\0")
            parts += [{"tag": "text", "text": before}, {"tag": "a", "text": text, "href": url},
                      {"tag": "text", "text": f"{after}: {change.summary}{tail}"}]
        else:
            parts.append({"tag": "text", "text": f"{who}: {change.summary}{tail}"})
        return parts

    def render(self, digest: CampaignDigest) -> dict[str, Any]:
        paragraphs = [orjson.dumps(self.paragraph(e)).decode() for e in digest.sorted_entries()]
        kept = fit_lines(paragraphs, self.max_bytes, more="… and {n} more alert changes")
        content = [orjson.loads(text) if i < len(paragraphs) and text == paragraphs[i]
                   else [{"tag": "text", "text": text}] for i, text in enumerate(kept)]
        return {"msg_type": "post", "content": {"post": {"zh_cn": {"title": self.title(digest), "content": content}}}}

    def request(self, body: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
        if not self.secret:
            return self.url, body
        ts = int(now)
        return self.url, {"timestamp": str(ts), "sign": sign(ts, self.secret), **body}

    def reply(self, status: int, headers: Mapping[str, str], text: str) -> Reply:
        return coded_reply(status, text, code_keys=("code", "StatusCode"), throttle_codes=THROTTLED,
                           throttle_wait=1.0)
