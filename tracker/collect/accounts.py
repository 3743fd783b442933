"""Per-creator credentials of the owner-only APIs: who authorised the agency's app, with which token.

Douyin's video data, TikTok's Display API, Kuaishou's photo info and Instagram's media insights
read only the videos of the account that authorised the token (PLATFORMS.md §3, §4, §6, §8): a
KOL campaign's dozens of creators each authorise the agency's app, and each creator's posts are
read with that creator's token. ``TRACKER_ACCOUNTS_FILE`` lists them, by platform and by the
creator's id in the registry (``creator_id``), YAML or JSON::

    douyin:
      cr-0001: {access_token: act.1a2b..., open_id: _000QxZ...}   # open_id comes with the token
    tiktok:
      cr-0002: {access_token: act.9f8e..., refresh_token: rft.5c6d...}   # Display API user token
    kuaishou:
      cr-0003: {access_token: 3a4b...}       # the app_id stays TRACKER_KUAISHOU_APP_ID
    instagram:
      cr-0004: {access_token: IGQW...}       # media insights need the media owner's token

The platform-wide settings (``TRACKER_DOUYIN_ACCESS_TOKEN`` + ``TRACKER_DOUYIN_OPEN_ID``, …) stay
the account of every creator the file does not list (a brand tracking its own account). A post
of a creator with neither is not polled: it waits, counted, and ``tracker collect --plan`` names
its creator. The collector looks at the file again every ``TRACKER_ACCOUNTS_RELOAD_SECONDS`` and
reads it when it changed; a file that no longer reads keeps the accounts in force (logged).
Tokens are never logged nor shown in an error.

An entry may carry the creator's ``refresh_token`` (Douyin, TikTok, Kuaishou, ``OPTIONAL``): the
collector then renews that creator's access token itself (``renewal.py``). The renewed tokens are
the account in force (``Accounts.renew``) in place of the file's entry, which tracker never
rewrites, until that entry changes.
"""

from __future__ import annotations

import difflib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import yaml
from pydantic import SecretStr

from tracker.errors import ConfigError

log = logging.getLogger(__name__)
VARIABLE = "TRACKER_ACCOUNTS_FILE"
FIELDS: dict[str, tuple[str, ...]] = {
    "douyin": ("access_token", "open_id"),
    "tiktok": ("access_token",),
    "kuaishou": ("access_token",),
    "instagram": ("access_token",),
}
"""What an account holds on each owner-only platform, all of it required: the user token and, on
Douyin, the open_id of the account that authorised it. Kuaishou's app_id is the app's, not the
creator's (TRACKER_KUAISHOU_APP_ID)."""
OPTIONAL: dict[str, tuple[str, ...]] = {
    "douyin": ("refresh_token",),
    "tiktok": ("refresh_token",),
    "kuaishou": ("refresh_token",),
    "instagram": (),
}
"""What an entry may hold besides: the refresh token that came with the access token, with which
the collector renews it (the platform's app credentials set)."""


@dataclass(frozen=True, eq=False)
class Account:
    """One authorised account; ``creator`` is '' for the platform-wide one of the settings."""

    platform: str
    creator: str
    values: Mapping[str, SecretStr] = field(default_factory=dict, repr=False)

    def get(self, name: str) -> str:
        """A credential's value ('' when unset); never log it."""
        value = self.values.get(name)
        return value.get_secret_value() if value is not None else ""

    @property
    def label(self) -> str:
        """Who this account is, for logs: the creator, or the platform-wide settings."""
        return f"creator {self.creator}" if self.creator else f"TRACKER_{self.platform.upper()}_*"


Table = dict[str, dict[str, Account]]


def _where(path: Path, entry: str = "") -> str:
    return f"{VARIABLE} {path}" + (f": {entry}" if entry else "")


