"""The campaign file: the registry of a population, as `tracker posts import` reads it.

Layout (``format: tracker.campaign.v1``; YAML, or JSON for a ``.json`` file, the same document
as at ``GET /_sim/campaign``). Times are RFC 3339 UTC; money is ``{amount, currency}``;
ids are strings (quote them in hand-written YAML: 19-digit ids are not ints)::

    format: tracker.campaign.v1
    source: {tool, seed, posts, campaign_start}   # how to regenerate it
    tenants:   [{id, name, reporting_currency}]
    campaigns: [{id, tenant, name, time_zone, reporting_currency, start, end, brand_terms: [..]}]
    creators:  [{id, name, tier, tags: [..], accounts: [{platform, account_id, handle, followers}]}]
    bundles:   [{id, campaign, creator, fee: {amount, currency}, posts: [post ids]}]
    posts:     [{id: "<platform>:<platform_post_id>", platform, platform_post_id, url, tenant,
                 campaign, creator, title, content_form, published_at, tracking_days,
                 fee: {amount, currency, service_fee_rate} | null (paid by its bundle),
                 bundle: <bundle id> | null, platform_extra: {aid | account_id ...}}]
    heating:   [{id, post, channel, start, end, spend: {amount, currency}, status: planned}]
    fx:        [{date, base, quote, rate}]   # 1 base = rate quote, from that date on
    emv:       [{metric, unit_value, currency, platform?, valid_from?, tenant?}]   # EMV per count

A creator's tier follows its largest account's followers (see ``catalog.TIERS``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml

from tracker.simulate.catalog import TIERS
from tracker.simulate.clock import iso
from tracker.simulate.model import Population

FORMAT = "tracker.campaign.v1"
DEMO_EMV = {"views": 0.02, "likes": 0.3, "comments": 1.0, "shares": 0.8, "saves": 1.2, "searches": 2.0}
"""CNY per count, every platform: illustrative figures for the demo's EMV, not a market rate."""


def _money(amount: float, currency: str, **more: Any) -> dict[str, Any]:
    return {"amount": amount, "currency": currency, **more}


def campaign_document(population: Population) -> dict[str, Any]:
    """The registry of ``population`` as plain data (see the module docstring)."""
    pop = population
    return {
        "format": FORMAT,
        "source": {"tool": "tracker simulate", "seed": pop.seed, "posts": len(pop.posts),
                   "campaign_start": iso(pop.campaign_start)},
        "tenants": [{"id": t.id, "name": t.name, "reporting_currency": t.reporting_currency} for t in pop.tenants],
        "campaigns": [{"id": c.id, "tenant": c.tenant, "name": c.name, "time_zone": c.time_zone,
                       "reporting_currency": c.reporting_currency, "start": iso(c.start), "end": iso(c.end),
                       "brand_terms": list(c.brand_terms)} for c in pop.campaigns],
        "creators": [{"id": c.id, "name": c.name, "tier": c.tier, "tags": list(c.tags),
                      "accounts": [{"platform": a.platform, "account_id": a.account_id, "handle": a.handle,
                                    "followers": a.followers} for a in c.accounts]} for c in pop.creators],
        "bundles": [{"id": b.id, "campaign": b.campaign, "creator": b.creator, "fee": _money(b.fee, b.currency),
                     "posts": list(b.post_ids)} for b in pop.bundles],
        "posts": [{"id": p.id, "platform": p.platform, "platform_post_id": p.platform_post_id, "url": p.url,
                   "tenant": p.tenant, "campaign": p.campaign, "creator": p.creator, "title": p.title,
                   "content_form": p.content_form, "published_at": iso(p.published_at),
                   "tracking_days": p.tracking_days,
                   "fee": None if p.fee is None else _money(p.fee, p.currency, service_fee_rate=p.service_fee_rate),
                   "bundle": p.bundle, "platform_extra": dict(p.extra)} for p in pop.posts],
        "heating": [{"id": h.id, "post": h.post_id, "channel": h.channel, "start": iso(h.start), "end": iso(h.end),
                     "spend": _money(h.spend, h.currency), "status": h.status} for h in pop.heating],
        "fx": [{"date": pop.campaign_start.date().isoformat(), "base": cur, "quote": "CNY", "rate": rate}
               for cur, rate in pop.fx.items() if cur != "CNY"],
        # each tenant's own: an entry without a tenant prices every tenant's posts, later ones included
        "emv": [{"metric": metric, "unit_value": value, "currency": "CNY", "tenant": tenant}
                for tenant in sorted({c.tenant for c in pop.campaigns}) for metric, value in DEMO_EMV.items()],
    }


def _header(population: Population) -> str:
    tiers = ", ".join(f"{name} {low:,}-{high:,}" for name, (low, high, _) in TIERS.items())
    return (f"# tracker campaign file ({FORMAT}), written by `tracker simulate --write-campaign`.\n"
            f"# Regenerate: tracker simulate --seed {population.seed} --posts {len(population.posts)} "
            f"--campaign-start {iso(population.campaign_start)} --write-campaign FILE\n"
            f"# Import: tracker posts import FILE. Layout: tracker/simulate/registry.py.\n"
            f"# EMV unit values (emv) are illustrative, not a market rate: set your own. They are the demo tenants'\n"
            f"# own (tenant: ...): an entry without a tenant would price every tenant's posts, later ones included.\n"
            f"# Tiers by followers: {tiers}.\n")


SUFFIXES = (".yaml", ".yml", ".json")


def write_campaign(population: Population, path: str | Path) -> Path:
    """Write the campaign file, as JSON when ``path`` ends in .json, else as YAML with an
    explanatory header; returns the path. Other suffixes are refused (ValueError): `tracker
    posts import` reads a file by its suffix."""
    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{out}: a campaign file ends in {', '.join(SUFFIXES)} (got {out.suffix or 'no suffix'})")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".json":
        out.write_bytes(orjson.dumps(campaign_document(population), option=orjson.OPT_INDENT_2) + b"\n")
        return out
    body = yaml.safe_dump(campaign_document(population), allow_unicode=True, sort_keys=False, width=120,
                          default_flow_style=None)
    out.write_text(_header(population) + body, encoding="utf-8")
    return out
