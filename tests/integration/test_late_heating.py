"""A boost recorded after its start had passed the reorder window is credited where it ran.

Ops often enter a DOU+ or shutiao order a day or more after buying it. The stream had made
those hours final: the node's pulse started at the checkpoint, read no response, and the
boost's lift went to the pulse before it. The worker now reads the post again from its
stored snapshots with the node at its start. Two identical posts, against a real broker and
store: one told of its boost ahead, one told three days late; both must report the same pulses.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fixtures.data import T0, burst_views, post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t
from tracker.contracts import encode

pytestmark = pytest.mark.integration

HOURS, BOOST_AT = 120, 40
PULSES = ("SELECT pulse_index, onset, trigger, status, round(incremental_engagements, 3) FROM pulses FINAL "
          "WHERE post_id = {p:String} AND status != 'removed' ORDER BY pulse_index")


def boosted(i: int) -> list[tuple[bytes, bytes]]:
    """A publish burst, then a boost delivering 3,000 views an hour for 6 h from hour 40."""
    return [snapshot(i, k, views=burst_views(k) + 3000 * min(max(k - BOOST_AT, 0), 6)) for k in range(HOURS)]


def node(i: int) -> tuple[bytes, bytes]:
    return post_id(i).encode(), encode(t.HEATING, {
        "tenant": "acme", "post_id": post_id(i), "heating_id": f"h{i}", "channel": "dou+",
        "start": T0 + timedelta(hours=BOOST_AT), "end": T0 + timedelta(hours=BOOST_AT + 6),
        "spend": {"amount": "300.00", "currency": "CNY"}, "status": "executed", "updated_at": T0})


def test_a_boost_recorded_days_late_is_credited_where_it_ran(kafka: str, tracker_topics: str,
                                                             tmp_path: Path) -> None:
    ahead, late = 21, 22
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(ahead), registry(late)]))
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [node(ahead)]))
        worker.wait_caught_up(t.HEATING)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, boosted(ahead) + boosted(late)))
        worker.wait_caught_up(t.SNAPSHOTS)
        client = worker.client()
        before = client.query(PULSES, {"p": post_id(late)}).result_rows
        assert not any(trigger == "heating" for _, _, trigger, _, _ in before)  # the boost read as organic

        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [node(late)]))  # 80 h after its start
        worker.wait_for(f"SELECT count() FROM pulses FINAL WHERE post_id = '{post_id(late)}' "
                        "AND trigger = 'heating' AND status != 'removed'", 1)
        expected = client.query(PULSES, {"p": post_id(ahead)}).result_rows
        got = client.query(PULSES, {"p": post_id(late)}).result_rows
        heated = [row for row in expected if row[2] == "heating"]
        onset = (T0 + timedelta(hours=BOOST_AT)).replace(tzinfo=None)
        assert heated and heated[0][1] == onset and heated[0][4] > 2_000  # 18,000 views: ~2,400 engagements
        assert got == expected
        # what is open now is what the post told on time has open (alerts sent in between stay sent)
        open_now = ("SELECT alert, replaceOne(alert_id, {p:String}, '') FROM alerts FINAL WHERE post_id = {p:String} "
                    "AND state = 'firing' ORDER BY 1, 2")
        assert client.query(open_now, {"p": post_id(late)}).result_rows == \
            client.query(open_now, {"p": post_id(ahead)}).result_rows
    finally:
        worker.stop()
