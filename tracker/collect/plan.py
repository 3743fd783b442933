"""The collection plan as text: what is tracked, what it costs per day, what the quota allows."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

from tracker.collect.accounts import VARIABLE
from tracker.collect.comments import REPLY_CALLS
from tracker.collect.config import PlatformConfig
from tracker.collect.platforms import Adapter
from tracker.collect.quota import RESERVE
from tracker.collect.scheduler import Scheduler

DAY = 86400.0


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%MZ")


def counted(creators: Counter[str]) -> str:
    """'12 posts of 3 creators' (posts by creator)."""
    posts, people = sum(creators.values()), len(creators)
    return f"{posts} post{'s' if posts != 1 else ''} of {people} creator{'s' if people != 1 else ''}"


def waiting(scheduler: Scheduler, adapters: dict[str, Adapter]) -> dict[str, Counter[str]]:
    """Per owner-only platform, its scheduled posts that no account may read, by creator (one
    pass over the scheduler): they wait for their creator's authorisation (TRACKER_ACCOUNTS_FILE)."""
    owned = {name: a for name, a in adapters.items() if a.owner_only}
    return {platform: Counter({c: n for c, n in creators.items() if owned[platform].account_by_creator(c) is None})
            for platform, creators in scheduler.creators(owned).items()}


def daily_calls(scheduler: Scheduler, platform: str, batch: int, now: float,
                adapter: Adapter | None = None) -> tuple[float, dict[int, float]]:
    """Calls per day the current cadence asks for, in total and per priority class. On an
    owner-only API (``adapter``) a call reads one account's posts: an account with fewer posts
    than a batch takes a call for them, and posts no account reads take none."""
    per_class: dict[int, float] = {}
    sizes: dict[str, int] = {}  # creator → posts in the batches of its account
    if adapter is not None and adapter.owner_only:
        creators = scheduler.creators([platform]).get(platform, Counter())
        by_account: Counter[int] = Counter()
        accounts = {c: adapter.account_by_creator(c) for c in creators}
        for c, n in creators.items():
            by_account[id(accounts[c])] += n
        sizes = {c: by_account[id(a)] if a is not None else 0 for c, a in accounts.items()}
    for slot in scheduler.scheduled(platform):
        size = batch
        if sizes:
            size = min(batch, sizes.get(scheduler.creator_of(slot), batch))
            if not size:
                continue
        refreshes = DAY / scheduler.interval(slot, now)
        prio = scheduler.priority(slot, now)
        per_class[prio] = per_class.get(prio, 0.0) + refreshes / size
    return sum(per_class.values()), per_class


def comment_calls(tracked: int, every_hours: float, max_pages: int) -> float:
    """The most comment calls per day ``tracked`` posts can take: a visit every ``every_hours`` of
    up to ``max_pages`` calls each (a visit is skipped when the comment count did not grow)."""
    if not tracked or not max_pages:
        return 0.0
    return tracked * max_pages * 24.0 / max(every_hours, 1.0 / 60)


