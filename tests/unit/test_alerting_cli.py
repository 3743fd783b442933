"""``tracker notify`` and ``tracker dashboards``: help that teaches, errors that say what to fix."""

from __future__ import annotations

import os

from click.testing import CliRunner

from tracker.cli.main import main


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
