"""``tracker db``: apply and inspect the numbered ClickHouse migrations."""

from __future__ import annotations

import click

from tracker.errors import TrackerError
from tracker.settings import Settings
from tracker.store import migrations
from tracker.store.access import open_reader
from tracker.store.client import is_embedded
from tracker.store.errors import UNKNOWN_DATABASE, SchemaMissing
from tracker.store.lock import store_owner
from tracker.store.store import Store, redact


def _refuse_if_held(settings: Settings) -> None:
    owner = store_owner(settings) if is_embedded(settings.store_url) else None
    if owner is not None:
        raise click.ClickException(
            f"the embedded store is held by process {owner.pid} (it applies migrations when it starts); "
            "stop it first, or inspect it with: tracker sql \"SELECT * FROM schema_migrations\""
        )


@click.group()
def db() -> None:
    """Migrate or inspect the ClickHouse store (schemas/clickhouse/NNNN_*.sql)."""


@db.command(short_help="Apply pending migrations in order.")
def migrate() -> None:
    """Apply pending migrations in order; prints what it applied, or "up to date"."""
    settings = Settings()
    _refuse_if_held(settings)
    try:
        with Store.open(settings) as store:
            applied = migrations.migrate(store)
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
    where = f"{redact(settings.store_url)} database {settings.clickhouse_database}"
    if not applied:
        click.echo(f"{where}: up to date")
    for m in applied:
        click.echo(f"{where}: applied {m.filename}")


def _status_of_store(settings: Settings) -> list[migrations.MigrationState]:
    """Every migration's state in the configured store; all pending in a store never migrated (an
    empty data folder, a server without tracker's database), which ``tracker db migrate`` sets up.
    A store found from the current folder (a relative TRACKER_DATA_DIR) that holds nothing is
    reported as it is instead: tracker may run from the wrong folder, and migrating would start
    a second, empty store there."""
    try:
        with Store.open(settings, readonly=True) as store:
            return migrations.status(store)
    except SchemaMissing as exc:
        derived = not settings.clickhouse_url
        if exc.code != UNKNOWN_DATABASE or (derived and not settings.data_dir.is_absolute()):
            raise
    return migrations.states_of(migrations.discover(settings.migrations_dir), {})


PENDING_EXIT = 3
"""Exit status of ``tracker db status`` when migrations are pending and nothing else is wrong."""


class Pending(click.ClickException):
    """Migrations to apply: ``tracker db migrate`` fixes it (exit status PENDING_EXIT)."""

    exit_code = PENDING_EXIT


@db.command(short_help="List migrations: applied, pending, changed; exit status says if the store is current.")
def status() -> None:
    """List every migration: applied, pending, changed (file edited after applying) or missing
    (applied, file gone).

    \b
    Exit status:
      0  every migration is applied: the store is current for this tracker
      1  the store needs a person: a migration changed after it was applied (restore
         its file, put the change in a new migration) or is missing (this tracker is
         older than the store); `tracker db migrate` refuses or cannot help
      3  only pending migrations: run `tracker db migrate` (all of them pending in a
         store never migrated; a deploy script can run it on 3 and stop on 1)

    While a running process holds the embedded store, its ledger is read
    through that process's read endpoint.
    """
    settings = Settings()
    owner = store_owner(settings) if is_embedded(settings.store_url) else None
    try:
        if owner is not None:  # a running process holds it: its ledger, read through its endpoint
            with open_reader(settings) as reader:
                ledger = migrations.recorded_of(reader.query(migrations.LEDGER_QUERY).rows)
            states = migrations.states_of(migrations.discover(settings.migrations_dir), ledger)
        else:
            states = _status_of_store(settings)
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
    held = f" (held by process {owner.pid}, read through it)" if owner is not None else ""
    if not any(s.state != "pending" for s in states):
        held = " (no tracker schema yet: tracker db migrate creates it)"
    click.echo(f"{redact(settings.store_url)} database {settings.clickhouse_database}{held}")
    for s in states:
        when = f"{s.applied_at:%Y-%m-%d %H:%M:%S} UTC" if s.applied_at else ""
        click.echo(f"  {s.version:04d}_{s.name:<32} {s.state:<8} {when}".rstrip())
    by_state: dict[str, list[str]] = {}
    for s in states:
        by_state.setdefault(s.state, []).append(f"{s.version:04d}_{s.name}")
    problems = []
    if "changed" in by_state:
        problems.append(f"{migrations.listed(by_state['changed'])} changed after being applied; applied migrations are "
                        "immutable: restore the file as it was (e.g. `git checkout -- <file>`) and put the "
                        "change in a new migration with the next free number")
    if "missing" in by_state:
        problems.append(migrations.older_than_store(by_state["missing"], settings.migrations_dir))
    if problems:
        from tracker.cli.main import Problems

        raise Problems(problems)
    if len(by_state.get("pending", ())) == len(states):
        raise Pending(f"all {len(states)} migrations pending (no tracker schema yet): run tracker db migrate")
    if "pending" in by_state:
        raise Pending(f"{migrations.listed(by_state['pending'])} pending: run tracker db migrate")
