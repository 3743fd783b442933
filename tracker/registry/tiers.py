"""Creator tiers by followers (the largest account of the creator).

| tier  | followers            |
|-------|----------------------|
| koc   | below 5,000          |
| nano  | 5,000 – 19,999       |
| micro | 20,000 – 99,999      |
| mid   | 100,000 – 499,999    |
| macro | 500,000 – 1,999,999  |
| top   | 2,000,000 and more   |
"""

from __future__ import annotations

TIERS: tuple[tuple[str, int], ...] = (
    ("koc", 5_000), ("nano", 20_000), ("micro", 100_000), ("mid", 500_000), ("macro", 2_000_000),
)
NAMES = ("koc", "nano", "micro", "mid", "macro", "top")


def tier_of(followers: int) -> str:
    """The tier of a creator with this many followers."""
    for name, below in TIERS:
        if followers < below:
            return name
    return "top"
