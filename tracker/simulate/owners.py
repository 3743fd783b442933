"""Whose videos a token reads on the owner-only APIs, as the real platforms answer [sim tokens].

Douyin's video data and comments, TikTok's Display API, Kuaishou's photo info and Instagram's
media read only the videos of the account that authorised the token (PLATFORMS.md §3, §4, §6,
§8). With ``Owners.enforced`` (``sim.owners``) the simulator answers so: every simulated
creator account has its own token (``account_token``); a video of another account is left out of
the answer (Douyin video data, TikTok Display) or answered with the platform's not-found error
(Douyin comments, Kuaishou, Instagram); a token the simulator does not know is refused as
invalid, and one of an account in ``expired`` as expired. ``AGENCY`` reads every account's
videos. Off (the default) every token, or none, reads every video: the tests and tools that do
not care whose token reads what.

Tokens expire and are refreshed as ``grants.py`` says (``Owners.grants``): a token a refresh
issued reads its account's videos until its end, a first token until ``Grants.expire`` makes it
end, and no token of an account whose authorisation was revoked reads anything.

``accounts_document`` is the TRACKER_ACCOUNTS_FILE a collector needs to read every simulated
creator with its own token (what ``tracker run --demo`` hands its collectors), with each one's
refresh token on request.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tracker.simulate.clock import VirtualClock
from tracker.simulate.grants import Grants, refresh_token
from tracker.simulate.model import Population, Post

OWNER_ONLY = ("douyin", "tiktok", "kuaishou", "instagram")
AGENCY = "sim-agency-reads-all"
"""A token every owner-only API of the simulator takes for any account's videos [sim]."""
_PREFIX = {"douyin": "act.", "tiktok": "act.", "kuaishou": "ks.", "instagram": "IGQW"}


def account_token(platform: str, account_id: str) -> str:
    """The token the simulated account ``account_id`` authorised on ``platform`` [sim]."""
    digest = hashlib.blake2b(f"{platform}:{account_id}".encode(), digest_size=12).hexdigest()
    return f"{_PREFIX.get(platform, '')}sim{digest}"


@dataclass(frozen=True)
class Reader:
    """Who a request's token is: ``account`` reads its own videos (None: every video), or
    ``problem`` (``invalid``, ``expired``) refuses it."""

    account: str | None = None
    problem: str = ""

    def reads(self, post: Post) -> bool:
        """Whether this token reads ``post``."""
        return self.account is None or post.extra.get("account_id") == self.account


@dataclass
class Owners:
    """Token checks of the owner-only APIs of one simulation (see the module docstring)."""

    population: Population
    enforced: bool = False
    expired: set[str] = field(default_factory=set)
    """Account ids whose token the platforms answer as expired (the creator must authorise again)."""
    clock: VirtualClock | None = None
    grants: Grants = field(init=False)
    """Tokens issued by the token endpoints, and when tokens expire (``grants.py``)."""
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        accounts = [a for c in self.population.creators for a in c.accounts if a.platform in OWNER_ONLY]
        self.grants = Grants(self.clock, first_refresh={(a.platform, refresh_token(a.platform, a.account_id)):
                                                        a.account_id for a in accounts})

    def reader(self, platform: str, token: str | None) -> Reader:
        """Whose videos ``token`` reads on ``platform``."""
        if not self.enforced or platform not in OWNER_ONLY or token == AGENCY:
            return Reader()
        if not self._tokens:
            self._tokens = {(a.platform, account_token(a.platform, a.account_id)): a.account_id
                            for c in self.population.creators for a in c.accounts if a.platform in OWNER_ONLY}
        account = self._tokens.get((platform, token or ""))
        ended = account is not None and self.grants.first_expired(platform)
        if account is None and (issued := self.grants.issued(platform, token or "")) is not None:
            account, ended = issued
        if account is None or account in self.grants.revoked:
            return Reader(problem="invalid")
        if account in self.expired or ended:
            return Reader(problem="expired")
        return Reader(account)


def bearer(value: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header ('' without one)."""
    return value[7:].strip() if value and value.startswith("Bearer ") else ""


def accounts_document(population: Population, refresh: bool = False) -> dict[str, Any]:
    """TRACKER_ACCOUNTS_FILE for every simulated creator of the owner-only platforms: platform →
    creator id → its token (and Douyin open_id; with ``refresh``, its refresh token where the
    platform has one)."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for creator in population.creators:
        for acc in creator.accounts:
            if acc.platform not in OWNER_ONLY:
                continue
            entry = {"access_token": account_token(acc.platform, acc.account_id)}
            if acc.platform == "douyin":
                entry["open_id"] = acc.account_id
            if refresh and acc.platform != "instagram":
                entry["refresh_token"] = refresh_token(acc.platform, acc.account_id)
            out.setdefault(acc.platform, {})[creator.id] = entry
    return {p: out[p] for p in OWNER_ONLY if p in out}


def write_accounts(population: Population, path: str | Path) -> Path:
    """Write ``accounts_document`` as YAML, readable by its owner alone; returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = ("# TRACKER_ACCOUNTS_FILE of the simulated creators (written by tracker's simulator): each creator's own\n"
            "# token on the owner-only APIs, which read only the videos of the account that authorised it.\n"
            + yaml.safe_dump(accounts_document(population), sort_keys=False, width=120))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return out
