"""What Grafana does to a panel's query before it reaches the store or Prometheus.

Grafana's ClickHouse plugin (v4) expands ``$__conditionalAll`` and template
variables in the browser and its macros (``$__timeFilter(c)`` …) in the
backend (PLATFORMS.md §12). ``expand_sql`` does all three, so that tests and
``tracker dashboards check`` can run every dashboard query as Grafana would;
``expand_promql`` does the same for Prometheus panels. Times are UTC.

As the plugin's, ``$__timeInterval``/``$__timeGroup`` align on the UTC epoch and ``$__dateFilter`` takes
UTC days: the boards do not use them, and bucket by the campaign's time zone instead
(``tracker.ops.dashboards.zone_bucket``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

ALL = "$__all"  # a variable set to "All"
Value = str | Sequence[str]


@dataclass(frozen=True, slots=True)
class TimeRange:
    """The dashboard's time range and the panel's interval (seconds, at least 1)."""

    start: datetime
    end: datetime
    interval_s: int = 60

    @property
    def from_s(self) -> int:
        return int(self.start.timestamp())

    @property
    def to_s(self) -> int:
        return int(self.end.timestamp())

    @property
    def from_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def to_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    def day(self, moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d")


# -- template variables (Grafana's frontend) -------------------------------------------------

_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(?!__)(\w+)")


def _values(value: Value, all_values: Sequence[str]) -> list[str]:
    if value == ALL:
        return list(all_values)
    return [value] if isinstance(value, str) else list(value)


def _format(values: list[str], fmt: str | None) -> str:
    if fmt == "singlequote":
        return ",".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "regex":
        return "(" + "|".join(re.escape(v) for v in values) + ")" if len(values) > 1 else re.escape(values[0])
    if fmt == "pipe":
        return "|".join(values)
    return ",".join(values)  # raw, csv, default


def interpolate(text: str, variables: Mapping[str, Value],
                all_values: Mapping[str, Sequence[str]] | None = None) -> str:
    """Replace ``$var``, ``${var}``, ``${var:format}`` (singlequote, doublequote, csv, regex,
    pipe, raw) by their values; unknown names are left as they are."""
    all_values = all_values or {}

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3) or m.group(5)
        fmt = m.group(2) or m.group(4)
        if name not in variables:
            return m.group(0)
        return _format(_values(variables[name], all_values.get(name, ())), fmt)

    return _VARIABLE.sub(repl, text)


# -- macros with arguments: $__name(arg, arg) with balanced parentheses -----------------------

def _calls(text: str, name: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, args) of every ``$__name(...)`` in ``text``; args split at top-level commas."""
    out = []
    token = f"$__{name}("
    i = text.find(token)
    while i >= 0:
        j = i + len(token)
        depth, args, current = 1, [], []
        quote: str | None = None
        while j < len(text) and depth:
            ch = text[j]
            if quote:
                current.append(ch)
                if ch == quote and text[j - 1] != "\\":
                    quote = None
            elif ch in "'\"":
                quote = ch
                current.append(ch)
            elif ch == "(":
                depth += 1
                current.append(ch)
            elif ch == ")":
                depth -= 1
                if depth:
                    current.append(ch)
            elif ch == "," and depth == 1:
                args.append("".join(current).strip())
                current = []
            else:
                current.append(ch)
            j += 1
        if depth:
            raise ValueError(f"unbalanced parentheses in $__{name}(…) at offset {i}")
        args.append("".join(current).strip())
        out.append((i, j, args))
        i = text.find(token, j)
    return out


def _replace_calls(text: str, name: str, fn: Callable[[list[str]], str]) -> str:
    for start, end, args in reversed(_calls(text, name)):
        text = text[:start] + fn(args) + text[end:]
    return text


def conditional_all(text: str, variables: Mapping[str, Value]) -> str:
    """``$__conditionalAll(cond, $v)`` → ``cond``, or ``1=1`` when ``$v`` is set to All."""

    def repl(args: list[str]) -> str:
        if len(args) != 2:
            raise ValueError(f"$__conditionalAll takes (condition, $variable), got {args!r}")
        name = args[1].strip().lstrip("$").strip("{}")
        return "1=1" if variables.get(name) == ALL else args[0]

    return _replace_calls(text, "conditionalAll", repl)


