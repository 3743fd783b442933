"""The stream worker on the real broker and engine: exact rows, idempotent replays,
every bad contract example in the DLQ with its reason."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.fixtures.data import registry, snapshots, views_at
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration

POSTS, PER_POST = 1000, 20
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "events" / "examples"

TABLE_CHECKS = {
    "snapshots": "SELECT count(), sum(views), sum(likes), countIf(searches IS NULL) FROM snapshots FINAL",
    "post_totals": "SELECT count(), sum(views), sum(engagements), max(as_of) FROM post_totals FINAL",
    "posts": "SELECT count(), uniqExact(campaign_id) FROM posts FINAL",
    "cost_lines": "SELECT count(), sum(amount) FROM cost_lines FINAL",
}


def figures(worker: WorkerProcess) -> dict[str, tuple]:
    client = worker.client()
    out = {name: tuple(client.query(sql).result_rows[0]) for name, sql in TABLE_CHECKS.items()}
    for (view,) in client.query("SELECT name FROM system.tables WHERE database = 'tracker' "
                                "AND engine = 'View' ORDER BY name").result_rows:
        out[view] = tuple(client.query(f"SELECT count(), cityHash64(groupArray(tuple(*))) FROM "
                                       f"(SELECT * FROM {view} ORDER BY tuple(*))").result_rows[0])
    return out


@pytest.fixture
def worker(kafka: str, tracker_topics: str, tmp_path: Path):
    w = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    yield w
    w.stop()


def test_exact_rows_and_idempotent_replay(kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    regs = [registry(i) for i in range(POSTS)]
    snaps = list(snapshots(POSTS, PER_POST))
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, regs))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, snaps))

    worker.wait_for("SELECT count() FROM snapshots FINAL", POSTS * PER_POST)
    worker.wait_caught_up(t.SNAPSHOTS)
    worker.wait_for("SELECT count() FROM post_totals FINAL WHERE campaign_id != ''", POSTS)
    expected_views = sum(views_at(i, PER_POST - 1) for i in range(POSTS))
    assert worker.scalar("SELECT sum(views) FROM post_totals FINAL") == expected_views
    assert worker.scalar("SELECT count() FROM snapshots") == POSTS * PER_POST  # stored once, not just merged
    exposition = _metrics_when(worker, 'tracker_consumer_lag{topic="tracker.snapshots.v1"} 0.0')
    assert f'tracker_events_processed_total{{topic="tracker.snapshots.v1"}} {POSTS * PER_POST}.0' in exposition
    before = figures(worker)

    # the very same messages again: nothing may change in any table or view
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, regs))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, snaps))
    worker.wait_caught_up(t.SNAPSHOTS)
    worker.wait_caught_up(t.POSTS)
    assert figures(worker) == before


def _metrics_when(worker: WorkerProcess, line: str, timeout: float = 30) -> str:
    """The worker's /metrics exposition once it contains ``line``."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = httpx.get(f"http://127.0.0.1:{worker.web_port}/metrics").text
        if line in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"{line!r} not in /metrics:\n" + "\n".join(x for x in text.splitlines() if "lag" in x))


def _examples(kind: str) -> list[tuple[str, Path]]:
    out = []
    for topic in (t.POSTS, t.HEATING, t.SNAPSHOTS, t.COMMENTS):
        out += [(topic, p) for p in sorted((EXAMPLES / topic / kind).glob("*.json"))]
    return out


async def _dlq_records(bootstrap: str, topic: str, expected: int) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    got: list[dict] = []
    try:
        while len(got) < expected:
            batch = await consumer.getmany(timeout_ms=10_000)
            if not batch:
                break
            for records in batch.values():
                got.extend(json.loads(r.value) for r in records)
    finally:
        await consumer.stop()
    return got


def test_every_bad_example_reaches_the_dlq_with_its_reason(kafka: str, tracker_topics: str,
                                                           worker: WorkerProcess) -> None:
    good, bad = _examples("good"), _examples("bad")
    assert good and bad
    # interleave: good, bad, good, bad ... on each topic, keyed like the producers do
    by_topic: dict[str, list[tuple[bytes, bytes]]] = {}
    for i in range(max(len(good), len(bad))):
        for pair in (good[i % len(good)], bad[i] if i < len(bad) else None):
            if pair is None:
                continue
            topic, path = pair
            raw = path.read_bytes()
            try:
                key = json.loads(raw).get("post_id", "x:bad").encode()
            except (ValueError, AttributeError):
                key = b"x:bad"
            by_topic.setdefault(topic, []).append((key, raw))
    for topic, msgs in by_topic.items():
        asyncio.run(produce(kafka, tracker_topics + topic, msgs))
    for topic in by_topic:
        worker.wait_caught_up(topic)

    records = asyncio.run(_dlq_records(kafka, tracker_topics + t.DLQ, len(bad)))
    rejected = {(r["source_topic"], base64.b64decode(r["payload_b64"])) for r in records}
    for topic, path in bad:
        assert (topic, path.read_bytes()) in rejected, f"{topic} {path.name} not in the DLQ"
    assert all(r["reason"] for r in records)
    assert worker.scalar("SELECT count() FROM dlq") == len(bad)
    good_snaps = {json.loads(p.read_bytes())["post_id"] for tp, p in good if tp == t.SNAPSHOTS}
    stored = worker.scalar("SELECT uniqExact(post_id) FROM (SELECT post_id FROM snapshots "
                           "UNION ALL SELECT post_id FROM late_snapshots)")
    assert stored == len(good_snaps)
