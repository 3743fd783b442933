"""Click options and error handling shared by the report commands."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

import click
from clickhouse_connect.driver.exceptions import ClickHouseError

from tracker.errors import TrackerError
from tracker.report.queries import Window
from tracker.settings import Settings
from tracker.store.access import Reader, open_reader

F = TypeVar("F", bound=Callable[..., Any])


def tenant_option(fn: F) -> F:
    return click.option("--tenant", default=None,
                        help="Tenant (brand or agency client); needed only when the store holds several.")(fn)


def campaign_option(fn: F) -> F:
    return click.option("--campaign", "campaign_id", required=True, help="Campaign id (posts.campaign_id).")(fn)


def window_options(fn: F) -> F:
    fn = click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
                      help="Only posts published before this date (campaign time zone), each with all its costs "
                           "and outcomes whatever their dates; costs of no post count when dated before it.")(fn)
    return click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
                        help="Only posts published on or after this date (campaign time zone), each with all its "
                             "costs and outcomes; costs of no post count when dated on or after it.")(fn)


def format_option(fn: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                        show_default=True, help="table for people; csv and json for tools (n/a = empty / null).")(fn)


def window(since: Any, until: Any) -> Window:
    """The --since/--until window; a usage error when it holds no day (it is [since, until))."""

    def as_date(value: Any) -> date | None:
        return value.date() if value is not None else None

    w = Window(as_date(since), as_date(until))
    if w.since is not None and w.until is not None and w.since >= w.until:
        relation = "is after" if w.since > w.until else "equals"
        raise click.UsageError(f"--since {w.since} {relation} --until {w.until}: the window is from --since "
                               "up to, not including, --until")
    return w


@contextlib.contextmanager
def reading() -> Iterator[tuple[Settings, Reader]]:
    """Settings and a reader; tracker and engine errors become one-line CLI errors."""
    settings = Settings()
    try:
        with open_reader(settings) as reader:
            yield settings, reader
    except (TrackerError, ClickHouseError) as exc:
        raise click.ClickException(str(exc).strip()) from exc


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
