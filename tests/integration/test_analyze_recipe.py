"""The export recipe of ``tracker analyze --help`` run against a store: the snapshot file brings
the post's publish time and tracking end and the heating file its nodes, so the offline replay
has what the stream had (tail share, the heating pulse, no decay alert after the window), read
back with --time-zone UTC as the help says."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result

from tracker.cli.analyze import RECIPE
from tracker.store.store import Store

pytestmark = pytest.mark.integration

POST = "douyin:7400000000000000001"
PUBLISHED = datetime(2025, 9, 1, 12, tzinfo=UTC)
TRACKING_END = PUBLISHED + timedelta(hours=150)
"""Before the boost's pulse decays: with the default 90 days, it is announced decaying."""


def seed(store: Store) -> None:
    store.insert_sync("posts", [["acme", POST, "douyin", POST.split(":")[1], "c1", "cr1", "video", PUBLISHED,
                                 TRACKING_END, 1]],
                      ["tenant", "post_id", "platform", "platform_post_id", "campaign_id", "creator_id",
                       "content_form", "published_at", "tracking_end", "version"])
    rows, total = [], 0.0
    for h in range(1, 24 * 8):
        total += 3000 * (h + 2) ** -1.2 + 5 + (4000 * max(0.0, 1 - abs(h - 130) / 6) if 120 <= h < 140 else 0)
        likes = int(total)
        rows.append(["acme", POST, PUBLISHED + timedelta(hours=h), "douyin", likes * 10, likes, likes // 20,
                     likes // 30, likes // 15, None, "ok", "api", 1])
    store.insert_sync("snapshots", rows, ["tenant", "post_id", "observed_at", "platform", "views", "likes",
                                          "comments", "shares", "saves", "searches", "status", "source",
                                          "version"])
    store.insert_sync("heating_nodes", [
        ["acme", POST, "h1", "c1", "dou+", PUBLISHED + timedelta(hours=124), None, Decimal("2000"), "CNY",
         "executed", 1],
        ["acme", POST, "h0", "c1", "dou+", PUBLISHED + timedelta(hours=60), None, Decimal("500"), "CNY",
         "cancelled", 1],
    ], ["tenant", "post_id", "heating_id", "campaign_id", "channel", "start_at", "end_at", "spend_amount",
        "spend_currency", "status", "version"])


def test_the_help_recipe_replays_a_stored_post_with_its_publish_time_and_heating(
        store: Store, cli_on_store: Callable[..., Result], tmp_path: Path) -> None:
    seed(store)
    queries = re.findall(r'tracker sql "(.*?)" > (\S+)', " ".join(RECIPE.split()))
    assert [name for _, name in queries] == ["post.csv", "heating.csv"]
    for sql, name in queries:
        result = cli_on_store("sql", sql.replace("douyin:123", POST))
        assert result.exit_code == 0, result.output
        (tmp_path / name).write_text(result.stdout, "utf-8")
    command = " ".join(RECIPE.split()).split("tracker analyze ", 1)[1].split()
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in command]
    result = cli_on_store("analyze", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["post_id"] == POST and report["notes"] == []
    assert report["long_tail"]["tail_share"] is not None  # published_at came along
    heated = [p for p in report["pulses"] if p["heating_ids"]]
    assert [p["heating_ids"] for p in heated] == [["h1"]] and heated[0]["spend"] == 2000
    assert report["alerts"] == []  # the tracking window ended before the boost decayed
