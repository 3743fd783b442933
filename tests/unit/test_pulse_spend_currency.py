"""A pulse row's spend is in its own nodes' currency: never a sum across currencies, never the
currency of another pulse's node, none on an organic pulse.

The worker used to write every pulse row with the currency of the last heating node it had
read: a 100 USD and a 350 CNY node starting the same hour made one pulse of "450" in whichever
came last, and organic pulses carried a currency too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.fixtures.data import T0
from tests.unit.test_insights import likes_at, registry, run, snapshot
from tracker.broker import topics as t
from tracker.contracts import decode, encode
from tracker.stream import rows as r

POST = "douyin:7301"


def node(heating_id: str, amount: str, currency: str, hour: int, status: str = "executed") -> dict[str, Any]:
    return decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": heating_id, "channel": "dou+",
        "start": T0 + timedelta(hours=hour), "spend": {"amount": amount, "currency": currency}, "status": status,
        "updated_at": T0}))


def pulse_rows(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    msgs = [(t.POSTS, registry())] + [(t.HEATING, n) for n in nodes]
    _, out = run(msgs + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(96)])
    return [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]


def test_a_pulse_of_nodes_in_two_currencies_has_no_amount_in_either() -> None:
    rows = pulse_rows([node("hu", "100.00", "USD", 48), node("hc", "350.00", "CNY", 48)])
    heated = [p for p in rows if p["trigger"] == "heating"]
    assert heated and all(sorted(p["heating_ids"]) == ["hc", "hu"] for p in heated)
    assert {(p["spend_amount"], p["spend_currency"]) for p in heated} == {(None, "")}  # not 450 CNY
    organic = [p for p in rows if p["trigger"] == "organic"]
    assert organic and {(p["spend_amount"], p["spend_currency"]) for p in organic} == {(None, "")}


def test_a_pulse_takes_its_own_nodes_currency_not_the_latest_nodes() -> None:
    """hc (CNY) is read last but starts a pulse of its own, a week later, past these snapshots."""
    rows = pulse_rows([node("hu", "100.00", "USD", 48), node("h2", "50.00", "USD", 48),
                       node("hc", "350.00", "CNY", 24 * 7)])
    heated = [p for p in rows if p["trigger"] == "heating"]
    assert heated and {(p["spend_amount"], p["spend_currency"]) for p in heated} == {(Decimal("150.0"), "USD")}
    assert {p["spend_currency"] for p in rows if p["trigger"] == "organic"} == {""}
