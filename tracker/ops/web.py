"""HTTP endpoints of a tracker process: ``/metrics``, ``/healthz`` (liveness), ``/readyz``
(readiness) and ``/runbook``, plus any extra aiohttp apps (the read endpoint) on their own
ports, as one mode Service that a Faust worker starts and stops with itself. While the app
runs, a ``BrokerWatch`` probes Kafka for the health endpoints (``tracker.ops.health``)."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import mode
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from tracker.ops.health import HEALTH, watching
from tracker.ops.logs import hold_back_repeats
from tracker.shipped import RUNBOOK

if TYPE_CHECKING:
    from tracker.settings import Settings
    from tracker.store.store import Store

log = logging.getLogger(__name__)

RUNBOOK_PATH = "/runbook"


def runbook_link(settings: Settings) -> str:
    """The runbook's absolute URL that post alerts link to (``…#postdecaying``): this
    process's own ``http://<web_host>:<web_port>/runbook`` (the host's name when it binds
    every address), unless ``runbook_url`` says where people reach it: a container's own name
    is no address they can open."""
    if settings.runbook_url.strip():
        return settings.runbook_url.strip().partition("#")[0]
    host = settings.web_host
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.web_port}{RUNBOOK_PATH}"


def runbook_html(markdown: str) -> str:
    """``docs/runbook.md`` as a page: headings get GitHub's anchors (``### PostDecaying`` →
    ``#postdecaying``), code blocks stay preformatted, the rest reads as paragraphs with
    ``code`` and **bold**."""
    body: list[str] = []
    para: list[str] = []
    code: list[str] | None = None

    def inline(text: str) -> str:
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)

    def close() -> None:
        if para:
            body.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()

    for line in markdown.splitlines():
        if code is not None:
            if line.startswith("```"):
                body.append("<pre><code>" + html.escape("\n".join(code)) + "</code></pre>")
                code = None
            else:
                code.append(line)
        elif line.startswith("```"):
            close()
            code = []
        elif heading := re.match(r"(#{1,6})\s+(.*)", line):
            close()
            level, title = len(heading[1]), heading[2].strip()
            anchor = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
            body.append(f'<h{level} id="{anchor}">{inline(title)}</h{level}>')
        elif not line.strip() or line.strip() == "---":
            close()
        else:
            para.append(line.strip())
    close()
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>tracker runbook</title>"
            "<style>body{max-width:50em;margin:auto;font-family:sans-serif;line-height:1.5}"
            "pre{background:#f4f4f4;padding:.5em;overflow:auto}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def metrics_app(health: Callable[[], dict[str, object]] | None = None, *,
                bootstrap: str | None = None) -> web.Application:
    """aiohttp app serving Prometheus metrics, the health checks and the runbook that post
    alerts link to.

    ``/healthz`` (liveness) answers 200 while the process runs: ``"status"`` is ``"ok"`` or
    ``"degraded"`` with ``"reasons"`` (broker unreachable since T, sink paused since T), plus
    what ``health()`` adds. ``/readyz`` (readiness) is the same body, 503 while degraded.
    While the app runs it probes Kafka at ``bootstrap`` (default: the settings') and holds
    back aiokafka's repeated connection errors in the log."""

    async def metrics_view(_: web.Request) -> web.Response:
        resp = web.Response(body=generate_latest(REGISTRY))
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp

    def body() -> dict[str, object]:
        return {**HEALTH.report(), **(health() if health else {})}

    async def health_view(_: web.Request) -> web.Response:
        return web.json_response(body())

    async def ready_view(_: web.Request) -> web.Response:
        answer = body()
        return web.json_response(answer, status=200 if answer["status"] == "ok" else 503)

    async def broker_watch(_: web.Application) -> AsyncIterator[None]:
        hold_back_repeats()
        address = bootstrap
        if address is None:
            from tracker.settings import Settings

            try:
                address = Settings().kafka_bootstrap
            except Exception as exc:  # noqa: BLE001 - the process reports its own settings errors
                log.warning("not watching Kafka for /healthz: %s", exc)
                yield
                return
        async with watching(address):
            yield

    async def runbook_view(_: web.Request) -> web.Response:
        try:
            text = RUNBOOK.read_text(encoding="utf-8")
        except OSError:
            return web.Response(status=404, text=f"no runbook at {RUNBOOK} (docs/ is not installed here)")
        return web.Response(text=runbook_html(text), content_type="text/html")

    app = web.Application()
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/healthz", health_view)
    app.router.add_get("/readyz", ready_view)
    app.cleanup_ctx.append(broker_watch)
    app.router.add_get(RUNBOOK_PATH, runbook_view)
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
