"""The ``store`` fixture hands a test's database on to the next one only when it is as a fresh
migration leaves it: empty, with the migrations' schema and ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.store import _hand_back, _schema_of, make_store_settings
from tracker.store import migrations
from tracker.store.store import Store

pytestmark = pytest.mark.integration


def fresh(engine_url: str, name: str, tmp_path: Path) -> Store:
    s = Store.open(make_store_settings(engine_url, name, tmp_path / name))
    migrations.migrate(s)
    return s


def drop(*stores: Store) -> None:
    for s in stores:
        s.command_sync(f"DROP DATABASE IF EXISTS `{s.database}` SYNC", use_database=False)
        s.close()


def test_a_handed_back_database_is_empty_and_migrated_like_a_fresh_one(engine_url: str, tmp_path: Path) -> None:
    used, new = fresh(engine_url, "t_pool_used", tmp_path), fresh(engine_url, "t_pool_new", tmp_path)
    try:
        tables = [r[0] for r in used.query_sync(
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' "
            "AND name != 'schema_migrations'").rows]
        assert len(tables) > 10
        for t in tables:
            used.command_sync(f"INSERT INTO `{t}` SELECT * FROM generateRandom() LIMIT 3")
        assert _hand_back(used, _schema_of(new))
        for t in tables:
            assert used.query_sync(f"SELECT count() FROM `{t}`").scalar() == 0, t
        assert _schema_of(used) == _schema_of(new)
        assert [v for v, _ in _schema_of(used)[1]] == [m.version for m in migrations.discover()]  # type: ignore[index]
    finally:
        drop(used, new)


@pytest.mark.parametrize("change", [
    "ALTER TABLE alerts ADD COLUMN extra UInt8",
    "CREATE TABLE extra (a UInt8) ENGINE = MergeTree ORDER BY a",
    "INSERT INTO schema_migrations VALUES (9999, 'newer', 'x', now64(3))",
])
def test_a_database_whose_schema_a_test_changed_is_not_handed_on(engine_url: str, tmp_path: Path,
                                                                change: str) -> None:
    s, new = fresh(engine_url, "t_pool_changed", tmp_path), fresh(engine_url, "t_pool_fresh", tmp_path)
    try:
        assert _schema_of(s) == _schema_of(new)
        s.command_sync(change)
        assert not _hand_back(s, _schema_of(new))
    finally:
        drop(s, new)
