"""What every chat channel shares: render a digest, sign the request, read the reply.

A channel is one module (slack, feishu, dingtalk, wecom) with one class that
says how its platform wants a message (body shape, size limit, signature) and
how it answers (PLATFORMS.md §11). Sending, rate limiting and retries are the
same for all of them (tracker/alerting/delivery.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from tracker.alerting.alertmanager import post_link
from tracker.alerting.digest import CampaignDigest, Entry, fit_lines
from tracker.alerting.ratelimit import Window
from tracker.alerting.wording import zh_alert, zh_status
from tracker.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Reply:
    """How a delivery attempt ended: ``ok``; or retry (after ``retry_after`` s when given); or failed."""

    ok: bool
    retry: bool = False
    throttled: bool = False
    detail: str = ""
    retry_after: float | None = None

    @classmethod
    def sent(cls) -> Reply:
        return cls(ok=True)

    @classmethod
    def again(cls, detail: str, retry_after: float | None = None, *, throttled: bool = False) -> Reply:
        return cls(ok=False, retry=True, throttled=throttled, detail=detail, retry_after=retry_after)

    @classmethod
    def failed(cls, detail: str) -> Reply:
        return cls(ok=False, detail=detail)


class Channel(ABC):
    """One chat webhook: its format, signature, limits and replies."""

    name: ClassVar[str]
    windows: ClassVar[tuple[Window, ...]]  # rate limits: (seconds, messages)
    max_bytes: ClassVar[int]  # budget for the alert lines of one message, in UTF-8 bytes
    chinese: ClassVar[bool] = False  # status, alert names and title carry short Chinese labels

    def __init__(self, url: str, secret: str = "", *, grafana_url: str = "") -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"TRACKER_{self.name.upper()}_WEBHOOK_URL must start with https:// "
                              f"(got {url[:20]!r}…)")
        self.url = url
        self.secret = secret
        self.grafana_url = grafana_url

    @abstractmethod
    def render(self, digest: CampaignDigest) -> dict[str, Any]:
        """The JSON body of the digest message (unsigned)."""

    def request(self, body: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
        """URL and body of one attempt at unix time ``now`` (signers add their signature)."""
        return self.url, body

    @abstractmethod
    def reply(self, status: int, headers: Mapping[str, str], text: str) -> Reply:
        """Read the platform's answer."""

    # -- helpers shared by the formats ----------------------------------------------

    def link(self, entry: Entry) -> str:
        return post_link(self.grafana_url, entry.change)

    def title(self, digest: CampaignDigest) -> str:
        return digest.title_zh if self.chinese else digest.title

    def status(self, entry: Entry) -> str:
        """``FIRING``, or ``触发 FIRING`` on a CN platform."""
        return zh_status(entry.status) if self.chinese else entry.status

    def alert(self, entry: Entry) -> str:
        """``PostDecaying``, or ``衰减预警 PostDecaying`` on a CN platform."""
        return zh_alert(entry.change.alert) if self.chinese else entry.change.alert

    @staticmethod
    def who(entry: Entry, link: Callable[[str, str], str] | None = None,
            escape: Callable[[str], str] = str) -> str:
        """`` (Douyin · “夏日防晒实测” · creator 小鹿)`` after the post id, "" when nothing is known;
        with ``link(text, url)``, the title (else the word "post") links to the post on its platform."""
        before, title, after = entry.change.who_parts
        url = entry.change.url
        if link is None or not url:
            return f" ({escape(before + title + after)})" if before or title or after else ""
        if not title:
            before, title, after = (after + " · " if after else ""), "post", ""
        return f" ({escape(before)}{link(escape(title), url)}{escape(after)})"

    @staticmethod
    def markdown_link(text: str, url: str) -> str:
        """``[text](url)`` for the markdown of DingTalk and WeCom."""
        text = text.replace("[", "〔").replace("]", "〕")
        return f"[{text}]({url.replace(' ', '%20').replace(')', '%29')})"

    def lines(self, digest: CampaignDigest, line: Any, budget: int | None = None) -> list[str]:
        """Each entry through ``line(entry)``, cut to the byte budget with an "… and N more" line."""
        rendered = [line(entry) for entry in digest.sorted_entries()]
        return fit_lines(rendered, budget or self.max_bytes, more="… and {n} more alert changes")


def retry_after(headers: Mapping[str, str], default: float) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds form), else ``default``."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def coded_reply(status: int, text: str, *, code_keys: tuple[str, ...], throttle_codes: frozenset[int],
                throttle_wait: float) -> Reply:
    """The reply of a CN bot: HTTP 200 even on failure, so the JSON code decides."""
    if status == 429:
        return Reply.again(f"HTTP 429 {text[:200]}", throttle_wait, throttled=True)
    if status >= 500:
        return Reply.again(f"HTTP {status} {text[:200]}")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return Reply.failed(f"HTTP {status}, not JSON: {text[:200]}")
    code = next((data[key] for key in code_keys if isinstance(data, dict) and key in data), None)
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = -1
    message = next((str(data[key]) for key in ("errmsg", "msg", "StatusMessage") if key in data), "")
    if status == 200 and code == 0:
        return Reply.sent()
    if code in throttle_codes:
        return Reply.again(f"throttled: {code} {message}", throttle_wait, throttled=True)
    return Reply.failed(f"HTTP {status} code {code}: {message}")
