"""The simulator's HTTP server: every platform under its path prefix, plus ``/_sim``.

One aiohttp app. A middleware consults the ``FaultBook`` for every platform
request (first path segment = platform) and answers with the configured
fault in that platform's own shape, recording it; ``/_sim`` is never faulted.
``ServerThread`` runs the app on a free port in a background thread, for
tests, benchmarks and other teams' fixtures.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Awaitable, Callable

from aiohttp import web

from tracker.simulate import control
from tracker.simulate.catalog import PLATFORMS
from tracker.simulate.platforms import APIS, exports, module_for
from tracker.simulate.platforms.base import GENERIC_KINDS, html_response, truncate
from tracker.simulate.simulation import Simulation

log = logging.getLogger(__name__)
SIM_KEY = web.AppKey("sim", Simulation)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inject the configured fault, if any, into a platform request; record it."""
    platform = request.path.split("/", 2)[1]
    if platform not in PLATFORMS or request.match_info.http_exception is not None:
        return await handler(request)
    sim = request.app[SIM_KEY]
    module = module_for(platform, request.path)
    now = sim.clock.now()
    spec, seq = sim.faults.match(platform, request.path, now, GENERIC_KINDS | module.KINDS)
    if spec is None:
        return await handler(request)
    if spec.kind == "slow":
        await asyncio.sleep(spec.delay)
        response = await handler(request)
    elif spec.kind == "truncated":
        inner = await handler(request)
        response = truncate(inner) if isinstance(inner, web.Response) else inner
    elif spec.kind == "html":
        response = html_response(spec.http_status or 502)
    else:
        response = module.fault_response(spec, sim, request.path)
    sim.faults.record(spec, platform, request.path, now, seq, response.status)
    return response


def create_app(sim: Simulation) -> web.Application:
    """The simulator app serving ``sim``."""
    app = web.Application(middlewares=[fault_middleware], client_max_size=4 * 1024**2)
    app[SIM_KEY] = sim
    app.add_routes(control.routes(sim))
    for module in APIS.values():
        app.add_routes(module.routes(sim))
    app.add_routes(exports.routes(sim))
    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


async def start(sim: Simulation, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Start serving ``sim``; returns the runner (``await runner.cleanup()`` stops) and base URL."""
    runner = web.AppRunner(create_app(sim), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port or free_port(host))
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}"


class ServerThread:
    """The simulator on a free port in a daemon thread: ``with ServerThread(sim) as url: ...``."""

    def __init__(self, sim: Simulation, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim, self.host, self.port = sim, host, port
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracker-simulator", daemon=True)
        self._runner: web.AppRunner | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._runner, self.url = self._loop.run_until_complete(start(self.sim, self.host, self.port))
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def start(self) -> str:
        """Start and wait until the server accepts connections; returns the base URL."""
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self.url

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
