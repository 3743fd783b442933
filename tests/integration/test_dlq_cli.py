"""``tracker dlq``: what the worker set aside, why, and sending it again once fixed, against a
real worker, broker and store (the commands read the store through the worker that holds it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.fixtures.data import post_id, registry, snapshot
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker import topics as t

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(kafka: str, tracker_topics: str, tmp_path: Path):
    w = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    yield w
    w.stop()


def test_set_aside_messages_are_listed_and_sent_again_keyed_by_their_post(
        kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    pid = post_id(7)
    _, good = snapshot(7, 0)
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(7)]))
    # a producer that keys snapshots by account, not post: set aside; and bytes no one can use
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [(b"account-42", good), (pid.encode(), b"{oops")]))
    worker.wait_for("SELECT count() FROM dlq FINAL", 2)

    summary = worker.command("dlq", "--format", "json")
    assert summary.returncode == 0, summary.stderr
    groups = json.loads(summary.stdout)
    assert sum(g["messages"] for g in groups) == 2
    assert {g["source_topic"] for g in groups} == {t.SNAPSHOTS}
    assert any("JSON" in g["reason"] for g in groups)

    shown = worker.command("dlq", "show", "--format", "json")
    payloads = {row["payload"] for row in json.loads(shown.stdout)}
    assert payloads == {good.decode(), "{oops"}

    dry = worker.command("dlq", "replay", "--topic", "snapshots", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send 1 to tracker.snapshots.v1; 1 not a JSON message with a post_id" in dry.stdout
    assert worker.scalar(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{pid}'") == 0

    sent = worker.command("dlq", "replay", "--topic", "snapshots")
    assert sent.returncode == 0, sent.stderr
    assert "sent 1 to tracker.snapshots.v1" in sent.stdout
    worker.wait_for(f"SELECT count() FROM snapshots FINAL WHERE post_id = '{pid}'", 1)
    assert worker.scalar("SELECT count() FROM dlq FINAL") == 2  # nothing new set aside: it was good

    # applied, it is no longer listed as set aside; the unusable one still is
    worker.wait_for("SELECT count() FROM dlq_replayed FINAL", 1)
    [left] = json.loads(worker.command("dlq", "show", "--format", "json").stdout)
    assert left["payload"] == "{oops"
    assert "1 more was sent again and applied" in worker.command("dlq").stdout
    [done] = json.loads(worker.command("dlq", "show", "--replayed", "--format", "json").stdout)
    assert done["payload"] == good.decode() and done["replayed_at"] >= done["rejected_at"]
    again = worker.command("dlq", "replay", "--topic", "snapshots", "--dry-run")
    assert again.stdout.startswith("nothing to send; 1 not a JSON message with a post_id"), again.stdout


def test_a_message_longer_than_the_dlq_keeps_is_shown_cut_and_not_sent_again(
        kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    """The DLQ keeps a message's first 128 KiB: replaying that prefix would send a different
    message, so it is counted apart and its size and sha256 say which one to resend."""
    import hashlib

    pid = post_id(8)
    message = json.loads(snapshot(8, 0)[1])
    message["notes"] = "x" * 300_000  # not in the contract: set aside, whole size kept
    raw = json.dumps(message).encode()
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [(pid.encode(), raw)]))
    worker.wait_for("SELECT count() FROM dlq FINAL", 1)

    [row] = json.loads(worker.command("dlq", "show", "--format", "json").stdout)
    assert (row["payload_bytes"], row["payload_sha256"]) == (len(raw), hashlib.sha256(raw).hexdigest())
    assert row["payload"].encode() == raw[:128 * 1024]
    table = worker.command("dlq", "show").stdout
    assert f"(first 131,072 of {len(raw):,} bytes)" in table

    dry = worker.command("dlq", "replay", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nothing to send; 1 longer than the 128 KiB the DLQ keeps of a message" in dry.stdout


def test_an_empty_dlq_says_so(worker: WorkerProcess) -> None:
    worker.client()  # the worker holds the store and serves it
    empty = worker.command("dlq", "--reason", "nothing like this")
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "The DLQ is empty for these filters."
    nothing = worker.command("dlq", "replay")
    assert nothing.stdout.strip() == "No message set aside matches."


def test_a_message_still_bad_when_replayed_keeps_one_row_with_its_latest_rejection(
        kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    """Replaying what is still bad sets it aside in its first row's place: each replay once
    added a row per message, and the next replay sent those too (1, 2, 4, 8 rows)."""
    pid = post_id(9)
    message = json.loads(snapshot(9, 0)[1])
    message["metrics"]["views"] = -5  # no release of tracker takes this
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [(pid.encode(), json.dumps(message).encode())]))
    worker.wait_for("SELECT count() FROM dlq FINAL", 1)
    first = worker.scalar("SELECT toString(src_partition) || ':' || toString(src_offset) FROM dlq FINAL")

    for _ in range(2):
        before = worker.scalar("SELECT toString(max(rejected_at)) FROM dlq FINAL")
        sent = worker.command("dlq", "replay")
        assert sent.returncode == 0, sent.stderr
        assert "sent 1 to tracker.snapshots.v1" in sent.stdout
        assert "tracker dlq --since " in sent.stdout  # how to list what is still bad
        worker.wait_for(f"SELECT count() FROM dlq WHERE rejected_at > '{before}'", 1)  # rejected again
        assert worker.scalar("SELECT count() FROM dlq FINAL") == 1
    [row] = json.loads(worker.command("dlq", "show", "--format", "json").stdout)
    assert row["at"] == first
    assert "metrics.views" in row["reason"]
