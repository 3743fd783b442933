"""Chat deliveries against local HTTP receivers that check each message the way the
platform does: Slack's URL secret, Feishu's body signature, DingTalk's query-string
signature, WeCom's URL key; body shapes and size limits; rate limits answered with
the platform's throttling reply."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from tracker.alerting.change import AlertChange
from tracker.alerting.chat import DingTalk, Feishu, Slack, WeCom
from tracker.alerting.delivery import Courier
from tracker.alerting.digest import CampaignDigest, Digests
from tracker.broker.node import free_port

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

FEISHU_SECRET = "feishu-signing-secret"
DINGTALK_SECRET = "SECdingtalk0123456789"
DINGTALK_TOKEN = "ding-access-token"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
SLACK_PATH = "/services/T000/B000/XXXXXXXX"
FEISHU_HOOK = "/open-apis/bot/v2/hook/2d7bf3bd-0000-4b4b-8a0f-51f3ff0b2a55"


class Platforms:
    """The four webhook endpoints, each checking requests as its platform documents."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.accepted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.refused: dict[str, list[str]] = defaultdict(list)
        self.attempts: dict[str, int] = defaultdict(int)
        self.sent_at: dict[str, list[float]] = defaultdict(list)
        self.slack_throttle = 0  # answer this many requests with 429 first
        self.down: set[str] = set()  # platforms answering 503 (an outage)
        self.dingtalk_muted_until = 0.0  # DingTalk answers 130101 until then (a muted bot)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(SLACK_PATH, self.slack)
        app.router.add_post("/services/{t}/{b}/{x}", self.slack_unknown)
        app.router.add_post("/open-apis/bot/v2/hook/{hook}", self.feishu)
        app.router.add_post("/robot/send", self.dingtalk)
        app.router.add_post("/cgi-bin/webhook/send", self.wecom)
        return app

    def _refuse(self, name: str, why: str) -> None:
        self.refused[name].append(why)

    def _over(self, name: str, window: float, limit: int) -> bool:
        now = self.clock()
        recent = [t for t in self.sent_at[name] if now - t < window]
        return len(recent) >= limit

    async def slack(self, request: web.Request) -> web.Response:
        self.attempts["slack"] += 1
        if self.slack_throttle:
            self.slack_throttle -= 1
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": "1"})
        body = await request.json()
        if not body.get("text") and not body.get("blocks"):
            self._refuse("slack", "no_text")
            return web.Response(status=400, text="no_text")
        if len(body.get("blocks", [])) > 50 or any(
                len(b.get("text", {}).get("text", "")) > (150 if b["type"] == "header" else 3000)
                for b in body.get("blocks", [])):
            self._refuse("slack", "invalid_blocks")
            return web.Response(status=400, text="invalid_blocks")
        self.accepted["slack"].append(body)
        return web.Response(text="ok")

    async def slack_unknown(self, request: web.Request) -> web.Response:
        self.attempts["slack"] += 1
        self._refuse("slack", "no_service")
        return web.Response(status=404, text="no_service")

    async def feishu(self, request: web.Request) -> web.Response:
        self.attempts["feishu"] += 1
        raw = await request.read()
        body = orjson.loads(raw)
        if request.path != FEISHU_HOOK:
            return web.json_response({"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
        ts = int(body.get("timestamp", "0"))
        expected = base64.b64encode(hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest())
        if abs(self.clock() - ts) > 3600 or body.get("sign", "").encode() != expected:
            self._refuse("feishu", "sign")
            return web.json_response({"code": 19021, "msg": "sign match fail or timestamp is not within one hour "
                                                            "from current time"})
        if len(raw) > 20 * 1024 or body.get("msg_type") not in {"text", "post", "interactive", "image", "share_chat"}:
            self._refuse("feishu", "bad request")
            return web.json_response({"code": 9499, "msg": "Bad Request"})
        if self._over("feishu", 1.0, 5) or self._over("feishu", 60.0, 100):
            self._refuse("feishu", "throttled")
            return web.json_response({"code": 11232, "msg": "frequency limited psm"})
        self.sent_at["feishu"].append(self.clock())
        self.accepted["feishu"].append(body)
        return web.json_response({"code": 0, "msg": "success", "data": {}})

    async def dingtalk(self, request: web.Request) -> web.Response:
        self.attempts["dingtalk"] += 1
        if self.clock() < self.dingtalk_muted_until:
            return web.json_response({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        q = request.query  # aiohttp URL-decodes: this is the base64 signature itself
        if q.get("access_token") != DINGTALK_TOKEN:
            return web.json_response({"errcode": 300001, "errmsg": "token is not exist"})
        ts = int(q.get("timestamp", "0"))
        expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{ts}\n{DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        if abs(self.clock() * 1000 - ts) > 3600_000:
            self._refuse("dingtalk", "timestamp")
            return web.json_response({"errcode": 310000, "errmsg": "invalid timestamp"})
        if q.get("sign") != expected:
            self._refuse("dingtalk", "sign")
            return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        body = await request.json()
        if body.get("msgtype") not in {"text", "markdown", "link", "actionCard", "feedCard"}:
            return web.json_response({"errcode": 40035, "errmsg": "缺少参数 json"})
        if self._over("dingtalk", 60.0, 20):
            self._refuse("dingtalk", "throttled")
            return web.json_response({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        self.sent_at["dingtalk"].append(self.clock())
        self.accepted["dingtalk"].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def wecom(self, request: web.Request) -> web.Response:
        self.attempts["wecom"] += 1
        if "wecom" in self.down:
            return web.Response(status=503, text="service unavailable")
        if request.query.get("key") != WECOM_KEY:
            self._refuse("wecom", "key")
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        content = body.get(body.get("msgtype", ""), {}).get("content", "")
        if len(content.encode()) > 4096:
            self._refuse("wecom", "too long")
            return web.json_response({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
        if self._over("wecom", 60.0, 20):
            self._refuse("wecom", "throttled")
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
        self.sent_at["wecom"].append(self.clock())
        self.accepted["wecom"].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


class FakeClock:
    """Virtual seconds for rate limits and retries, starting at the real time."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


async def serve(platforms: Platforms) -> AsyncIterator[str]:
    runner = web.AppRunner(platforms.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def real_time() -> AsyncIterator[tuple[Platforms, str]]:
    platforms = Platforms()
    async for base in serve(platforms):
        yield platforms, base


@pytest.fixture
async def virtual_time() -> AsyncIterator[tuple[Platforms, str, FakeClock]]:
    clock = FakeClock()
    platforms = Platforms(clock)
    async for base in serve(platforms):
        yield platforms, base, clock


def digest(n: int) -> CampaignDigest:
    now = datetime.now(UTC)
    digests = Digests()
    for i in range(n):
        digests.add(AlertChange(
            tenant="acme", campaign="double11", post_id=f"douyin:73012345{i:05d}", alert="PostDecaying",
            state="firing", alert_id=f"a{i}", severity="warning", starts_at=now - timedelta(hours=1), ends_at=None,
            summary=f"post {i} is decaying; projected 72 h gain 4% — 建议加热", emitted_at=now,
            suggestion={"action": "reheat", "channel": "dou+", "spend": {"amount": "500.00", "currency": "CNY"}}))
    (out,) = digests.drain()
    return out


def channels(base: str, *, feishu_secret: str = FEISHU_SECRET, dingtalk_secret: str = DINGTALK_SECRET) -> dict[str, Any]:
    return {
        "slack": Slack(base + SLACK_PATH),
        "feishu": Feishu(base + FEISHU_HOOK, feishu_secret),
        "dingtalk": DingTalk(f"{base}/robot/send?access_token={DINGTALK_TOKEN}", dingtalk_secret),
        "wecom": WeCom(f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}"),
    }


def failed(channel: str, outcome: str = "failed") -> float:
    return REGISTRY.get_sample_value("tracker_notifications_total", {"channel": channel, "outcome": outcome}) or 0.0


async def test_each_platform_accepts_the_signed_digest(http, real_time) -> None:
    platforms, base = real_time
    message = digest(7)
    for name, channel in channels(base).items():
        assert await Courier(channel, http, attempts=2).send(message), (name, platforms.refused)
    assert not platforms.refused
    slack, feishu, dingtalk, wecom = (platforms.accepted[n][0] for n in ("slack", "feishu", "dingtalk", "wecom"))
    post_ids = [f"douyin:73012345{i:05d}" for i in range(7)]
    assert all(p in orjson.dumps(slack).decode() for p in post_ids)
    assert feishu["msg_type"] == "post" and all(p in orjson.dumps(feishu).decode() for p in post_ids)
    assert dingtalk["msgtype"] == "markdown" and all(p in dingtalk["markdown"]["text"] for p in post_ids)
    assert wecom["msgtype"] == "markdown" and all(p in wecom["markdown"]["content"] for p in post_ids)
    assert "tracker 告警 · acme / double11: 7 firing 触发, 0 resolved 恢复" in dingtalk["markdown"]["title"]
    assert "tracker · acme / double11: 7 firing, 0 resolved" in slack["text"]
    # each item names the platform and says what is suggested, with its channel and amount
    for body in (slack, feishu, dingtalk, wecom):
        text = orjson.dumps(body).decode()
        assert "(Douyin): post 0 is decaying" in text and "↳ re-heat via dou+ with 500 CNY" in text


async def test_large_digests_stay_within_each_platforms_size_limit(http, real_time) -> None:
    platforms, base = real_time
    message = digest(600)
    for channel in channels(base).values():
        assert await Courier(channel, http, attempts=1).send(message)
    assert not platforms.refused
    assert "more alert changes" in platforms.accepted["wecom"][0]["markdown"]["content"]


async def test_a_wrong_secret_is_refused_and_not_retried(http, real_time) -> None:
    platforms, base = real_time
    wrong = channels(base, feishu_secret="not-the-secret", dingtalk_secret="SECwrong")
    before = failed("feishu"), failed("dingtalk")
    for name in ("feishu", "dingtalk"):
        assert not await Courier(wrong[name], http, attempts=5).send(digest(2))
        assert platforms.attempts[name] == 1  # a signature error is permanent: no retry
    assert platforms.refused == {"feishu": ["sign"], "dingtalk": ["sign"]}
    assert (failed("feishu") - before[0], failed("dingtalk") - before[1]) == (1, 1)


async def test_unknown_slack_webhook_fails(http, real_time) -> None:
    platforms, base = real_time
    assert not await Courier(Slack(base + "/services/T/B/revoked"), http, attempts=3).send(digest(1))
    assert platforms.refused["slack"] == ["no_service"] and platforms.attempts["slack"] == 1


async def test_slack_429_waits_for_retry_after_then_delivers(http, virtual_time) -> None:
    platforms, base, clock = virtual_time
    platforms.slack_throttle = 1
    courier = Courier(Slack(base + SLACK_PATH), http, attempts=3, sleep=clock.sleep, clock=clock, wall_clock=clock)
    assert await courier.send(digest(3))
    assert platforms.attempts["slack"] == 2 and len(platforms.accepted["slack"]) == 1
    assert 1.0 in clock.slept  # Retry-After: 1


async def test_dingtalk_and_wecom_are_never_sent_over_20_a_minute(http, virtual_time) -> None:
    platforms, base, clock = virtual_time
    chosen = channels(base)
    started = clock.now
    for name in ("dingtalk", "wecom", "feishu"):
        courier = Courier(chosen[name], http, attempts=1, sleep=clock.sleep, clock=clock, wall_clock=clock)
        for _ in range(45):
            assert await courier.send(digest(1)), platforms.refused
    assert not platforms.refused  # no throttling reply, no signature refused with a virtual timestamp
    assert len(platforms.accepted["dingtalk"]) == len(platforms.accepted["wecom"]) == 45
    assert clock.now - started >= 2 * 60  # 45 messages at 20 per minute need two full windows each


async def test_a_muted_dingtalk_bot_defers_the_digest_without_waiting_out_the_mute(http, virtual_time) -> None:
    """Over its limit a DingTalk bot is muted for 10 minutes: the courier waited 60 s between its
    attempts and gave the digest up after four minutes; it now keeps it for a later round at once,
    holds the channel for the 10 minutes, and delivers it after them."""
    from tracker.alerting.delivery import Outcome

    platforms, base, clock = virtual_time
    platforms.dingtalk_muted_until = clock.now + 600
    courier = Courier(channels(base)["dingtalk"], http, attempts=5, sleep=clock.sleep, clock=clock, wall_clock=clock)
    assert await courier.send(digest(2)) is Outcome.LATER
    assert platforms.attempts["dingtalk"] == 1 and not clock.slept
    assert 590 <= courier.ready_in() <= 600
    await clock.sleep(courier.ready_in())
    assert await courier.send(digest(2)) is Outcome.SENT
    assert len(platforms.accepted["dingtalk"]) == 1


async def test_network_errors_are_retried_then_kept_for_a_later_round(http) -> None:
    """An unreachable platform is no refusal: after its attempts the digest waits for the next round."""
    from tracker.alerting.delivery import Outcome

    clock = FakeClock()
    before = failed("wecom"), failed("wecom", "deferred")
    dead = WeCom(f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=K")
    courier = Courier(dead, http, attempts=3, backoff=2.0, sleep=clock.sleep, clock=clock, wall_clock=clock)
    assert await courier.send(digest(1)) is Outcome.LATER
    backoffs = [s for s in clock.slept if s > 0]
    assert len(backoffs) == 2 and 1.6 <= backoffs[0] <= 2.4 and 3.2 <= backoffs[1] <= 4.8
    assert (failed("wecom") - before[0], failed("wecom", "deferred") - before[1]) == (0, 1)


@pytest.fixture
async def http() -> AsyncIterator[Any]:
    import httpx

    async with httpx.AsyncClient() as client:
        yield client
