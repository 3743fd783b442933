"""The simulator's virtual clock.

Everything the simulator serves is a function of ``clock.now()``: counters
are the cumulative counts up to that instant, so moving the clock 30 days
ahead is instant. Tests keep the clock frozen (``speed=0``) and move it with
``advance``/``set``; the demo runs it ``speed`` times faster than real time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


def parse_time(value: str | datetime) -> datetime:
    """An aware UTC datetime from ISO-8601 text (``Z`` accepted) or a datetime.

    Naive values are taken as UTC.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso(dt: datetime) -> str:
    """RFC 3339 text in UTC with a ``Z`` suffix, to the second."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class VirtualClock:
    """Simulated UTC time: frozen unless moved, or running ``speed``× real time.

    ``now() = anchor + (monotonic() - real_anchor) * speed`` where the anchors
    are reset by every ``set``, ``advance`` and ``set_speed``, so a running
    clock never jumps backwards when its speed changes. Thread-safe.
    """

    def __init__(self, start: datetime | str, speed: float = 0.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._anchor = parse_time(start)
        self._real_anchor = time.monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        """Simulated seconds per real second (0 = frozen)."""
        return self._speed

    def now(self) -> datetime:
        """The current simulated time (aware, UTC)."""
        with self._lock:
            return self._now_locked()

    def timestamp(self) -> float:
        """The current simulated time as unix seconds."""
        return self.now().timestamp()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move simulated time forward by ``delta`` (a timedelta or hours); returns now."""
        step = delta if isinstance(delta, timedelta) else timedelta(hours=float(delta))
        if step < timedelta(0):
            raise ValueError("the virtual clock only moves forward")
        with self._lock:
            self._rebase(self._now_locked() + step)
            return self._anchor

    def set(self, when: datetime | str) -> datetime:
        """Jump to ``when`` (backwards allowed: tests replay); returns now."""
        with self._lock:
            self._rebase(parse_time(when))
            return self._anchor

    def set_speed(self, speed: float) -> None:
        """Change the speed without moving the current simulated time."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._rebase(self._now_locked())
            self._speed = float(speed)

    def _now_locked(self) -> datetime:
        if self._speed == 0:
            return self._anchor
        elapsed = (time.monotonic() - self._real_anchor) * self._speed
        return self._anchor + timedelta(seconds=elapsed)

    def _rebase(self, when: datetime) -> None:
        self._anchor = when
        self._real_anchor = time.monotonic()
