"""Process wiring shared by ``tracker worker`` and ``tracker run``: the store, the
Faust worker, the web endpoints and (for ``run``) the collectors, in one loop."""

from __future__ import annotations

import logging
from typing import Any

import click
import faust

from tracker.errors import ConfigError
from tracker.ops.web import WebService, admin_routes, metrics_app
from tracker.settings import Settings

log = logging.getLogger(__name__)


def run_services(*, loglevel: str, collectors: bool) -> None:
    """Build every component from settings and run them until SIGINT/SIGTERM."""
    from tracker.store.client import is_embedded
    from tracker.store.lock import acquire_store_lock
    from tracker.store.migrations import migrate
    from tracker.store.readapi import build_read_app
    from tracker.store.store import Store
    from tracker.stream.worker import Worker

    settings = Settings()
    embedded = is_embedded(settings.store_url)
    try:
        lock = acquire_store_lock(settings) if embedded else None
        store = Store.open(settings)
        applied = migrate(store)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    for migration in applied:
        click.echo(f"applied migration {migration.filename}", err=True)
    worker = Worker(settings, store)
    web_app = metrics_app(lambda: {"batches": worker.batches})
    sites = [(web_app, settings.web_host, settings.web_port)]
    if lock is not None:
        admin_routes(web_app, store, settings)
        sites.append((build_read_app(settings), settings.read_host, settings.read_port))
        lock.advertise(f"http://{settings.read_host}:{settings.read_port}")
        lock.advertise_writes(f"http://{settings.web_host}:{settings.web_port}/admin/insert")
    services: list[Any] = [WebService(sites)]
    if collectors:
        from tracker.alerting.notifier import notifier_services

        services.extend(_collector_services(settings))
        services.extend(notifier_services(settings))
    click.echo(f"tracker: metrics on http://{settings.web_host}:{settings.web_port}/metrics"
               + (f", read endpoint on http://{settings.read_host}:{settings.read_port}" if embedded else ""),
               err=True)
    runner = faust.Worker(worker.app, *services, loglevel=loglevel, quiet=True)
    # No terminal spinner: to spin on every log record it sets the root logger to DEBUG (at
    # --loglevel warning and above), so each library's debug() call builds a record — per
    # message produced or fetched.
    runner.spinner = None
    runner.execute_from_commandline()


def _collector_services(settings: Settings) -> list[Any]:
    try:
        from tracker.collect.service import collector_services
    except ImportError:
        return []
    return list(collector_services(settings))
