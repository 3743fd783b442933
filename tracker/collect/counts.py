"""Counters as platforms write them: numbers, digit strings, or rounded display texts."""

from __future__ import annotations

import math
import re
from typing import Any

from tracker.collect import errors as e

_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([千万wW亿kKmM]?)(\+?)\s*$")
_UNIT = {"": 1, "千": 1_000, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000,
         "m": 1_000_000, "M": 1_000_000}


def count(value: Any, field: str, platform: str) -> tuple[int | None, bool]:
    """A counter from a number or a display text: (value, rounded).

    ``"1.2万"`` → (12000, True): the platform rounded it (down to 0.1 万), so the
    value is a lower bound; so is anything capped with a ``+`` (``"999+"`` → (999, True),
    ``"10万+"``). Plain digit strings (YouTube) are exact. None stays None.
    Anything else is an InvalidResponse.
    """
    if value is None:
        return None, False
    if isinstance(value, bool):
        raise e.InvalidResponse(f"{platform}: {field} is a boolean")
    if isinstance(value, int):
        if value < 0:
            raise e.InvalidResponse(f"{platform}: {field} is negative ({value})")
        return value, False
    if isinstance(value, float) and math.isfinite(value) and value >= 0 and value.is_integer():
        return int(value), False
    if isinstance(value, str):
        match = _COUNT.match(value.replace(",", ""))
        if match:
            number, unit, capped = match.groups()
            if not unit and "." not in number and not capped:
                return int(number), False
            return int(round(float(number) * _UNIT[unit])), True
    raise e.InvalidResponse(f"{platform}: {field} is not a count ({value!r:.40})")
