"""Times the store cannot hold go to the DLQ; they never stop the worker.

A registry entry published in a mistyped year (2205-11-01, past the 2149-06-06 that the store's
``Date`` columns hold) failed the insert of its whole batch as an unrecoverable error: the
worker stopped, and stopped again at every start on the same batch, so nothing more was stored
from any topic. A heating node starting before 1970 did the same through its ``start_day``.
A snapshot dated 1970-01-01 (epoch 0, an export's empty date) was stored and made its post's
curve 55 years long (millions of curve rows, minutes of a blocked event loop)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fixtures.data import T0, post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, json_records, produce
from tracker.broker import topics as t
from tracker.cli.main import main
from tracker.contracts import encode

pytestmark = pytest.mark.integration


def with_fields(message: tuple[bytes, bytes], **fields: object) -> tuple[bytes, bytes]:
    """The (key, value) of ``message`` with ``fields`` replaced (raw JSON: no contract check)."""
    key, value = message
    return key, json.dumps({**json.loads(value), **fields}).encode()


def heating(i: int, start: str) -> tuple[bytes, bytes]:
    pid = post_id(i)
    return pid.encode(), json.dumps({
        "tenant": "acme", "post_id": pid, "heating_id": f"h{i}", "channel": "dou+", "start": start,
        "spend": {"amount": "500", "currency": "CNY"}, "status": "executed", "updated_at": "2025-11-01T00:00:00Z",
    }).encode()


@pytest.mark.timeout(300)
def test_times_outside_the_store_go_to_the_dlq_and_the_rest_is_stored(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "w").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [
            registry(0), registry(1),
            with_fields(registry(2), published_at="2205-11-01T00:00:00Z", updated_at="2025-11-01T00:00:00Z"),
        ]))
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [heating(1, "1969-12-31T00:00:00Z")]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [
            with_fields(snapshot(3, 0), observed_at="1970-01-01T00:00:00Z"),
            *(snapshot(i, k) for k in range(4) for i in range(4)),
        ]))
        worker.wait_for("SELECT count() FROM snapshots FINAL", 16)
        worker.wait_for("SELECT count() FROM posts FINAL", 2)
        worker.wait_for("SELECT count() FROM dlq", 3)
        worker.wait_caught_up(t.POSTS)
        worker.wait_caught_up(t.HEATING)
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.alive()
        reasons = dict(worker.client().query("SELECT source_topic, reason FROM dlq").result_rows)
        assert "outside the years tracker accepts" in reasons[t.POSTS], reasons
        assert "outside the years tracker accepts" in reasons[t.HEATING], reasons
        assert "outside the years tracker accepts" in reasons[t.SNAPSHOTS], reasons
        assert worker.scalar("SELECT count() FROM heating_nodes") == 0
        assert worker.scalar("SELECT min(hour) FROM curves WHERE post_id = {p:String}".replace(
            "{p:String}", f"'{post_id(3)}'")).year == 2025
        records = asyncio.run(json_records(kafka, tracker_topics + t.DLQ, 3))
        assert sorted(r["source_topic"] for r in records) == sorted([t.POSTS, t.HEATING, t.SNAPSHOTS])
    finally:
        worker.stop()


@pytest.mark.timeout(300)
def test_a_snapshot_or_comment_dated_before_its_posts_publish_time_goes_to_the_dlq(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """A 2020 snapshot of a post the registry says was published in 2025 (a mistyped year) made
    the post's curve five years long; a comment of 2020 was stored as the post's, five years
    before it existed. Within a day of the publish time (a zone slip) both are kept."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "w").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(0), registry(1)]))
        worker.wait_for("SELECT count() FROM posts FINAL", 2)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [
            with_fields(snapshot(0, 0), observed_at=T0.replace(year=2020).isoformat()),
            with_fields(snapshot(1, 0), observed_at=(T0 - timedelta(hours=10)).isoformat()),
            *(snapshot(i, k) for k in range(1, 4) for i in range(2)),
        ]))
        asyncio.run(produce(kafka, tracker_topics + t.COMMENTS, [
            comment(0, "c-2020", T0.replace(year=2020)),
            comment(1, "c-zone", T0 - timedelta(hours=8)),
        ]))
        worker.wait_for("SELECT count() FROM snapshots FINAL", 7)
        worker.wait_for("SELECT count() FROM comments FINAL", 1)
        worker.wait_for("SELECT count() FROM dlq", 2)
        worker.wait_caught_up(t.SNAPSHOTS)
        worker.wait_caught_up(t.COMMENTS)
        assert worker.alive()
        reasons = dict(worker.client().query("SELECT source_topic, reason FROM dlq").result_rows)
        assert reasons.keys() == {t.SNAPSHOTS, t.COMMENTS}
        for reason in reasons.values():
            assert "before its post's publish time" in reason and "replay" in reason, reason
        assert reasons[t.COMMENTS].startswith(f"created_at {T0.year - 5}"), reasons[t.COMMENTS]
        assert "correct the comment's time" in reasons[t.COMMENTS]
        first = dict(worker.client().query("SELECT post_id, min(hour) FROM curves GROUP BY post_id").result_rows)
        assert first[post_id(0)].year == T0.year
        assert first[post_id(1)] < T0.replace(tzinfo=None)  # the early snapshot of post 1 was kept
        assert worker.scalar("SELECT comment_id FROM comments FINAL") == "c-zone"
    finally:
        worker.stop()


def comment(i: int, comment_id: str, created: datetime) -> tuple[bytes, bytes]:
    pid = post_id(i)
    return pid.encode(), encode(t.COMMENTS, {"tenant": "acme", "post_id": pid, "platform": "bilibili",
                                             "comment_id": comment_id, "text": "哪里买", "created_at": created})


@pytest.mark.timeout(300)
def test_snapshots_import_refuses_a_row_dated_before_its_posts_publish_time(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """The import names the row (the worker would set it aside) and sends the others."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "w").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(0)]))
        worker.wait_for("SELECT count() FROM posts FINAL", 1)
        path = tmp_path / "export.csv"
        path.write_text(f"post_id,as_of,views,likes\n{post_id(0)},2020-11-01T10:00:00Z,100,5\n"
                        f"{post_id(0)},{(T0 + timedelta(hours=1)):%Y-%m-%dT%H:%M:%SZ},120,6\n")
        env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}
        result = CliRunner().invoke(main, ["snapshots", "import", str(path), "--tenant", "acme"], env=env)
        out = " ".join(result.output.split())
        assert result.exit_code == 2, out
        assert "sent 1 snapshot(s)" in out, out
        assert "line 2: observed_at 2020-11-01T10:00:00.000Z is 1,826 days before its post's publish time" in out, out
    finally:
        worker.stop()
