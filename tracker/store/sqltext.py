"""Just enough SQL lexing: comments, statement boundaries, a trailing FORMAT.

Quotes (``'…'``, ``"…"``, `` `…` `` with backslash escapes) are respected so
that ``;``, ``--`` or ``FORMAT`` inside a literal never count.

Whether a reader's query is one statement is the engine's call, not this
lexer's: ``PARSE_QUERY`` asks the engine to parse it (``formatQuery``), and
``parse_refusal`` words the engine's refusal as if it had run the text.
"""

from __future__ import annotations

import re

_TRAILING_FORMAT = re.compile(r"\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*$", re.IGNORECASE)
_LEADING_WORD = re.compile(r"^\s*\(*\s*([A-Za-z]+)")
RESULT_STATEMENTS = frozenset({"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXISTS", "EXPLAIN"})

PARSE_QUERY = "SELECT formatQuery({q:String})"
"""The engine's parse of a query text bound as ``q``: one statement (a trailing ``;`` is fine),
formatted, its FORMAT clause on the last line; several statements are a syntax error."""
MULTI_STATEMENTS = "Multi-statements are not allowed"
_ERROR_END = r"(?= \([A-Z][A-Z0-9_]*\)(?: \(version [^)]*\))?$)"  # before the final "(NAME)"
_IN_SCOPE = re.compile(r"(?:\. )?: In scope SELECT formatQuery\(.*\)\." + _ERROR_END, re.DOTALL)


def _pieces(sql: str) -> list[tuple[str, str]]:
    """(kind, text) pieces: kind is 'code', 'quoted', 'comment' or 'end' (a ``;``)."""
    out: list[tuple[str, str]] = []
    i, n, start = 0, len(sql), 0

    def flush(upto: int) -> None:
        if upto > start:
            out.append(("code", sql[start:upto]))

    while i < n:
        ch, pair = sql[i], sql[i : i + 2]
        if pair == "--":
            flush(i)
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(("comment", sql[i:end]))
            i = start = end
        elif pair == "/*":
            flush(i)
            end = sql.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated /* comment")
            out.append(("comment", sql[i : end + 2]))
            i = start = end + 2
        elif ch in "'\"`":
            flush(i)
            j = i + 1
            while j < n and sql[j] != ch:
                j += 2 if sql[j] == "\\" else 1
            if j >= n:
                raise ValueError(f"unterminated {ch} quote")
            out.append(("quoted", sql[i : j + 1]))
            i = start = j + 1
        elif ch == ";":
            flush(i)
            out.append(("end", ";"))
            i = start = i + 1
        else:
            i += 1
    flush(n)
    return out


def split_statements(sql: str) -> list[str]:
    """Statements of ``sql`` split on ``;`` outside quotes, comments removed."""
    statements: list[str] = []
    current: list[str] = []
    for kind, text in _pieces(sql):
        if kind == "end":
            statements.append("".join(current))
            current = []
        elif kind == "comment":
            current.append(" ")
        else:
            current.append(text)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def parse_refusal(message: str) -> str:
    """The engine's refusal of a text given to ``PARSE_QUERY``, worded as when the engine parses
    the text itself (without the ``In scope SELECT formatQuery(…)`` of the call); several
    statements are told to come one per query."""
    text = _IN_SCOPE.sub(".", message.strip())
    if MULTI_STATEMENTS in text:
        text = re.sub(_ERROR_END, " Send one statement per query (a trailing semicolon is fine).", text, count=1)
    return text


def strip_comments(sql: str) -> str:
    """``sql`` without comments and without trailing ``;`` and whitespace."""
    kept = [" " if kind == "comment" else text for kind, text in _pieces(sql)]
    return "".join(kept).strip().rstrip(";").rstrip()


def trailing_format(sql: str) -> str | None:
    """The format named by a FORMAT clause ending ``sql``, if any."""
    try:
        tail = [(k, t) for k, t in _pieces(sql) if k not in ("comment", "end")]
    except ValueError:
        return None
    code = tail[-1][1] if tail and tail[-1][0] == "code" else ""
    match = _TRAILING_FORMAT.search(code)
    return match.group(1) if match else None


def produces_result(sql: str) -> bool:
    """True for statements that return a result set (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN)."""
    try:
        code = strip_comments(sql)
    except ValueError:
        return False
    match = _LEADING_WORD.match(code)
    return match is not None and match.group(1).upper() in RESULT_STATEMENTS


def with_default_format(sql: str, default_format: str) -> tuple[str, str | None]:
    """``sql`` ready to run and the format of its output.

    As ClickHouse's HTTP interface does: a FORMAT clause in the query wins;
    otherwise result-producing statements get ``default_format``. Other
    statements run unchanged (format None), so the engine judges them as written.
    """
    named = trailing_format(sql)
    if named is not None:
        return sql, named
    if not produces_result(sql):
        return sql, None
    return f"{strip_comments(sql)}\nFORMAT {default_format}", default_format
