"""Creators' user tokens renewed by the collector (Douyin, TikTok Display, Kuaishou).

An entry of TRACKER_ACCOUNTS_FILE may carry the creator's ``refresh_token``. With the platform's
app credentials set (``Adapter.renewal_missing``), the collector renews that creator's access
token itself (``Adapter.renew``, the platform's token endpoint):

- before it expires, when the last grant said how long it lives (``tokens.renew_at``; looked at
  every ``every`` seconds);
- at once when the platform refuses it (``PlatformHttp.renew``): the token expired, or came from
  the file with no known life. The refused posts are asked again at once with the renewed token
  (``TokenRenewed``). A token renewed after a refusal and refused again within ``RECENT`` seconds
  is not renewed again: the account is held as any refused one (its authorisation or scope is at
  fault, not its token's age).

Renewed tokens are used at once and kept in the state file (``tokens.TokenState``), which stands
in for the file's entry until that entry is edited. A refresh the platform refuses (the refresh
token expired, was revoked, or the creator withdrew the authorisation) leaves the account held,
logged with the creator who must authorise the app again, and that refresh token is not sent
again. ``tracker_collector_token_refresh_total{platform, outcome}`` counts every grant asked (ok,
refused, failed). Tokens appear in no log line, error or metric.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
from datetime import UTC, datetime

from tracker.collect import errors as e
from tracker.collect.accounts import VARIABLE, Account, Accounts
from tracker.collect.clock import Clock
from tracker.collect.http import PlatformHttp
from tracker.collect.platforms import Adapter
from tracker.collect.tokens import Renewed, TokenState, fingerprint
from tracker.ops import metrics

log = logging.getLogger(__name__)
RECENT = 60.0
"""Real seconds during which a token renewed after a refusal, refused in turn, is not renewed again."""
RETRY = 60.0
"""Real seconds before a renewal that failed (network, 5xx) is tried again by the loop."""
ENDING = 7 * 86400.0
"""Seconds before a refresh token's end from which the log asks for a new authorisation."""

Key = tuple[str, str]


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%MZ")