def _closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def parse(text: bytes, path: Path) -> Table:
    """The accounts of a file's text; ConfigError naming the file and the entry at fault. The
    messages never quote a value: they would show a token."""
    try:
        if path.suffix.lower() == ".json":
            data = orjson.loads(text) if text.strip() else None
        else:
            data = yaml.safe_load(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{_where(path)}: not valid JSON ({str(exc).split(':', 1)[0]} at "
                          f"line {exc.lineno}, column {exc.colno})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{_where(path)}: not valid YAML ({getattr(exc, 'problem', None) or 'unreadable'}{at})") \
            from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{_where(path)}: expected a mapping platform → creator id → credentials, "
                          f"got {type(data).__name__}")
    table: Table = {}
    for platform, creators in data.items():
        if platform not in FIELDS:
            known = ", ".join(FIELDS)
            why = (f"{platform} is read with the platform-wide settings alone; " if isinstance(platform, str)
                   and platform in ("weibo", "youtube", "bilibili", "xiaohongshu", "wechat_channels", "generic")
                   else f"unknown platform {platform!r}{_closest(str(platform), list(FIELDS))}; ")
            raise ConfigError(f"{_where(path)}: {why}accounts are for the owner-only APIs: {known}")
        if creators is None:
            creators = {}
        if not isinstance(creators, dict):
            raise ConfigError(f"{_where(path, platform)}: expected a mapping creator id → credentials, "
                              f"got {type(creators).__name__}")
        table[platform] = {}
        for creator, entry in creators.items():
            if not isinstance(creator, str) or not creator.strip():
                raise ConfigError(f"{_where(path, platform)}: creator id {creator!r} is no text: write the "
                                  f"creator_id of the registry, quoted when it looks like a number")
            name = f"{platform}.{creator}"
            keys = FIELDS[platform] + OPTIONAL[platform]
            takes = ", ".join(FIELDS[platform]) + "".join(f"[, {k}]" for k in OPTIONAL[platform])
            if not isinstance(entry, dict):
                raise ConfigError(f"{_where(path, name)}: expected a mapping {{{takes}}}, got {type(entry).__name__}")
            unknown = [str(k) for k in entry if k not in keys]
            if unknown:
                raise ConfigError(f"{_where(path, name)}: unknown key {unknown[0]!r}"
                                  f"{_closest(unknown[0], keys)}; {platform} takes {takes}")
            values: dict[str, SecretStr] = {}
            for key in keys:
                value = entry.get(key)
                if key in OPTIONAL[platform] and value is None:
                    continue
                if value is None or (isinstance(value, str) and not value.strip()):
                    raise ConfigError(f"{_where(path, name)}: no {key}")
                if not isinstance(value, str):
                    raise ConfigError(f"{_where(path, name)}: {key} is a {type(value).__name__}, not a text "
                                      f"(quote it)")
                values[key] = SecretStr(value.strip())
            table[platform][creator] = Account(platform, creator, values)
    return table


def read(path: Path) -> Table:
    """The accounts of ``path``; ConfigError when it is missing, unreadable or malformed."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{_where(path)}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{_where(path)}: a folder, not a file") from None
    except OSError as exc:
        raise ConfigError(f"{_where(path)}: cannot be read ({exc.strerror})") from None
    return parse(text, path)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class Accounts:
    """The accounts in force, by platform and creator id; reread when the file changes."""

    def __init__(self, path: Path | None, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.every = every
        self.clock = clock
        self.table: Table = read(path) if path is not None else {}
        self.stamp = _stamp(path) if path is not None else None
        self.checked = clock()
        self.version = 0
        """Bumped whenever the accounts change (the collector looks again at the posts that wait)."""
        self.changed: set[tuple[str, str]] = set()
        """(platform, creator) of the entries the last change added, altered or removed."""
        self.problem = ""
        self.renewed: dict[tuple[str, str], Account] = {}
        """(platform, creator) → the account with its renewed tokens, in force instead of the file's
        entry until that entry changes (``renewal.py``)."""

    def find(self, platform: str, creator: str) -> Account | None:
        """The account in force for this creator on this platform, if any: its renewed tokens, else
        the file's entry."""
        return self.renewed.get((platform, creator)) or self.entry(platform, creator)

    def entry(self, platform: str, creator: str) -> Account | None:
        """The file's own entry for this creator on this platform, if any."""
        return self.table.get(platform, {}).get(creator)

    def renew(self, account: Account) -> None:
        """``account`` (renewed tokens of a creator the file lists) is in force from now on."""
        self.renewed[(account.platform, account.creator)] = account

    def forget(self, platform: str, creator: str) -> None:
        """The file's entry is in force again for this creator."""
        self.renewed.pop((platform, creator), None)

    def listed(self, platform: str) -> int:
        """How many creators the file authorises on ``platform``."""
        return len(self.table.get(platform, {}))

    def refresh(self, force: bool = False) -> bool:
        """Read the file again if it changed, at most every ``every`` seconds (``force``: now);
        True when the accounts changed. A file that no longer reads keeps the accounts in force."""
        if self.path is None or (not force and (not self.every or self.clock() - self.checked < self.every)):
            return False
        self.checked = self.clock()
        stamp = _stamp(self.path)
        if stamp == self.stamp:
            return False
        try:
            table = read(self.path)
        except ConfigError as exc:
            if str(exc) != self.problem:
                log.error("%s; the accounts read before stay in force until it is fixed", exc)
            self.problem, self.stamp = str(exc), stamp
            return False
        self.problem, self.stamp = "", stamp
        changed = _changed(table, self.table)
        if not changed:
            return False
        self.table, self.changed = table, changed
        for key in changed:  # an edited entry wins over the tokens renewed from it
            self.renewed.pop(key, None)
        self.version += 1
        log.info("%s reread: %s", _where(self.path),
                 ", ".join(f"{p} {len(c)} creator(s)" for p, c in table.items()) or "no accounts")
        return True


def _changed(a: Table, b: Table) -> set[tuple[str, str]]:
    """(platform, creator) of the entries in one table and not the same in the other."""
    def flat(t: Table) -> dict[tuple[str, str], dict[str, str]]:
        return {(p, c): {k: v.get_secret_value() for k, v in acc.values.items()}
                for p, creators in t.items() for c, acc in creators.items()}

    fa, fb = flat(a), flat(b)
    return {key for key in fa.keys() | fb.keys() if fa.get(key) != fb.get(key)}
