"""Incremental comment paging: only what is new since the last visit, from the last cursor.

Newest-first platforms: each visit reads from the top until it meets the newest
comment already seen (the high-water mark). When a visit runs out of pages
before meeting it, the cursor where it stopped is kept and the next visit
resumes the backfill there first. Oldest-first platforms (TikTok Research): the
cursor is an offset and each visit continues from it. Duplicates are harmless
(the store keeps one row per comment id); gaps are what this avoids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tracker.collect.model import Comment, CommentPage

Mark = tuple[float, str]  # (created_at unix seconds, comment id)
Fetch = Callable[[str | None], Awaitable[CommentPage]]


@dataclass(slots=True)
class CommentState:
    """Per post: where comment reading stands."""

    visited: float = 0.0  # event time of the last visit
    count: int | None = None  # the post's comment counter at that visit
    high: Mark | None = None  # newest comment seen
    resume: str | None = None  # cursor of an unfinished backfill (or the next offset, oldest-first)
    stop_at: Mark | None = None  # where that backfill ends


def mark(comment: Comment) -> Mark:
    return (comment.created_at.timestamp(), comment.comment_id)


async def read_new(fetch: Fetch, state: CommentState, newest_first: bool, max_pages: int) -> list[Comment]:
    """The comments not seen before, reading at most ``max_pages`` pages; updates ``state``."""
    if not newest_first:
        return await _oldest_first(fetch, state, max_pages)
    found: list[Comment] = []
    pages = 0
    if state.resume is not None:  # 1. finish the backfill an earlier visit left
        cursor: str | None = state.resume
        while cursor is not None and pages < max_pages:
            page = await fetch(cursor)
            pages += 1
            fresh = [c for c in page.comments if state.stop_at is None or mark(c) > state.stop_at]
            found += fresh
            cursor = page.next_cursor if len(fresh) == len(page.comments) else None
        state.resume = cursor
        if cursor is None:
            state.stop_at = None
    cursor = None  # 2. from the top down to the high-water mark
    newest: Mark | None = None
    reached = False
    while pages < max_pages:
        page = await fetch(cursor)
        pages += 1
        if page.comments:
            top = max(mark(c) for c in page.comments)
            newest = top if newest is None or top > newest else newest
        fresh = [c for c in page.comments if state.high is None or mark(c) > state.high]
        found += fresh
        if len(fresh) < len(page.comments) or page.next_cursor is None:
            reached = True
            break
        cursor = page.next_cursor
    if not reached and cursor is not None and state.resume is None:
        state.resume, state.stop_at = cursor, state.high
    if newest is not None and (state.high is None or newest > state.high):
        state.high = newest
    return found


async def _oldest_first(fetch: Fetch, state: CommentState, max_pages: int) -> list[Comment]:
    found: list[Comment] = []
    cursor = state.resume
    for _ in range(max_pages):
        page = await fetch(cursor)
        found += page.comments
        if page.next_cursor is None:  # the next visit starts after what was read
            state.resume = page.resume or cursor
            return found
        cursor = page.next_cursor
    state.resume = cursor
    return found
