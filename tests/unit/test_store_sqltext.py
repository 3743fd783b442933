"""SQL lexing, migration discovery and the store lock: no engine needed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.settings import Settings
from tracker.store import migrations
from tracker.store.errors import StoreBusy
from tracker.store.lock import acquire_store_lock, store_owner
from tracker.store.sqltext import split_statements, trailing_format, with_default_format


def test_split_statements_respects_quotes_and_comments() -> None:
    sql = """
    -- leading comment; not a statement
    CREATE TABLE a (x String COMMENT 'it''s; fine -- really') ENGINE = Memory;
    /* block; comment */
    CREATE VIEW b AS SELECT ';' AS semi, "q;" AS `c;d`;  -- trailing
    """
    statements = split_statements(sql)
    assert statements == [
        "CREATE TABLE a (x String COMMENT 'it''s; fine -- really') ENGINE = Memory",
        'CREATE VIEW b AS SELECT \';\' AS semi, "q;" AS `c;d`',
    ]


@pytest.mark.parametrize(
    ("sql", "expected_sql", "fmt"),
    [
        ("SELECT 1", "SELECT 1\nFORMAT TSV", "TSV"),
        ("SELECT 1 FORMAT JSON;", "SELECT 1 FORMAT JSON;", "JSON"),
        ("select 'FORMAT JSON' -- c", "select 'FORMAT JSON'\nFORMAT TSV", "TSV"),
        ("  with x AS (SELECT 1) SELECT * FROM x format CSV", "  with x AS (SELECT 1) SELECT * FROM x format CSV", "CSV"),
        ("(SELECT 1) UNION ALL (SELECT 2);", "(SELECT 1) UNION ALL (SELECT 2)\nFORMAT TSV", "TSV"),
        ("SHOW TABLES", "SHOW TABLES\nFORMAT TSV", "TSV"),
        ("INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)", None),
        ("SET max_threads = 1", "SET max_threads = 1", None),
        ("DROP TABLE t", "DROP TABLE t", None),
    ],
)
def test_default_format_only_for_result_statements(sql: str, expected_sql: str, fmt: str | None) -> None:
    assert with_default_format(sql, "TSV") == (expected_sql, fmt)


def test_trailing_format_ignores_literals() -> None:
    assert trailing_format("SELECT 'x FORMAT CSV'") is None
    assert trailing_format("SELECT 1 FORMAT Native -- end") == "Native"


def test_repository_migrations_have_unique_prefixes_and_valid_names() -> None:
    found = migrations.discover()
    assert found, "schemas/clickhouse has no migrations"
    assert [m.version for m in found] == sorted({m.version for m in found})
    assert found[0].filename == "0001_data_model.sql"
    for m in found:
        assert m.statements(), f"{m.filename} has no statements"


def test_duplicate_prefix_is_refused(tmp_path: Path) -> None:
    shutil.copytree(migrations.default_directory(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "0001_other.sql").write_text("SELECT 1;\n")
    with pytest.raises(ConfigError, match="share the prefix 0001"):
        migrations.discover(tmp_path)


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_x.sql").write_text("SELECT 1;\n")
    with pytest.raises(ConfigError, match="NNNN_"):
        migrations.discover(tmp_path)


def test_store_lock_advertises_owner_and_frees_on_release(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert store_owner(settings) is None
    lock = acquire_store_lock(settings)
    try:
        owner = store_owner(settings)
        assert owner is not None and owner.read_endpoint is None
        assert owner.store_url == settings.store_url
        lock.advertise("http://127.0.0.1:18123")
        assert store_owner(settings).read_endpoint == "http://127.0.0.1:18123"  # type: ignore[union-attr]
        with pytest.raises(StoreBusy, match="held by process"):
            acquire_store_lock(settings)
    finally:
        lock.release()
    assert store_owner(settings) is None
    acquire_store_lock(settings).release()  # free again
