"""Numbered schema migrations: ``schemas/clickhouse/NNNN_<name>.sql``.

Files are applied in prefix order into ``settings.clickhouse_database`` (the
client's database is set, so the SQL uses unqualified names) and recorded in
``schema_migrations`` with the sha256 of the file. Applying is idempotent.
An applied migration is immutable: if its file changes, nothing is applied
and the operator is told to restore it and write a new migration instead.

ClickHouse DDL is not transactional: a migration that fails half-way is not
recorded and runs again from its first statement, so statements are written
to be re-runnable (``IF NOT EXISTS``, ``CREATE OR REPLACE VIEW``). Its error
(``MigrationFailed``) names the file and the statement, and says which
statements before it were applied.

A ledger row without a file (``missing``) is a migration of a newer tracker:
``older_than_store`` says so, for ``tracker db status`` and, as a warning, for
a worker starting on such a store.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.binding import quote_identifier

from tracker.errors import ConfigError
from tracker.shipped import MIGRATIONS
from tracker.store.errors import QueryError
from tracker.store.sqltext import split_statements
from tracker.store.store import Store

FILENAME = re.compile(r"^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$")

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
SETTINGS non_replicated_deduplication_window = 1000
"""


ALREADY_DONE = frozenset({15, 57, 82})
"""ClickHouse codes of a statement finding its work done: DUPLICATE_COLUMN, TABLE_ALREADY_EXISTS,
DATABASE_ALREADY_EXISTS."""


