"""``tracker db``: apply and inspect the numbered ClickHouse migrations."""

from __future__ import annotations

import click

from tracker.errors import TrackerError
from tracker.settings import Settings
from tracker.store import migrations
from tracker.store.client import is_embedded
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


@db.command(short_help="List migrations: applied, pending, changed.")
def status() -> None:
    """List every migration: applied, pending, changed (file edited after applying) or missing."""
    settings = Settings()
    _refuse_if_held(settings)
    try:
        with Store.open(settings, readonly=True) as store:
            states = migrations.status(store)
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{redact(settings.store_url)} database {settings.clickhouse_database}")
    for s in states:
        when = f"{s.applied_at:%Y-%m-%d %H:%M:%S} UTC" if s.applied_at else ""
        click.echo(f"  {s.version:04d}_{s.name:<32} {s.state:<8} {when}".rstrip())
