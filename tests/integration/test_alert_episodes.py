"""One row per alert episode: a post taken down, back, and down again keeps both episodes.

The alerts table replaced rows by alert_id alone, so the second firing of
``PostUnavailable`` (alert id ``<post>:PostUnavailable:status``) overwrote the first
episode's resolve: `tracker alerts --state all` and the boards lost it. Migration 0014
keys rows by (alert_id, starts_at); a stored history survives the migration.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.test_roi import put
from tracker.settings import Settings
from tracker.store import migrations
from tracker.store.store import Store

pytestmark = pytest.mark.integration

T1 = datetime(2025, 9, 12, 8, tzinfo=UTC)
T2 = T1 + timedelta(days=2)


def row(state: str, starts_at: datetime, ends_at: datetime | None, version: int) -> dict:
    return {"tenant": "acme", "alert_id": "douyin:1:PostUnavailable:status", "post_id": "douyin:1",
            "campaign_id": "c1", "alert": "PostUnavailable", "state": state, "severity": "critical",
            "starts_at": starts_at, "ends_at": ends_at, "summary": state, "evidence": "{}", "suggestion": "",
            "version": version}


EPISODES = [row("firing", T1, None, 1), row("resolved", T1, T1 + timedelta(hours=5), 2),
            row("firing", T2, None, 3)]


def history(store: Store) -> list[tuple]:
    return store.query_sync("SELECT state, starts_at, ends_at FROM alerts FINAL WHERE tenant = 'acme' "
                            "ORDER BY starts_at").rows


def test_each_episode_keeps_its_latest_state(store: Store) -> None:
    put(store, "alerts", EPISODES)
    got = history(store)
    assert [(state, starts.replace(tzinfo=UTC)) for state, starts, _ in got] == [("resolved", T1), ("firing", T2)]


def test_a_stored_history_survives_the_migration(store_settings: Settings, tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for sql in sorted(migrations.default_directory().glob("*.sql")):
        if sql.name < "0014":
            shutil.copy(sql, before / sql.name)
    store = Store.open(store_settings)
    try:
        migrations.migrate(store, before)
        put(store, "alerts", EPISODES[:2])
        assert len(history(store)) == 1
        assert 14 in [m.version for m in migrations.migrate(store)]
        put(store, "alerts", EPISODES[2:])
        assert [state for state, _, _ in history(store)] == ["resolved", "firing"]
        keys = store.query_sync("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() "
                                "AND name = 'alerts'").rows
        assert keys == [("tenant, alert_id, starts_at",)]
    finally:
        store.command_sync(f"DROP DATABASE IF EXISTS `{store_settings.clickhouse_database}` SYNC", use_database=False)
        store.close()
