"""The order a batch's fetches are applied in: a fetch hands the worker the partitions of its
source topics in no set order, and a post registered in the same batch as its first snapshots
was read without its registry entry when the snapshots' partition came first (no publish time,
tenant or campaign for them)."""

from __future__ import annotations

from faust.types import TP

from tracker.broker import topics as t
from tracker.stream.transport import Fetch
from tracker.stream.worker import applying_order

PREFIX = "acme."
LOGICAL = {PREFIX + name: name for name in (t.POSTS, t.HEATING, t.SNAPSHOTS, t.COMMENTS)}


def fetch(topic: str, partition: int, first: int) -> Fetch:
    return Fetch(TP(PREFIX + topic, partition), [first, first + 1])


def test_the_registry_fetches_of_a_batch_are_applied_first_and_the_rest_as_fetched() -> None:
    fetched = [fetch(t.SNAPSHOTS, 2, 0), fetch(t.HEATING, 0, 0), fetch(t.POSTS, 1, 0), fetch(t.SNAPSHOTS, 0, 0),
               fetch(t.COMMENTS, 3, 0), fetch(t.POSTS, 0, 0), fetch(t.SNAPSHOTS, 2, 2), fetch(t.POSTS, 1, 2)]
    ordered = applying_order(fetched, LOGICAL)
    assert ordered == [fetched[i] for i in (2, 5, 7, 0, 1, 3, 4, 6)]  # each partition's records stay in order
    assert fetched[0].tp.topic == PREFIX + t.SNAPSHOTS  # the fetched list itself is left as it was
