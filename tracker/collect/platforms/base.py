"""The adapter interface and what adapters share: registry, body checks, counters.

An adapter knows one platform's request and response formats (PLATFORMS.md)
and nothing about scheduling, retries or Kafka:

- ``fetch_metrics(http, posts)``: one call for up to ``batch_size`` posts, an
  ``Observation`` per post asked for (``unavailable`` when the platform left it out,
  ``invalid`` when its item held a value that is no count: that post alone fails);
- ``fetch_comments(http, post, cursor)``: one page of comments and the next cursor (with the replies
  its threads carry, where the platform answers them inline);
- ``fetch_replies(http, post, thread, skip)``: where the platform lists a thread's replies apart
  (``replies_apart``), the next page of the replies to one top-level comment after the first
  ``skip``, oldest first;
- ``renew(http, account)``: where the platform refreshes user tokens (``renewal_settings``
  names the app credentials it takes), a new access token for ``account``'s refresh token.

Parsing raises ``tracker.collect.errors`` classes, so a body that does not have
the documented shape is an error, never a snapshot.

An owner-only API (``owner_only``: Douyin, TikTok Display, Kuaishou, Instagram) reads only the
videos of the account that authorised the token: each post is read with its creator's account
(``account_of``: the creator's entry in TRACKER_ACCOUNTS_FILE, else the platform-wide settings
when they are an account), and a call never mixes two accounts' posts (``by_account``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import orjson

from tracker.collect import errors as e
from tracker.collect.accounts import Account
from tracker.collect.config import PlatformConfig
from tracker.collect.counts import count
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import CommentPage, Observation, PostRef
from tracker.collect.tokens import Grant
from tracker.contracts.vocab import METRICS

ADAPTERS: dict[str, type[Adapter]] = {}


def register(cls: type[Adapter]) -> type[Adapter]:
    """Class decorator: make an adapter available under its ``name``."""
    ADAPTERS[cls.name] = cls
    return cls


def adapter_for(config: PlatformConfig) -> Adapter:
    """The adapter a platform's configuration names."""
    try:
        cls = ADAPTERS[config.adapter]
    except KeyError:
        from tracker.errors import ConfigError

        raise ConfigError(f"{config.platform}: unknown adapter {config.adapter!r}; "
                          f"known: {', '.join(sorted(ADAPTERS))}") from None
    return cls(config)


