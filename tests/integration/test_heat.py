"""``tracker heat``: a retried command records its node once, a second boost takes its own --start,
and a node goes to the tenant whose post it is. Real broker, real engine; the store is seeded as a
worker would have written it, and the end-to-end test runs a worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.fixtures.worker import WorkerProcess, end_offsets, json_records
from tracker.broker import topics as t
from tracker.cli.main import main
from tracker.store.store import Store

pytestmark = pytest.mark.integration

POST = "douyin:7301234567890000001"
POST_COLUMNS = ["tenant", "post_id", "platform", "platform_post_id", "campaign_id", "creator_id", "content_form",
                "published_at", "version"]
NODE_COLUMNS = ["tenant", "post_id", "heating_id", "campaign_id", "channel", "start_at", "end_at", "spend_amount",
                "spend_currency", "status", "version"]
Run = Callable[..., Result]


@pytest.fixture
def cli(cli_on_broker: Run, store: Store) -> Run:
    """``tracker …`` on the broker, with POST registered for tenant qa only."""
    store.insert_sync("posts", [["qa", POST, "douyin", POST.split(":")[1], "spring", "c-chen", "video",
                                 datetime(2025, 9, 1, 12, tzinfo=UTC), 1]], POST_COLUMNS)
    return cli_on_broker


def sent(kafka: str, prefix: str) -> list[dict[str, Any]]:
    """The heating messages on this test's topic."""
    topic = prefix + t.HEATING
    return asyncio.run(json_records(kafka, topic, asyncio.run(end_offsets(kafka, topic))))


def stored_node(store: Store, node: str, start: datetime, spend: str = "300", status: str = "executed") -> None:
    store.insert_sync("heating_nodes", [["qa", POST, node, "spring", "dou+", start, start + timedelta(hours=24),
                                         Decimal(spend), "CNY", status, 1]], NODE_COLUMNS)


def test_heat_refuses_a_tenant_whose_post_it_is_not(cli: Run, kafka: str, tracker_topics: str) -> None:
    wrong = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--tenant", "lumi-beauty")
    assert wrong.exit_code == 1, wrong.output
    assert wrong.output == f"Error: --tenant: {POST} is a post of tenant 'qa', not 'lumi-beauty'\n"
    assert sent(kafka, tracker_topics) == []
    right = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--tenant", "qa")
    assert right.exit_code == 0, right.output
    assert [m["tenant"] for m in sent(kafka, tracker_topics)] == ["qa"]
    bad = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--tenant", "lumi beauty")
    assert bad.exit_code == 2 and "--tenant: must be 1-64 characters" in bad.output, bad.output


def test_heat_of_a_post_no_tenant_holds_yet_is_sent_and_says_what_it_waits_for(cli: Run, kafka: str,
                                                                              tracker_topics: str) -> None:
    """A post just imported is stored once a worker reads it: --tenant records its node meanwhile,
    and says so, naming the registry's tenants when --tenant is none of them."""
    other = "douyin:7301234567890000002"
    result = cli("heat", other, "--spend", "500", "--channel", "dou+", "--tenant", "lumi-beauty")
    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert (f"warning: {other} is not in the registry yet: the node counts for tenant 'lumi-beauty' once a worker "
            "has stored the post") in warning, warning
    assert "tenant 'lumi-beauty' is not in the registry either (tenants: qa)" in warning
    assert [m["tenant"] for m in sent(kafka, tracker_topics)] == ["lumi-beauty"]


def test_heat_without_start_records_the_node_the_store_holds_again(cli: Run, store: Store, kafka: str,
                                                                   tracker_topics: str) -> None:
    """The node a first command recorded 40 minutes ago is recorded again by the same command: its id
    and start, not a second node that would double the post's heating spend."""
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    stored_node(store, "h-first", first)
    stored_node(store, "h-old", first - timedelta(hours=3))  # outside the 2 h: another boost
    again = cli("heat", POST, "--spend", "300", "--channel", "dou+")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"heating h-first: {POST} dou+ 300 CNY {first:%Y-%m-%dT%H:%MZ} → "), again.output
    assert "recorded again, not a second boost (give one its own --start)" in again.output
    message = sent(kafka, tracker_topics)[-1]
    assert (message["heating_id"], message["start"]) == ("h-first", f"{first:%Y-%m-%dT%H:%M:%S}.000Z")

    for args in (["--spend", "300", "--channel", "shutiao"], ["--spend", "500", "--channel", "dou+"],
                 ["--spend", "300", "--channel", "dou+", "--start", f"{first + timedelta(minutes=30):%Y-%m-%dT%H:%MZ}"]):
        other = cli("heat", POST, *args)  # another channel, another spend, a second boost's own start
        assert other.exit_code == 0 and "recorded again" not in other.output, other.output
        assert sent(kafka, tracker_topics)[-1]["heating_id"] not in ("h-first", "h-old")


