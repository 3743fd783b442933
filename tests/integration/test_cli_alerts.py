"""``tracker alerts`` on a real store: what a resolved alert says about its end, and times that
tools read as UTC."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import Result

from tests.integration.test_roi import post, put
from tracker.store.store import Store

pytestmark = pytest.mark.integration

FIRED = datetime(2025, 9, 14, 8, 0, tzinfo=UTC)
BACK = datetime(2025, 9, 15, 20, 30, tzinfo=UTC)


def alert(alert_id: str, kind: str, state: str, ends_at: datetime | None, summary: str) -> dict[str, object]:
    return {"tenant": "acme", "alert_id": alert_id, "post_id": "douyin:7", "campaign_id": "c1", "alert": kind,
            "state": state, "severity": "critical" if kind == "PostUnavailable" else "warning",
            "starts_at": FIRED, "ends_at": ends_at, "summary": summary, "evidence": "{}", "suggestion": "",
            "version": 1}


@pytest.fixture
def cli(store: Store, cli_on_store: Callable[..., Result]) -> Callable[..., Result]:
    put(store, "posts", [post("acme", "douyin:7", "c1", "cr1", "mid", "video")])
    put(store, "alerts", [
        alert("douyin:7:PostUnavailable:status", "PostUnavailable", "resolved", BACK,
              "the platform reports the post available again"),
        alert("douyin:7:PostDecaying:0", "PostDecaying", "firing", None, "pulse 0 has run its course"),
    ])
    return cli_on_store


def test_a_resolved_alert_says_when_it_resolved(cli: Callable[..., Result]) -> None:
    result = cli("alerts", "--state", "resolved")
    assert result.exit_code == 0, result.output
    header, _, row = result.output.splitlines()[:3]
    assert "since (UTC)" in header and "resolved (UTC)" in header
    assert "2025-09-14 08:00" in row and "2025-09-15 20:30" in row, result.output


def test_json_and_csv_times_carry_their_utc_offset(cli: Callable[..., Result]) -> None:
    rows = json.loads(cli("alerts", "--state", "all", "--format", "json").output)
    by_state = {r["state"]: r for r in rows}
    assert datetime.fromisoformat(by_state["resolved"]["starts_at"]) == FIRED
    assert datetime.fromisoformat(by_state["resolved"]["ends_at"]) == BACK
    assert by_state["firing"]["ends_at"] is None
    table = list(csv.DictReader(io.StringIO(cli("alerts", "--state", "resolved", "--format", "csv").output)))
    assert datetime.fromisoformat(table[0]["starts_at"]) == FIRED  # an aware time: naive ones compare unequal
    assert datetime.fromisoformat(table[0]["ends_at"]) == BACK


def test_alerts_name_the_post_by_its_title(store: Store, cli_on_store: Callable[..., Result]) -> None:
    """The worker puts the post's title in the evidence; the table shows its opening, the CSV all of it."""
    title = "夏日防晒 | 3 款实测，油皮也能用的清爽防晒霜推荐"
    put(store, "alerts", [{**alert("douyin:8:PostDecaying:0", "PostDecaying", "firing", None, "pulse 0 has run its "
                                   "course"), "post_id": "douyin:8", "evidence": json.dumps({"title": title})}])
    table = cli_on_store("alerts").output
    assert "title" in table.splitlines()[0] and "夏日防晒 | 3 款实测，油皮也能用的清爽防晒…" in table, table
    rows = list(csv.DictReader(io.StringIO(cli_on_store("alerts", "--format", "csv").output)))
    assert [r["title"] for r in rows] == [title]
