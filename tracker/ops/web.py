"""HTTP endpoints of a tracker process: ``/metrics`` and ``/healthz``, plus any
extra aiohttp apps (the read endpoint) on their own ports, as one mode Service
that a Faust worker starts and stops with itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mode
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

if TYPE_CHECKING:
    from tracker.settings import Settings
    from tracker.store.store import Store

log = logging.getLogger(__name__)


def metrics_app(health: Callable[[], dict[str, object]] | None = None) -> web.Application:
    """aiohttp app serving Prometheus metrics and a JSON health check."""

    async def metrics_view(_: web.Request) -> web.Response:
        resp = web.Response(body=generate_latest(REGISTRY))
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp

    async def health_view(_: web.Request) -> web.Response:
        body = {"status": "ok", **(health() if health else {})}
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/healthz", health_view)
    return app


class WebService(mode.Service):
    """Runs aiohttp apps on (host, port) pairs for the lifetime of the process."""

    def __init__(self, sites: list[tuple[web.Application, str, int]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sites = sites
        self.runners: list[web.AppRunner] = []

    async def on_start(self) -> None:
        for app, host, port in self.sites:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
            self.runners.append(runner)
            log.info("serving http://%s:%d", host, port)

    async def on_stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()


def admin_routes(app: web.Application, store: Store, settings: Settings) -> None:
    """``POST /admin/insert?table=T[&dedup_token=K]`` with JSONEachRow rows: registry writes
    from commands while this process holds the embedded store (localhost only)."""
    from tracker.errors import InvalidInput
    from tracker.store.access import check_table, insert_json_rows

    async def insert_view(request: web.Request) -> web.Response:
        key = settings.read_password.get_secret_value()
        if key and request.headers.get("X-Tracker-Key") != key:
            return web.Response(status=403, text="wrong or missing X-Tracker-Key")
        table = request.query.get("table", "")
        try:
            check_table(table)
        except InvalidInput as exc:
            return web.Response(status=400, text=exc.reason)
        body = await request.read()
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(
                None, insert_json_rows, store, table, body, request.query.get("dedup_token"))
        except Exception as exc:  # noqa: BLE001 - the engine's message goes back to the caller
            return web.Response(status=400, text=str(exc))
        return web.json_response({"written_rows": written})

    app.router.add_post("/admin/insert", insert_view)
