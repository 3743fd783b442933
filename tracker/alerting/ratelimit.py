"""Sliding-window rate limits of chat webhooks (PLATFORMS.md §11).

A channel may have several windows at once (Feishu: 5 per second *and* 100 per
minute); ``acquire`` waits until a message fits every window, so tracker never
sends the message that would get the bot throttled (DingTalk mutes it for 10
minutes).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

Window = tuple[float, int]  # (seconds, messages allowed in any span of that length)


class RateLimiter:
    """Waits so that at most ``n`` messages start within any ``seconds`` span, for each window."""

    def __init__(self, windows: Sequence[Window], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not windows or any(seconds <= 0 or n < 1 for seconds, n in windows):
            raise ValueError(f"windows must be (seconds > 0, messages >= 1) pairs, got {windows!r}")
        self.windows = tuple(windows)
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque(maxlen=max(n for _, n in windows))
        self._lock = asyncio.Lock()

    def delay(self, now: float) -> float:
        """Seconds to wait before one more message fits every window."""
        wait = 0.0
        for seconds, n in self.windows:
            if len(self._sent) >= n:
                nth_last = self._sent[-n]
                wait = max(wait, nth_last + seconds - now)
        return wait

    async def acquire(self) -> float:
        """Wait for a slot and take it; returns the seconds waited."""
        waited = 0.0
        async with self._lock:
            while True:
                now = self.clock()
                wait = self.delay(now)
                if wait <= 0:
                    self._sent.append(now)
                    return waited
                await self.sleep(wait)
                waited += wait

    def penalise(self, seconds: float) -> None:
        """After a throttling reply: treat the windows as full for ``seconds`` more."""
        until = self.clock() + seconds
        longest = max(s for s, _ in self.windows)
        for _ in range(self._sent.maxlen or 0):
            self._sent.append(until - longest)
