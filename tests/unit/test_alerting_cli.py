"""``tracker notify``, ``tracker alerts`` and ``tracker dashboards``: help that teaches, errors
that say what to fix, alerts that read."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from tracker.cli import alerts as alerts_command
from tracker.cli.main import main
from tracker.store.store import Rows


def clean_env() -> dict[str, str | None]:
    return {name: None for name in os.environ if name.startswith("TRACKER_")}


def test_notify_help_lists_destinations_and_examples() -> None:
    result = CliRunner().invoke(main, ["notify", "--help"])
    assert result.exit_code == 0
    for text in ("TRACKER_ALERTMANAGER_URL", "TRACKER_FEISHU_SECRET", "TRACKER_DINGTALK_SECRET",
                 "TRACKER_WECOM_WEBHOOK_URL", "tracker notify --test", "digest"):
        assert text in result.output


def test_notify_without_destination_says_what_to_set() -> None:
    result = CliRunner(env=clean_env()).invoke(main, ["notify"])
    assert result.exit_code != 0
    assert "set TRACKER_ALERTMANAGER_URL or a chat webhook URL" in result.output


def test_dashboards_help() -> None:
    result = CliRunner().invoke(main, ["dashboards", "generate", "--help"])
    assert result.exit_code == 0
    assert "--check" in result.output and "grafana-clickhouse-datasource" in result.output


ROW = {
    "tenant": "acme", "alert_id": "douyin:7301:PostDecaying:1", "post_id": "douyin:7301", "campaign_id": "c1",
    "alert": "PostDecaying", "state": "firing", "severity": "warning",
    "starts_at": datetime(2025, 9, 14, 8, 0, tzinfo=UTC), "ends_at": None,
    "summary": "pulse 2 (heating h-7) has run its course — projected 72 h gain 3 % of its lift; re-heat while it is tracked",
    "evidence": json.dumps({"pulse": 1, "decaying_since": 488208, "fit_r2": 0.7634, "creator_id": "k1"}),
    "suggestion": json.dumps({"action": "reheat", "channel": "dou+", "spend": {"amount": "2000.00", "currency": "CNY"},
                              "expected_engagements_per_cny": 1.8, "basis": "this post's earlier pulses"}),
}


def alerts_cli(monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]], *args: str) -> str:
    """``tracker alerts`` over ``rows`` as the store returns them (JSON columns as text)."""
    class Reader:
        def query(self, sql: str, params: dict[str, Any]) -> Rows:
            return Rows(tuple(ROW), [tuple(row.values()) for row in rows])

    @contextlib.contextmanager
    def reading() -> Iterator[tuple[None, Reader]]:
        yield None, Reader()

    monkeypatch.setattr(alerts_command, "reading", reading)
    result = CliRunner().invoke(main, ["alerts", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_alerts_json_returns_evidence_and_suggestion_as_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """``evidence`` came back as a JSON-encoded string."""
    no_suggestion = {**ROW, "alert_id": "x", "alert": "PostStalled", "evidence": "{}", "suggestion": ""}
    (decaying, stalled) = json.loads(alerts_cli(monkeypatch, [ROW, no_suggestion], "--format", "json"))
    assert decaying["evidence"] == {"pulse": 1, "decaying_since": 488208, "fit_r2": 0.7634, "creator_id": "k1"}
    assert decaying["suggestion"]["spend"] == {"amount": "2000.00", "currency": "CNY"}
    assert stalled["evidence"] == {} and stalled["suggestion"] is None


def test_alerts_table_reads_the_suggestion_as_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table printed the suggestion's raw JSON."""
    legacy = {**ROW, "alert_id": "y", "suggestion": "re-heat with 2,000 CNY"}  # text that is no JSON stays as is
    out = alerts_cli(monkeypatch, [ROW, legacy])
    assert "re-heat via dou+ with 2,000 CNY: about 1.8 engagements per CNY (from this post's earlier pulses)" in out
    assert '{"action"' not in out and "re-heat with 2,000 CNY" in out
    assert "2025-09-14 08:00" in out
