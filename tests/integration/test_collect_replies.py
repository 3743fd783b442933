"""Replies are collected where the platform's documented answer gives them, served by the simulator
over HTTP: YouTube's threads carry their replies (``part=snippet,replies``), Bilibili lists a root
comment's replies at ``/x/v2/reply/reply``. A purchase question is often asked in a reply ("同问链接"):
the collectors read the top-level comments only, so those never reached the intent counts. Each reply
comes once with the comment it answers (``parent_id``); a later visit reads the replies new since,
on new threads and old ones alike, and Bilibili's threads are asked again only when they have more
replies than were read, within ``REPLY_CALLS`` calls a visit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.integration.test_collect_edges import config, live, ref, run
from tracker.collect.comments import REPLY_CALLS, CommentState, Reading, read_new
from tracker.collect.http import PlatformHttp
from tracker.collect.model import Comment
from tracker.collect.platforms import adapter_for
from tracker.simulate import Simulation
from tracker.simulate.model import Post

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def clean(sim: Simulation) -> Iterator[None]:
    sim.faults.clear()
    yield
    sim.faults.clear()


def index_of(post: Post, comment_id: str) -> int:
    """The simulator's index of a comment from the id its platform gives it."""
    if post.platform == "youtube":
        return int(comment_id[-8:], 16)
    return int(comment_id) - int(post.extra["aid"]) * 1000 - 10**12


def visit(sim: Simulation, url: str, post: Post, state: CommentState, at: datetime, pages: int = 10) -> Reading:
    """One collector visit of ``post``'s comments at ``at``, as the collector reads them."""
    sim.clock.set(at)
    cfg = config(url, post.platform)
    adapter = adapter_for(cfg)
    extra = {"aid": post.extra["aid"]} if post.platform == "bilibili" else {}

    async def scenario(http: PlatformHttp) -> Reading:
        async def fetch(cursor: str | None):  # noqa: ANN202 - CommentPage
            return await adapter.fetch_comments(http, ref(post), cursor, extra)

        async def replies(thread: str, skip: int):  # noqa: ANN202 - CommentPage
            return await adapter.fetch_replies(http, ref(post), thread, skip, extra)

        return await read_new(fetch, state, adapter.comments_newest_first, pages,
                              replies if adapter.replies_apart else None)

    return run(cfg, scenario, sim)


def growing(sim: Simulation, platform: str, low: int, high: int) -> tuple[Post, datetime, datetime]:
    """A post with ``low`` to ``high`` top-level comments at a first moment, and a later moment by
    which some of those old threads got new replies."""
    start = sim.population.campaign_start
    for days in range(5, 40):
        first = start + timedelta(days=days)
        for post in live(sim, platform):
            threads = sim.threads(post, first.timestamp())
            if not low <= len(threads) <= high:
                continue
            for hours in (12, 24, 48):
                later = (first + timedelta(hours=hours)).timestamp()
                old = set(threads)
                new = range(sim.comment_count(post, first.timestamp()), sim.comment_count(post, later))
                if any(sim.parent(post, i) in old for i in new) and sim.live(post, later):
                    return post, first, first + timedelta(hours=hours)
    raise AssertionError(f"no {platform} post whose old threads get new replies")


def check_threads(sim: Simulation, post: Post, comments: list[Comment]) -> None:
    """Each comment read names the comment it replies to as the simulator has it (None: top-level)."""
    ids = {index_of(post, c.comment_id): c.comment_id for c in comments}
    for c in comments:
        parent = sim.parent(post, index_of(post, c.comment_id))
        assert c.parent_id == (None if parent is None else ids.get(parent, c.parent_id)), c
        if parent is not None:
            assert c.parent_id is not None and index_of(post, c.parent_id) == parent


@pytest.mark.parametrize(("platform", "high"), [("youtube", 300), ("bilibili", 150)])
def test_replies_are_read_once_with_the_comment_they_answer(sim: Simulation, url: str, platform: str,
                                                            high: int) -> None:
    post, first, later = growing(sim, platform, 5, high)
    state = CommentState()
    one = visit(sim, url, post, state, first)
    assert one.error is None
    seen = {c.comment_id for c in one.comments}
    assert len(seen) == sim.comment_count(post, first.timestamp()), "every comment, replies included"
    replies = [c for c in one.comments if c.parent_id is not None]
    assert len(replies) == sim.comment_count(post, first.timestamp()) - len(sim.threads(post, first.timestamp()))
    check_threads(sim, post, one.comments)

    two = visit(sim, url, post, state, later)
    assert two.error is None
    again = {c.comment_id for c in two.comments}
    assert not again & seen, "a reply read on the first visit is not read again"
    assert len(seen | again) == sim.comment_count(post, later.timestamp()), "every new comment and reply"
    assert any(c.parent_id in seen for c in two.comments), "new replies on threads of the first visit"
    check_threads(sim, post, one.comments + two.comments)


def test_bilibili_asks_a_thread_for_its_replies_only_when_it_has_new_ones(sim: Simulation, url: str) -> None:
    post, first, _ = growing(sim, "bilibili", 5, 19)
    state = CommentState()
    assert visit(sim, url, post, state, first).error is None
    before = sim.faults.requests
    three = visit(sim, url, post, state, first)  # nothing new: the first page alone
    assert three.comments == [] and sim.faults.requests - before == 1


def test_bilibili_replies_beyond_a_visits_calls_are_read_on_the_next_visits(sim: Simulation, url: str) -> None:
    """A video with more threads with replies than a visit's calls: each visit spends at most
    REPLY_CALLS on replies, and the next visits go on from the page where it stopped until every
    comment is read, with nothing new on the platform meanwhile."""
    start = sim.population.campaign_start + timedelta(days=20)
    sim.clock.set(start)
    post = next(p for p in live(sim, "bilibili")
                if REPLY_CALLS < sum(1 for r in sim.threads(p, start.timestamp())
                                     if sim.replies(p, r, start.timestamp())) <= 3 * REPLY_CALLS)
    total = sim.comment_count(post, start.timestamp())
    state = CommentState()
    read: set[str] = set()
    visits = []
    for _ in range(10):
        before = sim.faults.requests
        reading = visit(sim, url, post, state, start)
        assert reading.error is None
        visits.append(sim.faults.requests - before)
        read |= {c.comment_id for c in reading.comments}
        if not state.owed and state.resume is None:
            break
    assert len(visits) > 1 and all(calls <= 10 + REPLY_CALLS for calls in visits), visits
    assert len(read) == total
