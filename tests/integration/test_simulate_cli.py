"""`tracker simulate` as a process: prints its URL, serves, records faults, exports truth on exit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_serves_until_terminated_and_exports_truth_with_faults(tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    tracker = Path(sys.executable).with_name("tracker")
    proc = subprocess.Popen(
        [str(tracker), "simulate", "--posts", "30", "--seed", "4", "--port", "0", "--speed", "0",
         "--export-truth", str(truth), "--fault", "youtube:quota:count=1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()  # stdout carries the base URL only
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/_sim/health").json()["posts"] == 30
            first = client.get("/youtube/v3/videos", params={"part": "statistics", "id": "x"})
            assert first.status_code == 403
            assert client.get("/youtube/v3/videos", params={"part": "statistics", "id": "x"}).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    data = json.loads(truth.read_text())
    assert [(r["platform"], r["kind"], r["status"]) for r in data["injected"]] == [("youtube", "quota", 403)]
    assert len(data["posts"]) == 30
    assert proc.stderr is not None and "30 posts, seed 4" in proc.stderr.read()
