"""``tracker snapshots import``: a metric export (here the simulator's WeChat Channels CSV) becomes
snapshots in the store, with nulls where the export has no value, a status column's taken-down
posts stored as such, and every bad row reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.fixtures.worker import WorkerProcess
from tracker.cli.main import main
from tracker.simulate import ServerThread, Simulation

pytestmark = pytest.mark.integration


def test_export_file_becomes_snapshots(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    sim = Simulation.build(seed=7, posts=200)
    sim.clock.set(sim.population.campaign_start + timedelta(days=20, minutes=30))
    with ServerThread(sim) as url:
        text = httpx.get(f"{url}/wechat_channels/export", params={"format": "csv"}).text
    rows = text.strip().splitlines()
    assert len(rows) > 5
    header = rows[0].split(",")
    blanked = rows[2].split(",")
    blanked[header.index("saves")] = ""  # not in this export: null, never 0
    broken = rows[3].split(",")
    broken[header.index("views")] = "lots"
    gone = [v if h in ("post_id", "platform_post_id", "as_of", "observed_at", "platform") or "id" in h else ""
            for h, v in zip(header, rows[4].split(","), strict=True)]  # taken down: no counter shown
    path = tmp_path / "channels.csv"
    lines = [rows[0] + ",状态", rows[1] + ",正常", ",".join(blanked) + ",", ",".join(broken) + ",",
             ",".join(gone) + ",已删除", rows[5] + ",vanished", *(r + "," for r in rows[6:])]
    path.write_text("\n".join(lines) + "\n")
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()
    try:
        worker.client()
        env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}
        result = CliRunner().invoke(main, ["snapshots", "import", str(path), "--tenant", "lumi-beauty"], env=env)
        assert result.exit_code == 2, result.output
        assert "line 4: views: not a count" in result.output
        assert "line 6: status: 'vanished' is not one of ok, unavailable, deleted" in result.output
        good = len(rows) - 3
        worker.wait_for("SELECT count() FROM snapshots FINAL WHERE source = 'export'", good)
        assert worker.scalar("SELECT countIf(status = 'deleted' AND views IS NULL) FROM snapshots FINAL") == 1
        assert worker.scalar("SELECT countIf(saves IS NULL AND status = 'ok') FROM snapshots FINAL") == 1
        assert worker.scalar("SELECT uniqExact(observed_at) FROM snapshots FINAL") == 1
        assert worker.scalar("SELECT any(platform) FROM snapshots FINAL") == "wechat_channels"
    finally:
        worker.stop()
