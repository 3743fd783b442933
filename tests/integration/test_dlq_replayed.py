"""A message set aside, sent again by ``tracker dlq replay`` and applied, is no longer listed as
set aside; one that a later release sets aside again after that is listed again. Rows as the
worker writes them (``dlq`` and ``dlq_replayed``), read by the commands in-process."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from tracker.store.store import Store

pytestmark = pytest.mark.integration

TOPIC = "tracker.snapshots.v1"


def set_aside(store: Store, offset: int, at: str, reason: str) -> None:
    store.command_sync(
        "INSERT INTO dlq (tenant, source_topic, src_partition, src_offset, rejected_at, reason, error_class, payload) "
        f"VALUES ('', '{TOPIC}', 0, {offset}, '{at}', '{reason}', 'InvalidInput', 'e30=')")


def replayed(store: Store, offset: int, at: str) -> None:
    store.command_sync(f"INSERT INTO dlq_replayed VALUES ('', '{TOPIC}', 0, {offset}, '{at}')")


def listed(cli: Callable[..., Result], *args: str) -> list[int]:
    result = cli("dlq", "show", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return sorted(int(row["at"].split(":")[1]) for row in json.loads(result.output))


def test_replayed_messages_leave_the_list_until_set_aside_again(
        store: Store, cli_on_store: Callable[..., Result]) -> None:
    set_aside(store, 1, "2026-01-01 00:00:00", "metrics.views: below 0")
    set_aside(store, 2, "2026-01-01 00:00:00", "metrics.views: below 0")
    set_aside(store, 3, "2026-01-01 00:00:00", "metrics.views: below 0")
    replayed(store, 1, "2026-01-02 00:00:00")  # sent again and applied
    replayed(store, 3, "2026-01-02 00:00:00")
    set_aside(store, 3, "2026-01-03 00:00:00", "published_at: after observed_at")  # then refused again

    assert listed(cli_on_store) == [2, 3]
    assert listed(cli_on_store, "--replayed") == [1]
    summary = cli_on_store("dlq", "--format", "json")
    assert sum(g["messages"] for g in json.loads(summary.output)) == 2
    assert "1 more was sent again and applied" in cli_on_store("dlq").output


def test_a_dlq_replayed_whole_says_so(store: Store, cli_on_store: Callable[..., Result]) -> None:
    set_aside(store, 1, "2026-01-01 00:00:00", "metrics.views: below 0")
    replayed(store, 1, "2026-01-02 00:00:00")
    replayed(store, 1, "2026-01-04 00:00:00")  # replayed twice: one message all the same

    assert cli_on_store("dlq").output.splitlines() == [
        "The DLQ is empty.", "1 more was sent again and applied (`tracker dlq show --replayed` lists them)."]
    nothing = cli_on_store("dlq", "replay", "--dry-run")
    assert nothing.output.strip() == ("No message set aside matches. 1 was sent again and applied already "
                                      "(`tracker dlq show --replayed`).")
    [row] = json.loads(cli_on_store("dlq", "show", "--replayed", "--format", "json").output)
    assert row["replayed_at"].startswith("2026-01-04")
