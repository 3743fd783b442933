"""The registry the simulator serves: tenants, campaigns, creators, posts, heating.

These are what a campaign sheet knows before any counter is read; the
hidden generative parameters of each post live in ``dynamics.py``. Money is
an amount plus an ISO currency; times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tracker.simulate.dynamics import PostDynamics


@dataclass(frozen=True)
class Tenant:
    """The agency's client (the brand); every row of tracker carries it."""

    id: str
    name: str
    reporting_currency: str


@dataclass(frozen=True)
class Campaign:
    """A campaign of one tenant, with its reporting time zone and currency."""

    id: str
    tenant: str
    name: str
    time_zone: str
    reporting_currency: str
    start: datetime
    end: datetime
    brand_terms: tuple[str, ...]  # brand and product names, for the comment lexicon


@dataclass(frozen=True)
class Account:
    """One platform account of a creator."""

    platform: str
    account_id: str  # open_id (Douyin), mid (Bilibili), uid (Weibo), channel id (YouTube)...
    handle: str
    followers: int


@dataclass(frozen=True)
class Creator:
    """A creator of the pool; the tier follows the largest account."""

    id: str
    name: str
    tier: str
    tags: tuple[str, ...]
    accounts: tuple[Account, ...]

    def account(self, platform: str) -> Account:
        """This creator's account on ``platform``."""
        for acc in self.accounts:
            if acc.platform == platform:
                return acc
        raise KeyError(f"{self.id} has no {platform} account")


@dataclass(frozen=True)
class Bundle:
    """A bundle deal: one fee for several posts of one creator, split by tracker."""

    id: str
    campaign: str
    creator: str
    fee: float
    currency: str
    post_ids: tuple[str, ...]


@dataclass(frozen=True)
class HeatingNode:
    """A planned paid boost of one post over a delivery window [start, end)."""

    id: str
    post_id: str
    channel: str
    start: datetime
    end: datetime
    spend: float
    currency: str
    status: str = "planned"


@dataclass
class Post:
    """A placed post and what the campaign sheet knows about it."""

    index: int  # row in the simulator's arrays
    id: str  # "<platform>:<platform_post_id>"
    platform: str
    platform_post_id: str
    url: str
    tenant: str
    campaign: str
    creator: str
    title: str
    content_form: str
    published_at: datetime
    tracking_days: int
    fee: float | None  # None when the post is paid by a bundle
    currency: str
    service_fee_rate: float
    bundle: str | None
    dynamics: PostDynamics = field(repr=False)  # hidden generative parameters
    extra: dict[str, str] = field(default_factory=dict)  # e.g. Bilibili aid, the account id

    @property
    def tracking_hours(self) -> int:
        """Length of the tracking window in hours."""
        return self.tracking_days * 24


@dataclass
class Population:
    """Everything generated from one seed, in a stable order."""

    seed: int
    campaign_start: datetime
    tenants: list[Tenant]
    campaigns: list[Campaign]
    creators: list[Creator]
    posts: list[Post]
    bundles: list[Bundle]
    heating: list[HeatingNode]
    fx: dict[str, float]  # currency -> units of CNY, constant over the campaign (synthetic)

    def creator(self, creator_id: str) -> Creator:
        """The creator with this id."""
        return next(c for c in self.creators if c.id == creator_id)

    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign with this id."""
        return next(c for c in self.campaigns if c.id == campaign_id)