def test_cancelled_without_start_withdraws_the_stored_node_or_says_none_is_found(cli: Run, store: Store, kafka: str,
                                                                                 tracker_topics: str) -> None:
    missing = cli("heat", POST, "--spend", "300", "--channel", "dou+", "--status", "cancelled")
    assert missing.exit_code == 1, missing.output
    assert (f"--status cancelled: {POST} has no dou+ node of 300 CNY for tenant 'qa' starting within 2 h of now; "
            "give the node's --id or --start") in " ".join(missing.output.split())
    assert sent(kafka, tracker_topics) == []
    stored_node(store, "h-first", datetime.now(UTC) - timedelta(minutes=10))
    withdrawn = cli("heat", POST, "--spend", "300", "--channel", "dou+", "--status", "cancelled")
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.output, withdrawn.output
    assert [(m["heating_id"], m["status"]) for m in sent(kafka, tracker_topics)] == [("h-first", "cancelled")]


def test_heat_help_says_what_identifies_a_node(cli_on_store: Run) -> None:
    out = " ".join(cli_on_store("heat", "--help").output.split())
    for words in ("A node is identified by its id: --id, else one derived from post, channel and start",
                  "the same tenant, channel and spend starting within 2 h of now",
                  "A second boost of the same spend within 2 h takes its own --start (or --id)"):
        assert words in out, words


POSTS = ("tenant,campaign,creator,creator_name,followers,platform,post,published_at,content_form,tracking_days,"
         "fee,currency\n"
         f"qa,qa-spring,c-chen,Chen Xi,8000,douyin,{POST.split(':')[1]},2025-09-01T12:00:00Z,video,30,800,CNY\n")


def test_a_retried_heat_counts_its_spend_once_in_roi(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """The walkthrough: the same command a minute apart, with a worker storing what it reads, made
    two nodes and v_roi_post.heating 600; a second boost with its own --start still counts."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path / "worker").start()
    env = {k: v for k, v in worker.env.items() if k.startswith("TRACKER_")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    heating = "SELECT toString(heating) FROM v_roi_post WHERE post_id = '" + POST + "'"
    try:
        worker.client()
        path = tmp_path / "posts.csv"
        path.write_text(POSTS, "utf-8")
        assert run("posts", "import", str(path)).exit_code == 0
        worker.wait_for("SELECT count() FROM posts FINAL", 1)
        for _ in range(2):
            result = run("heat", POST, "--spend", "300", "--channel", "dou+")
            assert result.exit_code == 0, result.output
            worker.wait_caught_up(t.HEATING)
        assert "recorded again" in result.output
        assert worker.scalar("SELECT count() FROM heating_nodes FINAL") == 1
        worker.wait_for(heating, "300")
        second = f"{datetime.now(UTC) + timedelta(hours=1):%Y-%m-%dT%H:%MZ}"
        assert run("heat", POST, "--spend", "300", "--channel", "dou+", "--start", second).exit_code == 0
        worker.wait_for(heating, "600")
        assert worker.scalar("SELECT count() FROM heating_nodes FINAL") == 2
    finally:
        worker.stop()


def test_heat_says_its_window_in_the_campaign_s_time_and_refuses_one_before_the_post(cli: Run, store: Store,
                                                                                    kafka: str,
                                                                                    tracker_topics: str) -> None:
    """Ops in Beijing write 20:00 with a Z: the node starts at 04:00 the next day there, after the boost's
    rise, whose lift then goes to an organic pulse. The command said the window in UTC only (the 20:00
    they meant); it says it in the campaign's time too. A window that ends before the post was published
    (a mistyped month) heats nothing: refused, where it was sent and its spend counted."""
    store.insert_sync("campaigns", [["qa", "spring", "Spring", "Asia/Shanghai", 1]],
                      ["tenant", "campaign_id", "name", "time_zone", "version"])
    result = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--start", "2025-09-20T20:00:00Z")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == ("  campaign time (Asia/Shanghai): 2025-09-21 04:00 UTC+8 → 2025-09-22 04:00 UTC+8 "
                                             "(24 h)")
    early = cli("heat", POST, "--spend", "500", "--channel", "dou+", "--start", "2025-08-20T20:00:00+08:00")
    assert early.exit_code == 1, early.output
    assert " ".join(early.output.split()) == (
        f"Error: --start: the boost's window 2025-08-20 20:00 UTC+8 → 2025-08-21 20:00 UTC+8 (24 h) ends before {POST} "
        "was published (2025-09-01 20:00 UTC+8); check the date and its offset")
    assert len(sent(kafka, tracker_topics)) == 1


def test_heat_refuses_a_spend_in_another_currency_s_symbol(cli: Run, kafka: str, tracker_topics: str) -> None:
    """A TikTok boost paid in dollars, typed --spend '$200' without --currency: recorded as 200 CNY, a
    seventh of what it cost (the post's heating efficiency then read seven times too high)."""
    dollars = cli("heat", POST, "--spend", "$200", "--channel", "promote")
    assert dollars.exit_code == 2, dollars.output
    assert "--spend: '$200' is written in dollars, not CNY; give the amount alone with its --currency" in " ".join(
        dollars.output.split()), dollars.output
    yen = cli("heat", POST, "--spend", "¥800", "--channel", "dou+", "--currency", "USD")
    assert yen.exit_code == 2 and "is written in yuan or yen, not USD" in " ".join(yen.output.split()), yen.output
    assert sent(kafka, tracker_topics) == []
    assert cli("heat", POST, "--spend", "¥800", "--channel", "dou+").exit_code == 0
