"""One chat channel's lane against a real local HTTP receiver: queued digests reach a channel
that comes back as one merged message per campaign, never a resolve before its fire; a
platform's throttling reply is honoured with its documented wait (PLATFORMS.md §11)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiohttp import web

from tests.unit.test_alerting_core import FakeClock
from tracker.alerting.change import AlertChange
from tracker.alerting.chat import Feishu, Slack
from tracker.alerting.delivery import Courier, Lane, Outcome
from tracker.broker.node import free_port

NOW = datetime.now(UTC).replace(microsecond=0)


class Receiver:
    """A local webhook: answers ``reply`` (status, body) and keeps what it accepted."""

    def __init__(self) -> None:
        self.accepted: list[dict[str, Any]] = []
        self.attempts = 0
        self.reply: tuple[int, str] | None = None  # None: accept

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.json()
        if self.reply is not None:
            return web.Response(status=self.reply[0], text=self.reply[1], content_type="application/json")
        self.accepted.append(body)
        if request.path.startswith("/open-apis"):
            return web.json_response({"code": 0, "msg": "success", "data": {}})
        return web.Response(text="ok")


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[Receiver, str]]:
    """The receiver on a free local port, in the test's own event loop."""
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield rec, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def change(state: str, post: str = "douyin:7301", campaign: str = "double11") -> AlertChange:
    return AlertChange(
        tenant="acme", campaign=campaign, post_id=post, alert="PostDecaying", state=state,
        alert_id=f"PostDecaying:{post}", severity="warning", starts_at=NOW - timedelta(hours=1),
        ends_at=None if state == "firing" else NOW, summary=f"{post} {state}", emitted_at=NOW)


async def test_queued_digests_arrive_merged_per_campaign_with_the_latest_state() -> None:
    """Slack down while an alert fired, then resolved: once back, the channel gets one message for
    the campaign, the alert shown FIRED+RESOLVED (it was sent fire and resolve as two messages,
    which could arrive resolve first)."""
    clock = FakeClock()
    committed: list[dict[Any, int]] = []

    async def commit(offsets: dict[Any, int]) -> None:
        committed.append(offsets)

    async with serving() as (rec, base), httpx.AsyncClient() as http:
        courier = Courier(Slack(base + "/services/T/B/X"), http, attempts=1, sleep=clock.sleep, clock=clock)
        lane = Lane(courier, commit, interval=30.0, clock=clock)
        rec.reply = (503, "down")
        lane.offer("p0", 0, change("firing"))
        lane.offer("p0", 1, change("firing", post="douyin:7302", campaign="618"))
        assert await lane.round() == []
        assert committed == [] and lane.paused_for() >= 30.0  # circuit open: the lane waits alone
        assert rec.attempts == 1  # the second campaign was not tried against a failing endpoint
        lane.offer("p0", 2, change("resolved"))
        rec.reply = None
        clock.now += lane.paused_for()
        sent = await lane.round()
    assert [(d.campaign, [e.status for e in d.entries]) for d in sent] == [
        ("618", ["FIRING"]), ("double11", ["FIRED+RESOLVED"])]
    assert len(rec.accepted) == 2  # one message per campaign
    double11 = orjson.dumps(rec.accepted[1]).decode()
    assert "FIRED+RESOLVED" in double11 and "*FIRING*" not in double11
    assert committed == [{"p0": 3}]
    # a restart: records before the channel's committed position are skipped for it
    again = Lane(courier, commit, interval=30.0, clock=clock)
    again.start["p0"] = 3
    again.offer("p0", 2, change("resolved"))
    assert len(again.digests) == 0 and again.done == {"p0": 3}


async def test_feishu_throttled_waits_the_documented_minute() -> None:
    """Feishu 11232 (over 100/min or 5/s) was retried after 1 s, five times: now the digest is kept
    for later at once and the channel holds back for the minute its limit counts."""
    clock = FakeClock()
    async with serving() as (rec, base), httpx.AsyncClient() as http:
        rec.reply = (200, '{"code":11232,"msg":"frequency limited psm"}')
        courier = Courier(Feishu(base + "/open-apis/bot/v2/hook/x", "secret"), http, attempts=5,
                          sleep=clock.sleep, clock=clock, wall_clock=clock)
        lane = Lane(courier, _ignore, interval=1.0, clock=clock)
        lane.offer("p0", 0, change("firing"))
        assert await courier.send(lane.digests.drain()[0]) is Outcome.LATER
        assert rec.attempts == 1 and not clock.slept
        assert 59.0 <= courier.ready_in() <= 60.0
        assert lane.paused_for() >= 59.0


async def _ignore(offsets: dict[Any, int]) -> None:
    return None
