"""``tracker tenants``: reader users scoped to one tenant on a ClickHouse server.

The embedded engine cannot create users; there, tenant tokens on the read
endpoint do the scoping (TRACKER_READ_TENANT_TOKENS, see the README).
"""

from __future__ import annotations

import click

from tracker.errors import TrackerError
from tracker.settings import Settings
from tracker.store.access import open_reader
from tracker.store.client import is_embedded
from tracker.store.store import Store
from tracker.store.tenancy import read_catalog, server_grants


@click.group()
def tenants() -> None:
    """Scope ClickHouse server users to one tenant (users + row policies)."""


@tenants.command(short_help="Create a reader user that sees one tenant only.")
@click.argument("tenant")
@click.option("--password", help="Password of the new reader user tracker_<tenant> [prompted for on a terminal].")
@click.option("--print", "print_only", is_flag=True, help="Print the SQL instead of running it (password elided).")
def grant(tenant: str, password: str | None, print_only: bool) -> None:
    """Create the reader user tracker_<TENANT>: readonly (but for max_execution_time,
    which Grafana's ClickHouse plugin sets, between 1 s and TRACKER_READ_MAX_EXECUTION_TIME
    + 5), with row policies (tenant = TENANT) on every table with a tenant column (global
    FX and EMV rows stay visible), and a permissive policy so TRACKER_CLICKHOUSE_USER
    keeps reading every row. Needs a server user with access management."""
    settings = Settings()
    if is_embedded(settings.store_url) and not print_only:
        raise click.ClickException("the embedded engine has no users or row policies; use tenant tokens on the "
                                   "read endpoint (TRACKER_READ_TENANT_TOKENS), or --print for a server")
    if print_only:
        password = password or "<password>"
    elif password is None:
        if not click.get_text_stream("stdin").isatty():
            raise click.UsageError("--password is needed: there is no terminal to prompt for it on")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        if print_only:  # reading only: through a running process's endpoint when it holds the store
            with open_reader(settings) as reader:
                catalog = read_catalog(reader, settings.clickhouse_database)
            statements = server_grants(settings.clickhouse_database, catalog.tables, tenant, password,
                                       settings.clickhouse_user, settings.read_max_execution_time)
            click.echo(";\n".join(statements).replace(password, "<password>") + ";")
            return
        with Store.open(settings) as store:
            catalog = read_catalog(store)
            statements = server_grants(settings.clickhouse_database, catalog.tables, tenant, password,
                                       settings.clickhouse_user, settings.read_max_execution_time)
            for statement in statements:
                store.command_sync(statement)
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user tracker_{tenant} reads tenant {tenant} only ({len(catalog.tables)} tables with row policies)")
