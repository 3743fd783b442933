"""Chat channels and Alertmanager across notifier restarts, against the real broker, local webhook
receivers and a real Alertmanager: a channel that was down gets what it missed after the restart,
the others get nothing twice; a hanging channel neither delays the others nor holds up the stop;
the post alerts still firing are active in Alertmanager after any stop, the resolved ones not."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.fixtures.prometheus import AlertmanagerProcess, until
from tests.fixtures.worker import committed_offsets, produce
from tests.integration.test_notify_chat import (
    FEISHU_HOOK,
    FEISHU_SECRET,
    SLACK_PATH,
    WECOM_KEY,
    Platforms,
    serve,
)
from tracker.alerting import NotifierService
from tracker.broker.node import free_port
from tracker.broker.topics import ALERTS
from tracker.contracts import encode
from tracker.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

EXAMPLE = (Path(__file__).resolve().parents[2] / "schemas" / "events" / "examples" / "tracker.alerts.v1" / "good"
           / "decaying_firing.json")


def firing(n: int, first: int = 0) -> list[tuple[bytes, bytes]]:
    """``n`` PostDecaying alerts firing, one per post, in two campaigns."""
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for i in range(first, first + n):
        post = f"douyin:73099{i:05d}"
        msg = {**json.loads(EXAMPLE.read_text()), "tenant": "acme", "campaign_id": f"c{i % 2}", "post_id": post,
               "alert_id": f"PostDecaying:{post}:pulse-1", "starts_at": now - timedelta(hours=1),
               "emitted_at": now}
        out.append((post.encode(), encode(ALERTS, msg)))
    return out


def posts(n: int, first: int = 0) -> list[str]:
    return [f"douyin:73099{i:05d}" for i in range(first, first + n)]


def times_received(platforms: Platforms, name: str, post: str) -> int:
    return sum(json.dumps(body, ensure_ascii=False).count(post) for body in platforms.accepted[name])


def settings_for(kafka: str, prefix: str, base: str, **extra: Any) -> Settings:
    return Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=prefix,  # type: ignore[call-arg]
                    notify_digest_seconds=0.3, notify_retries=1,
                    feishu_webhook_url=base + FEISHU_HOOK, feishu_secret=FEISHU_SECRET,
                    slack_webhook_url=base + SLACK_PATH,
                    wecom_webhook_url=f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}", **extra)


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def test_a_restart_resends_nothing_delivered_and_delivers_what_a_channel_missed(kafka, tracker_topics) -> None:
    """WeCom answers 503 through the first run: Feishu and Slack got the 12 alerts, and got them
    again after each restart (the offsets were held for WeCom, the memory of what was sent lost).
    Now each channel keeps its own position: after two restarts Feishu and Slack have each alert
    once, and WeCom, back, has all of them."""
    platforms = Platforms()
    platforms.down.add("wecom")
    topic = tracker_topics + ALERTS
    want = posts(12)
    async for base in serve(platforms):
        settings = settings_for(kafka, tracker_topics, base)
        await produce(kafka, topic, firing(12))
        first = NotifierService(settings, sleep=_no_wait)
        await first.start()
        try:
            for name in ("feishu", "slack"):
                await until(lambda name=name: _has_all(platforms, name, want), f"{name} got the 12 alerts")
            await until(lambda: _true(platforms.attempts["wecom"] >= 2), "WeCom refused twice")
        finally:
            await first.stop()
        assert not platforms.accepted["wecom"]
        assert await committed_offsets(kafka, first.group, topic) < 12  # WeCom is still owed them

        for run in range(2):  # a restart while WeCom is still down, then one once it is back
            if run == 1:
                platforms.down.clear()
            again = NotifierService(settings, sleep=_no_wait)
            await again.start()
            try:
                if run == 0:
                    seen = platforms.attempts["wecom"]
                    await until(lambda seen=seen: _true(platforms.attempts["wecom"] > seen), "WeCom tried again")
                else:
                    await until(lambda: _has_all(platforms, "wecom", want), "WeCom got the 12 alerts")
                    await until(partial(_committed, kafka, again.group, topic, 12), "every offset committed")
            finally:
                await again.stop()
    assert not platforms.refused
    for name in ("feishu", "slack"):
        assert [times_received(platforms, name, post) for post in want] == [1] * 12, name
    assert all(times_received(platforms, "wecom", post) >= 1 for post in want)


async def test_a_hanging_channel_delays_neither_the_others_nor_the_stop(kafka, tracker_topics) -> None:
    """WeCom never answers: Feishu's second digest waited for it (the rounds gathered every channel),
    and the stop waited up to 30 s. Now Feishu gets its digests meanwhile, the stop gives WeCom a
    short last try, and after the restart WeCom gets both alerts and Feishu nothing again."""
    platforms = Platforms()
    release = asyncio.Event()
    answer = platforms.wecom

    async def hanging(request: web.Request) -> web.Response:
        if not release.is_set():
            platforms.attempts["wecom"] += 1
            await release.wait()
        return await answer(request)

    platforms.wecom = hanging  # type: ignore[method-assign]
    topic = tracker_topics + ALERTS
    async for base in serve(platforms):
        settings = settings_for(kafka, tracker_topics, base)
        await produce(kafka, topic, firing(1))
        service = NotifierService(settings, sleep=_no_wait)
        service.stop_seconds = 1.0
        await service.start()
        for courier in service.couriers:
            courier.timeout = 600.0  # the hung request lasts the whole run
        try:
            await until(lambda: _has_all(platforms, "feishu", posts(1)), "Feishu got the first alert")
            await until(lambda: _true(platforms.attempts["wecom"] >= 1), "WeCom hanging")
            await produce(kafka, topic, firing(1, first=1))
            await until(lambda: _has_all(platforms, "feishu", posts(1, first=1)), "Feishu got the second alert",
                        timeout=30)
        finally:
            await asyncio.wait_for(service.stop(), timeout=15)
        release.set()
        assert not platforms.accepted["wecom"]

        restarted = NotifierService(settings, sleep=_no_wait)
        await restarted.start()
        try:
            await until(lambda: _has_all(platforms, "wecom", posts(2)), "WeCom got both alerts after the restart")
            await until(partial(_committed, kafka, restarted.group, topic, 2), "every offset committed")
        finally:
            await restarted.stop()
    for post in posts(2):
        assert times_received(platforms, "feishu", post) == 1


async def _has_all(platforms: Platforms, name: str, want: list[str]) -> bool:
    return all(times_received(platforms, name, post) for post in want)


async def _true(value: bool) -> bool:
    return value


async def _committed(kafka: str, group: str, topic: str, n: int) -> bool:
    return await committed_offsets(kafka, group, topic) == n


# Alertmanager across restarts: a notifier stopped longer than its alerts' expiry (4 × the re-send
# interval) found none to adopt, and read only what came after its committed position, so every
# post alert still firing stayed resolved in Alertmanager for good.

STILL = "douyin:7301234567001"  # fires before the stop and is still firing at the restart
OVER = "douyin:7301234567002"  # fires and resolves before the stop


def decaying(post_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {**json.loads(EXAMPLE.read_text()), "tenant": "acme", "campaign_id": "c1", "post_id": post_id,
            "alert_id": f"{post_id}:PostDecaying:2", "starts_at": now - timedelta(hours=1), "emitted_at": now}


def resolve(message: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {**message, "state": "resolved", "ends_at": now, "emitted_at": now, "summary": "a new pulse started"}


async def am_active(am: AlertmanagerProcess) -> set[str]:
    found = await asyncio.to_thread(am.query, "alertname=PostDecaying")
    return {alert["labels"]["post_id"] for alert in found}


async def test_alerts_still_firing_come_back_after_a_long_stop(kafka, tracker_topics, alertmanager) -> None:
    """Stopped past the alerts' endsAt: the one still firing is posted again at the restart
    (read again from before the committed position, notifying nothing); the resolved one is not."""
    topic = tracker_topics + ALERTS
    settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                        alertmanager_url=alertmanager.url, notify_resend_seconds=1.0)
    still, over = decaying(STILL), decaying(OVER)
    await produce(kafka, topic, [(STILL.encode(), encode(ALERTS, still)), (OVER.encode(), encode(ALERTS, over)),
                                 (OVER.encode(), encode(ALERTS, resolve(over)))])
    first = NotifierService(settings)
    await first.start()
    try:
        await until(lambda: _equals(am_active(alertmanager), {STILL}), "the firing alert in Alertmanager")
        await until(lambda: _equals(committed_offsets(kafka, first.group, topic), 3), "the offsets committed")
    finally:
        await first.stop()

    # stopped for longer than the alert's endsAt: Alertmanager ends it by itself
    await until(lambda: _equals(am_active(alertmanager), set()), "the alert expired in Alertmanager")

    second = NotifierService(settings)
    await second.start()
    try:
        await until(lambda: _equals(am_active(alertmanager), {STILL}), "the firing alert back in Alertmanager")
        found = await asyncio.to_thread(alertmanager.query, "alertname=PostDecaying")
        assert found[0]["startsAt"].startswith(still["starts_at"].strftime("%Y-%m-%dT%H:%M:%S"))
    finally:
        await second.stop()


async def test_a_resolve_alertmanager_missed_is_sent_at_the_restart(kafka, tracker_topics, alertmanager) -> None:
    """Alertmanager unreachable when a resolve came: the notifier gave it up and went on. Restarted
    before the alert's ``endsAt``, it adopted the alert from Alertmanager and kept re-sending it:
    firing there for as long as the notifier ran. It now resolves it there."""
    topic = tracker_topics + ALERTS
    settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                        alertmanager_url=alertmanager.url, notify_resend_seconds=60.0, notify_retries=1)
    still = decaying(STILL)
    await produce(kafka, topic, [(STILL.encode(), encode(ALERTS, still))])
    first = NotifierService(settings)
    await first.start()
    try:
        await until(lambda: _equals(am_active(alertmanager), {STILL}), "the firing alert in Alertmanager")
        await until(lambda: _equals(committed_offsets(kafka, first.group, topic), 1), "the offset committed")
    finally:
        await first.stop()

    await produce(kafka, topic, [(STILL.encode(), encode(ALERTS, resolve(still)))])
    unreachable = settings.model_copy(update={"alertmanager_url": f"http://127.0.0.1:{free_port()}"})
    second = NotifierService(unreachable)
    await second.start()
    try:
        await until(lambda: _equals(committed_offsets(kafka, second.group, topic), 2), "the resolve read")
    finally:
        await second.stop()
    assert await am_active(alertmanager) == {STILL}  # its endsAt is minutes away

    third = NotifierService(settings)
    await third.start()
    try:
        await until(lambda: _equals(am_active(alertmanager), set()), "the alert resolved in Alertmanager", timeout=60)
        assert len(third.core.active) == 0
    finally:
        await third.stop()


async def _equals(value: Any, expected: Any) -> bool:
    return (await value) == expected
