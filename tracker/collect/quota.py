"""A platform's daily request budget, spent where a fresh value matters most.

Units reset at midnight in the platform's quota zone (YouTube: Pacific time;
TikTok Research: UTC; Chinese platforms: Beijing time), measured on the
collector's clock (event time: the simulator's clock in the demo and tests).

Priority classes (``cadence.priority``): 0 heated, 1 young, 2 ageing, 3 old. A
call of class ``c`` may spend only while what stays after it is at least
``RESERVE[c] × daily × (fraction of the day left)``: as the budget runs short the
old posts are deferred first, then the ageing ones; the young and the heated are
deferred only when nothing is left at all. The reserve shrinks with the day, so
a budget that suffices is spent evenly instead of by whoever came first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

RESERVE: tuple[float, ...] = (0.0, 0.05, 0.25, 0.5)  # by priority class: heated, young, ageing, old
DAY = 86400.0


class Quota:
    """Units spent today; ``daily`` None means the platform documents no daily cap."""

    def __init__(self, daily: float | None, zone: str = "UTC") -> None:
        self.daily = daily if daily and daily > 0 else None
        self.zone = ZoneInfo(zone)
        self.spent = 0.0
        self.day_end = 0.0  # unix seconds at which the current quota day ends
        self.blocked_until = 0.0  # the platform said the quota is exhausted until then

    def _roll(self, now: float) -> None:
        if now >= self.day_end:
            local = datetime.fromtimestamp(now, UTC).astimezone(self.zone)
            midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            self.day_end = midnight.timestamp()
            self.spent = 0.0

    def remaining(self, now: float) -> float | None:
        """Units left today (None: unlimited); 0 while the platform says it is exhausted."""
        self._roll(now)
        if now < self.blocked_until:
            return 0.0
        return None if self.daily is None else max(0.0, self.daily - self.spent)

    def allows(self, priority: int, cost: float, now: float) -> bool:
        """Whether a call of this priority class and cost may be made now."""
        left = self.remaining(now)
        if left is None:
            return True
        if left < cost:
            return False
        assert self.daily is not None
        share = RESERVE[min(priority, len(RESERVE) - 1)]
        day_left = max(0.0, min(1.0, (self.day_end - now) / DAY))
        return left - cost >= share * self.daily * day_left

    def spend(self, cost: float, now: float) -> None:
        self._roll(now)
        self.spent += cost

    def exhaust(self, now: float, retry_after: float | None = None) -> float:
        """The platform said the budget is spent: block until ``retry_after`` or the reset; returns until."""
        self._roll(now)
        until = now + retry_after if retry_after else self.day_end
        self.blocked_until = max(self.blocked_until, until)
        if self.daily is not None:
            self.spent = max(self.spent, self.daily)
        return self.blocked_until