class Renewals:
    """The renewal of every refreshable account of one collection (see the module docstring)."""

    def __init__(self, accounts: Accounts, state: TokenState, clock: Clock) -> None:
        self.accounts = accounts
        self.state = state
        self.clock = clock
        self.platforms: dict[str, tuple[Adapter, PlatformHttp]] = {}
        self.locks: dict[Key, asyncio.Lock] = {}
        self.renewed_at: dict[Key, float] = {}  # monotonic: renewed after a refusal then
        self.not_before: dict[Key, float] = {}  # monotonic: a failed renewal is tried again then
        self.refused: dict[Key, str] = {}  # fingerprint of the refresh token the platform refused
        self.warned: set[Key] = set()  # refresh tokens near their end, said once
        self.version = -1  # of the accounts last reconciled with the state
        self.inflight: set[asyncio.Task[bool]] = set()

    def add(self, adapter: Adapter, http: PlatformHttp) -> None:
        """Renew the tokens of ``adapter``'s accounts (when it can, with its app credentials set)."""
        missing = adapter.renewal_missing()
        if missing is None:
            return
        platform = adapter.platform
        if missing:
            holders = sum(1 for account in self.accounts.table.get(platform, {}).values()
                          if account.get("refresh_token"))
            if holders:
                log.warning("%s: %d creator(s) of %s carry a refresh_token, unused: set %s for the collector to "
                            "renew their tokens", platform, holders, VARIABLE, missing)
            return
        self.platforms[platform] = (adapter, http)
        http.renew = functools.partial(self.after_refusal, platform)

    def reconcile(self) -> None:
        """The kept tokens in force over the file's entries they renewed; dropped, with the file's
        entry in force, once that entry changed or left the file."""
        self.version = self.accounts.version
        for (platform, creator), kept in list(self.state.entries.items()):
            entry = self.accounts.entry(platform, creator)
            if entry is None or fingerprint(entry) != kept.source:
                self.state.drop(platform, creator)
                self.accounts.forget(platform, creator)
                self.refused.pop((platform, creator), None)
                log.info("%s: creator %s's entry in %s changed or left it: the tokens renewed from it are "
                         "dropped", platform, creator, VARIABLE)
            elif (platform, creator) not in self.accounts.renewed:
                self.accounts.renew(kept.account(entry))

    async def run(self, every: float = 1.0) -> None:
        """Renew the tokens that are due, every ``every`` real seconds, until cancelled."""
        while True:
            await self.renew_due()
            await asyncio.sleep(every)

    async def renew_due(self) -> None:
        """Renew every kept token whose renewal is due now (``tokens.renew_at``)."""
        if self.accounts.version != self.version:
            self.reconcile()
        for key, kept in list(self.state.entries.items()):
            if key[0] not in self.platforms:
                continue
            self._ending(key, kept, self.clock.now())
            if not kept.due(self.clock.now()) or time.monotonic() < self.not_before.get(key, 0.0):
                continue
            async with self._lock(key):  # another renewal may have happened meanwhile
                current, now = self.accounts.find(*key), self.state.entries.get(key)
                if current is not None and now is not None and now.due(self.clock.now()) and \
                        current.get("access_token") == now.access_token:
                    await self._renew(key, current, refused=False)

    async def after_refusal(self, platform: str, account: Account) -> bool:
        """The platform refused ``account``'s token: True when the account has a renewed one now
        (renewed here, or by another request meanwhile), False when it is to be held."""
        if not account.creator or not account.get("refresh_token"):
            return False
        key = (platform, account.creator)
        async with self._lock(key):
            current = self.accounts.find(*key)
            if current is None or not current.get("refresh_token"):
                return False
            if current.get("access_token") != account.get("access_token"):
                return True  # renewed meanwhile
            if time.monotonic() - self.renewed_at.get(key, float("-inf")) < RECENT:
                return False  # renewed after a refusal and refused at once: not its age
            return await self._renew(key, current, refused=True)

    def _lock(self, key: Key) -> asyncio.Lock:
        lock = self.locks.get(key)
        if lock is None:
            lock = self.locks[key] = asyncio.Lock()
        return lock

    async def close(self, timeout: float = 10.0) -> None:
        """Wait, ``timeout`` seconds at most, for the renewals under way: a refresh token the
        platform rotated must reach the state file, or the creator must authorise the app again."""
        if self.inflight:
            await asyncio.wait(self.inflight, timeout=timeout)

    async def _renew(self, key: Key, current: Account, refused: bool) -> bool:
        """Renew ``current``'s token (``refused``: after the platform refused it); True when renewed.
        A renewal under way finishes, and its tokens are kept, even when its caller is cancelled
        (the collector stopping: ``close``)."""
        task = asyncio.create_task(self._grant(key, current, refused), name=f"token-renewal-{key[0]}")
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)
        return await asyncio.shield(task)

    async def _grant(self, key: Key, current: Account, refused: bool) -> bool:
        platform, creator = key
        adapter, http = self.platforms[platform]
        refresh = current.get("refresh_token")
        if self.refused.get(key) == _digest(refresh):
            return False  # refused before: the creator must authorise again (logged then)
        entry = self.accounts.entry(platform, creator)
        if entry is None:
            return False
        source = fingerprint(entry)
        asked = self.clock.now()
        try:
            grant = await adapter.renew(http, current)
        except e.RefreshRefused as exc:
            metrics.COLLECTOR_TOKEN_REFRESH.labels(platform, "refused").inc()
            if exc.client:
                self.not_before[key] = time.monotonic() + RETRY
                log.error("%s refused the app's credentials renewing the token of creator %s (%s): check %s; the "
                          "creator's posts are held meanwhile", platform, creator, exc.message,
                          adapter.renewal_settings)
            else:
                self.refused[key] = _digest(refresh)
                log.error("%s: creator %s must authorise the app again: its refresh token was refused (%s). Its "
                          "posts are held until its entry in %s holds the new tokens; the other creators' go on",
                          platform, creator, exc.message, VARIABLE)
            return False
        except e.CollectError as exc:
            metrics.COLLECTOR_TOKEN_REFRESH.labels(platform, "failed").inc()
            self.not_before[key] = time.monotonic() + RETRY
            log.warning("%s: the token of creator %s was not renewed (%s); tried again later", platform, creator,
                        exc.message)
            return False
        metrics.COLLECTOR_TOKEN_REFRESH.labels(platform, "ok").inc()
        entry = self.accounts.entry(platform, creator)
        if entry is None or fingerprint(entry) != source:  # edited meanwhile: the file's tokens win
            return False
        kept = Renewed(grant.access_token, grant.refresh_token or refresh, asked,
                       asked + grant.expires_in if grant.expires_in is not None else None,
                       asked + grant.refresh_expires_in if grant.refresh_expires_in is not None else
                       _previous_end(self.state.entries.get(key), grant.refresh_token, refresh), source)
        self.state.put(platform, creator, kept)
        self.accounts.renew(kept.account(entry))
        if refused:
            self.renewed_at[key] = time.monotonic()
        else:
            self.renewed_at.pop(key, None)
        self.not_before.pop(key, None)
        self.warned.discard(key)
        http.release_accounts({creator})
        log.info("%s: the token of creator %s was renewed (%s)", platform, creator,
                 f"valid until {_when(kept.expires_at)}" if kept.expires_at is not None else "its life not given")
        return True

    def _ending(self, key: Key, kept: Renewed, now: float) -> None:
        """Say once when a creator's refresh token nears its end (a new authorisation is needed)."""
        end = kept.refresh_expires_at
        if end is None or key in self.warned or now < end - ENDING or self.refused.get(key):
            return
        self.warned.add(key)
        log.warning("%s: the refresh token of creator %s ends %s: ask the creator to authorise the app again "
                    "and put the new tokens in its entry of %s before then", key[0], key[1], _when(end), VARIABLE)


def _digest(token: str) -> str:
    """A digest of a refresh token, to know it again without keeping it."""
    return hashlib.blake2b(token.encode(), digest_size=16, person=b"tracker-refresh").hexdigest()


def _previous_end(kept: Renewed | None, returned: str, sent: str) -> float | None:
    """The refresh token's end when the answer did not say: the one known before, for the same
    refresh token (Douyin keeps it; Kuaishou's new one inherits the old one's end)."""
    return kept.refresh_expires_at if kept is not None and (not returned or returned == sent) else None
