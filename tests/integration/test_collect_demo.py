"""`tracker run --demo` (what `make run` starts): simulator, collectors and worker in one process;
within two minutes the store holds snapshots of the demo campaign."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import clickhouse_connect
import pytest

from tracker.broker.node import free_port

pytestmark = pytest.mark.integration


def test_demo_fills_the_store_within_two_minutes(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    read_port, web_port, sim_port = free_port(), free_port(), free_port()
    env = {**os.environ, "TRACKER_KAFKA_BOOTSTRAP": kafka, "TRACKER_TOPIC_PREFIX": tracker_topics,
           "TRACKER_DATA_DIR": str(tmp_path), "TRACKER_CLICKHOUSE_URL": f"chdb://{tmp_path / 'engine'}",
           "TRACKER_READ_PORT": str(read_port), "TRACKER_WEB_PORT": str(web_port),
           "TRACKER_SIMULATOR_PORT": str(sim_port), "TRACKER_WORKER_BATCH_SECONDS": "0.2"}
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tracker", "run", "--demo", "--loglevel", "warning"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
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
        platforms = client.query("SELECT uniqExact(platform) FROM snapshots FINAL WHERE source = 'simulator'"
                                 ).result_rows[0][0]
        assert platforms >= 6
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
