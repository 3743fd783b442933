"""Pipeline-board Prometheus panels evaluated by Prometheus's own engine (``promtool test rules``
with ``promql_expr_test``, no rule file), on series shaped as tracker's collectors expose them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.prometheus import binary
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, expand_promql

pytestmark = pytest.mark.integration

SELECT_ALL = {"job": ALL, "instance": ALL}


def panel_expr(title: str) -> str:
    (panel,) = [p for p in d.pipeline_health().to_json()["panels"] if p["title"] == title]
    (target,) = panel["targets"]
    return expand_promql(target["expr"], SELECT_ALL, rate_interval="5m")


def promtool_expr(tmp_path: Path, series: dict[str, str], expr: str, eval_time: str,
                  samples: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "empty.rules.yml").write_text("groups: []\n")
    case = {"rule_files": ["empty.rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "promql_expr_test": [{"expr": expr, "eval_time": eval_time, "exp_samples": samples}]}]}
    (tmp_path / "panel.test.yml").write_text(yaml.safe_dump(case, sort_keys=False))
    return subprocess.run([binary("promtool"), "test", "rules", "panel.test.yml"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


def test_quota_remaining_plots_no_sentinel_for_platforms_without_a_quota(tmp_path: Path) -> None:
    """The collector reports -1 for a platform without a daily quota (bilibili, weibo): no negative
    count of requests left, only the platforms that have a quota."""
    result = promtool_expr(tmp_path, {
        'tracker_collector_quota_remaining{job="tracker", instance="a:8080", platform="youtube"}': "10000-10x10",
        'tracker_collector_quota_remaining{job="tracker", instance="a:8080", platform="bilibili"}': "-1x10",
        'tracker_collector_quota_remaining{job="tracker", instance="b:8080", platform="youtube"}': "9990-10x10",
    }, panel_expr("Quota remaining"), "10m", [{"labels": '{platform="youtube"}', "value": 9890}])
    assert result.returncode == 0, result.stdout + result.stderr


def test_held_back_is_a_share_of_time_and_risk_control_a_count(tmp_path: Path) -> None:
    """30 s held back every minute is half the time; three risk-control answers in 5 minutes are three."""
    held = promtool_expr(tmp_path, {
        'tracker_collect_backoff_seconds_total{job="tracker", instance="a:8080", platform="xiaohongshu", '
        'reason="risk_control"}': "0+30x20"},
        panel_expr("Share of time held back (backoff, Retry-After, risk control, usage)"), "20m",
        [{"labels": '{platform="xiaohongshu", reason="risk_control"}', "value": 0.5}])
    assert held.returncode == 0, held.stdout + held.stderr
    (panel,) = [p for p in d.pipeline_health().to_json()["panels"]
                if p["title"] == "Retries, failed refreshes, risk-control answers"]
    (risk,) = [t for t in panel["targets"] if "risk_control" in t["expr"]]
    counted = promtool_expr(tmp_path, {
        'tracker_collect_risk_control_total{job="tracker", instance="a:8080", platform="xiaohongshu"}':
            "0x11 1 2 3x10"},
        expand_promql(risk["expr"], SELECT_ALL, rate_interval="5m"), "15m",
        [{"labels": '{platform="xiaohongshu"}', "value": 3}])
    assert counted.returncode == 0, counted.stdout + counted.stderr
