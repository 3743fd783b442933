"""HTTP endpoints of a tracker process: ``/metrics`` and ``/healthz``, plus any
extra aiohttp apps (the read endpoint) on their own ports, as one mode Service
that a Faust worker starts and stops with itself."""

from __future__ import annotations

import logging
from collections.abc import Callable

import mode
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

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

    def __init__(self, sites: list[tuple[web.Application, str, int]], **kwargs: object) -> None:
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
