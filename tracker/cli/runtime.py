"""Process wiring shared by ``tracker worker`` and ``tracker run``: the store, the
Faust worker, the web endpoints and (for ``run``) the collectors, in one loop.

``preflight`` checks, before anything starts, what would otherwise fail inside
the running services as a traceback: Kafka answering and the ports being free.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
from collections.abc import Sequence
from typing import Any

import click

from tracker.errors import ConfigError
from tracker.ops.web import WebService, admin_routes, metrics_app
from tracker.settings import Settings

log = logging.getLogger(__name__)

LOGLEVEL = click.Choice(["debug", "info", "warning", "error", "critical"], case_sensitive=False)


def check_ports(listeners: Sequence[tuple[str, int, str]]) -> None:
    """Raise ``ConfigError`` unless every (host, port, setting) can be listened on; port 0
    (any free port) always can. The setting is what the message tells the user to change."""
    taken: dict[int, str] = {}
    for host, port, setting in listeners:
        if port == 0:
            continue
        if port in taken:
            raise ConfigError(f"{taken[port]} and {setting} are both {port}; set one to another port")
        taken[port] = setting
        try:
            family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
                probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} is in use; set {setting}") from exc
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                              f"set {setting} or its host") from exc


def web_listeners(settings: Settings, *, read_endpoint: bool) -> list[tuple[str, int, str]]:
    """The ports ``run``/``worker`` listen on: /metrics, and the read endpoint when they own
    the embedded store."""
    listeners = [(settings.web_host, settings.web_port, "TRACKER_WEB_PORT")]
    if read_endpoint:
        listeners.append((settings.read_host, settings.read_port, "TRACKER_READ_PORT"))
    return listeners


def preflight(settings: Settings) -> None:
    """Fail fast, with what to fix, when the embedded store is held by another process, Kafka
    does not answer or a port is taken. The holder comes first: a second ``tracker run`` on
    the same data folder finds its ports taken by the first one, and "set TRACKER_WEB_PORT"
    would send its user the wrong way."""
    from tracker.broker.reach import require_broker
    from tracker.store.client import is_embedded
    from tracker.store.lock import held, lock_owner

    embedded = is_embedded(settings.store_url)
    holder = lock_owner(settings) if embedded else None
    if holder is not None:  # run and worker take the data folder's lock: another process has it
        raise held(settings, holder)
    check_ports(web_listeners(settings, read_endpoint=embedded))
    require_broker(settings.kafka_bootstrap)


def run_services(*, loglevel: str, collectors: bool, checked: bool = False) -> None:
    """Build every component from settings and run them until SIGINT/SIGTERM (``checked``:
    the caller already ran ``preflight``)."""
    import faust

    from tracker.store.client import is_embedded
    from tracker.store.lock import acquire_store_lock
    from tracker.store.migrations import migrate, newer_schema
    from tracker.store.readapi import build_read_app
    from tracker.store.store import Store
    from tracker.stream.worker import Worker

    settings = Settings()
    if not checked:
        preflight(settings)
    embedded = is_embedded(settings.store_url)
    try:
        lock = acquire_store_lock(settings) if embedded else None
        store = Store.open(settings)
        applied = migrate(store)
        newer = newer_schema(store)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    for migration in applied:
        click.echo(f"applied migration {migration.filename}", err=True)
    if newer:  # `tracker db status` exits 1 on it; migrate does not refuse it, so the worker runs on, but says so
        click.echo(f"warning: {newer}", err=True)
    worker = Worker(settings, store)
    web_app = metrics_app(lambda: {"batches": worker.batches})
    sites = [(web_app, settings.web_host, settings.web_port)]
    if lock is not None:
        admin_routes(web_app, store, settings)
        sites.append((build_read_app(settings), settings.read_host, settings.read_port))
        lock.advertise(f"http://{settings.read_host}:{settings.read_port}")
        lock.advertise_writes(f"http://{settings.web_host}:{settings.web_port}/admin/insert")
    services: list[Any] = [WebService(sites)]
    if settings.progress_seconds > 0:
        from tracker.ops.progress import ProgressService

        services.append(ProgressService(settings.progress_seconds))
    if collectors:
        from tracker.alerting.notifier import notifier_services

        services.extend(_collector_services(settings))
        services.extend(notifier_services(settings))
    click.echo(f"tracker: metrics on http://{settings.web_host}:{settings.web_port}/metrics"
               + (f", read endpoint on http://{settings.read_host}:{settings.read_port}" if embedded else ""),
               err=True)
    runner = bounded_stop(faust.Worker, settings.stop_timeout_seconds)(worker.app, *services, loglevel=loglevel,
                                                                       quiet=True)
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


def bounded_stop(worker_class: Any, seconds: float) -> Any:
    """``worker_class`` (Faust's worker) whose stop on SIGTERM or SIGINT ends within ``seconds``.

    Faust stops by waiting for the batch in hand to be committed; with the broker gone (a
    `make stop` before Ctrl-C) that wait never ends, and the process logged metadata errors
    until killed. Past ``seconds`` it now exits at once (status 1): offsets not committed
    are read again on the next start, and every write is idempotent, so nothing is lost."""
    from tracker.stream.sink import die

    def overdue() -> None:
        log.error("not stopped %.0f s after the signal (is the broker or the store unreachable?): exiting now; "
                  "what was not committed is read again on the next start", seconds)
        die(1)

    class Runner(worker_class):  # type: ignore[misc,valid-type]
        def _schedule_shutdown(self, sig: signal.Signals) -> None:
            if not self._signal_stop_time:
                watchdog = threading.Timer(seconds, overdue)
                watchdog.daemon = True
                watchdog.start()
            super()._schedule_shutdown(sig)

    return Runner
