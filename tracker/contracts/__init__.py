"""Event contracts: raw Kafka bytes in and out, checked against ``schemas/events``.

``decode(topic, raw)`` turns bytes into a normalised dict (aware UTC datetimes
truncated to milliseconds, missing metrics as None, defaults applied) or raises
``InvalidInput`` with a reason naming the field; ``encode(topic, message)``
validates and writes the canonical bytes. The schemas are the contract; this
package adds the checks JSON Schema cannot express.
"""

from tracker.contracts.codec import decode, encode
from tracker.contracts.topics import (
    ALERTS,
    COMMENTS,
    DLQ,
    HEATING,
    POSTS,
    SNAPSHOTS,
    TOPICS,
    schema_path,
)
from tracker.contracts.vocab import METRICS, PLATFORMS

__all__ = [
    "ALERTS",
    "COMMENTS",
    "DLQ",
    "HEATING",
    "METRICS",
    "PLATFORMS",
    "POSTS",
    "SNAPSHOTS",
    "TOPICS",
    "decode",
    "encode",
    "schema_path",
]
