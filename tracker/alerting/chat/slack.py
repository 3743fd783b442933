"""Slack incoming webhook: ``{"text", "blocks"}``; the URL is the secret; 1 message/s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.alerting.chat.base import Channel, Reply, retry_after
from tracker.alerting.digest import CampaignDigest, Entry

SECTION_CHARS = 3000  # Slack's limit for the text of one section block
MAX_SECTIONS = 45  # 50 blocks per message, less the header and context


def escape(text: str) -> str:
    """Slack mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(Channel):
    name = "slack"
    windows = ((1.0, 1),)
    max_bytes = 30_000

    def line(self, entry: Entry) -> str:
        change = entry.change
        link = self.link(entry)
        post = f"<{link}|{escape(change.post_id)}>" if link else f"`{escape(change.post_id)}`"
        who = self.who(entry, lambda text, url: f"<{url.replace('|', '%7C')}|{text}>", escape)
        text = f"*{entry.status}* `{change.severity}` {change.alert} · {post}{who}: {escape(change.summary)}"
        if entry.timeline:
            text += f"\n      ⏱ {escape(entry.timeline)}"
        if entry.suggestion:
            text += f"\n      ↳ {escape(entry.suggestion)}"
        return text

    def render(self, digest: CampaignDigest) -> dict[str, Any]:
        sections: list[str] = []
        for line in self.lines(digest, self.line):
            line = line[:SECTION_CHARS]
            if sections and len(sections[-1]) + 1 + len(line) <= SECTION_CHARS:
                sections[-1] += "\n" + line
            else:
                sections.append(line)
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": digest.title[:150]}}]
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in sections[:MAX_SECTIONS]]
        return {"text": digest.title, "blocks": blocks}

    def reply(self, status: int, headers: Mapping[str, str], text: str) -> Reply:
        if status == 200:
            return Reply.sent()
        if status == 429:
            return Reply.again(f"HTTP 429 {text[:100]}", retry_after(headers, 1.0), throttled=True)
        if status >= 500:
            return Reply.again(f"HTTP {status} {text[:100]}")
        return Reply.failed(f"HTTP {status} {text[:200]}")  # invalid_payload, channel_not_found, …
