"""Per-post state kept in the worker's Faust table (changelogged, so it survives restarts).

Stored as compact JSON bytes. Times are epoch milliseconds (UTC).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import orjson

_LEN = struct.Struct("<I")
HEAD_FIELDS = 11
"""Fields of a state's JSON head: ``PostState``'s, in order, up to ``open_alerts``."""

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
    heat_currency: str = ""
    """Currency of the post's latest heating node not cancelled (the re-heat suggestion's); a pulse
    row's currency is that of its own nodes (``insights.pulse_spend``)."""
    heating: dict[str, list[Any]] = field(default_factory=dict)
    """The post's heating nodes as stored (JSON values), re-emitted when the registry names the campaign."""
    open_alerts: dict[str, int] = field(default_factory=dict)
    """When each of the post's open alerts fired (alert id -> epoch ms): its resolve keeps that start."""
    analytics: bytes = b""
    """The post's ``PostAnalytics`` in its binary form (decoded once per batch)."""
    live: Any = field(default=None, compare=False)
    """The decoded ``PostAnalytics`` while a batch works on it (not serialised)."""

    def to_bytes(self) -> bytes:
        if self.live is not None:
            self.analytics = self.live.to_bytes()
        head = orjson.dumps([self.tenant, self.registry, self.latest, self.last_observed_ms, self.status, self.seq,
                             self.snap_hw, self.late_offsets, self.heat_currency, self.heating,
                             self.open_alerts])
        return _LEN.pack(len(head)) + head + self.analytics

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> PostState:
        if not raw:
            return cls()
        (size,) = _LEN.unpack_from(raw)
        # a 12th field (alert changes kept until their batch was stored) is left by states written
        # before the changelog followed the insert: a replay re-derives those changes now
        state = cls(*orjson.loads(raw[_LEN.size:_LEN.size + size])[:HEAD_FIELDS])
        state.analytics = bytes(raw[_LEN.size + size:])
        return state

    def totals(self) -> dict[str, int | None]:
        """Latest value per metric; None where the platform never gave it."""
        return {m: (self.latest[m][1] if m in self.latest else None) for m in METRICS}


def engagements(totals: dict[str, int | None]) -> int | None:
    """likes + comments + shares + saves over the metrics present; None when none is."""
    present = [totals[m] for m in ENGAGEMENT_METRICS if totals.get(m) is not None]
    return sum(present) if present else None  # type: ignore[arg-type]
