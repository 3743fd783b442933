"""The re-heat a ``PostDecaying`` alert suggests, read from heating history.

DESIGN.md: the alert carries "a suggested re-heat: expected lift per unit of
spend from this post's earlier pulses, or from its creator's and tier's
history when it was never heated". A history is what the closed heated pulses
of one group brought — the post's own (with the heated pulse the alert is
about, which has run its course), its creator's on the platform, or the
platform-and-tier's within the tenant — in the group's main currency:
incremental engagements, spend, the usual spend per pulse and the channel
used most. The suggestion spends what the group usually spends, through that
channel, and expects the group's engagements per unit of spend.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MIN_PULSES = 3
"""Closed heated pulses a creator's or a tier's history needs before a suggestion rests on it
(one or two pulses say more about their day than about the creator)."""


@dataclass(frozen=True, slots=True)
class HeatingHistory:
    """The closed heated pulses of one group, in one currency."""

    pulses: int
    incremental: float
    """Σ incremental engagements."""
    spend: float
    """Σ spend (> 0)."""
    usual_spend: float
    """Median spend per pulse."""
    currency: str
    channel: str = ""
    """The heating channel used most ("" when unknown)."""

    @property
    def lift_per_spend(self) -> float:
        """Incremental engagements per unit of spend."""
        return self.incremental / self.spend


def heating_history(pulses: Iterable[tuple[float, float, str, str]]) -> HeatingHistory | None:
    """The history of ``pulses`` (incremental, spend, currency, channel), over those in the
    currency most of them were paid in; None when no pulse had a spend."""
    by_currency: dict[str, list[tuple[float, float, str]]] = {}
    for incremental, spend, currency, channel in pulses:
        if spend > 0 and currency:
            by_currency.setdefault(currency, []).append((max(incremental, 0.0), spend, channel))
    if not by_currency:
        return None
    currency, rows = max(by_currency.items(), key=lambda kv: (len(kv[1]), kv[0]))
    channels = Counter(channel for _, _, channel in rows if channel)
    return HeatingHistory(
        pulses=len(rows),
        incremental=sum(r[0] for r in rows),
        spend=sum(r[1] for r in rows),
        usual_spend=statistics.median(r[1] for r in rows),
        currency=currency,
        channel=min(channels, key=lambda c: (-channels[c], c)) if channels else "",
    )


def own_history(
    lift: float, spend: float, currency: str, nodes: Iterable[tuple[float, str, str]]
) -> HeatingHistory | None:
    """A post's own history: ``lift`` and ``spend`` of its closed heated pulses, with the usual
    spend and channel of its executed ``nodes`` (spend, currency, channel) in ``currency``;
    None when it has no heated pulse with a spend."""
    if spend <= 0 or not currency:
        return None
    found = heating_history((0.0, amount, cur, channel) for amount, cur, channel in nodes if cur == currency)
    return HeatingHistory(
        pulses=max(1, found.pulses if found else 0), incremental=lift, spend=spend,
        usual_spend=found.usual_spend if found else spend, currency=currency,
        channel=found.channel if found else "",
    )


def suggest_reheat(
    own: HeatingHistory | None,
    creator: HeatingHistory | None,
    tier: HeatingHistory | None,
    min_pulses: int = MIN_PULSES,
) -> dict[str, Any]:
    """The suggestion of a ``PostDecaying`` alert (``tracker.alerts.v1``'s ``suggestion``).

    The basis is the post's own heated pulses when it has any, else its creator's when they
    number ``min_pulses``, else its platform-and-tier's; with none, the suggestion says so and
    carries no figures. A basis whose boosts brought no incremental engagement (no response)
    suggests no amount either: it says what they cost for nothing (``no_lift``, their spend),
    where it suggested the usual spend for "about 0 engagements". The engagements per unit of
    spend keep four significant figures (0.00003 per VND, not 0.0)."""
    if own is not None and own.pulses > 0:
        history, basis = own, "this post's earlier pulses"
    elif creator is not None and creator.pulses >= min_pulses:
        history, basis = creator, f"this creator's {creator.pulses} heated pulses on the platform"
    elif tier is not None and tier.pulses >= min_pulses:
        history, basis = tier, f"{tier.pulses} heated pulses of the platform's creators of this tier"
    else:
        return {"action": "reheat", "basis": "no heated pulse of this post, its creator or its tier yet"}
    rate = history.lift_per_spend
    if rate <= 0:
        return {"action": "reheat", "no_lift": {"amount": f"{history.spend:.2f}", "currency": history.currency},
                "basis": basis}
    out: dict[str, Any] = {"action": "reheat"}
    if history.channel:
        out["channel"] = history.channel
    out["spend"] = {"amount": f"{history.usual_spend:.2f}", "currency": history.currency}
    out[f"expected_engagements_per_{history.currency.lower()}"] = round(rate, max(4, 3 - math.floor(math.log10(rate))))
    out["expected_engagements"] = round(rate * history.usual_spend)
    out["basis"] = basis
    return out
