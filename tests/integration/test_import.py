"""``tracker posts import`` into a running worker's store: bad rows reported with their line and
reason, good rows imported (registry tables, posts and heating through Kafka), re-import idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.fixtures.worker import WorkerProcess
from tracker.broker import topics as t
from tracker.cli.main import main

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
CHECKS = {
    "tenants": "SELECT count(), groupArray(reporting_currency) FROM (SELECT * FROM tenants FINAL ORDER BY tenant)",
    "campaigns": "SELECT count(), groupArray(time_zone) FROM (SELECT * FROM campaigns FINAL ORDER BY campaign_id)",
    "creators": "SELECT count(), countIf(tier = ''), sum(followers) FROM creators FINAL",
    "creator_accounts": "SELECT count() FROM creator_accounts FINAL",
    "bundles": "SELECT count(), sum(amount) FROM bundles FINAL",
    "fx_rates": "SELECT count(), sum(rate) FROM fx_rates FINAL",
    "posts": "SELECT count(), uniqExact(campaign_id), countIf(tracking_end IS NULL) FROM posts FINAL",
    "cost_lines": "SELECT count(), sum(amount), groupUniqArray(kind) FROM cost_lines FINAL",
    "heating_nodes": "SELECT count(), sum(spend_amount), groupUniqArray(status) FROM heating_nodes FINAL",
}
RAW = ["tenants", "campaigns", "creators", "creator_accounts", "bundles", "fx_rates"]


def figures(worker: WorkerProcess) -> dict[str, tuple]:
    client = worker.client()
    out = {name: tuple(client.query(sql).result_rows[0]) for name, sql in CHECKS.items()}
    for table in RAW:  # stored once: the insert deduplication tokens made the repeat a no-op
        out[f"{table} rows"] = client.query(f"SELECT count() FROM {table}").result_rows[0]
    return out


def invoke(worker: WorkerProcess, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_import_reports_bad_rows_imports_good_ones_and_is_idempotent(kafka: str, tracker_topics: str,
                                                                    tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()
    try:
        worker.client()  # serving: commands write through it
        doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
        bad_post = doc["posts"][7]["id"]
        doc["posts"][7]["published_at"] = "yesterday"
        doc["posts"][9]["tenant"] = "not a tenant!"
        doc["fx"].append({"date": "2025-09-01", "base": "EUR", "quote": "CNY", "rate": -1})
        path = tmp_path / "campaign.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        lines = path.read_text().splitlines()

        code, output = invoke(worker, "posts", "import", str(path))
        assert code == 2, output
        reported = [line.strip() for line in output.splitlines() if line.strip().startswith("line ")]
        cascaded = sum(1 for h in doc["heating"] if h["post"] in (bad_post, doc["posts"][9]["id"]))
        assert len(reported) == 3 + cascaded
        for line in reported:
            number = int(line.split()[1])
            assert lines[number - 1].lstrip().startswith("- "), line
        assert any("published_at" in line and "posts[7]" in line for line in reported)
        assert any("tenant" in line and "posts[9]" in line for line in reported)
        assert any("rate" in line and "fx[1]" in line for line in reported)

        posts = 198
        heating = len(doc["heating"]) - cascaded
        worker.wait_for("SELECT count() FROM posts FINAL", posts)
        worker.wait_for("SELECT count() FROM heating_nodes FINAL", heating)
        worker.wait_caught_up(t.POSTS)
        worker.wait_caught_up(t.HEATING)
        fees = sum(1 for i, p in enumerate(doc["posts"]) if p["fee"] and i not in (7, 9))
        services = sum(1 for i, p in enumerate(doc["posts"])
                       if p["fee"] and p["fee"]["service_fee_rate"] and i not in (7, 9))
        assert worker.scalar("SELECT count() FROM cost_lines FINAL") == fees + services
        assert worker.scalar(f"SELECT count() FROM posts FINAL WHERE post_id = '{bad_post}'") == 0
        # heating nodes that reached the worker before their post carry its campaign all the same
        assert worker.scalar("SELECT countIf(campaign_id = '') FROM heating_nodes FINAL") == 0
        before = figures(worker)
        assert before["tenants"][0] == 2 and before["campaigns"][0] == 2 and before["fx_rates"][0] == 1

        code, output = invoke(worker, "posts", "import", str(path))  # the very same file again
        assert code == 2
        worker.wait_caught_up(t.POSTS)
        worker.wait_caught_up(t.HEATING)
        assert figures(worker) == before

        flat = tmp_path / "more.csv"
        flat.write_text("tenant,campaign,creator,followers,platform,url,published_at,fee,currency\n"
                        "lumi-beauty,lumi-serum-launch,cr-new,25000,douyin,https://www.douyin.com/video/7399999999999999999,"
                        "2025-09-20T20:00:00+08:00,900,CNY\n"
                        "lumi-beauty,lumi-serum-launch,cr-new,25000,douyin,,2025-09-20T20:00:00+08:00,900,CNY\n")
        code, output = invoke(worker, "posts", "import", str(flat))
        assert code == 2 and "line 3" in output
        worker.wait_for("SELECT count() FROM posts FINAL", posts + 1)
        assert worker.scalar("SELECT creator_tier FROM posts FINAL WHERE post_id = 'douyin:7399999999999999999'") \
            == "micro"
    finally:
        worker.stop()


def test_heat_and_costs_commands(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()
    try:
        worker.client()
        post = "douyin:7301234567890123456"
        args = ["heat", post, "--spend", "500", "--currency", "CNY", "--channel", "dou+", "--tenant", "acme",
                "--start", "2025-09-20T12:00:00Z"]
        assert invoke(worker, *args)[0] == 0
        assert invoke(worker, *args)[0] == 0  # the same node again
        worker.wait_for("SELECT count() FROM heating_nodes FINAL", 1)
        worker.wait_caught_up(t.HEATING)
        assert worker.scalar("SELECT toString(end_at) FROM heating_nodes FINAL") == "2025-09-21 12:00:00.000"
        registry = tmp_path / "acme.yaml"  # costs add refuses a tenant or campaign the registry does not know
        registry.write_text("tenants: [{id: acme}]\ncampaigns: [{id: launch, tenant: acme, start: 2025-09-01}]\n")
        assert invoke(worker, "posts", "import", str(registry))[0] == 0
        cost = ["costs", "add", "--tenant", "acme", "--campaign", "launch", "--amount", "3000", "--date",
                "2025-09-20", "--note", "shooting day"]
        assert invoke(worker, *cost)[0] == 0
        assert invoke(worker, *cost)[0] == 0
        assert worker.scalar("SELECT count() FROM cost_lines") == 1
        assert float(worker.scalar("SELECT sum(amount) FROM cost_lines FINAL WHERE kind = 'extra'")) == 3000
        code, output = invoke(worker, "heat", "douyin:1", "--spend", "-5", "--channel", "dou+", "--tenant", "acme")
        assert code != 0 and "--spend" in output
    finally:
        worker.stop()
