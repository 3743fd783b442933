"""The collector's clock: event time of observations and of the schedule.

``WallClock`` for real platforms. ``SimulatorClock`` reads the simulator's
virtual clock (``GET /_sim/clock``) and extrapolates between reads at its speed,
so ``observed_at`` is the simulated instant whose counters were served, and a
test that moves the clock moves the schedule with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Protocol

import httpx

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> float:
        """Event time, unix seconds."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def label(self) -> str: ...


class WallClock:
    """The machine's clock (real platforms report the present)."""

    label = "wall clock"

    def now(self) -> float:
        return time.time()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class SimulatorClock:
    """The simulator's virtual clock, re-read every ``interval`` real seconds."""

    def __init__(self, base_url: str, interval: float = 0.25) -> None:
        self.base_url = base_url.rstrip("/")
        self.interval = interval
        self.anchor = 0.0
        self.speed = 0.0
        self.read_at = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def label(self) -> str:
        return f"simulator clock at {self.speed:g}x"

    def now(self) -> float:
        return self.anchor + (time.monotonic() - self.read_at) * self.speed

    async def sync(self) -> float:
        """Read the simulator's clock now; returns it (unix seconds)."""
        client = self._client or httpx.AsyncClient(timeout=5)
        try:
            sent = time.monotonic()
            response = await client.get(f"{self.base_url}/_sim/clock")
            response.raise_for_status()
            body = response.json()
        finally:
            if self._client is None:
                await client.aclose()
        received = time.monotonic()
        self.speed = float(body.get("speed", 0.0))
        moment = datetime.fromisoformat(body["now"].replace("Z", "+00:00")).astimezone(UTC).timestamp()
        # the answer is truncated to the (simulated) second: a running clock is half a second on
        self.anchor = moment + (0.5 if self.speed else 0.0)
        self.read_at = (sent + received) / 2
        return self.anchor

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=5)
        await self.sync()
        self._task = asyncio.create_task(self._follow(), name="simulator-clock")

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sync()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.warning("simulator clock unreadable at %s: %s", self.base_url, type(exc).__name__)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()
