"""Incremental comment paging: only what is new since the last visit, from the last cursor.

Newest-first platforms: each visit reads from the top until it meets a comment
already seen (at or below the high-water mark); comments pinned on top (Douyin's
``top``) sit there whatever their age, so they never stop it. When a visit runs
out of pages before meeting the mark, the cursor where it stopped is kept and the
next visit resumes the backfill there first. A cursor the platform refuses as
stale (``CursorRejected``) is dropped and the visit reads from the top down to
where that backfill was to end. Oldest-first platforms (TikTok Research): the
cursor is an offset and each visit continues from it.

Replies: where a page carries its threads' replies (YouTube) they are comments of the page
like the others (``parent_id`` set) and go through the same high-water mark: a reply newer than
the last visit's newest comment is new, on a new thread or an old one of the pages read. Where
each thread's replies take a call of their own (Bilibili), the page says how many replies each
of its threads has (``CommentPage.threads``) and a thread's replies are asked only when it has
more than were read from it (``CommentState.replied``), from the first one not read: a visit
spends at most ``REPLY_CALLS`` such calls, so the replies cost a bounded number of calls beside
the pages. When they run out, the visit ends at that page and the next one reads it again for
the threads left (``owed``). A reply answered twice is stored once (the comment id is its key).

A page that fails ends the visit where it stands: what was read is returned with
the error, and the state says where the next visit goes on, so nothing read is
lost and nothing unread is skipped. Duplicates are harmless (the store keeps one
row per comment id); gaps are what this avoids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tracker.collect import errors as e
from tracker.collect.model import Comment, CommentPage

Mark = tuple[float, int, str]  # (created_at unix seconds, numeric id or -1, comment id)
Fetch = Callable[[str | None], Awaitable[CommentPage]]
Replies = Callable[[str, int], Awaitable[CommentPage]]
"""(thread id, replies of it already read) → the next page of that thread's replies after them."""
REPLY_CALLS = 20
"""Calls a visit spends at most on threads' replies where each thread takes calls of its own
(one Bilibili page of top-level comments: 20 threads, a call each when every one has new replies)."""


@dataclass(slots=True)
class CommentState:
    """Per post: where comment reading stands."""

    visited: float = 0.0  # event time of the last visit
    count: int | None = None  # the post's comment counter at that visit
    high: Mark | None = None  # newest comment seen
    resume: str | None = None  # cursor of an unfinished backfill (or the next offset, oldest-first)
    stop_at: Mark | None = None  # where that backfill ends
    replied: dict[str, int] = field(default_factory=dict)  # per thread read last visit: its replies read
    owed: bool = False  # the last visit left threads' replies unread: it ran out of calls for them


@dataclass(slots=True)
class Reading:
    """What one visit read, and the error that cut it short (None: it ended as planned)."""

    comments: list[Comment] = field(default_factory=list)
    error: e.CollectError | None = None


def mark(comment: Comment) -> Mark:
    """A comment's place in time: its timestamp, then its id (as a number when it is one, so
    "10" comes after "9")."""
    cid = comment.comment_id
    return (comment.created_at.timestamp(), int(cid) if cid.isdigit() else -1, cid)


async def read_new(fetch: Fetch, state: CommentState, newest_first: bool, max_pages: int,
                   replies: Replies | None = None) -> Reading:
    """The comments not seen before, reading at most ``max_pages`` pages; updates ``state``.
    ``replies``: where threads' replies take calls of their own, the call that reads them.

    A failing page ends the reading: the comments read until then come back with the error,
    and ``state`` stands where the next visit goes on."""
    reading = Reading()
    threads = Threads(replies, state.replied) if replies is not None else None
    try:
        if newest_first:
            await _newest_first(fetch, state, max_pages, reading, threads)
        else:
            await _oldest_first(fetch, state, max_pages, reading)
    except e.CollectError as exc:
        reading.error = exc
    finally:
        if threads is not None:
            state.owed = threads.short
            if threads.seen:
                state.replied = threads.seen
    return reading


class Threads:
    """One visit's reading of replies apart: which threads had how many read, and the calls left."""

    def __init__(self, fetch: Replies, known: dict[str, int]) -> None:
        self.fetch = fetch
        self.known = known
        self.seen: dict[str, int] = {}
        self.calls = REPLY_CALLS
        self.short = False  # a thread was left with replies unread

    async def read(self, page: CommentPage, reading: Reading) -> bool:
        """The new replies of the threads of ``page`` that have more replies than were read; False
        when the calls ran out before every such thread was read."""
        for thread, stated in page.threads.items():
            read = self.seen.get(thread, self.known.get(thread, 0))
            while read < stated:
                if self.calls <= 0:
                    self.seen[thread] = read
                    self.short = True
                    return False
                self.calls -= 1
                self.seen[thread] = read  # also when the call fails: what was read stands
                got = await self.fetch(thread, read)
                reading.comments += got.comments
                read += len(got.comments)
                if got.next_cursor is None or not got.comments:  # the platform lists no more than that
                    read = max(read, stated)
            self.seen[thread] = read
        return True


def _fresh(page: CommentPage, limit: Mark | None) -> tuple[list[Comment], bool]:
    """The page's comments newer than ``limit``, and whether the page reached ``limit`` (holds an
    unpinned comment at or below it)."""
    if limit is None:
        return list(page.comments), False
    fresh = [c for c in page.comments if mark(c) > limit]
    return fresh, any(not c.pinned and mark(c) <= limit for c in page.comments)


async def _newest_first(fetch: Fetch, state: CommentState, max_pages: int, reading: Reading,
                        threads: Threads | None) -> None:
    pages = 0
    while state.resume is not None and pages < max_pages:  # 1. finish the backfill an earlier visit left
        pages += 1
        try:
            page = await fetch(state.resume)
        except e.CursorRejected:  # stale: read from the top down to where that backfill was to end
            state.resume, state.high, state.stop_at = None, state.stop_at, None
            break
        fresh, reached = _fresh(page, state.stop_at)
        reading.comments += fresh
        if threads is not None and not await threads.read(page, reading):
            return  # the next visit reads this page again for the threads left
        state.resume = None if reached else page.next_cursor
        if state.resume is None:
            state.stop_at = None
    cursor: str | None = None  # 2. from the top down to the high-water mark
    newest: Mark | None = None
    reached = False
    try:
        while pages < max_pages and not reached:
            pages += 1
            page = await fetch(cursor)
            if page.comments:
                top = max(mark(c) for c in page.comments)
                newest = top if newest is None or top > newest else newest
            fresh, reached = _fresh(page, state.high)
            reading.comments += fresh
            if threads is not None and not await threads.read(page, reading):
                reached = False  # the next visit reads this page again for the threads left
                break
            if page.next_cursor is None:
                reached = True
            else:
                cursor = page.next_cursor
    finally:  # also when a page failed: what lies between it and the old mark is a backfill
        if not reached and cursor is not None:
            state.resume, state.stop_at = cursor, state.high
        if newest is not None and (state.high is None or newest > state.high):
            state.high = newest


async def _oldest_first(fetch: Fetch, state: CommentState, max_pages: int, reading: Reading) -> None:
    for _ in range(max_pages):
        cursor = state.resume
        try:
            page = await fetch(cursor)
        except e.CursorRejected:
            if cursor is None:
                raise
            state.resume = None  # stale offset: from the start again (duplicates are harmless)
            continue
        reading.comments += page.comments
        if page.next_cursor is None:  # the next visit starts after what was read
            state.resume = page.resume or cursor
            return
        state.resume = page.next_cursor
