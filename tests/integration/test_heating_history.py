"""The heating history the worker learns from the store: closed heated pulses only, with their
creator, tier and channel, each tenant's apart."""

from __future__ import annotations

import pytest

from tests.fixtures.heating import NODE_COLUMNS, heated_post, store_rows
from tracker.analytics.reheat import HeatingHistory
from tracker.store.store import Store
from tracker.stream.heating_history import QUERY, histories

pytestmark = pytest.mark.integration


def test_closed_heated_pulses_make_each_creator_s_and_tier_s_history(store: Store) -> None:
    store_rows(
        store,
        heated_post("acme", "bilibili:BV1", "cr1", "micro", [(3000.0, 1000.0, "settled"), (0.0, 500.0, "no-response"),
                                                            (9999.0, 800.0, "open")]),
        heated_post("acme", "bilibili:BV2", "cr1", "micro", [(1500.0, 1000.0, "decaying")], channel="ads"),
        heated_post("acme", "bilibili:BV3", "cr2", "micro", [(800.0, 400.0, "settled")]),
        heated_post("globex", "bilibili:BV4", "cr1", "micro", [(1.0, 1000.0, "settled")]),
    )
    store.insert_sync("pulses", [("acme", "bilibili:BV3", 0, "organic", [], 5000.0, None, "", "settled", 1)],
                      ["tenant", "post_id", "pulse_index", "trigger", "heating_ids", "incremental_engagements",
                       "spend_amount", "spend_currency", "status", "version"])  # an organic pulse has no spend
    known = histories(store.query_sync(QUERY).rows)
    # BV1's running pulse is left out (its lift is still growing); the no-response one counts, at 0
    assert known.creators[("acme", "bilibili", "cr1")] == HeatingHistory(3, 4500.0, 2500.0, 1000.0, "CNY", "qifei")
    assert known.tiers[("acme", "bilibili", "micro")] == HeatingHistory(4, 5300.0, 2900.0, 750.0, "CNY", "qifei")
    assert known.creators[("globex", "bilibili", "cr1")].incremental == 1.0
    assert set(known.tiers) == {("acme", "bilibili", "micro"), ("globex", "bilibili", "micro")}


def test_a_deleted_post_s_pulses_are_not_history(store: Store) -> None:
    store_rows(store, heated_post("acme", "bilibili:BV1", "cr1", "micro", [(3000.0, 1000.0, "settled")]))
    store.insert_sync("posts", [("acme", "bilibili:BV1", "bilibili", "cr1", "micro", 1, 2)],
                      ["tenant", "post_id", "platform", "creator_id", "creator_tier", "deleted", "version"])
    assert histories(store.query_sync(QUERY).rows).creators == {}


def test_a_pulse_whose_boost_was_cancelled_is_no_history(store: Store) -> None:
    """A boost planned, read by the stream, then cancelled: its pulse stands (a row written before
    the cancel still carries the planned 800 CNY) but no boost ran. Counted, the creator's three
    boosts read 3,000 engagements for 2,400 CNY, where the two that ran brought 3,000 for 1,600."""
    post = heated_post("acme", "bilibili:BV1", "cr1", "micro", [(1500.0, 800.0, "settled"), (0.0, 800.0, "no-response"),
                                                                (1500.0, 800.0, "settled")])
    store_rows(store, post)
    cancelled = list(post["heating_nodes"][1])
    cancelled[-2:] = ["cancelled", 2]
    store.insert_sync("heating_nodes", [tuple(cancelled)], NODE_COLUMNS)
    assert histories(store.query_sync(QUERY).rows).creators[("acme", "bilibili", "cr1")] == HeatingHistory(
        2, 3000.0, 1600.0, 800.0, "CNY", "qifei")
