"""The simulator's control API under ``/_sim`` (never faulted).

- ``GET /_sim/health``: ``{"ok", "now", "speed", "posts"}``.
- ``GET /_sim/clock``; ``POST /_sim/clock?set=<ISO>&speed=<x>``: read or set the clock.
- ``POST /_sim/advance?hours=|days=|minutes=|to=<ISO>``: move the clock forward; ``{"now"}``.
- ``GET /_sim/truth?curves=0|1&post_id=a,b``: the ground truth (``truth.py``) as JSON.
- ``GET /_sim/faults``: ``{"faults": [configured], "injected": [records]}``.
- ``POST /_sim/faults``: body = one spec or a list (``faults.FaultSpec`` fields); 201 with
  the stored specs (ids assigned), 400 ``{"error"}`` when a spec is invalid.
- ``DELETE /_sim/faults``: remove every configured fault (the injection log stays).
- ``GET /_sim/campaign``: the registry (``registry.py`` layout) as JSON.
"""

from __future__ import annotations

from datetime import timedelta

import orjson
from aiohttp import web

from tracker.simulate.catalog import PLATFORMS
from tracker.simulate.clock import iso, parse_time
from tracker.simulate.faults import FaultSpec, spec_from_dict
from tracker.simulate.platforms import APIS, exports
from tracker.simulate.platforms.base import GENERIC_KINDS, json_response
from tracker.simulate.registry import campaign_document
from tracker.simulate.simulation import Simulation


def supported_kinds(platform: str) -> frozenset[str]:
    """Fault kinds ``platform`` can express ("*": those every platform can)."""
    if platform == "*":
        return GENERIC_KINDS | exports.KINDS
    api = APIS.get(platform)
    return GENERIC_KINDS | exports.KINDS | (api.KINDS if api else frozenset())


def validate(spec: FaultSpec) -> None:
    """Raise ValueError when ``spec`` names an unknown platform or a kind it cannot express."""
    if spec.platform != "*" and spec.platform not in PLATFORMS:
        raise ValueError(f"unknown platform {spec.platform!r}")
    if spec.kind not in supported_kinds(spec.platform):
        raise ValueError(f"{spec.platform} cannot express a {spec.kind} fault; "
                         f"kinds: {', '.join(sorted(supported_kinds(spec.platform)))}")


def routes(sim: Simulation) -> list[web.RouteDef]:
    """The control endpoints."""

    def clock_state() -> dict:
        return {"now": iso(sim.clock.now()), "speed": sim.clock.speed}

    async def health(request: web.Request) -> web.Response:
        return json_response({"ok": True, **clock_state(), "posts": len(sim.population.posts)})

    async def get_clock(request: web.Request) -> web.Response:
        return json_response(clock_state())

    async def set_clock(request: web.Request) -> web.Response:
        try:
            if "set" in request.query:
                sim.clock.set(parse_time(request.query["set"]))
            if "speed" in request.query:
                sim.clock.set_speed(float(request.query["speed"]))
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(clock_state())

    async def advance(request: web.Request) -> web.Response:
        q = request.query
        try:
            if "to" in q:
                target = parse_time(q["to"])
                if target < sim.clock.now():
                    raise ValueError("'to' is in the past; use POST /_sim/clock?set= to go back")
                sim.clock.set(target)
            else:
                step = timedelta(hours=float(q.get("hours", 0)), days=float(q.get("days", 0)),
                                 minutes=float(q.get("minutes", 0)))
                sim.clock.advance(step)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(clock_state())

    async def truth(request: web.Request) -> web.Response:
        curves = request.query.get("curves", "1") not in ("0", "false", "no")
        ids = {x for x in request.query.get("post_id", "").split(",") if x} or None
        return web.Response(body=sim.truth_json(curves, ids), content_type="application/json")

    async def get_faults(request: web.Request) -> web.Response:
        specs, log = sim.faults.export()
        return json_response({"faults": specs, "injected": log})

    async def add_faults(request: web.Request) -> web.Response:
        try:
            data = orjson.loads(await request.read())
            items = data if isinstance(data, list) else [data]
            specs = [spec_from_dict(item) for item in items]
            for spec in specs:
                validate(spec)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return json_response({"error": str(exc)}, 400)
        added = [sim.faults.add(spec).to_dict() for spec in specs]
        return json_response({"faults": added}, 201)

    async def clear_faults(request: web.Request) -> web.Response:
        sim.faults.clear()
        return json_response({"faults": []})

    async def campaign(request: web.Request) -> web.Response:
        return json_response(campaign_document(sim.population))

    return [
        web.get("/_sim/health", health), web.get("/_sim/clock", get_clock), web.post("/_sim/clock", set_clock),
        web.post("/_sim/advance", advance), web.get("/_sim/truth", truth), web.get("/_sim/faults", get_faults),
        web.post("/_sim/faults", add_faults), web.delete("/_sim/faults", clear_faults),
        web.get("/_sim/campaign", campaign),
    ]
