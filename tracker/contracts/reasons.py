"""Short, human-readable reasons from schema violations, naming the field.

``metrics.views: must be an integer >= 0 or null (got -5)`` reads better in a
DLQ row than fastjsonschema's ``data.metrics.views must be bigger than or
equal to 0``.
"""

from datetime import datetime
from typing import Any

from fastjsonschema import JsonSchemaValueException

MAX_REASON = 500  # characters; the reason ends up in a DLQ row

_ARTICLE = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def reason(exc: JsonSchemaValueException) -> str:
    """The reason of one violation: ``<field path>: <what is expected> (got <value>)``."""
    return _reason(exc)[:MAX_REASON]


def _reason(exc: JsonSchemaValueException) -> str:
    name = exc.name or "data"
    path = _path(name)
    rule = exc.rule
    rules: dict[str, Any] = exc.definition or {}
    value = exc.value
    if rule == "required":
        missing = [key for key in rules.get("required", ()) if key not in value]
        return f"{_join(path, missing)}: required field missing"
    if rule == "additionalProperties":
        unknown = sorted(set(value) - set(rules.get("properties", {})))
        return f"{_join(path, unknown)}: unknown field"
    where = path or "message"
    if rule in ("type", "minimum"):
        return f"{where}: must be {_expected(rules)} (got {_got(value)})"
    if rule == "enum":
        return f"{where}: must be one of {', '.join(map(str, rules['enum']))} (got {_got(value)})"
    if rule == "format":
        return f"{where}: {_bad_timestamp(value)} (got {_got(value)})"
    if rule == "pattern":
        wanted = rules.get("description") or f"a string matching {rules['pattern']}"
        return f"{where}: must be {wanted} (got {_got(value)})"
    if rule == "maxLength":
        return f"{where}: must be at most {rules['maxLength']} characters (got {len(value)})"
    if rule == "minLength":
        if rules["minLength"] == 1:
            return f"{where}: must not be empty"
        return f"{where}: must be at least {rules['minLength']} characters (got {_got(value)})"
    detail = exc.message.removeprefix(name).strip()
    return f"{where}: {detail} (got {_got(value)})"


def _path(name: str) -> str:
    """``data.metrics.views`` -> ``metrics.views``; the root is ``""``."""
    return name.removeprefix("data").removeprefix(".")


def _join(path: str, keys: list[str], shown: int = 5) -> str:
    """``metrics.plays, metrics.reads``: at most ``shown`` keys, then a count."""
    names = [key if key.isprintable() else repr(key) for key in keys[:shown]]
    joined = ", ".join(f"{path}.{name}" if path else name for name in names)
    if len(keys) > shown:
        joined += f" (+{len(keys) - shown} more)"
    return joined or path or "message"


def _expected(rules: dict[str, Any]) -> str:
    """``an integer >= 0 or null`` from ``{"type": ["integer", "null"], "minimum": 0}``."""
    types = rules.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    words = []
    for name in types:
        word = _ARTICLE.get(name, name)
        if name in ("integer", "number") and "minimum" in rules:
            word += f" >= {rules['minimum']}"
        words.append(word)
    if "null" in types:  # "null" last reads best
        words.remove("null")
        words.append("null")
    return " or ".join(words) or f"a value >= {rules.get('minimum')}"


def _bad_timestamp(value: Any) -> str:
    try:
        naive = datetime.fromisoformat(value).tzinfo is None
    except (TypeError, ValueError):
        naive = False
    if naive:
        return "naive timestamp, needs an offset or Z"
    return "must be a valid RFC3339 date-time with an offset or Z"


def _got(value: Any) -> str:
    """A short JSON-ish rendering of the offending value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return repr(value)
