"""``tracker heat`` entered twice while no worker stores what it sends: the second command finds
the first's node on Kafka (the post's partition of tracker.heating.v1) and records it again,
instead of a second node that doubled the post's heating spend (two nodes, 1000 for one 500 boost)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from tests.fixtures.worker import WorkerProcess
from tests.integration.test_heat import POST, POST_COLUMNS, POSTS, sent
from tracker.broker import topics as t
from tracker.store.store import Store

pytestmark = pytest.mark.integration

Run = Callable[..., Result]


@pytest.fixture
def cli(cli_on_broker: Run, store: Store) -> Run:
    """``tracker …`` on the broker, with POST registered for tenant qa; no worker runs."""
    store.insert_sync("posts", [["qa", POST, "douyin", POST.split(":")[1], "spring", "c-chen", "video",
                                 datetime(2025, 9, 1, 12, tzinfo=UTC), 1]], POST_COLUMNS)
    return cli_on_broker


def test_a_node_sent_but_not_stored_is_recorded_again(cli: Run, kafka: str, tracker_topics: str) -> None:
    first = cli("heat", POST, "--spend", "500", "--channel", "dou+")
    assert first.exit_code == 0, first.output
    time.sleep(2)  # as the walkthrough: another second, another derived id
    again = cli("heat", POST, "--spend", "500", "--channel", "dou+")
    assert again.exit_code == 0, again.output
    assert "recorded again, not a second boost" in again.output, again.output
    messages = sent(kafka, tracker_topics)
    assert len(messages) == 2
    assert messages[0]["heating_id"] == messages[1]["heating_id"]
    assert (messages[0]["start"], messages[0]["end"]) == (messages[1]["start"], messages[1]["end"])
    other = cli("heat", POST, "--spend", "800", "--channel", "dou+")  # another spend: another boost
    assert other.exit_code == 0 and "recorded again" not in other.output, other.output
    assert sent(kafka, tracker_topics)[-1]["heating_id"] != messages[0]["heating_id"]
    withdrawn = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--status", "cancelled")
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.output, withdrawn.output
    assert (sent(kafka, tracker_topics)[-1]["heating_id"], sent(kafka, tracker_topics)[-1]["status"]) == (
        messages[0]["heating_id"], "cancelled")


def test_heat_twice_with_the_worker_stopped_counts_one_boost(kafka: str, tracker_topics: str,
                                                             tmp_path: Path) -> None:
    """The walkthrough: stop the worker, heat twice, start the worker: one executed node of 500.
    The commands run as the user runs them, in their own process: with the worker stopped they open
    its store themselves (this test process hosts the session's engine on another path)."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = worker.command(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    try:
        worker.client()
        path = tmp_path / "posts.csv"
        path.write_text(POSTS, "utf-8")
        run("posts", "import", str(path))
        worker.wait_for("SELECT count() FROM posts FINAL", 1)
        worker.stop()
        for _ in range(2):
            result = run("heat", POST, "--spend", "500", "--channel", "dou+")
            time.sleep(2)
        assert "recorded again" in result.stdout, result.stdout
        worker.start()
        worker.wait_caught_up(t.HEATING)
        assert worker.scalar("SELECT count() FROM heating_nodes FINAL") == 1
        worker.wait_for(f"SELECT toString(heating) FROM v_roi_post WHERE post_id = '{POST}'", "500")
    finally:
        worker.stop()


def test_a_node_started_more_than_two_hours_ago_on_kafka_is_another_boost(cli: Run, kafka: str,
                                                                           tracker_topics: str) -> None:
    earlier = datetime.now(UTC) - timedelta(hours=3)
    old = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--start", f"{earlier:%Y-%m-%dT%H:%M:%SZ}")
    assert old.exit_code == 0, old.output
    now = cli("heat", POST, "--spend", "500", "--channel", "dou+")
    assert now.exit_code == 0 and "recorded again" not in now.output, now.output