class Adapter:
    """Base of every adapter; subclasses set the class attributes and override the two calls."""

    name: ClassVar[str] = ""
    batch_size: ClassVar[int] = 1  # posts per metrics call (the platform's documented maximum)
    has_comments: ClassVar[bool] = False
    comments_newest_first: ClassVar[bool] = True
    replies_apart: ClassVar[bool] = False  # a thread's replies take calls of their own (fetch_replies)
    exposes: ClassVar[tuple[str, ...]] = ()  # what the platform exposes; the rest stays None
    owner_only: ClassVar[bool] = False  # a token reads only the videos of the account that authorised it
    renewal_settings: ClassVar[str] = ""
    """The settings of the app credentials this platform's token endpoint takes to refresh a
    creator's token ('': the adapter renews no token)."""

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.platform = config.platform
        self.metrics: tuple[str, ...] = self.exposes
        self.shared = Account(config.platform, "", dict(config.secrets))
        """The platform-wide account of the settings (TRACKER_<PLATFORM>_*)."""

    def account_of(self, post: PostRef) -> Account | None:
        """The account ``post`` is read with: on an owner-only API its creator's own when the
        accounts file lists it, else the platform-wide one unless that is no account (then None:
        the post waits for its creator's authorisation). Other APIs: the platform-wide one."""
        return self.account_by_creator(post.creator)

    def account_by_creator(self, creator: str) -> Account | None:
        """``account_of`` for the posts of ``creator`` (a registry creator_id, '' when unknown)."""
        if not self.owner_only:
            return self.shared
        if self.config.accounts is not None and creator:
            own = self.config.accounts.find(self.platform, creator)
            if own is not None:
                return own
        return self.shared if self.config.fallback else None

    def by_account(self, posts: Sequence[PostRef]) -> list[tuple[Account, list[PostRef]]]:
        """``posts`` grouped by the account each is read with, in first-seen order; NoAccount when
        one has none (the collector never sends such a post)."""
        groups: dict[int, tuple[Account, list[PostRef]]] = {}
        for post in posts:
            account = self.account_of(post)
            if account is None:
                raise e.NoAccount(f"{self.platform}: no account reads {post.post_id} (creator "
                                  f"{post.creator or '?'}): add it to TRACKER_ACCOUNTS_FILE")
            groups.setdefault(id(account), (account, []))[1].append(post)
        return list(groups.values())

    def account_for(self, post: PostRef) -> Account:
        """``account_of`` for one post; NoAccount when it has none."""
        return self.by_account([post])[0][0]

    @property
    def batch(self) -> int:
        """Posts per call in force: the configured size, capped by the documented maximum."""
        return max(1, min(self.config.batch_size or self.batch_size, self.batch_size))

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        raise NotImplementedError

    async def fetch_comments(self, http: PlatformHttp, post: PostRef, cursor: str | None,
                             extra: dict[str, str]) -> CommentPage:
        raise e.Rejected(f"{self.platform}: no comments endpoint")

    async def fetch_replies(self, http: PlatformHttp, post: PostRef, thread: str, skip: int,
                            extra: dict[str, str]) -> CommentPage:
        """The replies to top-level comment ``thread`` after its first ``skip``, one page, oldest
        first; ``next_cursor`` None when no more follow."""
        raise e.Rejected(f"{self.platform}: no replies endpoint")

    def renewal_missing(self) -> str | None:
        """The app credentials still to set for creators' refresh tokens to be used ('' when all
        are set); None when the adapter renews no token."""
        if not self.renewal_settings:
            return None
        return "" if all(self.app_credentials()) else self.renewal_settings

    def app_credentials(self) -> tuple[str, ...]:
        """The values of ``renewal_settings`` (never log them)."""
        return ()

    async def renew(self, http: PlatformHttp, account: Account) -> Grant:
        """A new access token for ``account`` from its refresh token; RefreshRefused when the
        platform refuses the grant, another ``errors`` class when it did not answer it."""
        raise e.RefreshRefused(f"{self.platform}: no token renewal", client=True)

    # -- helpers ---------------------------------------------------------------
    def observation(self, post: PostRef, values: dict[str, int | None], rounded: Sequence[str] = (),
                    **kwargs: Any) -> Observation:
        """An observation with every metric key present; metrics the platform lacks are None."""
        metrics = {m: (values.get(m) if m in self.metrics else None) for m in METRICS}
        return Observation(post.post_id, metrics, tuple(r for r in rounded if metrics.get(r) is not None), **kwargs)

    def unavailable(self, post: PostRef) -> Observation:
        """The platform no longer shows the post (taken down, private, deleted)."""
        return Observation(post.post_id, dict.fromkeys(METRICS), (), "unavailable")

    def invalid(self, post: PostRef, problem: str) -> Observation:
        """The answer held this post with a value that is no count: this post alone failed (no
        snapshot; polled again), the other posts of its batch are kept."""
        return Observation(post.post_id, dict.fromkeys(METRICS), (), "invalid", problem=problem)

    def counted(self, post: PostRef, item: Any, fields: Sequence[tuple[str, str]]) -> Observation:
        """The observation of one answered item: ``fields`` maps metric → dotted path of its
        counter in ``item``. Counters may be numbers or digit strings (``"123"``, exact); a
        counter missing or no count makes ``invalid(post)``, never an error of the whole batch."""
        try:
            values, rounded = counters(item, fields, self.platform)
        except e.InvalidResponse as exc:
            return self.invalid(post, exc.message)
        return self.observation(post, values, rounded)


