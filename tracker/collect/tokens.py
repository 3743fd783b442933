"""Renewed tokens: when to renew one, and the state file that keeps the renewed ones.

A token grant says how long its access token lives (``expires_in``, seconds). The collector renews
it once ``RENEW_SHARE`` of that life has passed, and at least ``RENEW_BEFORE`` before it ends
(``renew_at``), so that a token in use does not expire between two looks.

tracker never rewrites TRACKER_ACCOUNTS_FILE. What a renewal returns (the access token, and the
refresh token where the platform rotates it: TikTok, Kuaishou) is kept in ``TokenState``
(``<TRACKER_DATA_DIR>/collect/tokens.json``, readable by its owner alone, replaced atomically),
each creator's with a fingerprint of the file's entry it renewed (``source``): it stands in for
that entry while the entry stays as it was, and is dropped once the entry is edited (the creator
authorised the app again and the new tokens were written there).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr

from tracker.collect import errors as e
from tracker.collect.accounts import Account

log = logging.getLogger(__name__)
STATE_FILE = Path("collect") / "tokens.json"
"""Where renewed tokens are kept, under TRACKER_DATA_DIR."""
RENEW_SHARE = 0.8
"""Share of a token's life after which it is renewed (a 24 h token after 19.2 h)."""
RENEW_BEFORE = 300.0
"""Seconds before its end by which a token is renewed at the latest."""
RENEW_FLOOR = 0.5
"""A token is never renewed before this share of its life (a very short-lived one included)."""


def renew_at(obtained: float, expires_at: float) -> float:
    """When to renew a token obtained at ``obtained`` that expires at ``expires_at`` (unix
    seconds): after ``RENEW_SHARE`` of its life, ``RENEW_BEFORE`` before its end at the latest,
    never before ``RENEW_FLOOR`` of its life."""
    life = max(0.0, expires_at - obtained)
    return obtained + max(RENEW_FLOOR * life, min(RENEW_SHARE * life, life - RENEW_BEFORE))


def seconds(value: Any, name: str, platform: str) -> float | None:
    """A lifetime in seconds as a token endpoint writes it (a number or a digit string; Douyin
    writes "86400"); None when absent; InvalidResponse when it is no count of seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return float(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise e.InvalidResponse(f"{platform}: {name} of the token answer is no count of seconds")


@dataclass(frozen=True)
class Grant:
    """What a token endpoint granted: the access token, its life in seconds (None: not said), and
    the refresh token with its life when the answer carries one."""

    access_token: str = field(repr=False)
    expires_in: float | None = None
    refresh_token: str = field(default="", repr=False)
    refresh_expires_in: float | None = None

    @classmethod
    def of(cls, fields: dict[str, Any], platform: str, refresh_life: str = "refresh_expires_in") -> Grant:
        """The grant a token answer's ``fields`` carry (its access token required; ``refresh_life``
        names the refresh token's lifetime field, which platforms spell differently)."""
        access = fields.get("access_token")
        if not isinstance(access, str) or not access:
            raise e.InvalidResponse(f"{platform}: the token answer has no access_token")
        refresh = fields.get("refresh_token")
        return cls(access, seconds(fields.get("expires_in"), "expires_in", platform),
                   refresh if isinstance(refresh, str) else "",
                   seconds(fields.get(refresh_life), refresh_life, platform))


def fingerprint(account: Account) -> str:
    """A digest of an accounts-file entry (its every value), to tell whether it was edited; the
    values cannot be read back from it."""
    text = "\0".join(f"{key}={account.get(key)}" for key in sorted(account.values))
    return hashlib.blake2b(text.encode(), digest_size=16, person=b"tracker-accounts").hexdigest()


@dataclass(frozen=True)
class Renewed:
    """A creator's tokens as last renewed, in place of the entry ``source`` fingerprints. Times are
    unix seconds of the collector's clock; ``expires_at`` None: the platform did not say."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    obtained_at: float
    expires_at: float | None
    refresh_expires_at: float | None
    source: str

    def due(self, now: float) -> bool:
        """Whether the access token is to be renewed at ``now`` (never when its life is unknown)."""
        return self.expires_at is not None and now >= renew_at(self.obtained_at, self.expires_at)

    def account(self, entry: Account) -> Account:
        """``entry`` of the accounts file with these tokens in place of its own."""
        values = dict(entry.values)
        values.update({"access_token": SecretStr(self.access_token), "refresh_token": SecretStr(self.refresh_token)})
        return Account(entry.platform, entry.creator, values)


def _renewed(kept: dict[str, Any]) -> Renewed:
    """One creator's entry of the state file; TypeError when it is not one."""
    texts = ("access_token", "refresh_token", "source")
    times = ("obtained_at", "expires_at", "refresh_expires_at")
    if set(kept) != set(texts + times) or not all(isinstance(kept[k], str) for k in texts) or not all(
            kept[k] is None or (isinstance(kept[k], int | float) and not isinstance(kept[k], bool)) for k in times) \
            or kept["obtained_at"] is None:
        raise TypeError("not an entry of renewed tokens")
    return Renewed(**kept)


class TokenState:
    """The renewed tokens by (platform, creator id), kept in ``path``: read at start (a file that
    does not read is logged and never trusted; set aside as ``*.unreadable`` when the state is
    next written), written after every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.unreadable = False
        self.entries: dict[tuple[str, str], Renewed] = self._read()

    def _read(self) -> dict[tuple[str, str], Renewed]:
        try:
            data = orjson.loads(self.path.read_bytes())
            out = {(platform, creator): _renewed(kept)
                   for platform, creators in data["accounts"].items() for creator, kept in creators.items()}
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            self.unreadable = True
            log.error("the renewed tokens in %s do not read (%s): the tokens of TRACKER_ACCOUNTS_FILE are used, "
                      "and the file is set aside as %s.unreadable at the next renewal", self.path,
                      type(exc).__name__, self.path.name)
            return {}
        return out

    def put(self, platform: str, creator: str, kept: Renewed) -> None:
        """Keep a creator's renewed tokens (written at once)."""
        self.entries[(platform, creator)] = kept
        self.save()

    def drop(self, platform: str, creator: str) -> None:
        """Forget a creator's renewed tokens (written at once)."""
        if self.entries.pop((platform, creator), None) is not None:
            self.save()

    def save(self) -> None:
        """Write the state: a new file readable by its owner alone, then renamed over the old one,
        so that a crash leaves the old state or the new, never half of one."""
        accounts: dict[str, dict[str, Any]] = {}
        for (platform, creator), kept in sorted(self.entries.items()):
            accounts.setdefault(platform, {})[creator] = {
                "access_token": kept.access_token, "refresh_token": kept.refresh_token,
                "obtained_at": kept.obtained_at, "expires_at": kept.expires_at,
                "refresh_expires_at": kept.refresh_expires_at, "source": kept.source}
        text = orjson.dumps({"version": 1, "accounts": accounts}, option=orjson.OPT_INDENT_2)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.unreadable:  # kept for whoever wants to look at it, never read again
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_name(self.path.name + ".unreadable"))
            self.unreadable = False
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o600)  # O_CREAT's mode does not apply to a file left by a crash
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        with contextlib.suppress(OSError):  # the rename itself durable
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