_DURATION = re.compile(r"^'?(\d+)(ms|s|m|h|d|w)'?$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def seconds(duration: str) -> int:
    """``'5m'`` → 300 (Grafana's duration strings; ms rounds up to 1 s)."""
    m = _DURATION.match(duration.strip())
    if not m:
        raise ValueError(f"not a duration: {duration!r} (use e.g. 30s, 5m, 1h)")
    n, unit = int(m.group(1)), m.group(2)
    return max(1, -(-n // 1000)) if unit == "ms" else n * _UNIT_S[unit]


def macros(text: str, tr: TimeRange) -> str:
    """The ClickHouse plugin's backend macros (PLATFORMS.md §12); unknown ones are left unchanged."""
    f_s, t_s = f"toDateTime({tr.from_s})", f"toDateTime({tr.to_s})"
    f_ms, t_ms = f"fromUnixTimestamp64Milli({tr.from_ms})", f"fromUnixTimestamp64Milli({tr.to_ms})"
    d_from, d_to = f"toDate('{tr.day(tr.start)}')", f"toDate('{tr.day(tr.end)}')"
    n = max(1, tr.interval_s)

    def one(name: str, fn: Callable[[str], str]) -> Callable[[list[str]], str]:
        def apply(args: list[str]) -> str:
            if len(args) != 1 or not args[0]:
                raise ValueError(f"$__{name} takes one column, got {args!r}")
            return fn(args[0])
        return apply

    def date_time(args: list[str]) -> str:
        if len(args) != 2:
            raise ValueError(f"$__dateTimeFilter takes (date column, time column), got {args!r}")
        d, t = args
        return f"({d} >= {d_from} AND {d} <= {d_to}) AND ({t} >= {f_s} AND {t} <= {t_s})"

    def time_group(args: list[str]) -> str:
        if len(args) != 2:
            raise ValueError(f"$__timeGroup takes (column, interval), got {args!r}")
        return f"toStartOfInterval(toDateTime({args[0]}), INTERVAL {seconds(args[1])} second)"

    # longer names first, so $__timeFilter_ms is not read as $__timeFilter
    text = _replace_calls(text, "timeFilter_ms", one("timeFilter_ms", lambda c: f"{c} >= {f_ms} AND {c} <= {t_ms}"))
    text = _replace_calls(text, "timeFilter", one("timeFilter", lambda c: f"{c} >= {f_s} AND {c} <= {t_s}"))
    text = _replace_calls(text, "dateTimeFilter", date_time)
    text = _replace_calls(text, "dt", date_time)
    text = _replace_calls(text, "dateFilter", one("dateFilter", lambda c: f"{c} >= {d_from} AND {c} <= {d_to}"))
    text = _replace_calls(text, "timeInterval_ms", one(
        "timeInterval_ms", lambda c: f"toStartOfInterval(toDateTime64({c}, 3), INTERVAL {n * 1000} millisecond)"))
    text = _replace_calls(text, "timeInterval", one(
        "timeInterval", lambda c: f"toStartOfInterval(toDateTime({c}), INTERVAL {n} second)"))
    text = _replace_calls(text, "timeFrom", one("timeFrom", lambda c: f"{c} >= {f_s}"))
    text = _replace_calls(text, "timeTo", one("timeTo", lambda c: f"{c} <= {t_s}"))
    text = _replace_calls(text, "timeGroup", time_group)
    plain = {
        "fromTime_ms": f_ms, "toTime_ms": t_ms, "fromTime": f_s, "toTime": t_s,
        "interval_s": str(n), "interval_ms": str(n * 1000), "interval": f"{n}s",
    }
    for name, value in plain.items():  # longest first: fromTime_ms before fromTime
        text = re.sub(rf"\$__{name}(?:\(\s*\))?(?!\w)", value, text)
    return text


def expand_sql(sql: str, tr: TimeRange, variables: Mapping[str, Value] | None = None,
               all_values: Mapping[str, Sequence[str]] | None = None) -> str:
    """A ClickHouse panel query as the store receives it from Grafana."""
    variables = variables or {}
    return macros(interpolate(conditional_all(sql, variables), variables, all_values), tr)


def expand_promql(expr: str, variables: Mapping[str, Value] | None = None,
                  all_values: Mapping[str, Sequence[str]] | None = None, *, rate_interval: str = "1m",
                  interval: str = "15s", range_s: int = 3600) -> str:
    """A Prometheus panel expression as Prometheus receives it from Grafana (multi-value and
    All variables in regex form, as Grafana formats them for Prometheus)."""
    builtins = {"__rate_interval": rate_interval, "__interval": interval, "__range": f"{range_s}s",
                "__range_s": str(range_s)}
    for name, value in builtins.items():
        expr = re.sub(rf"\$\{{{name}\}}|\${name}(?!\w)", value, expr)
    variables = variables or {}
    all_values = all_values or {}

    def regex(name: str) -> str:
        value = variables[name]
        if value == ALL:
            return ".*"
        return _format(_values(value, all_values.get(name, ())), "regex")

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3) or m.group(5)
        if name not in variables:
            return m.group(0)
        return regex(name)

    return _VARIABLE.sub(repl, expr)
