"""``decode_snapshot``: the hot topic's decoder, ``decode(SNAPSHOTS, raw)`` in a few µs.

Snapshots are most of what the worker reads, so their common shape is decoded
and validated by msgspec (C, one pass over the bytes) into a struct built from
the schema file itself: the same enums, patterns, lengths and minimums, no
unknown fields. Timestamps must have the canonical RFC3339 shape and are
parsed by the same ``parse_ts`` as the general path. Whatever this path does
not accept — a violation, an integral float, a leap second, a lower-case
``t`` — goes through ``decode``, which accepts it or names the reason. So the
result is always exactly what ``decode`` returns (a unit test checks both on
every example and on generated messages); only the speed differs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from tracker.contracts.codec import decode
from tracker.contracts.semantics import Message
from tracker.contracts.timestamps import parse_ts
from tracker.contracts.topics import SNAPSHOTS, load_schema
from tracker.contracts.vocab import METRICS
from tracker.errors import InvalidInput

# A subset of the schema's date-time format: 2026-11-01T08:00:00[.fff…](Z|±hh:mm).
_CANONICAL_TS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z"

_MAX_JSON_INT = 2**63 - 1  # msgspec bounds are int64; larger counts take the general path


def _string(spec: dict[str, Any]) -> Any:
    """A msgspec type for a JSON Schema string definition (enum, pattern, lengths)."""
    if "enum" in spec:
        return Literal[tuple(spec["enum"])]
    pattern = spec.get("pattern")
    if pattern is not None and pattern.endswith("$"):  # the schema's "$" is the end of the string, not of a line
        pattern = pattern[:-1] + r"\Z"
    meta = {"pattern": pattern, "min_length": spec.get("minLength"), "max_length": spec.get("maxLength")}
    return Annotated[str, msgspec.Meta(**{k: v for k, v in meta.items() if v is not None})]


def _build() -> msgspec.json.Decoder[Any]:
    schema = load_schema(SNAPSHOTS)
    defs, props = schema["definitions"], schema["properties"]
    count = Annotated[int, msgspec.Meta(ge=defs["count_or_null"]["minimum"], le=_MAX_JSON_INT)] | None
    metric_names = list(props["metrics"]["properties"])
    metrics = msgspec.defstruct("SnapshotMetrics", [(name, count, None) for name in metric_names],
                                forbid_unknown_fields=True)
    timestamp = Annotated[str, msgspec.Meta(pattern=_CANONICAL_TS)]
    rounded: Any = list[Literal[tuple(props["rounded"]["items"]["enum"])]]  # type: ignore[misc,valid-type]
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        ("tenant", _string(defs["tenant"])),
        ("post_id", _string(defs["post_id"])),
        ("platform", _string(defs["platform"])),
        ("observed_at", timestamp),
        ("source", _string(props["source"])),
        ("metrics", metrics),
        ("collected_at", timestamp | None, None),
        ("rounded", rounded, msgspec.field(default_factory=list)),
        ("status", _string(props["status"]), props["status"]["default"]),
        ("seq", Annotated[int, msgspec.Meta(ge=props["seq"]["minimum"], le=_MAX_JSON_INT)] | None, None),
    ]
    required = {f[0] for f in fields if len(f) == 2}
    if {f[0] for f in fields} != set(props) or set(schema["required"]) != required or tuple(metric_names) != METRICS:
        raise RuntimeError("tracker.contracts.fast is out of step with the snapshot schema; update _build")
    struct = msgspec.defstruct("Snapshot", fields, forbid_unknown_fields=True)
    return msgspec.json.Decoder(struct)


_DECODER = _build()


def decode_snapshot(raw: bytes | None) -> Message:
    """``decode(SNAPSHOTS, raw)``, fast for the common shape; raises ``InvalidInput`` like it."""
    if not raw:
        return decode(SNAPSHOTS, raw)
    try:
        s = _DECODER.decode(raw)
        rounded = s.rounded
        m = s.metrics
        metrics = {"views": m.views, "likes": m.likes, "comments": m.comments, "shares": m.shares,
                   "saves": m.saves, "searches": m.searches}
        if s.post_id.partition(":")[0] != s.platform or (rounded and (
                len(set(rounded)) != len(rounded) or any(metrics[name] is None for name in rounded))):
            return decode(SNAPSHOTS, raw)
        return {
            "tenant": s.tenant, "post_id": s.post_id, "platform": s.platform,
            "observed_at": parse_ts(s.observed_at, "observed_at"), "source": s.source, "metrics": metrics,
            "collected_at": None if s.collected_at is None else parse_ts(s.collected_at, "collected_at"),
            "rounded": rounded, "status": s.status, "seq": s.seq,
        }
    except (msgspec.DecodeError, InvalidInput):
        return decode(SNAPSHOTS, raw)
