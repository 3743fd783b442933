"""``tracker sql``: one read-only query against the store.

While a running process holds the embedded store (see ``tracker.store.lock``)
the query goes through its read endpoint; otherwise the store is opened
directly as the endpoint opens it (``ReaderStore``). Either way the engine
refuses writes, DDL and setting changes, and a text of several statements.
"""

from __future__ import annotations

import re
import sys

import click
import httpx

from tracker.errors import TrackerError
from tracker.settings import Settings
from tracker.store.client import is_embedded
from tracker.store.errors import condense, error_code
from tracker.store.lock import describe_process, store_owner
from tracker.store.sqltext import with_default_format
from tracker.store.tenancy import ReaderStore

UNKNOWN_FORMAT = 73
COMMON_FORMATS = "PrettyCompact, TabSeparated, TSVWithNames, CSV, CSVWithNames, JSONEachRow, JSON, Markdown, Parquet"


def _refusal(message: str, code: int | None, output_format: str | None) -> str:
    """The engine's refusal as one line; an unknown output format (-f or FORMAT) is named with
    the common formats, since the engine's own message lists none."""
    found = re.search(r"Unknown (?:output )?format (\S+?)\.? \(", message)
    if code == UNKNOWN_FORMAT and found and output_format and found.group(1).lower() == output_format.lower():
        return (f"unknown output format {output_format!r} (ClickHouse code {UNKNOWN_FORMAT}); formats include "
                f"{COMMON_FORMATS} (all: tracker sql \"SELECT name FROM system.formats WHERE is_output\")")
    return message


def _via_endpoint(endpoint: str, query: str, fmt: str, database: str, settings: Settings) -> bytes:
    headers = {"X-ClickHouse-User": "default"}
    if settings.read_password.get_secret_value():
        headers["X-ClickHouse-Key"] = settings.read_password.get_secret_value()
    try:
        response = httpx.post(
            endpoint,
            params={"default_format": fmt, "database": database},
            content=query.encode(),
            headers=headers,
            timeout=settings.read_max_execution_time + 10,
        )
    except httpx.HTTPError as exc:
        raise click.ClickException(f"read endpoint {endpoint} did not answer: {exc}") from exc
    if response.status_code != 200:
        code = response.headers.get("X-ClickHouse-Exception-Code", "")
        raise click.ClickException(_refusal(condense(response.text.strip()), int(code) if code.isdigit() else None,
                                            with_default_format(query, fmt)[1]))
    return response.content


def _direct(query: str, fmt: str, database: str, settings: Settings) -> bytes:
    sql, output_format = with_default_format(query, fmt)
    try:
        store = ReaderStore(settings)
        with store:
            store.statement_sync(query)  # one statement: the engine would run every one of them
            return store.raw_query_sync(sql, database=database)
    except TrackerError as exc:
        raise click.ClickException(_refusal(str(exc), error_code(exc), output_format)) from exc


@click.command()
@click.argument("query", required=False)
@click.option("-f", "--format", "fmt", default="PrettyCompact", show_default=True,
              help="Output format when the query has no FORMAT clause (any ClickHouse output format).")
@click.option("-d", "--database", default=None, help="Database for unqualified names (default: TRACKER_CLICKHOUSE_DATABASE).")
def sql(query: str | None, fmt: str, database: str | None) -> None:
    """Run a read-only SQL QUERY against the store (without QUERY, or with "-", it is read
    from stdin: tracker sql < query.sql)."""
    if query is None and sys.stdin.isatty():  # nothing piped: do not wait silently for typing
        raise click.UsageError('no query: pass one (tracker sql "SELECT …") or pipe it (tracker sql < query.sql)')
    if query in (None, "-"):
        query = sys.stdin.read()
    if not query or not query.strip():
        raise click.UsageError("no query given")
    settings = Settings()
    database = database or settings.clickhouse_database
    owner = store_owner(settings) if is_embedded(settings.store_url) else None
    if owner is not None and owner.read_endpoint:
        body = _via_endpoint(owner.read_endpoint, query, fmt, database, settings)
    elif owner is not None:
        holder = describe_process(owner.pid)
        if holder.subcommand and not holder.serves:  # a writer (tracker sales import…) holds it for its run
            raise click.ClickException(f"the store is held by {holder}; wait for that command to finish and try again")
        raise click.ClickException(f"the store is held by {holder}, which serves no read endpoint yet; "
                                   "try again shortly")
    else:
        body = _direct(query, fmt, database, settings)
    click.echo(body, nl=False)
