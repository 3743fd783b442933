"""``tracker db status`` on the real engine: its exit status says whether the store is
current (0), needs ``tracker db migrate`` (3) or needs a person (1: a migration changed
after it was applied, or one applied is missing from this tracker)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.store import migrations

pytestmark = pytest.mark.integration


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the migrations the test store was migrated with, read by the CLI."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations.default_directory(), copy)
    monkeypatch.setenv("TRACKER_MIGRATIONS_DIR", str(copy))
    return copy


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


def test_a_current_store_exits_0(cli_on_store: Callable[..., Result], folder: Path) -> None:
    result = cli_on_store("db", "status")
    assert result.exit_code == 0, result.output
    assert " applied " in result.stdout and not result.stderr


def test_pending_migrations_exit_3_and_say_to_migrate(cli_on_store: Callable[..., Result], folder: Path) -> None:
    (folder / "0900_extra.sql").write_text("CREATE TABLE IF NOT EXISTS extra (tenant String) ENGINE = Memory;\n")
    result = cli_on_store("db", "status")
    assert result.exit_code == 3, result.output
    assert "0900_extra" in result.stdout and "pending" in result.stdout
    assert errors(result) == ["Error: migration 0900_extra pending: run tracker db migrate"]
    assert cli_on_store("db", "migrate").exit_code == 0
    assert cli_on_store("db", "status").exit_code == 0


def test_a_changed_migration_exits_1_and_says_what_to_do(cli_on_store: Callable[..., Result], folder: Path) -> None:
    target = folder / "0001_data_model.sql"
    target.write_text(target.read_text() + "\n-- an innocent-looking edit\n")
    (folder / "0900_extra.sql").write_text("CREATE TABLE IF NOT EXISTS extra (tenant String) ENGINE = Memory;\n")
    result = cli_on_store("db", "status")
    assert result.exit_code == 1, result.output
    assert "changed" in result.stdout
    (line,) = errors(result)  # a person first: migrate would refuse
    assert line.startswith("Error: migration 0001_data_model changed after being applied; applied migrations are "
                           "immutable: restore the file as it was")
    assert "new migration with the next free number" in line


def test_a_missing_migration_exits_1(cli_on_store: Callable[..., Result], folder: Path) -> None:
    last = sorted(folder.glob("*.sql"))[-1]
    last.unlink()
    result = cli_on_store("db", "status")
    assert result.exit_code == 1, result.output
    (line,) = errors(result)
    assert line.startswith(f"Error: migration {last.stem} applied to the store but not in {folder}: this tracker "
                           "is older than the store's schema")


def test_the_help_documents_the_exit_status() -> None:
    from tracker.cli.main import main

    text = CliRunner().invoke(main, ["db", "status", "--help"]).output
    assert "Exit status:" in text and "3  only pending migrations: run `tracker db migrate`" in text
