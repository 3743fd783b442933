"""``decode`` and ``encode``: the only way messages enter and leave Kafka.

decode = orjson parse -> compiled schema validator (fills defaults) ->
semantic checks and normalisation. Any failure is ``InvalidInput`` with a
reason that names the field; the stream sends it to the DLQ.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from fastjsonschema import JsonSchemaValueException

from tracker.contracts.reasons import reason
from tracker.contracts.semantics import RULES, Message
from tracker.contracts.timestamps import format_ts
from tracker.contracts.topics import schema_path, validator
from tracker.errors import InvalidInput

_DUMP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def decode(topic: str, raw: bytes | None) -> Message:
    """Parse and validate the raw value of one message of ``topic``.

    Returns a new dict: timestamps as aware UTC datetimes (ms), missing metric
    keys and optional fields as None (never 0), defaults applied. Raises
    ``InvalidInput(reason)`` for empty, non-JSON or contract-violating bytes and
    ``ConfigError`` for an unknown topic.
    """
    check = validator(topic)
    if not raw:
        raise InvalidInput("empty message: no value (a tombstone?)")
    try:
        msg = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc}") from None
    try:
        check(msg)
    except JsonSchemaValueException as exc:
        raise InvalidInput(reason(exc)) from None
    return RULES[topic].apply(msg)


def encode(topic: str, message: dict[str, Any]) -> bytes:
    """Validate ``message`` and serialise its canonical form with orjson.

    Accepts datetimes (aware; written as ``...T..:..:..mmmZ`` in UTC) or RFC3339
    strings, and Decimal amounts. The output is the normalised message, so
    ``decode(topic, encode(topic, m))`` equals ``decode`` of any valid encoding
    of ``m``. Raises ``InvalidInput`` like ``decode``.
    """
    schema_path(topic)  # unknown topic -> ConfigError before anything else
    return _dumps(decode(topic, _dumps(message)))


def _dumps(message: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(message, default=_to_json, option=_DUMP_OPTIONS)
    except orjson.JSONEncodeError as exc:
        cause = exc.__cause__
        if isinstance(cause, InvalidInput):
            raise cause from None
        raise InvalidInput(f"not serialisable: {cause or exc}") from None


def _to_json(value: Any) -> str:
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
