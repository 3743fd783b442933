"""Settings whose default follows another one: the Kafka bootstrap follows the local broker's
port, and `tracker settings` says so; the simulator speed's description names both defaults."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tracker.cli.main import main
from tracker.settings import Settings


def test_the_bootstrap_follows_the_broker_port_when_unset(monkeypatch) -> None:
    monkeypatch.delenv("TRACKER_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("TRACKER_BROKER_PORT", "21192")
    assert Settings(_env_file=None).kafka_bootstrap == "127.0.0.1:21192"  # type: ignore[call-arg]
    monkeypatch.delenv("TRACKER_BROKER_PORT")
    assert Settings(_env_file=None).kafka_bootstrap == "127.0.0.1:9092"  # type: ignore[call-arg]


def test_a_given_bootstrap_wins_over_the_broker_port(monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_BROKER_PORT", "21192")
    monkeypatch.setenv("TRACKER_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    assert Settings(_env_file=None).kafka_bootstrap == "kafka-1:9092,kafka-2:9092"  # type: ignore[call-arg]
    assert Settings(_env_file=None, kafka_bootstrap="k:1").kafka_bootstrap == "k:1"  # type: ignore[call-arg]


def test_tracker_settings_shows_the_bootstrap_as_derived(monkeypatch) -> None:
    monkeypatch.delenv("TRACKER_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.setenv("TRACKER_BROKER_PORT", "21192")
    result = CliRunner().invoke(main, ["settings"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("kafka_bootstrap "))
    assert "127.0.0.1:21192 (unset; derived from TRACKER_BROKER_PORT)" in line
    result = CliRunner().invoke(main, ["settings", "--json"])
    assert json.loads(result.output)["kafka_bootstrap"] == "127.0.0.1:21192"
    monkeypatch.setenv("TRACKER_KAFKA_BOOTSTRAP", "k:1")
    result = CliRunner().invoke(main, ["settings"])
    line = next(x for x in result.output.splitlines() if x.startswith("kafka_bootstrap "))
    assert line.split() == ["kafka_bootstrap", "k:1"]


def test_the_simulator_speed_names_both_defaults() -> None:
    text = Settings.model_fields["simulator_speed"].description or ""
    assert "60" in text and "600" in text and "tracker run --demo" in text and "tracker simulate" in text
