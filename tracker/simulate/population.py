"""Generate a campaign population from a seed: tenants, creators, posts, heating.

Two tenants with one campaign each: a Chinese skincare brand (CNY,
Asia/Shanghai) mostly on Chinese platforms, and an outdoor brand (USD,
America/Los_Angeles) mostly on TikTok, Instagram and YouTube. Creators span
the tiers in ``catalog.TIERS``; some post several times (bundles), some on
two platforms. Same seed and arguments → the same population.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tracker.simulate import names
from tracker.simulate.catalog import (
    HEATING_SPEND_CNY,
    PLATFORMS,
    TIERS,
    USD_CNY,
    platform_post_id,
    post_url,
    tier_of,
)
from tracker.simulate.clock import parse_time
from tracker.simulate.dynamics import draw_dynamics, free_onset
from tracker.simulate.model import (
    Account,
    Bundle,
    Campaign,
    Creator,
    HeatingNode,
    Population,
    Post,
    Tenant,
)

DEFAULT_CAMPAIGN_START = "2025-09-01T00:00:00Z"
PUBLISH_DAYS = 21  # posts go live over the campaign's first three weeks

TENANTS = (Tenant("lumi-beauty", "Lumi Beauty 露米", "CNY"), Tenant("northpeak", "NorthPeak Outdoor", "USD"))
CAMPAIGN_PLATFORMS = {
    "lumi-beauty": {"douyin": 25, "xiaohongshu": 30, "weibo": 10, "kuaishou": 10, "bilibili": 12,
                    "wechat_channels": 8, "tiktok": 5},
    "northpeak": {"tiktok": 35, "instagram": 30, "youtube": 25, "xiaohongshu": 10},
}
CAMPAIGN_META = {
    "lumi-beauty": ("lumi-serum-launch", "Lumi Blue Serum launch 小蓝瓶上市", "Asia/Shanghai",
                    ("露米", "Lumi", "小蓝瓶", "Blue Serum")),
    "northpeak": ("northpeak-trail-fall", "NorthPeak TrailLite fall push", "America/Los_Angeles",
                  ("NorthPeak", "TrailLite", "北峰", "轻徒步鞋")),
}


def _draw_tier(rnd: random.Random) -> str:
    return rnd.choices(list(TIERS), weights=[t[2] for t in TIERS.values()])[0]


def _followers(rnd: random.Random, tier: str) -> int:
    low, high, _ = TIERS[tier]
    return int(low * (high / low) ** rnd.random())  # log-uniform inside the tier


def _money(amount_cny: float, currency: str) -> float:
    if currency == "CNY":
        return float(round(amount_cny, -2 if amount_cny >= 1000 else -1))
    return float(round(amount_cny / USD_CNY, -1))


class _Builder:
    """Mutable state while drawing; ``population()`` freezes it."""

    def __init__(self, seed: int, start: datetime) -> None:
        self.rnd = random.Random(f"tracker-sim:{seed}")
        self.seed, self.start = seed, start
        self.creators: dict[str, dict] = {}
        self.posts: list[Post] = []
        self.heating: list[HeatingNode] = []

    def creator_for(self, platform: str) -> dict:
        rnd = self.rnd
        same = [c for c in self.creators.values() if platform in c["accounts"]]
        if same and rnd.random() < 0.25:
            return rnd.choice(same)
        others = [c for c in self.creators.values() if platform not in c["accounts"]]
        if others and rnd.random() < 0.08:
            creator = rnd.choice(others)
        else:
            tier = _draw_tier(rnd)
            cid = f"cr-{len(self.creators) + 1:04d}"
            creator = {"id": cid, "name": names.creator_name(rnd, platform), "tier": tier,
                       "tags": names.tags(rnd), "accounts": {}}
            self.creators[cid] = creator
        followers = _followers(rnd, creator["tier"])
        creator["accounts"][platform] = Account(platform, names.account_id(rnd, platform),
                                                names.handle(creator["name"], rnd), followers)
        return creator

    def add_post(self, tenant: Tenant) -> None:
        rnd = self.rnd
        campaign_id = CAMPAIGN_META[tenant.id][0]
        weights = CAMPAIGN_PLATFORMS[tenant.id]
        platform = rnd.choices(list(weights), weights=list(weights.values()))[0]
        spec = PLATFORMS[platform]
        creator = self.creator_for(platform)
        account: Account = creator["accounts"][platform]
        pid = platform_post_id(platform, rnd)
        local_hour = rnd.choice((8, 12, 12, 18, 19, 20, 20, 21, 21, 22))
        day = rnd.randrange(PUBLISH_DAYS)
        published = self.start + timedelta(days=day, hours=(local_hour - spec.utc_offset) % 24)
        tracking_days = rnd.choices((30, 60, 90), weights=(30, 45, 25))[0]
        fee_cny = max(300.0, account.followers * rnd.uniform(0.02, 0.08))
        post_id = f"{platform}:{pid}"
        heats = []
        taken = [0]
        for n in range(rnd.choices((0, 1, 2, 3), weights=(45, 27, 19, 9))[0]):
            onset = free_onset(rnd, taken, 18, tracking_days * 24 - 96)
            if onset is None:
                continue
            taken.append(onset)
            hours = rnd.choice((6, 12, 24, 24, 48))
            spend_cny = rnd.uniform(*HEATING_SPEND_CNY[creator["tier"]])
            spend = _money(spend_cny, spec.currency)
            hid = f"h-{len(self.posts) + 1:04d}-{n + 1}"
            start = published + timedelta(hours=onset)
            self.heating.append(HeatingNode(hid, post_id, spec.heating_channel, start,
                                            start + timedelta(hours=hours), spend, spec.currency))
            heats.append((hid, onset, hours, spend, spend_cny))
        extra: dict[str, str] = {"account_id": account.account_id}
        if platform == "bilibili":
            extra["aid"] = str(rnd.randint(10**8, 10**9))
        index = len(self.posts)
        dyn = draw_dynamics(random.Random(f"tracker-sim:{self.seed}:post:{index}"),
                            rnd.getrandbits(63), platform, account.followers, tracking_days * 24, heats)
        self.posts.append(Post(
            index=index, id=post_id, platform=platform, platform_post_id=pid, url=post_url(platform, pid),
            tenant=tenant.id, campaign=campaign_id, creator=creator["id"],
            title=names.title(rnd, platform, CAMPAIGN_META[tenant.id][3]),
            content_form=rnd.choice(spec.content_forms), published_at=published,
            tracking_days=tracking_days, fee=_money(fee_cny, spec.currency), currency=spec.currency,
            service_fee_rate=spec.service_fee_rate, bundle=None, extra=extra, dynamics=dyn))

    def bundles(self) -> list[Bundle]:
        """Half of the creators with several posts in one campaign get a bundle deal."""
        out: list[Bundle] = []
        groups: dict[tuple[str, str, str], list[Post]] = {}
        for post in self.posts:
            groups.setdefault((post.campaign, post.creator, post.currency), []).append(post)
        for (campaign, creator, currency), posts in groups.items():
            if len(posts) < 2 or self.rnd.random() < 0.5:
                continue
            fee = round(sum(p.fee or 0.0 for p in posts) * 0.8, 2)
            bundle = Bundle(f"b-{len(out) + 1:03d}", campaign, creator, fee, currency,
                            tuple(p.id for p in posts))
            for p in posts:
                p.fee, p.bundle = None, bundle.id
            out.append(bundle)
        return out


def generate_population(seed: int = 7, posts: int = 200,
                        campaign_start: datetime | str = DEFAULT_CAMPAIGN_START) -> Population:
    """The population for (seed, posts, campaign_start); ~75 % of posts in the CN campaign."""
    start = parse_time(campaign_start).replace(minute=0, second=0, microsecond=0)
    b = _Builder(seed, start)
    for _ in range(posts):
        b.add_post(TENANTS[0] if b.rnd.random() < 0.75 else TENANTS[1])
    bundles = b.bundles()
    campaigns = []
    for tenant in TENANTS:
        cid, name, tz, terms = CAMPAIGN_META[tenant.id]
        mine = [p for p in b.posts if p.tenant == tenant.id]
        end = max((p.published_at + timedelta(days=p.tracking_days) for p in mine),
                  default=start + timedelta(days=30))
        campaigns.append(Campaign(cid, tenant.id, name, tz, tenant.reporting_currency, start, end, terms))
    creators = [Creator(c["id"], c["name"], tier_of(max(a.followers for a in c["accounts"].values())),
                        c["tags"], tuple(c["accounts"].values()))
                for c in b.creators.values()]
    return Population(seed, start, list(TENANTS), campaigns, creators, b.posts, bundles, b.heating,
                      fx={"CNY": 1.0, "USD": USD_CNY})
