"""HTTP discipline of one platform: one AsyncClient, limits, retries, breaker, quota.

``PlatformHttp.call(request, parse)`` sends one logical request and returns what
``parse`` made of the answer. ``parse`` belongs to the adapter and raises the
``errors`` classes for the platform's own error shapes (HTTP 200 with an error
body included); the class alone decides what happens next:

- retryable (429, 5xx, timeouts, network, invalid bodies): jittered exponential
  backoff, or the platform's Retry-After, for up to ``max_attempts`` attempts;
  each failure also counts towards the circuit breaker;
- quota exhausted: the platform's budget is blocked until its reset;
- risk control / captcha: the breaker opens for ``risk_backoff`` seconds and the
  answer is reported (log + metric). Nothing tries to get around it;
- credentials rejected: the breaker opens and the log says which setting to fix; on an owner-only
  API, where each creator's posts are read with that creator's account, only that account is held
  (``account_wait``), for the breaker's cooldown doubled at each refusal in a row: the platform's
  other accounts go on. Rate limits, 5xx and quotas stay the platform's. Where the account's token
  can be renewed (``renew``, set by ``renewal.Renewals``), it is renewed first and the request
  answered ``TokenRenewed``: its posts are asked again at once, with the renewed token.

Credentials travel in headers wherever the platform accepts them, and nothing
here logs a URL's query string.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from aiolimiter import AsyncLimiter

from tracker.collect import errors as e
from tracker.collect.accounts import VARIABLE, Account
from tracker.collect.breaker import Breaker
from tracker.collect.clock import Clock
from tracker.collect.config import PlatformConfig
from tracker.collect.quota import Quota
from tracker.ops import metrics

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry full URLs
T = TypeVar("T")
USER_AGENT = "tracker/0.1 (KOL campaign tracker)"
USAGE_SLOW = 0.9
"""Share of its rate budget a platform reports spent (Instagram's usage headers) from which its
requests are held: half of ``max_pause`` at 90 %, all of it at 100 %. The budgets are rolling
windows, so each hold lets the oldest calls age out, and the next answer says where usage is."""


@dataclass(frozen=True)
class Request:
    """One logical request, relative to the platform's base URL."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    """A form body (application/x-www-form-urlencoded), as the token endpoints take."""


class HeldBack:
    """Wall seconds during which a platform's collection is held back by its rate limits, for
    ``COLLECTOR_RATE_LIMIT_WAIT``: while any of its requests waits for the rate limiter, or a
    rate-limit pause (Retry-After) holds the platform. Each second counts once however many
    requests wait in it, so the counter's rate is the share of time held back (0–1)."""

    def __init__(self, add: Callable[[float], None], clock: Callable[[], float] = time.monotonic) -> None:
        self.add = add
        self.clock = clock
        self.waiting = 0  # requests waiting for the rate limiter now
        self.until = 0.0  # a rate-limit pause holds the platform until then (clock)
        self.last = clock()  # counted up to then

    def flush(self) -> None:
        """Count the held-back part of the time since the last count."""
        now = self.clock()
        held = now - self.last if self.waiting else max(0.0, min(now, self.until) - self.last)
        if held > 0:
            self.add(held)
        self.last = max(self.last, now)

    def hold(self, until: float) -> None:
        """A rate-limit pause holds the platform until ``until`` (clock)."""
        self.flush()
        self.until = max(self.until, until)

    @contextlib.asynccontextmanager
    async def waiting_for(self) -> AsyncIterator[None]:
        """One request waits (for the rate limiter) inside this block."""
        self.flush()
        self.waiting += 1
        try:
            yield
        finally:
            self.flush()
            self.waiting -= 1


@dataclass(frozen=True)
class Discipline:
    """Retry and breaker knobs shared by every platform (from settings)."""

    max_attempts: int = 4
    backoff_base: float = 0.25
    backoff_max: float = 30.0
    max_pause: float = 300.0
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
    risk_backoff: float = 900.0


class PlatformHttp:
    """Everything one platform's requests go through."""

    def __init__(self, cfg: PlatformConfig, clock: Clock, discipline: Discipline | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.cfg = cfg
        self.platform = cfg.platform
        self.clock = clock
        self.d = discipline or Discipline()
        self.client = httpx.AsyncClient(
            base_url=cfg.base_url, timeout=httpx.Timeout(cfg.timeout), transport=transport,
            limits=httpx.Limits(max_connections=cfg.concurrency, max_keepalive_connections=cfg.concurrency),
            headers={"User-Agent": USER_AGENT})
        self.slots = asyncio.Semaphore(cfg.concurrency)
        self.rate = AsyncLimiter(cfg.rate_per_second, 1.0) if cfg.rate_per_second and cfg.rate_per_second >= 1 \
            else AsyncLimiter(1, 1 / cfg.rate_per_second) if cfg.rate_per_second else None
        self.breaker = Breaker(self.d.breaker_failures, self.d.breaker_cooldown,
                               max(self.d.breaker_cooldown, self.d.risk_backoff))
        self.quota = Quota(cfg.daily_quota, cfg.quota_zone)
        self.paused_until = 0.0  # monotonic: Retry-After and risk-control pauses
        self.held = HeldBack(metrics.COLLECTOR_RATE_LIMIT_WAIT.labels(self.platform).inc)
        self.last_problem = ""
        self.refused: dict[str, tuple[float, int, str]] = {}
        """Account (creator id, '' = the platform-wide one) → (monotonic time until which it is held,
        refusals in a row, the platform's answer) after the platform refused its credentials."""
        self.renew: Callable[[Account], Awaitable[bool]] | None = None
        """Called when the platform refused an account's credentials: True when the account now has
        a renewed token to be asked again with (``renewal.Renewals.after_refusal``)."""

    async def aclose(self) -> None:
        self.held.flush()
        await self.client.aclose()

    # -- state the scheduler consults -----------------------------------------
    def wait_seconds(self) -> float:
        """Real seconds before this platform takes a request (pause or open breaker)."""
        self.held.flush()
        return max(self.paused_until - time.monotonic(), self.breaker.wait_seconds(), 0.0)

    def account_wait(self, account: Account) -> float:
        """Real seconds before requests with ``account`` are sent again (0: now)."""
        held = self.refused.get(account.creator)
        return max(0.0, held[0] - time.monotonic()) if held is not None else 0.0

    def accounts_refused(self) -> int:
        """Accounts held now because the platform refused their credentials."""
        now = time.monotonic()
        return sum(1 for until, _, _ in self.refused.values() if until > now)

    def release_accounts(self, creators: set[str]) -> None:
        """Forget the refusals of these accounts (their entries changed: a renewed token is tried at once)."""
        for creator in creators:
            self.refused.pop(creator, None)

    def note_usage(self, share: float | None) -> None:
        """The platform's own report of the share (0–1) of its rate budget spent; from
        ``USAGE_SLOW`` on, every request of the platform is held (see there)."""
        if share is None:
            return
        metrics.COLLECTOR_PLATFORM_USAGE.labels(self.platform).set(share)
        if share < USAGE_SLOW:
            return
        hold = self.d.max_pause * (0.5 + 0.5 * min(1.0, (share - USAGE_SLOW) / (1.0 - USAGE_SLOW)))
        if self.paused_until <= time.monotonic():
            log.warning("%s reports %.0f %% of its rate budget spent; holding its requests for %.0f s", self.platform,
                        100 * share, hold)
        self._pause(hold, "usage")

    def allows(self, priority: int, cost: float = 1.0) -> bool:
        """Whether the quota lets a call of this priority class go now."""
        return self.quota.allows(priority, cost, self.clock.now())

    # -- the request path ---------------------------------------------------------
    async def call(self, request: Request, parse: Callable[[httpx.Response], T], cost: float = 1.0,
                   aside: bool = False, account: Account | None = None) -> T:
        """Send ``request`` with retries; returns ``parse(response)`` or raises an ``errors`` class.
        ``aside``: a request to another API of the platform (TikTok's Research API) whose failures
        are its own: sent once, within the rate limit, and whatever it meets (a timeout included)
        neither opens nor closes the platform's breaker, pauses it or spends its quota.
        ``account``: the account of an owner-only API the request is sent with; its credentials
        refused hold it alone (``AccountHeld`` until then), not the platform."""
        try:
            if aside:
                return await self._aside(request, parse)
            return await self._call(request, parse, cost, account)
        finally:
            self.held.flush()

    async def _aside(self, request: Request, parse: Callable[[httpx.Response], T]) -> T:
        try:
            result = await self._attempt(request, parse)
        except e.CollectError as exc:
            metrics.COLLECTOR_REQUESTS.labels(self.platform, outcome_label(exc)).inc()
            raise
        metrics.COLLECTOR_REQUESTS.labels(self.platform, "ok").inc()
        return result

    async def _call(self, request: Request, parse: Callable[[httpx.Response], T], cost: float,
                    account: Account | None) -> T:
        last: e.CollectError | None = None
        for attempt in range(1, self.d.max_attempts + 1):
            if account is not None and self.account_wait(account) > 0:
                raise e.AccountHeld(f"{self.platform}: {account.label} held after its credentials were refused "
                                    f"({self.refused[account.creator][2]})")
            await self._ready()
            if self.quota.remaining(self.clock.now()) == 0:
                raise e.QuotaExhausted(f"{self.platform}: daily quota spent")
            self.quota.spend(cost, self.clock.now())
            try:
                result = await self._attempt(request, parse)
            except e.CollectError as exc:
                last = exc
                metrics.COLLECTOR_REQUESTS.labels(self.platform, outcome_label(exc)).inc()
                if account is not None and isinstance(exc, e.AuthFailed):
                    self.breaker.settle()
                    if self.renew is not None and await self.renew(account):
                        raise e.TokenRenewed(f"{self.platform}: the token of {account.label} was renewed after "
                                             f"a refusal ({exc.message})") from None
                    self._refuse(account, exc)
                    raise
                if not await self._handle(exc, attempt):
                    self.breaker.settle()
                    raise
                metrics.COLLECT_RETRIES.labels(self.platform, exc.outcome).inc()
                continue
            if account is not None:
                self.refused.pop(account.creator, None)
            self.breaker.success()
            metrics.COLLECTOR_REQUESTS.labels(self.platform, "ok").inc()
            return result
        assert last is not None
        raise last

    async def _ready(self) -> None:
        """Raise CircuitOpen when the breaker refuses (nothing is sent); wait out a Retry-After pause."""
        if not self.breaker.allow():
            raise e.CircuitOpen(f"{self.platform}: circuit open ({self.last_problem})")
        pause = self.paused_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)

    async def _attempt(self, request: Request, parse: Callable[[httpx.Response], T]) -> T:
        async with self.slots:
            if self.rate is not None:
                async with self.held.waiting_for():
                    await self.rate.acquire()
            started = time.perf_counter()
            try:
                response = await self.client.request(request.method, request.path, params=request.params or None,
                                                     json=request.json, data=request.data,
                                                     headers=request.headers or None)
            except httpx.TimeoutException as exc:
                raise e.Timeout(f"{self.platform} {request.path}: {type(exc).__name__}") from None
            except httpx.HTTPError as exc:
                raise e.NetworkError(f"{self.platform} {request.path}: {type(exc).__name__}") from None
            finally:
                metrics.COLLECTOR_REQUEST_SECONDS.labels(self.platform).observe(time.perf_counter() - started)
        return parse(response)

    async def _handle(self, exc: e.CollectError, attempt: int) -> bool:
        """Act on a failed attempt; True when the request should be tried again."""
        self.last_problem = f"{exc.outcome}: {exc.message}"
        now = self.clock.now()
        if isinstance(exc, e.QuotaExhausted):
            until = self.quota.exhaust(now, exc.retry_after)
            log.warning("%s: quota exhausted until %s (event time); deferring its posts",
                        self.platform, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until)))
            return False
        if isinstance(exc, e.RiskControl):
            self.breaker.trip(self.d.risk_backoff)
            metrics.COLLECT_BACKOFF_SECONDS.labels(self.platform, "risk_control").inc(self.d.risk_backoff)
            metrics.COLLECT_RISK_CONTROL.labels(self.platform).inc()
            log.warning("%s answered with risk control / captcha (%s); leaving it alone for %.0f s. tracker does "
                        "not get around these: check the request rate and the account.",
                        self.platform, exc.message, self.d.risk_backoff)
            return False
        if isinstance(exc, e.AuthFailed):
            self.breaker.trip(self.d.breaker_cooldown)
            log.error("%s rejected the credentials (%s): set or renew TRACKER_%s_* (see `tracker settings`)",
                      self.platform, exc.message, self.platform.upper())
            return False
        if isinstance(exc, e.RateLimited) and exc.retry_after is not None and exc.retry_after > self.d.max_pause:
            self.quota.exhaust(now, exc.retry_after)
            log.warning("%s asked to wait %.0f s; treated as an exhausted quota", self.platform, exc.retry_after)
            return False
        if not isinstance(exc, e.Retryable) or attempt >= self.d.max_attempts:
            if isinstance(exc, e.Retryable):
                self.breaker.failure()
            return False
        self.breaker.failure()
        if self.breaker.state != "closed":
            log.warning("%s: circuit breaker open after %d failures (%s)", self.platform, self.breaker.failures,
                        self.last_problem)
            return False
        if isinstance(exc, e.RateLimited):
            wait = exc.retry_after if exc.retry_after is not None else self._backoff(attempt)
            self._pause(wait + random.uniform(0, 0.1 * wait + 0.05), "rate_limited")
            return True
        wait = self._backoff(attempt)
        metrics.COLLECT_BACKOFF_SECONDS.labels(self.platform, exc.outcome).inc(wait)
        await asyncio.sleep(wait)
        return True

    def _refuse(self, account: Account, exc: e.CollectError) -> None:
        """The platform refused ``account``'s credentials: hold that account alone, for the breaker's
        cooldown doubled at each refusal in a row (up to the risk backoff), and say what to renew."""
        _, times, _ = self.refused.get(account.creator, (0.0, 0, ""))
        hold = min(self.d.breaker_cooldown * 2 ** times, max(self.d.breaker_cooldown, self.d.risk_backoff))
        self.refused[account.creator] = (time.monotonic() + hold, times + 1, exc.message)
        if account.creator:
            log.error("%s rejected the credentials of creator %s (%s): renew its entry in %s; that account is "
                      "held %.0f s, the other creators' posts go on", self.platform, account.creator, exc.message,
                      VARIABLE, hold)
        else:
            log.error("%s rejected the credentials (%s): set or renew TRACKER_%s_* (see `tracker settings`); the "
                      "creators with their own entry in %s go on", self.platform, exc.message, self.platform.upper(),
                      VARIABLE)

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff: uniform(0, min(max, base · 2^attempt))."""
        return random.uniform(0, min(self.d.backoff_max, self.d.backoff_base * 2 ** attempt))

    def _pause(self, seconds: float, reason: str) -> None:
        """Hold every request of this platform for ``seconds`` (real time)."""
        seconds = min(seconds, max(self.d.max_pause, self.d.risk_backoff))
        until = time.monotonic() + seconds
        self.paused_until = max(self.paused_until, until)
        metrics.COLLECT_BACKOFF_SECONDS.labels(self.platform, reason).inc(seconds)
        if reason == "rate_limited":  # counted as it passes, once however many requests it holds
            self.held.hold(until)


def outcome_label(exc: e.CollectError) -> str:
    """The ``outcome`` label of a failed attempt: ``throttled`` for rate limits and quota answers
    (they have their own alerts), else the error class (server_error, timeout, invalid, auth...)."""
    return "throttled" if isinstance(exc, e.RateLimited | e.QuotaExhausted) else exc.outcome


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
