"""How often a post is refreshed, and how much a fresh value of it matters (pure; event time).

Dense while a post is young or heated, sparser as it ages, stopped at the end of
tracking. Defaults (``TRACKER_COLLECT_CADENCE``…): every 15 min for the first 6 h,
30 min until 24 h, hourly through the 72 h burst window, every 3 h for the first
week, 6 h for the first month, 12 h after; every 15 min inside a heating window
and for 24 h after it (the pulse's rise and peak). A heating start between two
refreshes pulls the next one forward to the start, so every onset is bracketed;
the last refresh is at the end of tracking.

Priority classes (quota order): 0 heated, 1 young (< 72 h), 2 ageing (< 7 d), 3 old.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.settings import Settings

HOUR = 3600.0
PRIORITIES = ("heated", "young", "ageing", "old")
YOUNG_HOURS = 72.0  # the burst window of DESIGN.md
AGEING_HOURS = 168.0


@dataclass(frozen=True)
class Cadence:
    """Refresh intervals in event time."""

    steps: tuple[tuple[float, float], ...] = ((6, 15), (24, 30), (72, 60), (168, 180), (720, 360))
    old_minutes: float = 720.0
    heated_minutes: float = 15.0
    heating_tail_hours: float = 24.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Cadence:
        steps = tuple(sorted((float(a), float(m)) for a, m in settings.collect_cadence))
        return cls(steps, settings.collect_old_minutes, settings.collect_heated_minutes,
                   settings.collect_heating_tail_hours)

    def interval(self, age_hours: float, heated: bool) -> float:
        """Seconds until the next refresh of a post of this age (hours)."""
        minutes = self.old_minutes
        for below, every in self.steps:
            if age_hours < below:
                minutes = every
                break
        if heated:
            minutes = min(minutes, self.heated_minutes)
        return max(1.0, minutes * 60.0)

    @property
    def longest(self) -> float:
        """Seconds of the longest interval between two refreshes of a tracked post."""
        return max(1.0, 60.0 * max(self.old_minutes, self.heated_minutes, *(every for _, every in self.steps)))

    def heated(self, heats: Iterable[tuple[float, float]], now: float) -> bool:
        """Inside a heating window [start, end + tail) at ``now`` (unix seconds)."""
        tail = self.heating_tail_hours * HOUR
        return any(start <= now < end + tail for start, end in heats)

    def next_due(self, now: float, published: float, end: float,
                 heats: Sequence[tuple[float, float]] = ()) -> float | None:
        """When to refresh after an observation at ``now``; None once tracking has ended."""
        if now >= end:
            return None
        if now < published:
            return published
        due = now + self.interval((now - published) / HOUR, self.heated(heats, now))
        for start, _ in heats:
            if now < start < due:
                due = start
        return min(due, end)


def priority(age_hours: float, heated: bool) -> int:
    """0 heated, 1 young, 2 ageing, 3 old: the order in which a short quota is spent."""
    if heated:
        return 0
    if age_hours < YOUNG_HOURS:
        return 1
    return 2 if age_hours < AGEING_HOURS else 3
