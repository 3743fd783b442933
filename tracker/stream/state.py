"""Per-post state kept in the worker's Faust table (changelogged, so it survives restarts).

Stored as compact JSON bytes. Times are epoch milliseconds (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

METRICS: tuple[str, ...] = ("views", "likes", "comments", "shares", "saves", "searches")
ENGAGEMENT_METRICS: tuple[str, ...] = ("likes", "comments", "shares", "saves")


@dataclass(slots=True)
class PostState:
    """What the worker knows about one post.

    ``latest[metric]`` is ``[observed_at_ms, value]`` of the newest observation in
    which the metric was present; a metric never observed stays absent (null, not 0).
    ``seq`` counts applied events and versions the post's upserted rows.
    ``snap_hw`` is the highest snapshot offset applied and ``late_offsets`` the
    recent ones classified late, so a replay after a crash classifies each
    snapshot exactly as the first pass did.
    """

    tenant: str = ""
    registry: dict[str, Any] | None = None
    latest: dict[str, list[int]] = field(default_factory=dict)
    last_observed_ms: int = 0
    status: str = "ok"
    seq: int = 0
    snap_hw: int = -1
    late_offsets: list[int] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return orjson.dumps([self.tenant, self.registry, self.latest, self.last_observed_ms, self.status, self.seq,
                             self.snap_hw, self.late_offsets])

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> PostState:
        if not raw:
            return cls()
        return cls(*orjson.loads(raw))

    def totals(self) -> dict[str, int | None]:
        """Latest value per metric; None where the platform never gave it."""
        return {m: (self.latest[m][1] if m in self.latest else None) for m in METRICS}


def engagements(totals: dict[str, int | None]) -> int | None:
    """likes + comments + shares + saves over the metrics present; None when none is."""
    present = [totals[m] for m in ENGAGEMENT_METRICS if totals.get(m) is not None]
    return sum(present) if present else None  # type: ignore[arg-type]
