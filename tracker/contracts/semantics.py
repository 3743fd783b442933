"""Checks JSON Schema cannot express, and the normalisation that follows them.

Run after the schema validator (which has already filled defaults), so every
field named here is present. Per topic: timestamps become aware UTC datetimes,
integral floats such as ``5.0`` become ints, time windows must not run
backwards, and ``post_id`` must start with its ``platform``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.contracts.timestamps import format_ts, parse_ts
from tracker.contracts.topics import ALERTS, COMMENTS, DLQ, HEATING, POSTS, SNAPSHOTS
from tracker.errors import InvalidInput

Message = dict[str, Any]

VERSION_STAMPS = frozenset({"updated_at"})
"""Timestamps that version a record rather than date an event: any time is accepted."""

# Beyond 2**53 a float no longer holds every integer: refuse rather than guess.
_EXACT_FLOAT = 2**53


@dataclass(frozen=True, slots=True)
class Rules:
    """What one topic checks and normalises beyond its schema."""

    timestamps: tuple[str, ...]
    integers: tuple[str, ...] = ()
    window: tuple[str, str] | None = None  # (start, end): end must not precede start
    platform: bool = False  # post_id's prefix must equal the platform field
    extra: Callable[[Message], None] | None = None

    def apply(self, msg: Message) -> Message:
        """Check and normalise ``msg`` in place; raise ``InvalidInput`` naming the field."""
        for field in self.timestamps:
            value = msg[field]
            if value is not None:
                msg[field] = parse_ts(value, field, bounded=field not in VERSION_STAMPS)
        for field in self.integers:
            if type(msg[field]) is float:
                msg[field] = whole(msg[field], field)
        if self.platform and msg["post_id"].partition(":")[0] != msg["platform"]:
            raise InvalidInput(
                f"post_id: prefix must equal platform {msg['platform']!r} (got {msg['post_id']!r})"
            )
        if self.window is not None:
            start, end = self.window
            if msg[end] is not None and msg[end] < msg[start]:
                raise InvalidInput(
                    f"{end}: must not precede {start} "
                    f"({format_ts(msg[end])} < {format_ts(msg[start])})"
                )
        if self.extra is not None:
            self.extra(msg)
        return msg


def whole(value: float, field: str) -> int:
    """An integral float (already checked by the schema) as an int."""
    if abs(value) > _EXACT_FLOAT:
        raise InvalidInput(f"{field}: integer too large to be exact (got {value!r})")
    return int(value)


def _snapshot(msg: Message) -> None:
    metrics = msg["metrics"]
    if float in map(type, metrics.values()):  # rare; the scan runs in C
        for name, value in metrics.items():
            if type(value) is float:
                metrics[name] = whole(value, f"metrics.{name}")
    for name in msg["rounded"]:
        if metrics[name] is None:
            raise InvalidInput(f"rounded: lists {name!r} but metrics.{name} is null")


def _post(msg: Message) -> None:
    expected = f"{msg['platform']}:{msg['platform_post_id']}"
    if msg["post_id"] != expected:
        raise InvalidInput(
            f"post_id: must equal platform:platform_post_id {expected!r} (got {msg['post_id']!r})"
        )
    zone = msg["campaign_tz"]
    try:
        ZoneInfo(zone)  # zoneinfo caches loaded zones
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"campaign_tz: unknown IANA time zone (got {zone!r})") from None


RULES: dict[str, Rules] = {
    POSTS: Rules(
        timestamps=("published_at", "tracking_end", "updated_at"),
        integers=("followers",),
        window=("published_at", "tracking_end"),
        platform=True,
        extra=_post,
    ),
    HEATING: Rules(timestamps=("start", "end", "updated_at"), window=("start", "end")),
    SNAPSHOTS: Rules(
        timestamps=("observed_at", "collected_at"),
        integers=("seq",),
        platform=True,
        extra=_snapshot,
    ),
    COMMENTS: Rules(timestamps=("created_at", "collected_at"), integers=("likes",), platform=True),
    ALERTS: Rules(
        timestamps=("starts_at", "ends_at", "emitted_at"), window=("starts_at", "ends_at")
    ),
    DLQ: Rules(timestamps=("rejected_at",), integers=("partition", "offset", "payload_bytes")),
}