def render(scheduler: Scheduler, configs: dict[str, PlatformConfig], adapters: dict[str, Adapter], now: float,
           clock_label: str, upcoming: int = 10, comments: tuple[float, int] | None = None,
           skipped: dict[str, str] | None = None) -> str:
    """The plan of every configured platform; ``comments``: (hours between visits, pages per visit)
    when comments are collected, for the most calls they can take beside the counters'; ``skipped``:
    the platforms not collected, with what to set. Posts of an owner-only API that no account may
    read are listed with their creators, and left out of the refreshes to come."""
    unauthorised = waiting(scheduler, adapters)
    lines = [f"collection plan at {_when(now)} ({clock_label}); {len(scheduler)} posts in the registry",
             "",
             f"{'platform':<16}{'via':<12}{'tracked':>8}{'due':>6}{'heated':>8}{'young':>7}{'ageing':>8}"
             f"{'old':>6}{'ended':>7}{'batch':>7}{'calls/day':>11}{'quota/day':>11}{'rate/s':>8}  verdict"]
    for platform, cfg in configs.items():
        census = scheduler.census(platform, now)
        adapter = adapters[platform]
        calls, per_class = daily_calls(scheduler, platform, adapter.batch, now, adapter)
        quota = cfg.daily_quota
        rate = cfg.rate_per_second
        verdict = "fits"
        if quota is not None and calls > quota:
            short = []
            for prio in sorted(per_class):
                allowance = quota * (1 - RESERVE[prio])
                if sum(per_class[p] for p in per_class if p <= prio) > allowance:
                    short.append(("heated", "young", "ageing", "old")[prio])
            verdict = f"over quota ({calls:,.0f} > {quota:,.0f}): defers {', '.join(short) or 'old'} first"
        elif rate is not None and calls > rate * DAY:
            verdict = f"rate-bound ({calls:,.0f} > {rate * DAY:,.0f} calls/day)"
        elif not census.get("tracked"):
            verdict = "no posts"
        tracked = census.get("tracked", 0) - census.get("ended", 0)
        most = 0.0
        if comments and adapter.has_comments:  # replies read apart (Bilibili) take calls of their own
            every, pages = comments
            most = comment_calls(tracked, every, pages + (REPLY_CALLS if adapter.replies_apart else 0))
        if most and verdict == "fits":  # comments take only what the counters leave of the quota
            verdict += f"; comments up to {math.ceil(most):,}/day" + (
                "" if quota is None or calls + most <= quota else
                f", more than the {max(0, math.floor(quota - calls)):,} the counters leave: comment visits wait")
        lines.append(
            f"{platform:<16}{adapter.name:<12}{census.get('tracked', 0):>8}{census.get('due', 0):>6}"
            f"{census.get('heated', 0):>8}{census.get('young', 0):>7}{census.get('ageing', 0):>8}"
            f"{census.get('old', 0):>6}{census.get('ended', 0):>7}{adapter.batch:>7}{math.ceil(calls):>11,}"
            f"{'-' if quota is None else f'{quota:,.0f}':>11}{'-' if rate is None else f'{rate:g}':>8}  {verdict}")
    if skipped:
        lines += ["", "not collected (their posts are not polled):"]
        lines += [f"  {platform:<16}{what}" for platform, what in sorted(skipped.items())]
    if any(unauthorised.values()):
        path = next((cfg.accounts.path for cfg in configs.values() if cfg.accounts is not None
                     and cfg.accounts.path is not None), None)
        lines += ["", "waiting for authorisation (not polled, not marked unavailable): add each creator's token to "
                      f"{VARIABLE}" + (f" ({path})" if path else "")]
        for platform, creators in sorted(unauthorised.items()):
            if creators:
                names = sorted(creators, key=lambda c: (-creators[c], c))
                shown = ", ".join(f"{c or '(no creator_id)'} ({creators[c]})" for c in names[:20])
                lines.append(f"  {platform:<16}{counted(creators)}: {shown}"
                             + (f" and {len(names) - 20} more" if len(names) > 20 else ""))
    soon: list[tuple[float, int]] = []
    for platform in configs:
        adapter = adapters[platform]
        for slot in scheduler.scheduled(platform):
            if adapter.owner_only and adapter.account_by_creator(scheduler.creator_of(slot)) is None:
                continue
            soon.append((scheduler.due[slot], slot))
    soon.sort()
    if soon:
        lines += ["", f"next {min(upcoming, len(soon))} refreshes:"]
        for due, slot in soon[:upcoming]:
            ref = scheduler.ref(slot)
            klass = ("heated", "young", "ageing", "old")[scheduler.priority(slot, now)]
            lines.append(f"  {_when(due)}  {ref.post_id:<48} {klass:<7} every "
                         f"{scheduler.interval(slot, now) / 60:g} min  ({ref.tenant})")
    c = scheduler.cadence
    steps = ", ".join(f"<{a:g} h: {m:g} min" for a, m in c.steps)
    lines += ["", f"cadence (event time): {steps}, older: {c.old_minutes:g} min; heated (window + "
                  f"{c.heating_tail_hours:g} h): {c.heated_minutes:g} min; stops at the end of tracking",
              "quota order when short: heated, young (<72 h), ageing (<7 d), old"]
    return "\n".join(lines)
