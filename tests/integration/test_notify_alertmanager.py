"""The notifier end to end: a PostDecaying state change on tracker.alerts.v1 reaches the
real Alertmanager (amtool finds it with its labels), stays active while re-sent,
survives a notifier restart, and is resolved by the resolved message; the campaign's
chat digest reports both; a bad message is skipped and counted."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from tests.fixtures.prometheus import AlertmanagerProcess, until
from tests.fixtures.worker import committed_offsets, produce
from tests.integration.test_notify_chat import FEISHU_HOOK, FEISHU_SECRET, Platforms, serve
from tracker.alerting import NotifierService
from tracker.broker.node import free_port
from tracker.broker.topics import ALERTS
from tracker.contracts import encode
from tracker.ops.web import WebService, metrics_app
from tracker.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

EXAMPLE = (Path(__file__).resolve().parents[2] / "schemas" / "events" / "examples" / "tracker.alerts.v1" / "good"
           / "decaying_firing.json")
POST = "douyin:7301234567890"


def messages() -> tuple[dict[str, Any], dict[str, Any]]:
    now = datetime.now(UTC).replace(microsecond=0)
    firing = {**json.loads(EXAMPLE.read_text()), "tenant": "acme", "campaign_id": "c1", "post_id": POST,
              "alert_id": f"PostDecaying:{POST}:pulse-2", "starts_at": now - timedelta(hours=1),
              "emitted_at": now - timedelta(minutes=1)}
    resolved = {**firing, "state": "resolved", "ends_at": now, "emitted_at": now,
                "summary": f"{POST}: a new pulse started"}
    return firing, resolved


async def am_alerts(am: AlertmanagerProcess) -> list[dict[str, Any]]:
    return await asyncio.to_thread(am.query, "alertname=PostDecaying", f"post_id={POST}")


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_post_decaying_reaches_alertmanager_and_resolves(kafka, tracker_topics, alertmanager) -> None:
    platforms = Platforms()
    firing, resolved = messages()
    topic = tracker_topics + ALERTS
    async for base in serve(platforms):
        web_port = free_port()
        settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                            alertmanager_url=alertmanager.url, notify_resend_seconds=1.0, notify_digest_seconds=1.0,
                            feishu_webhook_url=base + FEISHU_HOOK, feishu_secret=FEISHU_SECRET,
                            web_host="127.0.0.1", web_port=web_port)
        invalid_before = counter("tracker_notifier_messages_total", outcome="invalid")
        await produce(kafka, topic, [(POST.encode(), b"{not an alert"), (POST.encode(), encode(ALERTS, firing))])

        first = NotifierService(settings)
        web = WebService([(metrics_app(), settings.web_host, web_port)])  # as `tracker notify` runs them
        await web.start()
        await first.start()
        try:
            (alert,) = await until(lambda: am_alerts(alertmanager), "the alert in Alertmanager")
            assert alert["labels"] == {"alertname": "PostDecaying", "tenant": "acme", "campaign": "c1",
                                       "platform": "douyin", "severity": "warning", "post_id": POST}
            # the runbook link is absolute, and this process's web endpoint answers it
            runbook = alert["annotations"]["runbook_url"]
            assert runbook == f"http://127.0.0.1:{web_port}/runbook#postdecaying"
            async with httpx.AsyncClient() as client:
                page = await client.get(runbook, timeout=10)
            assert page.status_code == 200 and 'id="postdecaying"' in page.text
            assert alert["annotations"]["suggestion"].startswith("re-heat via dou+ with 2,000 CNY")
            assert alert["status"]["state"] == "active"
            # re-sent while active: Alertmanager's endsAt keeps moving forward
            await until(partial(_ends_after, alertmanager, alert["endsAt"]), "a re-send with a later endsAt")
            digest = await until(lambda: _accepted(platforms, "FIRING"), "the firing digest")
            assert "tracker 告警 · acme / c1: 1 firing 触发, 0 resolved 恢复" in json.dumps(digest, ensure_ascii=False)
            assert counter("tracker_notifier_messages_total", outcome="invalid") - invalid_before == 1
            assert counter("tracker_alerts_firing", alert="PostDecaying") == 1
        finally:
            await first.stop()
            await web.stop()
        # offsets were committed once the digest covering them was delivered
        assert await committed_offsets(kafka, first.group, topic) == 2

        second = NotifierService(settings)  # a restart: adopts the active alert from Alertmanager
        await second.start()
        try:
            assert counter("tracker_alerts_firing", alert="PostDecaying") == 1
            await produce(kafka, topic, [(POST.encode(), encode(ALERTS, resolved))])
            await until(lambda: _gone(alertmanager), "the alert resolved in Alertmanager")
            await until(lambda: _accepted(platforms, "RESOLVED"), "the resolved digest")
            assert counter("tracker_alerts_firing", alert="PostDecaying") == 0
        finally:
            await second.stop()
    assert not platforms.refused
    firing_digests = [d for d in platforms.accepted["feishu"] if "FIRING " in json.dumps(d, ensure_ascii=False)]
    assert len(firing_digests) == 1  # the restart did not announce it again
    silence = await asyncio.to_thread(alertmanager.amtool, "alert", "query", "alertname=PostDecaying", "-o", "json")
    assert json.loads(silence or "[]") == []


async def _ends_after(am: AlertmanagerProcess, ends: str) -> bool:
    alerts = await am_alerts(am)
    return bool(alerts) and alerts[0]["endsAt"] > ends


async def _accepted(platforms: Platforms, status: str) -> dict[str, Any] | None:
    for body in platforms.accepted["feishu"]:
        if f"{status} [warning] 衰减预警 PostDecaying" in json.dumps(body, ensure_ascii=False):
            return body
    return None


async def _gone(am: AlertmanagerProcess) -> bool:
    return await am_alerts(am) == []


async def test_alertmanager_routes_post_alerts_by_tenant_and_severity(alertmanager) -> None:
    """deploy/alertmanager/alertmanager.yml: post alerts by tenant, then severity; Tracker* to engineers."""
    config = "--config.file=" + str(Path(__file__).resolve().parents[2] / "deploy/alertmanager/alertmanager.yml")
    cases = {
        ("alertname=PostDecaying", "tenant=acme-beauty", "severity=critical"): "acme-beauty-urgent",
        ("alertname=PostDecaying", "tenant=acme-beauty", "severity=warning"): "acme-beauty-ops",
        ("alertname=PostUnavailable", "tenant=other", "severity=critical"): "marketing-ops-urgent",
        ("alertname=PostStalled", "tenant=other", "severity=info"): "marketing-ops-digest",
        ("alertname=TrackerSinkStalled", "severity=critical"): "data-engineering-page",
        ("alertname=TrackerQuotaExhausted", "severity=warning"): "data-engineering",
    }
    for labels, receiver in cases.items():
        out = await asyncio.to_thread(alertmanager.amtool, "config", "routes", "test", config, *labels)
        assert out.strip() == receiver, labels
    check = await asyncio.to_thread(_check_config, config)
    assert "SUCCESS" in check


def _check_config(config: str) -> str:
    import subprocess

    from tests.fixtures.prometheus import binary

    path = config.split("=", 1)[1]
    result = subprocess.run([binary("amtool"), "check-config", path], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_notifier_without_alertmanager_ready_keeps_running(kafka, tracker_topics) -> None:
    """An unreachable Alertmanager is retried, counted and never stops the notifier."""
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                        alertmanager_url=dead, notify_retries=2, notify_resend_seconds=60)
    failed_before = counter("tracker_notifications_total", channel="alertmanager", outcome="failed")
    firing, _ = messages()
    service = NotifierService(settings, sleep=_no_wait)
    await service.start()
    try:
        await produce(kafka, tracker_topics + ALERTS, [(POST.encode(), encode(ALERTS, firing))])
        await until(lambda: _failed_more(failed_before), "a failed Alertmanager delivery")
        assert all(not task.done() for task in service.tasks)
    finally:
        await service.stop()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.HTTPError):
            await client.get(dead, timeout=2)


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def _failed_more(before: float) -> bool:
    return counter("tracker_notifications_total", channel="alertmanager", outcome="failed") > before


async def test_a_digest_a_chat_could_not_take_waits_and_holds_the_offsets(kafka, tracker_topics) -> None:
    """WeCom down: the digest was given up after its attempts and its alerts' offsets committed, so
    that chat never heard of them, even after a restart. It now waits for the chat's next round,
    nothing is committed meanwhile, and once WeCom is back the digest arrives and the offset commits."""
    from tests.integration.test_notify_chat import WECOM_KEY

    platforms = Platforms()
    platforms.down.add("wecom")
    firing, _ = messages()
    topic = tracker_topics + ALERTS
    async for base in serve(platforms):
        settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                            notify_digest_seconds=0.3, notify_retries=1,
                            wecom_webhook_url=f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}")
        await produce(kafka, topic, [(POST.encode(), encode(ALERTS, firing))])
        service = NotifierService(settings, sleep=_no_wait)
        await service.start()
        try:
            await until(_after(lambda: platforms.attempts["wecom"] >= 3), "three rounds refused by WeCom")
            assert await committed_offsets(kafka, service.group, topic) == 0  # held: the chat has not got it
            platforms.down.clear()
            delivered = await until(lambda: _accepted_wecom(platforms), "the digest once WeCom is back")
            assert POST in json.dumps(delivered, ensure_ascii=False)
            await until(_after(partial(committed_offsets, kafka, service.group, topic), 1), "the offset committed")
        finally:
            await service.stop()
    assert len(platforms.accepted["wecom"]) == 1


def _after(check, expected=True):  # type: ignore[no-untyped-def]
    """An async poll for ``until``: ``check()`` (awaited when it is a coroutine) equals ``expected``."""
    async def poll() -> bool:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        return value == expected
    return poll


async def _accepted_wecom(platforms: Platforms) -> Any:
    return platforms.accepted["wecom"][0] if platforms.accepted["wecom"] else None


async def test_an_alert_dated_ahead_of_the_wall_clock_reaches_alertmanager_and_resolves(
        kafka, tracker_topics, alertmanager) -> None:
    """Snapshots observed ahead of the wall clock (the demo's simulator runs ahead of it; an export's
    local times read as UTC, up to TRACKER_MAX_SNAPSHOT_LEAD_HOURS) date their alerts ahead too.
    Alertmanager refused such an alert ("start time must be before end time"), at every re-send,
    counting the whole batch failed; and its resolve, ending in the future, made it fire there
    until then. It is now posted as starting now, and its resolve ends it now."""
    firing, resolved = messages()
    ahead = timedelta(hours=8)
    firing = {**firing, "starts_at": firing["starts_at"] + ahead}
    resolved = {**resolved, "starts_at": firing["starts_at"], "ends_at": resolved["ends_at"] + ahead}
    topic = tracker_topics + ALERTS
    settings = Settings(_env_file=None, kafka_bootstrap=kafka, topic_prefix=tracker_topics,  # type: ignore[call-arg]
                        alertmanager_url=alertmanager.url, notify_resend_seconds=1.0, notify_retries=1)
    failed_before = counter("tracker_notifications_total", channel="alertmanager", outcome="failed")
    await produce(kafka, topic, [(POST.encode(), encode(ALERTS, firing))])
    service = NotifierService(settings, sleep=_no_wait)
    await service.start()
    try:
        (alert,) = await until(lambda: am_alerts(alertmanager), "the alert in Alertmanager", timeout=30)
        assert alert["status"]["state"] == "active"
        await until(partial(_ends_after, alertmanager, alert["endsAt"]), "a re-send with a later endsAt")
        assert counter("tracker_notifications_total", channel="alertmanager", outcome="failed") == failed_before
        await produce(kafka, topic, [(POST.encode(), encode(ALERTS, resolved))])
        await until(lambda: _gone(alertmanager), "the alert resolved in Alertmanager", timeout=30)
    finally:
        await service.stop()


async def test_only_a_take_down_inhibits_the_posts_decay_alert(alertmanager) -> None:
    """deploy/alertmanager/alertmanager.yml: a post the platform took down is not decaying, so its
    PostUnavailable hides its PostDecaying. One whose counters fell (a purge of bought likes; that
    PostUnavailable stays open to the end of tracking) still decays: it hid the alert for good."""
    from tracker.alerting.alertmanager import ActiveAlerts, AlertmanagerClient
    from tracker.alerting.change import AlertChange

    now = datetime.now(UTC).replace(microsecond=0)
    active = ActiveAlerts(60.0)

    def change(post: str, alert: str, key: str) -> dict[str, Any]:
        return active.apply(AlertChange(
            "acme", "c1", post, alert, "firing", f"{post}:{alert}:{key}", "warning", now - timedelta(hours=1), None,
            f"{post}: {alert}", now), now)

    purged, gone = "douyin:7300000000001", "douyin:7300000000002"
    async with httpx.AsyncClient() as http:
        client = AlertmanagerClient(alertmanager.url, http)
        await client.post([change(purged, "PostUnavailable", "likes@1"), change(purged, "PostDecaying", "1"),
                           change(gone, "PostUnavailable", "status"), change(gone, "PostDecaying", "1")])

        async def decaying() -> dict[str, str] | None:
            found = await client.query('alertname="PostDecaying"')
            states = {a["labels"]["post_id"]: a["status"]["state"] for a in found}
            return states if states.get(gone) == "suppressed" else None

        states = await until(decaying, "the taken-down post's PostDecaying inhibited")
    assert states == {purged: "active", gone: "suppressed"}