def counters(item: Any, fields: Sequence[tuple[str, str]], platform: str) -> tuple[dict[str, int | None], list[str]]:
    """Counters of one item (metric → path): (values, rounded metrics); InvalidResponse naming
    the path when one is missing or no count (numbers, digit strings and display texts are)."""
    values: dict[str, int | None] = {}
    rounded: list[str] = []
    for metric, path in fields:
        raw = dig(item, path)
        if raw is None:
            raise e.InvalidResponse(f"{platform}: {path} is missing")
        values[metric], was_rounded = count(raw, path, platform)
        if was_rounded:
            rounded.append(metric)
    return values, rounded


def json_body(response: httpx.Response, platform: str) -> Any:
    """The parsed JSON body, or InvalidResponse (5xx pages become ServerError, 429 RateLimited)."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    kind = response.headers.get("content-type", "?").split(";")[0]
    if response.status_code == 429:
        raise e.RateLimited(f"{platform}: HTTP 429 ({kind})", retry_after=retry_after(response))
    if response.status_code >= 500:
        raise e.ServerError(f"{platform}: HTTP {response.status_code} ({kind})", code=response.status_code)
    raise e.InvalidResponse(f"{platform}: HTTP {response.status_code}, body is not JSON ({kind}, "
                            f"{len(response.content)} bytes)")


def http_status(response: httpx.Response, platform: str, detail: str = "") -> None:
    """Raise for an HTTP error status the body did not explain."""
    status = response.status_code
    if status < 400:
        return
    text = f"{platform}: HTTP {status}{': ' + detail if detail else ''}"
    if status == 429:
        raise e.RateLimited(text, retry_after=retry_after(response), code=status)
    if status >= 500:
        raise e.ServerError(text, code=status)
    if status in (401, 403):
        raise e.AuthFailed(text, code=status)
    raise e.Rejected(text, code=status)


def dig(data: Any, path: str) -> Any:
    """``data`` followed along a dotted path (``a.b.0.c``); None where it stops."""
    for part in path.split(".") if path else ():
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.lstrip("-").isdigit() and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def need(data: Any, path: str, kind: type | tuple[type, ...], platform: str) -> Any:
    """``dig`` that raises InvalidResponse when the value is missing or of the wrong type."""
    value = dig(data, path)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise e.InvalidResponse(f"{platform}: {path or 'body'} is {type(value).__name__}, "
                                f"expected {getattr(kind, '__name__', kind)}")
    return value


def text_at(item: Any, path: str) -> str:
    """A comment's text at a dotted path of its item: '' where the platform gives none (missing or
    null, as for a deleted or folded comment; Bilibili's ``content`` itself may be null), never the
    word "None"; a number is written as text."""
    value = dig(item, path)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def from_unix(value: Any, field: str, platform: str, ms: bool = False) -> datetime:
    """An aware UTC datetime from unix seconds (or milliseconds)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise e.InvalidResponse(f"{platform}: {field} is not a unix time ({value!r:.40})")
    return datetime.fromtimestamp(value / 1000 if ms else value, UTC)


def from_text(value: Any, field: str, platform: str, parse: Callable[[str], datetime] | None = None) -> datetime:
    """An aware UTC datetime from an ISO-8601 text (or with ``parse``)."""
    if not isinstance(value, str):
        raise e.InvalidResponse(f"{platform}: {field} is not a time ({value!r:.40})")
    try:
        moment = parse(value) if parse else datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise e.InvalidResponse(f"{platform}: {field} is not a time ({value!r:.40})") from None
    if moment.tzinfo is None:
        raise e.InvalidResponse(f"{platform}: {field} has no time zone ({value!r:.40})")
    return moment.astimezone(UTC)


__all__ = ["ADAPTERS", "Adapter", "Request", "adapter_for", "count", "counters", "dig", "from_text", "from_unix",
           "http_status", "json_body", "need", "register", "text_at"]
