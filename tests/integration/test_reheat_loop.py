"""The re-heat loop as ops live it, on the real broker, worker and store: a decaying post's
suggestion, the boost recorded with ``tracker heat``, the alert resolving on its pulse."""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.fixtures.data import T0, burst_views, post_id, registry, snapshot
from tests.fixtures.heating import heated_post, tables
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t
from tracker.cli.main import main
from tracker.contracts import encode

pytestmark = pytest.mark.integration

POST = post_id(1)


def node(heating_id: str, hour: int, amount: str, status: str) -> tuple[bytes, bytes]:
    return POST.encode(), encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": heating_id, "channel": "qifei",
        "start": T0 + timedelta(hours=hour), "end": T0 + timedelta(hours=hour + 12),
        "spend": {"amount": amount, "currency": "CNY"}, "status": status, "updated_at": T0})


def views(k: int) -> int:
    """The publish burst, and an 800 CNY boost from hour 120 adding about 30,000 views."""
    return burst_views(k) + (int(30_000 * (1 - 0.85 ** (k - 119))) if k >= 120 else 0)


def test_a_boost_planned_then_cancelled_lets_the_alert_fire_and_costs_nothing(kafka: str, tracker_topics: str,
                                                                            tmp_path: Path) -> None:
    """A boost planned for hour 60 holds back the publish burst's ``PostDecaying``; it never ran. Once
    its pulse reads no response, the burst's decay it was bought against is alerted on that pulse,
    saying the boost brought nothing. Ops cancel it: the post is read again without it, that alert
    resolves and the burst's fires on the burst. An 800 CNY boost at hour 120 then resolves it, and
    once that boost has run its course its alert expects what heating efficiency reads for the post
    (the boost's engagements per CNY), not that lift over 1,600 CNY."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    firing = "SELECT count() FROM alerts FINAL WHERE alert = 'PostDecaying' AND state = 'firing'"
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(1)]))
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [node("p1", 60, "800.00", "planned")]))
        worker.wait_caught_up(t.HEATING)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(1, k, views=views(k)) for k in range(90)]))
        worker.wait_caught_up(t.SNAPSHOTS)
        worker.wait_for("SELECT count() FROM pulses FINAL WHERE has(heating_ids, 'p1')", 1)
        on_pulse = firing + " AND JSONExtractInt(evidence, 'pulse') = {}"
        worker.wait_for(on_pulse.format(1), 1)  # held back while planned, then alerted on the boost's pulse
        assert worker.scalar(firing) == 1
        assert worker.scalar("SELECT JSONExtract(evidence, 'after_no_response', 'Array(String)') FROM alerts FINAL "
                             "WHERE alert = 'PostDecaying'") == ["p1"]
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [node("p1", 60, "800.00", "cancelled")]))
        worker.wait_for(on_pulse.format(0), 1)
        assert worker.scalar(firing) == 1
        resolved = worker.scalar("SELECT JSONExtractString(evidence, 'reason') FROM alerts FINAL "
                                 "WHERE alert = 'PostDecaying' AND state = 'resolved'")
        assert resolved == "read again without the cancelled boost p1"
        worker.wait_for("SELECT count() FROM pulses FINAL WHERE has(heating_ids, 'p1') AND status != 'removed'", 0)

        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [node("h2", 120, "800.00", "executed")]))
        worker.wait_caught_up(t.HEATING)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(1, k, views=views(k)) for k in range(90, 300)]))
        fired = ("SELECT suggestion FROM alerts FINAL WHERE alert = 'PostDecaying' AND state = 'firing' "
                 "AND JSONExtractString(evidence, 'pulse_trigger') = 'heating'")
        worker.wait_for(f"SELECT count() FROM ({fired})", 1)
        worker.wait_caught_up(t.SNAPSHOTS)
        suggestion = json.loads(worker.scalar(fired))
        efficiency = worker.scalar(f"SELECT heating_efficiency FROM v_roi_post WHERE post_id = '{POST}'")
        assert math.isclose(suggestion["expected_engagements_per_cny"], efficiency, rel_tol=0.02), (suggestion,
                                                                                                    efficiency)
    finally:
        worker.stop()


def test_a_creator_whose_boosts_never_responded_is_suggested_no_amount(kafka: str, tracker_topics: str,
                                                                      tmp_path: Path) -> None:
    """The creator's three earlier boosts (500 CNY each, on other posts) got no response. A post of
    theirs decaying was suggested "re-heat via qifei with 500 CNY: about 0 engagements per CNY,
    about 0 in all"; it is suggested no amount, and told what those boosts cost for nothing."""
    history = [heated_post("acme", f"bilibili:H{k}", "cr1", "micro", [(0.0, 500.0, "no-response")]) for k in range(3)]
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_RATIO_STATS_SECONDS="1")
    worker.prefill(tables(*history)).start()
    try:
        deadline = time.monotonic() + 60
        while 'tracker_heating_histories{basis="creator"} 1.0' not in _metrics(worker):
            assert time.monotonic() < deadline, "the worker did not learn the creator's history"
            time.sleep(0.5)
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(1)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(1, k, views=burst_views(k)) for k in range(80)]))
        fired = "SELECT suggestion FROM alerts FINAL WHERE alert = 'PostDecaying' AND state = 'firing'"
        worker.wait_for(f"SELECT count() FROM ({fired})", 1)
        assert json.loads(worker.scalar(fired)) == {
            "action": "reheat", "no_lift": {"amount": "1500.00", "currency": "CNY"},
            "basis": "this creator's 3 heated pulses on the platform"}
    finally:
        worker.stop()


def test_the_alert_a_boost_ends_resolves_saying_the_post_was_re_heated(kafka: str, tracker_topics: str,
                                                                     tmp_path: Path) -> None:
    """Alerted at hour 51, ops record an 800 CNY dou+ boost from hour 60 with ``tracker heat``: the
    alert resolves on the boost's pulse saying the post was re-heated, through which channel and
    for how much (it read "a new pulse started after pulse 0", as an organic rise reads)."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}

    def boosted(k: int) -> int:
        return burst_views(k) + (int(30_000 * (1 - 0.85 ** (k - 59))) if k >= 60 else 0)

    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(1)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(1, k, views=boosted(k)) for k in range(58)]))
        worker.wait_for("SELECT count() FROM alerts FINAL WHERE alert = 'PostDecaying' AND state = 'firing'", 1)
        start = f"{T0 + timedelta(hours=60):%Y-%m-%dT%H:%M:%SZ}"
        result = CliRunner().invoke(main, ["heat", POST, "--spend", "800", "--channel", "dou+", "--start", start],
                                    env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        worker.wait_caught_up(t.HEATING)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(1, k, views=boosted(k)) for k in range(58, 90)]))
        worker.wait_for("SELECT count() FROM alerts FINAL WHERE alert = 'PostDecaying' AND state = 'resolved'", 1)
        summary = worker.scalar("SELECT summary FROM alerts FINAL WHERE state = 'resolved'")
        assert summary.startswith("re-heated via dou+ with 800 CNY: pulse 1 (heating h-"), summary
        assert summary.endswith(") started after pulse 0"), summary
    finally:
        worker.stop()


def _metrics(worker: WorkerProcess) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{worker.web_port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return ""
