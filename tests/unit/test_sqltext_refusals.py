"""The engine's refusal of a query text, as ``parse_refusal`` words it for the reader."""

from __future__ import annotations

import pytest

from tracker.store.sqltext import parse_refusal

SEVERAL = ("Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed): failed at position 11 "
           "(end of query): ; SELECT 'b'. : In scope SELECT formatQuery('SELECT \\'a\\'; SELECT \\'b\\''). "
           "(SYNTAX_ERROR)")  # fmt: skip


def test_several_statements_are_told_to_come_one_per_query() -> None:
    assert parse_refusal(SEVERAL) == (
        "Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed): failed at position 11 "
        "(end of query): ; SELECT 'b'. Send one statement per query (a trailing semicolon is fine). (SYNTAX_ERROR)"
    )


@pytest.mark.parametrize(
    ("message", "worded"),
    [
        ("Code: 62. DB::Exception: Empty query: In scope SELECT formatQuery('  ;  '). (SYNTAX_ERROR)",
         "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"),
        # the query inside the scope may hold ")." and "(NAME)" of its own
        ("Code: 62. DB::Exception: Syntax error: failed at position 3: x. : In scope SELECT formatQuery("
         "'SELECT \\').  (X)'). (SYNTAX_ERROR) (version 26.1.1)",
         "Code: 62. DB::Exception: Syntax error: failed at position 3: x. (SYNTAX_ERROR) (version 26.1.1)"),
        ("Code: 62. DB::Exception: Syntax error: failed at position 7 (1): 1. Expected one of: alias. (SYNTAX_ERROR)",
         "Code: 62. DB::Exception: Syntax error: failed at position 7 (1): 1. Expected one of: alias. (SYNTAX_ERROR)"),
    ],
)
def test_the_call_to_format_query_is_left_out(message: str, worded: str) -> None:
    assert parse_refusal(message) == worded
