"""The virtual clock: frozen unless moved, or running at a set speed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tracker.simulate.clock import VirtualClock, iso, parse_time

START = datetime(2025, 9, 8, tzinfo=UTC)


def test_frozen_clock_moves_only_when_told() -> None:
    clock = VirtualClock(START)
    assert clock.now() == START and clock.now().tzinfo is not None
    assert clock.advance(timedelta(days=30)) == START + timedelta(days=30)
    assert clock.advance(1.5) == START + timedelta(days=30, hours=1.5)
    assert clock.set("2025-09-01T00:00:00Z") == datetime(2025, 9, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_running_clock_is_faster_than_real_time_and_keeps_time_on_speed_change() -> None:
    clock = VirtualClock(START, speed=3600.0)
    time.sleep(0.01)
    moved = clock.now()
    assert moved > START
    clock.set_speed(0)
    frozen = clock.now()
    assert frozen >= moved and clock.now() == frozen
    clock.advance(2)
    assert clock.now() == frozen + timedelta(hours=2)


def test_parse_and_format_utc() -> None:
    assert parse_time("2025-09-01T08:00:00+08:00") == datetime(2025, 9, 1, tzinfo=UTC)
    assert parse_time("2025-09-01T00:00:00") == datetime(2025, 9, 1, tzinfo=UTC)
    assert iso(datetime(2025, 9, 1, 12, tzinfo=UTC)) == "2025-09-01T12:00:00Z"
