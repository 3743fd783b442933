"""``tracker db status`` on the real engine: its exit status says whether the store is
current (0), needs ``tracker db migrate`` (3) or needs a person (1: a migration changed
after it was applied, or one applied is missing from this tracker)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

pytestmark = pytest.mark.integration


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


def test_a_current_store_exits_0(cli_on_store: Callable[..., Result], migrations_copy: Path) -> None:
    result = cli_on_store("db", "status")
    assert result.exit_code == 0, result.output
    assert " applied " in result.stdout and not result.stderr


def test_pending_migrations_exit_3_and_say_to_migrate(cli_on_store: Callable[..., Result], migrations_copy: Path) -> None:
    (migrations_copy / "0900_extra.sql").write_text("CREATE TABLE IF NOT EXISTS extra (tenant String) ENGINE = Memory;\n")
    result = cli_on_store("db", "status")
    assert result.exit_code == 3, result.output
    assert "0900_extra" in result.stdout and "pending" in result.stdout
    assert errors(result) == ["Error: migration 0900_extra pending: run tracker db migrate"]
    assert cli_on_store("db", "migrate").exit_code == 0
    assert cli_on_store("db", "status").exit_code == 0


def test_a_changed_migration_exits_1_and_says_what_to_do(cli_on_store: Callable[..., Result], migrations_copy: Path) -> None:
    target = migrations_copy / "0001_data_model.sql"
    target.write_text(target.read_text() + "\n-- an innocent-looking edit\n")
    (migrations_copy / "0900_extra.sql").write_text("CREATE TABLE IF NOT EXISTS extra (tenant String) ENGINE = Memory;\n")
    result = cli_on_store("db", "status")
    assert result.exit_code == 1, result.output
    assert "changed" in result.stdout
    (line,) = errors(result)  # a person first: migrate would refuse
    assert line.startswith("Error: migration 0001_data_model changed after being applied; applied migrations are "
                           "immutable: restore the file as it was")
    assert "new migration with the next free number" in line


def test_a_missing_migration_exits_1(cli_on_store: Callable[..., Result], migrations_copy: Path) -> None:
    last = sorted(migrations_copy.glob("*.sql"))[-1]
    last.unlink()
    result = cli_on_store("db", "status")
    assert result.exit_code == 1, result.output
    (line,) = errors(result)
    assert line.startswith(f"Error: migration {last.stem} applied to the store but not in {migrations_copy}: this tracker "
                           "is older than the store's schema")


def test_the_help_documents_the_exit_status() -> None:
    from tracker.cli.main import main

    text = CliRunner().invoke(main, ["db", "status", "--help"]).output
    assert "Exit status:" in text and "3  only pending migrations: run `tracker db migrate`" in text


def test_a_store_held_by_a_running_process_is_read_through_it(kafka: str, tracker_topics: str,
                                                              tmp_path: Path) -> None:
    """While a worker holds the embedded store, status exited 1 ("held by process …"), which a deploy
    check reads as a migration changed; it now reads the ledger through the process: 0, current."""
    from tests.fixtures.worker import WorkerProcess

    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        worker.scalar("SELECT 1")  # serving: it holds the store, migrated
        result = worker.command("db", "status")
    finally:
        worker.stop()
    assert result.returncode == 0, result.stderr
    assert f"(held by process {worker.proc.pid if worker.proc else ''}, read through it)" in result.stdout
    assert " applied " in result.stdout and " pending " not in result.stdout


def _status_in(cwd: Path, data_dir: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run([sys.executable, "-m", "tracker", "db", "status"], cwd=cwd, capture_output=True, text=True,
                          env={**env, "TRACKER_DATA_DIR": data_dir}, timeout=120)


def test_a_store_never_migrated_exits_3_with_every_migration_pending(tmp_path: Path) -> None:
    """A first deploy runs `tracker db migrate` on 3 and stops on 1: an empty data folder said
    "has no tracker schema; run tracker db migrate" with 1."""
    result = _status_in(tmp_path, str(tmp_path / "data"))
    assert result.returncode == 3, result.stderr
    assert "no tracker schema yet: tracker db migrate creates it" in result.stdout
    assert "0001_data_model" in result.stdout and " applied " not in result.stdout
    assert result.stderr.strip().startswith("Error: all ") and "migrations pending" in result.stderr
    assert not (tmp_path / "data").exists()  # looking creates nothing


def test_an_empty_store_found_from_the_current_folder_needs_a_person(tmp_path: Path) -> None:
    """Maybe the wrong folder: migrating there would start a second, empty store."""
    result = _status_in(tmp_path, ".tracker")
    assert result.returncode == 1, result.stderr
    assert "The store is found from the current folder" in result.stderr
