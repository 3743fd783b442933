"""The real Prometheus scrapes a running tracker worker: a metric is queried back through
the HTTP API, the exposition passes `promtool check metrics`, tracker's rules load and
evaluate, and every PromQL expression of the dashboards evaluates (returning samples
wherever the worker exposes the metrics it selects)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures import data
from tests.fixtures.prometheus import binary
from tests.fixtures.worker import WorkerProcess, produce
from tracker.broker.topics import POSTS, SNAPSHOTS
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, expand_promql

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules" / "tracker.rules.yml"
POSTS_N, BAD = 6, 3


def exposition(port: int, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            resp = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            if resp.status_code == 200:
                return resp.text
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def sample_names(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)", text)}


@pytest.fixture
def worker(kafka: str, tracker_topics: str, tmp_path: Path):
    proc = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + POSTS, [data.registry(i) for i in range(POSTS_N)]))
        bad = [(data.post_id(i).encode(), b"{not json") for i in range(BAD)]  # rejected to the DLQ
        asyncio.run(produce(kafka, tracker_topics + SNAPSHOTS, bad))
        proc.wait_caught_up(POSTS)
        proc.wait_caught_up(SNAPSHOTS)
        yield proc
    finally:
        proc.stop()


def test_prometheus_scrapes_the_worker_and_every_dashboard_expression_evaluates(worker, prometheus_factory) -> None:
    text = exposition(worker.web_port)
    # promtool lints the exposition as Prometheus would ingest it
    lint = subprocess.run([binary("promtool"), "check", "metrics"], input=text, capture_output=True, text=True,
                          timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    prom = prometheus_factory([f"127.0.0.1:{worker.web_port}"], rule_files=[RULES])
    (sample,) = prom.wait_for(f'tracker_events_processed_total{{topic="{POSTS}"}}')
    assert float(sample["value"][1]) == POSTS_N
    (rejected,) = prom.wait_for(f'sum(tracker_dlq_messages_total{{topic="{SNAPSHOTS}"}})')
    assert float(rejected["value"][1]) == BAD
    assert sample["metric"]["job"] == "tracker"
    (up,) = prom.query("up")
    assert up["value"][1] == "1"

    # two scrapes at least, so rate() has points
    prom.wait_for(f'count_over_time(tracker_events_processed_total{{topic="{POSTS}"}}[1m]) >= 3')
    present = sample_names(text) | {"up"}
    variables = {"job": ["tracker"], "instance": ALL}
    empty = []
    checked = 0
    for board in d.boards():
        for query in d.queries(board.to_json()):
            if query.kind != "promql":
                continue
            label_values = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query.text)
            if label_values:  # a Grafana variable: served by the label values API
                selector = expand_promql(label_values.group(1), variables)
                values = prom.api(f"label/{label_values.group(2)}/values", **{"match[]": selector})
                assert values, f"{query.where}: no values for {selector}"
                continue
            expr = expand_promql(query.text, variables, rate_interval="1m")
            result = prom.query(expr)  # raises with Prometheus's error when it does not evaluate
            checked += 1
            if d.metric_names(query.text) <= present and not result:
                empty.append(f"{query.where}: {expr}")
    assert checked >= 30
    assert not empty, "expressions over exposed metrics returned nothing:\n" + "\n".join(empty)

    # tracker's alert rules load and evaluate without error on real data
    deadline = time.monotonic() + 60
    while True:
        groups = prom.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        if rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(rules) == RULES.read_text().count("- alert: ")
    bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert not bad, bad
