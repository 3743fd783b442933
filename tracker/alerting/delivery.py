"""Deliver chat messages: one rate limiter per channel, retries with backoff, metrics.

Every attempt is signed afresh (signatures carry a timestamp the platform checks
against its clock). Throttling replies wait for ``Retry-After`` (or the platform's
documented penalty) and also hold back the channel's next messages.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tracker.alerting.chat.base import Channel, Reply
from tracker.alerting.digest import CampaignDigest
from tracker.alerting.ratelimit import RateLimiter
from tracker.ops import metrics

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """How a delivery ended: sent; to try again later (the platform throttled the bot or could not
    be reached); refused for good (a wrong secret, an unknown webhook). True only when sent."""

    SENT = "sent"
    LATER = "later"
    REFUSED = "refused"

    def __bool__(self) -> bool:
        return self is Outcome.SENT


class Courier:
    """Sends digests to one channel within its rate limits."""

    def __init__(self, channel: Channel, http: httpx.AsyncClient, *, attempts: int = 5,
                 backoff: float = 1.0, max_backoff: float = 60.0, timeout: float = 10.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.channel = channel
        self.http = http
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.sleep = sleep
        self.wall_clock = wall_clock
        self.limiter = RateLimiter(channel.windows, clock=clock, sleep=sleep)

    async def send(self, digest: CampaignDigest) -> Outcome:
        """Deliver one digest: SENT once the platform accepted it; LATER when it stayed throttled or
        unreachable through the attempts; REFUSED when it refused the message for good."""
        return await self.send_body(self.channel.render(digest), what=f"{digest.tenant}/{digest.campaign}")

    def ready_in(self) -> float:
        """Seconds until the channel takes a message (a throttling penalty holds it back)."""
        return self.limiter.delay(self.limiter.clock())

    async def send_body(self, body: dict[str, Any], what: str = "message") -> Outcome:
        name = self.channel.name
        for attempt in range(1, self.attempts + 1):
            waited = await self.limiter.acquire()
            if waited:
                metrics.NOTIFICATIONS.labels(name, "throttled").inc()
            url, payload = self.channel.request(body, self.wall_clock())
            reply = await self._post(url, payload)
            if reply.ok:
                metrics.NOTIFICATIONS.labels(name, "sent").inc()
                return Outcome.SENT
            if not reply.retry:
                break
            pause = reply.retry_after if reply.retry_after is not None else self._backoff(attempt)
            if reply.throttled:
                self.limiter.penalise(pause)
            if attempt == self.attempts or pause > self.max_backoff:  # a mute (DingTalk: 10 min) is no wait
                metrics.NOTIFICATIONS.labels(name, "deferred").inc()
                log.warning("%s: %s; %s kept for a later round (in %.0f s at the earliest)", name, reply.detail,
                            what, pause)
                return Outcome.LATER
            metrics.NOTIFICATIONS.labels(name, "retried").inc()
            log.warning("%s: %s (attempt %d/%d), retrying in %.1f s", name, reply.detail, attempt,
                        self.attempts, pause)
            await self.sleep(pause)
        metrics.NOTIFICATIONS.labels(name, "failed").inc()
        log.error("%s: giving up on %s: %s", name, what, reply.detail)
        return Outcome.REFUSED

    async def _post(self, url: str, payload: dict[str, Any]) -> Reply:
        try:
            resp = await self.http.post(url, json=payload, timeout=self.timeout)
        except httpx.HTTPError as exc:
            return Reply.again(f"network: {exc!r}")
        return self.channel.reply(resp.status_code, resp.headers, resp.text)

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
