"""WeCom (企业微信) group robot: ``msgtype: markdown`` (≤ 4096 bytes); the URL key is the
only credential; 20/min."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.alerting.chat.base import Channel, Reply, coded_reply
from tracker.alerting.digest import CampaignDigest, Entry

THROTTLED = frozenset({45009})
CONTENT_BYTES = 4096


class WeCom(Channel):
    name = "wecom"
    windows = ((60.0, 20),)
    max_bytes = CONTENT_BYTES
    chinese = True

    def line(self, entry: Entry) -> str:
        change = entry.change
        color = "warning" if change.firing else "info"
        link = self.link(entry)
        post = f"[{change.post_id}]({link})" if link else change.post_id
        text = (f'> <font color="{color}">{self.status(entry)}</font> {change.severity} {self.alert(entry)} · '
                f"{post}{self.who(entry, self.markdown_link)}: {change.summary}")
        text += f"\n> ⏱ {entry.timeline}" if entry.timeline else ""
        return text + (f"\n> ↳ {entry.suggestion}" if entry.suggestion else "")

    def render(self, digest: CampaignDigest) -> dict[str, Any]:
        head = f"**{self.title(digest)}**\n"
        budget = CONTENT_BYTES - len(head.encode())
        return {"msgtype": "markdown",
                "markdown": {"content": head + "\n".join(self.lines(digest, self.line, budget))}}

    def reply(self, status: int, headers: Mapping[str, str], text: str) -> Reply:
        return coded_reply(status, text, code_keys=("errcode",), throttle_codes=THROTTLED, throttle_wait=60.0)
