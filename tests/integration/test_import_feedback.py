"""What the imports tell the user about where their rows go: posts and snapshots are sent to
Kafka and stored by a running worker (none runs here: the store stays empty of them), and
snapshots older than what the store holds for their post by more than the reorder window are
named as late (kept in late_snapshots, counted, not analysed). Real broker, real engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from tracker.store.store import Store

pytestmark = pytest.mark.integration

POSTS = ("tenant,campaign,creator,creator_name,followers,platform,post,published_at,content_form,tracking_days,"
         "fee,currency\n"
         "acme,acme-spring,c-chen,Chen Xi,8000,xiaohongshu,66aa00000000000000000003,2025-09-01T12:00:00Z,"
         "image_text,30,800,CNY\n")
POST = "xiaohongshu:66aa00000000000000000003"
OTHER = "xiaohongshu:66aa00000000000000000004"
HEADER = "post_id,observed_at,views,likes,comments,shares,saves\n"
SNAPSHOT_COLUMNS = ["tenant", "post_id", "observed_at", "platform", "views", "likes", "status", "source", "version"]


@pytest.fixture
def cli(cli_on_broker: Callable[..., Result]) -> Callable[..., Result]:
    return cli_on_broker


def stored_snapshot(store: Store, at: datetime, post_id: str = POST) -> None:
    store.insert_sync("snapshots", [["acme", post_id, at, "xiaohongshu", 20_500, 1_650, "ok", "api", 1]],
                      SNAPSHOT_COLUMNS)


def test_posts_import_says_the_posts_went_to_kafka_for_a_worker(cli: Callable[..., Result], store: Store,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(POSTS, "utf-8")
    first = cli("posts", "import", path, "--dry-run")
    assert first.exit_code == 0 and "1 campaigns" in first.output and "1 tenants" in first.output, first.output
    result = cli("posts", "import", path)
    assert result.exit_code == 0, result.output
    assert "sent 1 posts to Kafka; wrote " in result.output and " to the store" in result.output
    assert "imported" not in result.output
    assert "tracker run" in result.output and "tracker worker" in result.output
    result = cli("posts", "import", path, "--dry-run")
    assert result.exit_code == 0 and "would import 1 posts;" in result.output, result.output
    assert "tracker run" in result.output
    # stored as the file has them
    assert "campaigns" not in result.output and "tenants" not in result.output and "creators" not in result.output
    # no worker ran: the post is not in the store, and the refusal says why that may be
    snaps = tmp_path / "snaps.csv"
    snaps.write_text(HEADER + f"{POST},2025-09-07T00:00:00Z,20100,1610,201,80,600\n", "utf-8")
    result = cli("snapshots", "import", snaps, "--dry-run")
    assert result.exit_code == 1, result.output
    assert f"tenant: {POST} is not in the registry" in result.output
    assert "in the store only once a running worker" in result.output and "tracker run" in result.output


def test_heat_and_costs_say_a_post_just_imported_waits_for_a_worker(cli: Callable[..., Result], store: Store,
                                                                    tmp_path: Path) -> None:
    """The post is imported (sent to Kafka) but no worker ran: `tracker heat` and `tracker costs add
    --post` do not find it in the store, and say it may be waiting for a worker, not only to import it."""
    path = tmp_path / "posts.csv"
    path.write_text(POSTS, "utf-8")
    assert cli("posts", "import", path).exit_code == 0
    heat = cli("heat", POST, "--spend", "500", "--channel", "shutiao")
    costs = cli("costs", "add", "--tenant", "acme", "--campaign", "acme-spring", "--post", POST, "--amount", "30")
    for result, said in ((heat, f"post {POST} is not in the registry"), (costs, f"--post: {POST} is not in the registry")):
        assert result.exit_code == 1, result.output
        out = " ".join(result.output.split())
        assert said in out and "import it first (tracker posts import)" in out, out
        assert ("if you just imported it, it is stored once a running worker (tracker run or tracker worker) "
                "has read it: start one and try again") in out.lower(), out
    assert "or pass --tenant" in heat.output
    assert store.query_sync("SELECT count() FROM cost_lines").scalar() == 0


def test_snapshots_import_says_it_sent_them_for_a_worker(cli: Callable[..., Result], store: Store,
                                                         tmp_path: Path) -> None:
    snaps = tmp_path / "snaps.csv"
    snaps.write_text(HEADER + f"{POST},2025-09-07T00:00:00Z,20100,1610,201,80,600\n", "utf-8")
    result = cli("snapshots", "import", snaps, "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert "sent 1 snapshot(s) to" in result.output and "worker" in result.output
    assert "late" not in result.output


def test_rows_older_than_the_stored_snapshots_by_the_reorder_window_are_named_late(
        cli: Callable[..., Result], store: Store, tmp_path: Path) -> None:
    stored_snapshot(store, datetime(2025, 9, 10, tzinfo=UTC))
    path = tmp_path / "late2.csv"
    path.write_text(HEADER + f"{POST},2025-09-07T00:00:00Z,20100,1610,201,80,600\n"
                    f"{POST},2025-09-08T00:00:00Z,20200,1620,202,80,603\n"
                    f"{POST},2025-09-09T20:00:00Z,20300,1630,203,80,606\n"  # inside the 6 h window
                    "xiaohongshu:other,2025-09-01T00:00:00Z,5,1,0,0,0\n", "utf-8")
    for args in ([], ["--dry-run"]):
        result = cli("snapshots", "import", path, "--tenant", "acme", *args)
        assert result.exit_code == 0, result.output
        assert "2 of these rows are late" in result.output, result.output
        assert f"{POST}: 2 row(s) before 2025-09-09 18:00Z" in result.output
        assert "latest stored snapshot 2025-09-10 00:00Z" in result.output
        assert "late_snapshots" in result.output and "not analysed" in result.output
        assert "tracker analyze" in result.output and "before collection starts" in result.output
        assert "xiaohongshu:other" not in result.output


def test_the_reorder_window_setting_and_the_file_order_count(cli: Callable[..., Result], store: Store,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored_snapshot(store, datetime(2025, 9, 10, tzinfo=UTC))
    monkeypatch.setenv("TRACKER_REORDER_WINDOW_HOURS", "48")
    path = tmp_path / "late.csv"
    path.write_text(HEADER + f"{POST},2025-09-07T00:00:00Z,20100,1610,201,80,600\n"
                    f"{POST},2025-09-08T00:00:00Z,20200,1620,202,80,603\n"
                    "xiaohongshu:new,2025-09-20T00:00:00Z,50,5,0,0,0\n"
                    "xiaohongshu:new,2025-09-01T00:00:00Z,5,1,0,0,0\n", "utf-8")  # behind the row above
    result = cli("snapshots", "import", path, "--tenant", "acme", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "2 of these rows are late" in result.output and "(48 h; TRACKER_REORDER_WINDOW_HOURS)" in result.output
    assert f"{POST}: 1 row(s) before 2025-09-08 00:00Z" in result.output
    assert "xiaohongshu:new: 1 row(s) before 2025-09-18 00:00Z (a newer row earlier in this file" in result.output


def test_heat_asks_which_tenant_when_two_track_the_post(cli: Callable[..., Result], store: Store) -> None:
    """Two agencies' tenants can track the same post; a boost without --tenant went to whichever
    the store listed first."""
    published = datetime(2025, 9, 1, 12, tzinfo=UTC)
    store.insert_sync("posts", [[tenant, post, "xiaohongshu", post.split(":")[1], campaign, "c-chen", "image_text",
                                 published, 1] for tenant, post, campaign in (
                                     ("acme", POST, "spring"), ("lumi", POST, "spring"), ("zeta", OTHER, "fall"))],
                      ["tenant", "post_id", "platform", "platform_post_id", "campaign_id", "creator_id",
                       "content_form", "published_at", "version"])
    result = cli("heat", POST, "--spend", "500", "--channel", "shutiao")
    assert result.exit_code == 1, result.output
    assert f"post {POST!r} exists for several tenants (acme, lumi); pass --tenant" in result.output
    costs = cli("costs", "add", "--tenant", "zeta", "--campaign", "fall", "--post", POST, "--amount", "30")
    assert costs.exit_code == 1
    assert f"--post: {POST} is a post of tenant 'acme', 'lumi', not 'zeta'" in " ".join(costs.output.split())
