"""tracker's Prometheus rules pass `promtool check rules` and `promtool test rules`;
every rule has test cases (pending and silent before `for:`, firing with labels,
annotations and runbook link after), a runbook section, and only tracker metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.prometheus import binary
from tracker.ops.dashboards import exposed_metric_names, metric_names

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy" / "prometheus"
RULES = PROM / "rules" / "tracker.rules.yml"
TESTS = PROM / "tests" / "tracker.rules.test.yml"
RUNBOOK = ROOT / "docs" / "runbook.md"


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def rules() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def rule_tests() -> list[dict[str, Any]]:
    return yaml.safe_load(TESTS.read_text())["tests"]


def anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the headings of a markdown file."""
    heads = re.findall(r"(?m)^#{1,6}\s+(.+?)\s*$", markdown)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in heads}


def test_promtool_check_rules_and_config() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout
    result = promtool("check", "config", str(PROM / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_topology_prometheus_config_loads_the_same_rules() -> None:
    result = promtool("check", "config", str(ROOT / "deploy" / "compose" / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", TESTS.name, cwd=TESTS.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_is_named_labelled_annotated_and_has_a_runbook() -> None:
    sections = anchors(RUNBOOK.read_text())
    for rule in rules():
        name = rule["alert"]
        assert re.fullmatch(r"Tracker[A-Z][A-Za-z]+", name), name
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), name
        url = rule["annotations"]["runbook_url"]
        assert url == f"docs/runbook.md#{name.lower()}", name
        assert name.lower() in sections, f"docs/runbook.md has no section for {name}"


def test_every_rule_has_a_pending_silent_and_a_firing_case() -> None:
    cases: dict[str, dict[str, Any]] = {}
    for test in rule_tests():
        for case in test.get("alert_rule_test", []):
            entry = cases.setdefault(case["alertname"], {"silent": [], "firing": [], "pending": []})
            entry["firing" if case["exp_alerts"] else "silent"].append(case)
        for expr in test.get("promql_expr_test", []):
            m = re.fullmatch(r'ALERTS\{alertname="(\w+)"\}', expr["expr"])
            if m and all('alertstate="pending"' in s["labels"] for s in expr["exp_samples"]):
                cases.setdefault(m.group(1), {"silent": [], "firing": [], "pending": []})["pending"].append(expr)
    for rule in rules():
        name = rule["alert"]
        entry = cases.get(name)
        assert entry and entry["firing"], f"{name}: no promtool case where it fires"
        first_fire = min(_minutes(c["eval_time"]) for c in entry["firing"])
        silent = [c for c in entry["silent"] if _minutes(c["eval_time"]) < first_fire]
        assert silent, f"{name}: no case silent before it fires"
        pending_at = {_minutes(p["eval_time"]) for p in entry["pending"]}
        assert pending_at & {_minutes(c["eval_time"]) for c in silent}, (
            f"{name}: no check that it is pending (condition true) while still silent before `for:`")
        for case in entry["firing"]:
            for alert in case["exp_alerts"]:
                assert alert["exp_labels"]["severity"] == rule["labels"]["severity"], name
                assert alert["exp_annotations"]["runbook_url"] == rule["annotations"]["runbook_url"], name
                assert {"summary", "description"} <= set(alert["exp_annotations"]), name


def test_rules_use_only_metrics_tracker_exposes() -> None:
    exposed = exposed_metric_names()
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exposed, f"{rule['alert']}: unknown metrics {names - exposed}"


def test_promtool_tests_catch_a_rule_that_fires_too_early(tmp_path: Path) -> None:
    """The cases can fail: shorten one `for:` and promtool must report it."""
    broken = RULES.read_text().replace("      - alert: TrackerTargetDown\n        expr: up{job=~\"tracker.*\"} == 0\n"
                                       "        for: 5m", "      - alert: TrackerTargetDown\n"
                                       "        expr: up{job=~\"tracker.*\"} == 0\n        for: 1m")
    assert broken != RULES.read_text()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / RULES.name).write_text(broken)
    (tmp_path / "tests").mkdir()
    shutil.copy(TESTS, tmp_path / "tests" / TESTS.name)
    result = promtool("test", "rules", TESTS.name, cwd=tmp_path / "tests")
    assert result.returncode != 0
    assert "TrackerTargetDown" in result.stdout + result.stderr


def _minutes(value: str) -> float:
    m = re.fullmatch(r"(\d+)([smh])", str(value))
    assert m, value
    return int(m.group(1)) * {"s": 1 / 60, "m": 1, "h": 60}[m.group(2)]
