"""A migration whose statement fails names its file and the statement, and says what of it was
applied before: it said only the engine's "Code: 50 … UNKNOWN_TYPE", and after the fix the
next `db migrate` failed on DUPLICATE_COLUMN with no hint that the file was half-applied."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tracker.store import migrations
from tracker.store.store import Store

pytestmark = pytest.mark.integration

CUSTOM = "ALTER TABLE fx_rates ADD COLUMN note String;\nALTER TABLE fx_rates ADD COLUMN source {kind};\n"


def test_a_failing_statement_names_its_file_and_what_was_applied(cli_on_store: Callable[..., Result],
                                                                 migrations_copy: Path) -> None:
    custom = migrations_copy / "0900_custom.sql"
    custom.write_text(CUSTOM.format(kind="Strnig"))
    failed = cli_on_store("db", "migrate")
    assert failed.exit_code == 1, failed.output
    text = " ".join(failed.output.split())
    assert text.startswith("Error: migration 0900_custom.sql: statement 2 of 2 (ALTER TABLE fx_rates ADD COLUMN "
                           "source Strnig) failed: "), text
    assert "UNKNOWN_TYPE" in text or "Code: 50" in text, text
    assert "statement 1 was applied and stays so" in text and "the migration is not recorded" in text, text
    assert "IF NOT EXISTS" in text, text
    custom.write_text(CUSTOM.format(kind="String"))  # fixed, but its first statement ran already
    again = cli_on_store("db", "migrate")
    assert again.exit_code == 1, again.output
    text = " ".join(again.output.split())
    assert text.startswith("Error: migration 0900_custom.sql: statement 1 of 2 (ALTER TABLE fx_rates ADD COLUMN "
                           "note String) failed: "), text
    assert "DUPLICATE_COLUMN" in text and "an earlier run of 0900_custom.sql applied it" in text, text
    custom.write_text(CUSTOM.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS").format(kind="String"))
    done = cli_on_store("db", "migrate")
    assert done.exit_code == 0 and "applied 0900_custom.sql" in done.output, done.output


def test_the_error_keeps_the_engines_code(store: Store, tmp_path: Path) -> None:
    from tracker.store.migrations import MigrationFailed

    shutil.copytree(migrations.default_directory(), tmp_path / "m")
    (tmp_path / "m" / "0900_bad.sql").write_text("CREATE TABLE IF NOT EXISTS bad (x Nope) ENGINE = Memory;\n")
    with pytest.raises(MigrationFailed, match=r"0900_bad.sql: statement 1 of 1 .* no statement of it was applied") as err:
        migrations.migrate(store, tmp_path / "m")
    assert err.value.code == 50
