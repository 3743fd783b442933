"""The high-water mark of comment reading orders comments by time, then by id as a number when
the id is one: "10" is newer than "9" within one second."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tracker.collect.comments import CommentState, mark, read_new
from tracker.collect.model import Comment, CommentPage

AT = datetime(2025, 9, 10, 12, 0, 0, tzinfo=UTC)


def test_numeric_ids_compare_as_numbers_within_one_second() -> None:
    assert mark(Comment("10", "", AT)) > mark(Comment("9", "", AT))
    assert mark(Comment("100000000000000010", "", AT)) > mark(Comment("99999999999999999", "", AT))
    assert mark(Comment("b", "", AT)) > mark(Comment("a", "", AT))  # other ids: as texts


def test_a_comment_with_a_longer_id_in_the_same_second_is_new() -> None:
    """Seen up to "9" (the mark); "10" came in the same second: it is read, "9" is not again."""
    state = CommentState(visited=1.0, high=mark(Comment("9", "", AT)))

    async def page(cursor: str | None) -> CommentPage:
        return CommentPage([Comment("10", "", AT), Comment("9", "", AT), Comment("8", "", AT)], None)

    reading = asyncio.run(read_new(page, state, True, 5))
    assert [c.comment_id for c in reading.comments] == ["10"]
    assert state.high == mark(Comment("10", "", AT))
