"""The ``store`` fixture hands a test's database on to the next one only when it is as a fresh
migration leaves it: empty, with the migrations' schema and ledger."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def fresh_schema(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The schema (``_schema_of``) of a database fresh from the migrations, read once for the
    module: the tests only compare against it (a migration costs about two seconds of CPU)."""
    new = fresh(engine_url, "t_pool_new", tmp_path_factory.mktemp("pool"))
    try:
        yield _schema_of(new)
    finally:
        drop(new)


def test_a_handed_back_database_is_empty_and_migrated_like_a_fresh_one(engine_url: str, tmp_path: Path,
                                                                       fresh_schema: object) -> None:
    used = fresh(engine_url, "t_pool_used", tmp_path)
    try:
        tables = [r[0] for r in used.query_sync(
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' "
            "AND name != 'schema_migrations'").rows]
        assert len(tables) > 10
        for t in tables:
            used.command_sync(f"INSERT INTO `{t}` SELECT * FROM generateRandom() LIMIT 3")
        assert _hand_back(used, fresh_schema)
        for t in tables:
            assert used.query_sync(f"SELECT count() FROM `{t}`").scalar() == 0, t
        assert _schema_of(used) == fresh_schema
        assert [v for v, _ in _schema_of(used)[1]] == [m.version for m in migrations.discover()]  # type: ignore[index]
    finally:
        drop(used)


@pytest.mark.parametrize("change", [
    "ALTER TABLE alerts ADD COLUMN extra UInt8",
    "CREATE TABLE extra (a UInt8) ENGINE = MergeTree ORDER BY a",
    "INSERT INTO schema_migrations VALUES (9999, 'newer', 'x', now64(3))",
])
def test_a_database_whose_schema_a_test_changed_is_not_handed_on(engine_url: str, tmp_path: Path, change: str,
                                                                fresh_schema: object) -> None:
    s = fresh(engine_url, "t_pool_changed", tmp_path)
    try:
        assert _schema_of(s) == fresh_schema
        s.command_sync(change)
        assert not _hand_back(s, fresh_schema)
    finally:
        drop(s)
