"""Token grants of the simulated platforms: tokens that expire, refresh, client tokens [sim].

The real platforms issue an access token with ``expires_in`` and a refresh token, refresh it at
their token endpoint and refuse an expired token (PLATFORMS.md §4, §6, §8 and their OAuth
documentation). ``Grants`` (``sim.owners.grants``) does so on the simulation's clock for the
creators of the owner-only APIs and for TikTok's Research API:

- The creators' first tokens (``owners.account_token``, ``refresh_token``) never expire unless
  ``expire(platform, seconds)`` says so; then they are refused once ``seconds`` have passed. (The
  default keeps every other test's tokens good for ever.)
- ``refresh(platform, refresh_token)`` issues a new access token living ``lifetime`` (the
  platform's documented life unless set) and, where the platform rotates it (TikTok, Kuaishou),
  a new refresh token ending when the old one would have, the old one refused from then on;
  Douyin keeps its refresh token. A refresh token of an account in ``revoked`` (authorisation
  withdrawn), rotated away, expired or unknown is refused, and so is every access token of a
  revoked account. (Douyin answers a token not yet expired with the same token and a later end;
  here every refresh issues a new one.)
- ``client(key, secret)`` issues TikTok's client token (``clt.…``) for the Research API, living
  ``research_lifetime`` (2 h); the Research API refuses it once expired.
- ``APPS`` and ``RESEARCH_CLIENT`` are the simulated apps' credentials the token endpoints take.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from tracker.simulate.clock import VirtualClock

DAY = 86400.0
APPS = {"douyin": ("sim-douyin-client-key", ""), "tiktok": ("sim-tiktok-client-key", "sim-tiktok-client-secret"),
        "kuaishou": ("sim-kuaishou-app-id", "sim-kuaishou-app-secret")}
"""Each platform's simulated app: (client key or app_id, secret); Douyin's refresh takes no secret."""
RESEARCH_CLIENT = ("sim-research-client-key", "sim-research-client-secret")
"""The simulated TikTok research client: (client key, client secret)."""
LIFETIMES = {"douyin": (15 * DAY, 30 * DAY), "tiktok": (DAY, 365 * DAY), "kuaishou": (2 * DAY, 180 * DAY)}
"""Documented lives of (access token, refresh token), seconds."""
ROTATES = frozenset({"tiktok", "kuaishou"})
RESEARCH_LIFETIME = 7200.0
PREFIX = {"douyin": ("act.", "rft."), "tiktok": ("act.", "rft."), "kuaishou": ("ks.", "ksr.")}
NEVER = float("inf")


def refresh_token(platform: str, account_id: str) -> str:
    """The refresh token that came with the first token of the simulated account [sim]."""
    digest = hashlib.blake2b(f"refresh:{platform}:{account_id}".encode(), digest_size=12).hexdigest()
    return f"{PREFIX.get(platform, ('', ''))[1]}sim{digest}"


@dataclass(frozen=True)
class Issued:
    """A token: whose, and until when (unix seconds)."""

    account: str
    expires: float


@dataclass(frozen=True)
class Refreshed:
    """A refresh's answer."""

    account: str
    access_token: str
    expires_in: float
    refresh_token: str
    refresh_expires_in: float


@dataclass
class Grants:
    """Tokens issued by the simulated token endpoints (see the module docstring)."""

    clock: VirtualClock | None = None
    lifetime: dict[str, float] = field(default_factory=dict)
    """Platform → seconds an access token lives (absent: ``LIFETIMES``)."""
    research_lifetime: float = RESEARCH_LIFETIME
    revoked: set[str] = field(default_factory=set)
    """Account ids whose authorisation was withdrawn: their tokens and refresh tokens are refused."""
    first_ends: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Platform → (end of the creators' first access tokens, of their first refresh tokens)."""
    access: dict[tuple[str, str], Issued] = field(default_factory=dict)
    refresh_tokens: dict[tuple[str, str], Issued] = field(default_factory=dict)
    retired: set[tuple[str, str]] = field(default_factory=set)
    """Refresh tokens rotated away (the first ones included)."""
    clients: dict[str, float] = field(default_factory=dict)
    """Client token → end."""
    refreshed: Counter[str] = field(default_factory=Counter)
    """Refreshes answered with a token, by platform."""
    first_refresh: dict[tuple[str, str], str] = field(default_factory=dict)
    """(platform, first refresh token) → account, filled by ``Owners``."""

    def now(self) -> float:
        return self.clock.timestamp() if self.clock is not None else time.time()

    def expire(self, platform: str, seconds: float, refresh: float | None = None) -> None:
        """From now on ``platform``'s access tokens live ``seconds``, the creators' first ones
        included (issued now), and their first refresh tokens ``refresh`` (None: as documented)."""
        self.lifetime[platform] = seconds
        now = self.now()
        self.first_ends[platform] = (now + seconds, now + (LIFETIMES[platform][1] if refresh is None else refresh))

    def reset(self) -> None:
        """Back to tokens that never expire, nothing issued."""
        fresh = Grants(self.clock, first_refresh=self.first_refresh)
        for name in vars(fresh):
            setattr(self, name, getattr(fresh, name))

    def first_expired(self, platform: str) -> bool:
        """Whether the creators' first access tokens on ``platform`` have expired."""
        return self.now() >= self.first_ends.get(platform, (NEVER, NEVER))[0]

    def issued(self, platform: str, token: str) -> tuple[str, bool] | None:
        """(account, expired) of an access token issued by a refresh; None when it is not one."""
        found = self.access.get((platform, token))
        return None if found is None else (found.account, self.now() >= found.expires)

    def refresh(self, platform: str, token: str) -> Refreshed | None:
        """A new access token for a good refresh token, None when the refresh token is refused."""
        now = self.now()
        key = (platform, token)
        if key in self.retired:
            return None
        if key in self.first_refresh:
            account, ends = self.first_refresh[key], self.first_ends.get(platform, (NEVER, NEVER))[1]
        elif key in self.refresh_tokens:
            account, ends = self.refresh_tokens[key].account, self.refresh_tokens[key].expires
        else:
            return None
        if account in self.revoked or now >= ends:
            return None
        life = self.lifetime.get(platform, LIFETIMES[platform][0])
        access_prefix, refresh_prefix = PREFIX[platform]
        access = f"{access_prefix}sim{uuid.uuid4().hex[:24]}"
        self.access[(platform, access)] = Issued(account, now + life)
        if platform in ROTATES:
            self.retired.add(key)
            token = f"{refresh_prefix}sim{uuid.uuid4().hex[:24]}"
            self.refresh_tokens[(platform, token)] = Issued(account, ends)
        self.refreshed[platform] += 1
        return Refreshed(account, access, life, token, min(ends - now, LIFETIMES[platform][1]))

    def client(self, key: str, secret: str) -> tuple[str, float] | None:
        """A Research API client token and its life for the research client's credentials, else None."""
        if (key, secret) != RESEARCH_CLIENT:
            return None
        token = f"clt.sim{uuid.uuid4().hex[:24]}"
        self.clients[token] = self.now() + self.research_lifetime
        return token, self.research_lifetime

    def client_expired(self, token: str) -> bool:
        """Whether ``token`` is a client token issued here that has expired."""
        ends = self.clients.get(token)
        return ends is not None and self.now() >= ends
