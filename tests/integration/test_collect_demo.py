"""`tracker run --demo` (what `make run` starts): simulator, collectors and worker in one process;
within two minutes the store holds snapshots of the demo campaign, and a second run resumes
the demo's clock where the first stopped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import clickhouse_connect
import pytest

from tracker.broker.node import free_port

pytestmark = pytest.mark.integration


def demo(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "tracker", "run", "--demo", "--loglevel", "warning"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


def test_demo_fills_the_store_within_two_minutes_and_resumes_where_it_stopped(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    read_port, web_port, sim_port = free_port(), free_port(), free_port()
    env = {**os.environ, "TRACKER_KAFKA_BOOTSTRAP": kafka, "TRACKER_TOPIC_PREFIX": tracker_topics,
           "TRACKER_DATA_DIR": str(tmp_path), "TRACKER_CLICKHOUSE_URL": f"chdb://{tmp_path / 'engine'}",
           "TRACKER_READ_PORT": str(read_port), "TRACKER_WEB_PORT": str(web_port),
           "TRACKER_SIMULATOR_PORT": str(sim_port), "TRACKER_WORKER_BATCH_SECONDS": "0.2", "TRACKER_PROGRESS_SECONDS": "2"}
    log = tmp_path / "run.log"
    proc = demo(env, log)
    started = time.monotonic()
    found, error = 0, ""
    try:
        while time.monotonic() - started < 120:
            assert proc.poll() is None, log.read_text()[-4000:]
            try:
                client = clickhouse_connect.get_client(host="127.0.0.1", port=read_port, database="tracker")
                found = client.query(
                    "SELECT count() FROM snapshots AS s FINAL INNER JOIN (SELECT post_id FROM posts FINAL) AS p "
                    "ON s.post_id = p.post_id").result_rows[0][0]
            except Exception as exc:  # noqa: BLE001 - not serving yet
                found, error = 0, str(exc)[:300]
            if found >= 20:
                break
            time.sleep(1)
        assert found >= 20, f"{error}\n{log.read_text()[-4000:]}"
        text = log.read_text()
        assert f"127.0.0.1:{sim_port}" in text and "tracker sql" in text  # where to look is printed
        assert " at 600x" in text  # a simulated day in 2.4 minutes: pulses decay while one watches
        platforms = client.query("SELECT uniqExact(platform) FROM snapshots FINAL WHERE source = 'simulator'"
                                 ).result_rows[0][0]
        assert platforms >= 6
        # the simulator answers as the owner-only APIs do (a token reads its own account's videos): the
        # demo hands its collectors every simulated creator's token, so their posts are read, not gone
        owned = ("SELECT uniqExactIf(platform, status = 'ok'), countIf(status = 'unavailable') FROM snapshots FINAL "
                 "WHERE platform IN ('douyin', 'tiktok', 'kuaishou', 'instagram')")
        while time.monotonic() - started < 150 and client.query(owned).result_rows[0][0] < 4:
            time.sleep(0.5)
        assert client.query(owned).result_rows[0][0] == 4
        assert "wait for authorisation" not in log.read_text() and "rejected the credentials" not in log.read_text()
        # the registry is read after the heating nodes and first snapshots it names: the posts
        # still get their publish time (every long-tail figure was n/a); a post's long tail is
        # written again with its next snapshot, so this is waited for, not read at once
        query = "SELECT countIf(loglinear_30d IS NOT NULL) FROM long_tail FINAL"
        while time.monotonic() - started < 150 and not client.query(query).result_rows[0][0]:
            time.sleep(0.5)
        assert client.query(query).result_rows[0][0] > 0
        latest = client.query("SELECT max(observed_at) FROM snapshots WHERE source = 'simulator'").result_rows[0][0]
        # the demo's stand-in for ops records the boosts its clock has passed as executed (six
        # ended before it starts), so the campaign's spend counts them
        while time.monotonic() - started < 150 and client.query(
                "SELECT countIf(status = 'executed') FROM heating_nodes FINAL").result_rows[0][0] < 6:
            time.sleep(0.5)
        assert client.query("SELECT countIf(status = 'executed') FROM heating_nodes FINAL").result_rows[0][0] >= 6
        while time.monotonic() - started < 150 and "snapshots collected" not in log.read_text():
            time.sleep(0.5)
        progress = re.search(r"tracker: last \d+ s: \+([\d,]+) snapshots collected", log.read_text())
        assert progress, log.read_text()[-4000:]  # a run says what it does while it runs
        assert "b'tracker: last" not in log.read_text()  # as a plain line, not a logged bytes repr
    finally:
        stop(proc)
    # a second run goes on from where the first stopped, instead of collecting its hours again
    proc = demo(env, log)
    try:
        while "tracker demo:" not in log.read_text() and time.monotonic() - started < 240:
            assert proc.poll() is None, log.read_text()[-4000:]
            time.sleep(0.5)
        banner = re.search(r"clock (\d{4}-\d\d-\d\d \d\d:\d\d)Z at [^ ]+ \(resumed", log.read_text())
        assert banner, log.read_text()[-4000:]
        assert banner.group(1) >= f"{latest:%Y-%m-%d %H:%M}" > "2025-09-11 00:00"  # the default start
    finally:
        stop(proc)
