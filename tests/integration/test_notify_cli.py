"""``tracker notify --test`` delivers a test alert to the real Alertmanager and fails
loudly when a destination refuses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tracker.broker.node import free_port

pytestmark = pytest.mark.integration


def run_notify(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run([sys.executable, "-m", "tracker", "notify", "--test"], env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_notify_test_reaches_alertmanager(alertmanager) -> None:
    result = run_notify(TRACKER_ALERTMANAGER_URL=alertmanager.url)
    assert result.returncode == 0, result.stderr
    (alert,) = alertmanager.query("alertname=TrackerNotifyTest")
    assert alert["labels"]["tenant"] == "tracker-test"


def test_notify_test_reports_the_destination_that_failed() -> None:
    dead = f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=K"
    result = run_notify(TRACKER_WECOM_WEBHOOK_URL=dead, TRACKER_NOTIFY_RETRIES="1")
    assert result.returncode == 1
    assert "test delivery failed for: wecom" in result.stderr