class MigrationFailed(QueryError):
    """A statement of a migration failed: the file, the statement's number, and what of the file
    was applied before it (not undone: ClickHouse DDL is not transactional)."""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path
    checksum: str

    @property
    def filename(self) -> str:
        return self.path.name

    def statements(self) -> list[str]:
        """The file's statements, comments removed."""
        try:
            return split_statements(self.path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigError(f"migration {self.filename}: {exc}") from exc


@dataclass(frozen=True)
class MigrationState:
    """A migration file or ledger row and where it stands."""

    version: int
    name: str
    state: str  # applied | pending | changed | missing (recorded, file gone)
    applied_at: datetime | None


def default_directory() -> Path:
    """The repository's ``schemas/clickhouse`` (shipped with the package: ``tracker.shipped``)."""
    return MIGRATIONS


def discover(directory: Path | None = None) -> list[Migration]:
    """Migration files of ``directory`` in order; refuses bad names and duplicate prefixes."""
    directory = directory or default_directory()
    if not directory.is_dir():
        raise ConfigError(f"migrations folder {directory} does not exist (set TRACKER_MIGRATIONS_DIR)")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILENAME.match(path.name)
        if match is None:
            raise ConfigError(f"migration file {path.name} must be named NNNN_<lowercase_name>.sql")
        version = int(match.group(1))
        if version in found:
            raise ConfigError(
                f"migrations {found[version].filename} and {path.name} share the prefix {match.group(1)}; "
                "renumber the newer one"
            )
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found[version] = Migration(version, match.group(2), path, checksum)
    return [found[v] for v in sorted(found)]


def _ensure_ledger(store: Store) -> None:
    database = store.database
    if not database:
        raise ConfigError("migrations need a database (TRACKER_CLICKHOUSE_DATABASE)")
    store.command_sync(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}", use_database=False)
    store.command_sync(LEDGER_DDL)


LEDGER_QUERY = "SELECT version, name, checksum, applied_at FROM schema_migrations FINAL ORDER BY version"


def _recorded(store: Store) -> dict[int, tuple[str, str, datetime]]:
    return recorded_of(store.query_sync(LEDGER_QUERY))


def recorded_of(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[str, str, datetime]]:
    """The ledger's rows (``LEDGER_QUERY``) by version."""
    return {int(v): (str(name), str(checksum), at) for v, name, checksum, at in rows}


def _check_unchanged(migrations: list[Migration], recorded: dict[int, tuple[str, str, datetime]]) -> None:
    for m in migrations:
        if m.version not in recorded:
            continue
        name, checksum, applied_at = recorded[m.version]
        if name != m.name or checksum != m.checksum:
            raise ConfigError(
                f"migration {m.filename} changed after it was applied on {applied_at:%Y-%m-%d %H:%M} UTC "
                f"(recorded {m.version:04d}_{name}.sql sha256 {checksum[:12]}, file now {m.checksum[:12]}). "
                f"Applied migrations are immutable: restore {m.filename} as it was "
                "(e.g. `git checkout -- <file>`) and put the change in a new migration with the next free number."
            )


def migrate(store: Store, directory: Path | None = None) -> list[Migration]:
    """Apply pending migrations in order into ``store.database``; returns those applied."""
    migrations = discover(directory or store.settings.migrations_dir)
    _ensure_ledger(store)
    recorded = _recorded(store)
    _check_unchanged(migrations, recorded)
    applied: list[Migration] = []
    for m in migrations:
        if m.version in recorded:
            continue
        statements = m.statements()
        for number, statement in enumerate(statements, 1):
            try:
                store.command_sync(statement)
            except QueryError as exc:
                raise _failed(m, number, len(statements), statement, exc) from exc
        store.insert_sync(
            "schema_migrations",
            [(m.version, m.name, m.checksum, datetime.now().astimezone())],
            ["version", "name", "checksum", "applied_at"],
        )
        applied.append(m)
    return applied


def _failed(m: Migration, number: int, total: int, statement: str, exc: QueryError) -> MigrationFailed:
    """The error of statement ``number`` (1-based) of ``total`` of ``m``."""
    head = " ".join(statement.split())
    head = head if len(head) <= 60 else head[:59].rstrip() + "…"
    if number == 1 and exc.code in ALREADY_DONE:
        before = (f"what it adds is there already: likely an earlier run of {m.filename} applied it and failed on a later "
                  "statement (a failed migration is not recorded); write it re-runnable (IF NOT EXISTS) or undo "
                  "it, then run tracker db migrate again")
    elif number == 1:
        before = "no statement of it was applied; fix it and run tracker db migrate again"
    else:
        done, it, stay = (("statement 1 was", "it", "stays") if number == 2
                          else (f"statements 1-{number - 1} were", "them", "stay"))
        before = (f"{done} applied and {stay} so (ClickHouse DDL is not transactional), but the migration is "
                  f"not recorded: tracker db migrate runs {m.filename} again from its first statement, so make "
                  f"{it} re-runnable (IF NOT EXISTS, CREATE OR REPLACE VIEW) or undo what {it} did (DROP …) "
                  "before running it again")
    return MigrationFailed(f"migration {m.filename}: statement {number} of {total} ({head}) failed: {exc}; "
                           f"{before}", exc.code)


def listed(names: list[str]) -> str:
    """"migration 0001_x" or "migrations 0001_x, 0002_y"."""
    return f"migration {names[0]}" if len(names) == 1 else f"migrations {', '.join(names)}"


def older_than_store(missing: list[str], directory: Path | None) -> str:
    """What ``missing`` migrations (applied to the store, no file here) mean: the store's schema
    is newer than this tracker."""
    return (f"{listed(missing)} applied to the store but not in {directory or default_directory()}: this "
            "tracker is older than the store's schema; run the release that applied it")


def newer_schema(store: Store, directory: Path | None = None) -> str | None:
    """``older_than_store``'s words when the store's ledger holds migrations this tracker does not
    have, else None."""
    directory = directory or store.settings.migrations_dir
    missing = [f"{s.version:04d}_{s.name}" for s in status(store, directory) if s.state == "missing"]
    return older_than_store(missing, directory) if missing else None


def status(store: Store, directory: Path | None = None) -> list[MigrationState]:
    """Every known migration with its state; reads only (creates nothing)."""
    migrations = discover(directory or store.settings.migrations_dir)
    exists = store.command_sync(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = 'schema_migrations'",
        {"db": store.database},
        use_database=False,  # the database itself may not exist yet
    )
    return states_of(migrations, _recorded(store) if exists else {})


def states_of(migrations: list[Migration], recorded: dict[int, tuple[str, str, datetime]]) -> list[MigrationState]:
    """Each migration's state against the ledger (``recorded_of``), and the ledger's unknown ones."""
    recorded = dict(recorded)
    states: list[MigrationState] = []
    for m in migrations:
        if m.version not in recorded:
            states.append(MigrationState(m.version, m.name, "pending", None))
            continue
        name, checksum, applied_at = recorded.pop(m.version)
        state = "applied" if (name, checksum) == (m.name, m.checksum) else "changed"
        states.append(MigrationState(m.version, m.name, state, applied_at))
    for version, (name, _, applied_at) in recorded.items():
        states.append(MigrationState(version, name, "missing", applied_at))
    return sorted(states, key=lambda s: s.version)
