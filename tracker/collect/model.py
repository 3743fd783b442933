"""Plain values passed between the scheduler, the adapters and the producer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PostRef:
    """One post to read: ``post_id`` is ``<platform>:<platform_post_id>`` (the contract's key);
    ``creator`` the registry's creator_id ('' when unknown), whose account reads it on an
    owner-only API."""

    post_id: str
    tenant: str
    creator: str = ""

    @property
    def platform(self) -> str:
        return self.post_id.partition(":")[0]

    @property
    def platform_post_id(self) -> str:
        return self.post_id.partition(":")[2]


@dataclass(slots=True)
class Observation:
    """Counters of one post as the platform answered them.

    ``metrics`` holds every metric name the platform could have; None = not
    exposed (never 0). ``rounded`` names metrics the platform rounded ("1.2万").
    ``status`` is ``ok``, ``unavailable`` when the platform no longer shows the
    post (every metric None), or ``invalid`` when the answer held this post with a
    value that is no count (``problem`` says which): that post alone failed, it is
    no snapshot and is polled again; the batch's other posts are kept. ``observed_at`` is set when the answer states its
    own time (exports); otherwise the collector's clock at the answer is used.
    ``extra`` carries ids learnt on the way (Bilibili's aid for comments).
    """

    post_id: str
    metrics: dict[str, int | None]
    rounded: tuple[str, ...] = ()
    status: str = "ok"
    observed_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as read; the author id is hashed before it leaves the collector."""

    comment_id: str
    text: str
    created_at: datetime
    likes: int | None = None
    author_id: str | None = None
    parent_id: str | None = None
    pinned: bool = False  # pinned on top of the first page whatever its age (Douyin's ``top``)


@dataclass(slots=True)
class CommentPage:
    """One page of comments and the cursor of the next (None: no further page now).

    ``resume``: for oldest-first paging, the cursor to continue from once more
    comments exist (the offset after this page). ``threads``: where replies are read apart
    (``Adapter.fetch_replies``), the page's top-level comments that have replies → how many the
    platform counts."""

    comments: list[Comment]
    next_cursor: str | None
    resume: str | None = None
    threads: dict[str, int] = field(default_factory=dict)
