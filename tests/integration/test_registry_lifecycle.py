"""A post's registry lifecycle as marketing ops live it: registered, deleted by mistake and imported
again from the unchanged campaign file, moved to another campaign by a file older than the first.

The registry topic is read in its order everywhere else (the worker's state, the collectors'
schedule, and compaction keeps a post's last record), but the stored ``posts`` row kept the highest
version: a tombstone was stored at the wall clock's time and the re-import at the file's
modification time, so the post was collected and tracked again yet stayed deleted in every ROI
view; a move written by an older file left the post, and its fee, in its first campaign.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fixtures.data import T0, post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration

POST = 7
STORED = ("SELECT campaign_id, deleted FROM posts FINAL WHERE post_id = {p:String}")
IN_ROI = "SELECT campaign_id, fee FROM v_roi_post WHERE post_id = {p:String}"


def entry(**changes: object) -> tuple[bytes, bytes]:
    """Post POST's registry message (campaign c1, fee 1,000 CNY, version T0) with ``changes``."""
    key, value = registry(POST)
    return key, json.dumps(json.loads(value) | changes).encode()


def rows(worker: WorkerProcess, sql: str) -> list[tuple]:
    return worker.client().query(sql, {"p": post_id(POST)}).result_rows


def test_a_post_deleted_and_imported_again_counts_again(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [entry()]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(POST, k) for k in range(3)]))
        worker.wait_caught_up(t.SNAPSHOTS)
        worker.wait_caught_up(t.POSTS)
        assert rows(worker, IN_ROI) == [("c1", pytest.approx(1000.0))]

        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [(post_id(POST).encode(), None)]))  # deleted
        worker.wait_caught_up(t.POSTS)
        assert rows(worker, STORED) == [("c1", 1)]
        assert rows(worker, IN_ROI) == []

        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [entry()]))  # the unchanged file imported again
        worker.wait_caught_up(t.POSTS)
        assert rows(worker, STORED) == [("c1", 0)]
        assert rows(worker, IN_ROI) == [("c1", pytest.approx(1000.0))]
    finally:
        worker.stop()


def test_a_post_moved_by_an_older_file_moves_with_its_fee(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """Campaign c2's file, last saved before c1's, takes the post over when imported after it: the
    collectors and the worker's figures follow it, and so must the stored entry and the fee."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        newer = (T0 + timedelta(days=2)).isoformat()
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [entry(updated_at=newer)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(POST, k) for k in range(3)]))
        worker.wait_caught_up(t.SNAPSHOTS)
        worker.wait_caught_up(t.POSTS)
        assert rows(worker, IN_ROI) == [("c1", pytest.approx(1000.0))]

        moved = entry(campaign_id="c2", fee={"amount": "1500.00", "currency": "CNY"})  # updated_at T0: older
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [moved]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(POST, 3)]))
        worker.wait_caught_up(t.SNAPSHOTS)
        worker.wait_caught_up(t.POSTS)
        assert rows(worker, "SELECT campaign_id FROM post_totals FINAL WHERE post_id = {p:String}") == [("c2",)]
        assert rows(worker, STORED) == [("c2", 0)]
        assert rows(worker, "SELECT campaign_id, amount FROM cost_lines FINAL WHERE post_id = {p:String}") \
            == [("c2", pytest.approx(1500.0))]
        assert rows(worker, IN_ROI) == [("c2", pytest.approx(1500.0))]
    finally:
        worker.stop()



ALERT_COLUMNS = ["tenant", "alert_id", "post_id", "campaign_id", "alert", "state", "severity", "starts_at", "summary",
                 "evidence", "suggestion", "version"]
POST_COLUMNS = ["tenant", "post_id", "platform", "platform_post_id", "campaign_id", "published_at", "deleted",
                "version"]


def test_a_stall_firing_on_a_deleted_post_resolves_at_start(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """A ``PostStalled`` the store has firing is watched again when a worker starts; on a post deleted
    from the registry (reported stalled after its deletion, or deleted while no worker watched it)
    nothing came to resolve it: nobody polls the post. It resolves at once; a registered post's stays."""
    deleted, kept = post_id(POST), post_id(POST + 3)
    fired = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    silence = int((fired - timedelta(hours=1)).timestamp())
    alerts = [("acme", f"{p}:PostStalled:{silence}", p, "c1", "PostStalled", "firing", "warning", fired,
               "no fresh snapshot for this post", "{}", "", int(fired.timestamp() * 1000)) for p in (deleted, kept)]
    posts = [("acme", p, "bilibili", p.split(":", 1)[1], "c1", T0, int(p == deleted), 2) for p in (deleted, kept)]
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).prefill(
        {"alerts": (ALERT_COLUMNS, alerts), "posts": (POST_COLUMNS, posts)}).start()
    try:
        worker.wait_for(f"SELECT state FROM alerts FINAL WHERE post_id = '{deleted}'", "resolved")
        ((starts,),) = worker.client().query(f"SELECT starts_at FROM alerts FINAL WHERE post_id = '{deleted}'").result_rows
        assert starts.replace(tzinfo=UTC) == fired
        assert worker.scalar(f"SELECT state FROM alerts FINAL WHERE post_id = '{kept}'") == "firing"  # still silent
    finally:
        worker.stop()


def test_a_deleted_posts_late_snapshot_raises_no_alert(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """A poll in flight when the post was deleted reports it unavailable: ``PostUnavailable`` fired
    for a post nobody polls any more, and stayed firing (the notifier kept it in Alertmanager). A
    post still registered, reported alike, is alerted on."""
    deleted, kept = POST, POST + 3
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(deleted), registry(kept)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, k) for i in (deleted, kept)
                                                                  for k in range(3)]))
        worker.wait_caught_up(t.SNAPSHOTS)
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [(post_id(deleted).encode(), None)]))
        worker.wait_caught_up(t.POSTS)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(i, 3, status="unavailable")
                                                                  for i in (deleted, kept)]))
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.client().query("SELECT post_id, alert, state FROM alerts FINAL").result_rows \
            == [(post_id(kept), "PostUnavailable", "firing")]
        assert worker.scalar(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{post_id(deleted)}'") == 4
    finally:
        worker.stop()
