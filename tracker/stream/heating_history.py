"""Heating history for ``PostDecaying``'s re-heat suggestion, learned from the store.

A post that was never heated is suggested a re-heat on its creator's history
on the platform, or on its platform-and-tier's (``analytics.reheat``). Both are
read from the closed heated pulses in ``pulses`` (a pulse whose interval ended,
or that settled or never responded), with the creator and tier of their post
from ``posts``. A pulse is priced by its nodes in ``heating_nodes``, cancelled
ones left out, as the ROI views price it (migrations 0012 and 0018): the sum of
their amounts when they share a currency, the channel of the first. A pulse
whose nodes were all cancelled after the stream read it stands, but no boost
ran: it is no history (its stored row could still carry the planned amount).
Histories stay within their tenant: one tenant's spend never prices another's
suggestion. Each (tenant, platform, tier) keeps its ``SAMPLE`` latest pulses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.analytics.reheat import HeatingHistory, heating_history

SAMPLE = 2_000
"""Latest closed heated pulses per (tenant, platform, tier) at most."""

QUERY = f"""
SELECT c.tenant, c.platform, c.creator_id, c.creator_tier, p.incremental_engagements,
       toFloat64(n.spend), n.currency, n.channel
FROM (
    SELECT tenant, post_id, pulse_index, onset, incremental_engagements
    FROM pulses FINAL
    WHERE trigger = 'heating'
      AND (ends_at IS NOT NULL OR status IN ('settled', 'no-response'))
) AS p
INNER JOIN (
    SELECT tenant, post_id, platform, creator_id, creator_tier FROM posts FINAL WHERE deleted = 0
) AS c ON c.tenant = p.tenant AND c.post_id = p.post_id
INNER JOIN (
    SELECT k.tenant AS tenant, k.post_id AS post_id, k.pulse_index AS pulse_index, sum(h.spend_amount) AS spend,
           any(h.spend_currency) AS currency, argMin(h.channel, (h.start_at, h.heating_id)) AS channel
    FROM (
        SELECT tenant, post_id, pulse_index, heating_id
        FROM pulses FINAL
        ARRAY JOIN heating_ids AS heating_id
        WHERE trigger = 'heating'
    ) AS k
    INNER JOIN (
        SELECT tenant, post_id, heating_id, channel, start_at, spend_amount, spend_currency
        FROM heating_nodes FINAL
        WHERE status != 'cancelled' AND spend_amount IS NOT NULL
    ) AS h ON h.tenant = k.tenant AND h.post_id = k.post_id AND h.heating_id = k.heating_id
    GROUP BY k.tenant, k.post_id, k.pulse_index
    HAVING uniqExact(h.spend_currency) = 1 AND spend > 0
) AS n ON n.tenant = p.tenant AND n.post_id = p.post_id AND n.pulse_index = p.pulse_index
ORDER BY p.onset DESC
LIMIT {SAMPLE} BY c.tenant, c.platform, c.creator_tier
"""


@dataclass
class HeatingHistories:
    """Per creator (tenant, platform, creator id) and per tier (tenant, platform, tier)."""

    creators: dict[tuple[str, str, str], HeatingHistory] = field(default_factory=dict)
    tiers: dict[tuple[str, str, str], HeatingHistory] = field(default_factory=dict)


def histories(rows: Iterable[Sequence[Any]]) -> HeatingHistories:
    """The histories of :data:`QUERY`'s rows (tenant, platform, creator id, tier, incremental,
    spend, currency, channel)."""
    creators: dict[tuple[str, str, str], list[tuple[float, float, str, str]]] = {}
    tiers: dict[tuple[str, str, str], list[tuple[float, float, str, str]]] = {}
    for tenant, platform, creator, tier, incremental, spend, currency, channel in rows:
        pulse = (float(incremental or 0.0), float(spend or 0.0), currency or "", channel or "")
        creators.setdefault((tenant, platform, creator), []).append(pulse)
        tiers.setdefault((tenant, platform, tier), []).append(pulse)
    out = HeatingHistories()
    for groups, target in ((creators, out.creators), (tiers, out.tiers)):
        for key, pulses in groups.items():
            found = heating_history(pulses)
            if found is not None:
                target[key] = found
    return out
