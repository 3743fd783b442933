"""The notifier: ``tracker.alerts.v1`` → Alertmanager and per-campaign chat digests.

Pipeline (one screen):

1. ``consume``: read raw alert messages; decode and validate each
   (``tracker.contracts.decode``; a bad one is logged and counted, never fatal);
   drop repeats of an alert instance's state; post the changes to
   Alertmanager at once and queue them for the digest.
2. ``resend`` (every ``notify_resend_seconds``): post every active alert again
   with a fresh ``endsAt``, so Alertmanager keeps it while tracker runs.
3. ``digest`` (every ``notify_digest_seconds``): one message per campaign to
   each chat channel, then commit the offsets those messages covered (with
   no chat channel, offsets are committed after the Alertmanager post). A
   digest a channel could not take yet (throttled, muted, unreachable) is kept
   for that channel's next round, and no offset is committed while one waits:
   after a restart the alerts are read again rather than lost.

On start, active post alerts already in Alertmanager are adopted, so a
restart neither drops nor re-announces them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import mode
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from tracker.alerting.alertmanager import ActiveAlerts, AlertmanagerClient, utcnow
from tracker.alerting.change import AlertChange, dedup_key
from tracker.alerting.chat import Channel, channels
from tracker.alerting.dedup import Seen
from tracker.alerting.delivery import Courier, Outcome
from tracker.alerting.digest import CampaignDigest, Digests
from tracker.broker.topics import ALERTS
from tracker.contracts import decode
from tracker.contracts.vocab import ALERT_TYPES
from tracker.errors import InvalidInput, RetryableError
from tracker.ops import metrics
from tracker.ops.web import runbook_link
from tracker.settings import Settings

log = logging.getLogger(__name__)

MAX_UNDELIVERED = 500
"""Digests a chat channel may owe before the oldest are dropped (a channel down for days)."""


class Notifier:
    """The notifier's state without I/O: active alerts, what was seen, pending digests."""

    def __init__(self, resend_seconds: float, *, digests: bool, grafana_url: str = "",
                 runbook_url: str = "") -> None:
        """``runbook_url``: the runbook's absolute URL, each alert linking its section (no link when "")."""
        self.active = ActiveAlerts(resend_seconds)
        self.seen = Seen()
        self.digests = Digests() if digests else None
        self.grafana_url = grafana_url
        self.runbook_url = runbook_url

    def handle(self, raw: bytes | None, now: datetime) -> dict[str, Any] | None:
        """Apply one raw message; returns the Alertmanager alert to post, or None
        (invalid message, or a state already notified)."""
        try:
            change = AlertChange.from_message(decode(ALERTS, raw))
        except InvalidInput as exc:
            metrics.NOTIFIER_MESSAGES.labels("invalid").inc()
            log.warning("skipping an invalid alert message: %s", exc.reason)
            return None
        if not self.seen.first(change.dedup_key):
            metrics.NOTIFIER_MESSAGES.labels("duplicate").inc()
            return None
        metrics.NOTIFIER_MESSAGES.labels("applied").inc()
        if self.digests is not None:
            self.digests.add(change)
        alert = self.active.apply(change, now, grafana_url=self.grafana_url, runbook_url=self.runbook_url)
        self.publish_counts()
        return alert

    def adopt(self, found: list[dict[str, Any]]) -> int:
        """Take over alerts that Alertmanager holds; their firing state counts as notified."""
        n = self.active.adopt(found)
        for alert in found:
            alert_id = alert.get("annotations", {}).get("alert_id")
            try:
                starts_at = datetime.fromisoformat(str(alert.get("startsAt")))
            except ValueError:
                continue
            if alert_id:
                self.seen.first(dedup_key(alert_id, "firing", starts_at))
        self.publish_counts()
        return n

    def publish_counts(self) -> None:
        for name, count in self.active.counts().items():
            metrics.ALERTS_FIRING.labels(name).set(count)


class NotifierService(mode.Service):
    """Runs the notifier in the process's event loop (``tracker run`` or ``tracker notify``)."""

    def __init__(self, settings: Settings, *, chat: list[Channel] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, **kwargs: Any) -> None:
        """``sleep`` waits between delivery retries (tests pass a virtual one)."""
        super().__init__(**kwargs)
        self.settings = settings
        self.chat = channels(settings) if chat is None else chat
        self.pause = sleep
        self.core = Notifier(settings.notify_resend_seconds, digests=bool(self.chat),
                             grafana_url=settings.grafana_url, runbook_url=runbook_link(settings))
        self.pending: dict[TopicPartition, int] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.http: httpx.AsyncClient | None = None
        self.alertmanager: AlertmanagerClient | None = None
        self.couriers: list[Courier] = []
        self.consumer: AIOKafkaConsumer | None = None
        self.undelivered: dict[str, list[CampaignDigest]] = {}
        """Per chat channel, the digests it has yet to take (oldest first)."""

    @property
    def group(self) -> str:
        return f"{self.settings.topic_prefix}tracker-notifier"

    async def on_start(self) -> None:
        s = self.settings
        self.http = httpx.AsyncClient()
        if s.alertmanager_url:
            self.alertmanager = AlertmanagerClient(s.alertmanager_url, self.http)
            await self._adopt()
        self.couriers = [Courier(channel, self.http, attempts=s.notify_retries, sleep=self.pause)
                         for channel in self.chat]
        self.consumer = AIOKafkaConsumer(
            s.topic(ALERTS), bootstrap_servers=s.kafka_bootstrap, group_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest")
        await self.consumer.start()
        self.tasks = [asyncio.create_task(self._consume(), name="notifier-consume"),
                      asyncio.create_task(self._every(s.notify_resend_seconds, self.resend), name="notifier-resend")]
        if self.couriers:
            self.tasks.append(asyncio.create_task(self._every(s.notify_digest_seconds, self.flush),
                                                  name="notifier-digest"))
        log.info("notifier: %s → %s", s.topic(ALERTS),
                 ", ".join(([f"alertmanager {s.alertmanager_url}"] if self.alertmanager else [])
                           + [c.name for c in self.chat]) or "nowhere")

    async def on_stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                if self.couriers:
                    await asyncio.wait_for(self.flush(), timeout=30)
                else:
                    await self._commit(dict(self.pending))
            await self.consumer.stop()
        if self.http is not None:
            await self.http.aclose()

    # -- the three loops -----------------------------------------------------------------

    async def _consume(self) -> None:
        assert self.consumer is not None
        while True:
            try:
                batches = await self.consumer.getmany(timeout_ms=1000, max_records=500)
            except KafkaError as exc:
                log.warning("notifier: reading alerts failed: %r; retrying", exc)
                await self.pause(1.0)
                continue
            to_post = []
            for tp, records in batches.items():
                for record in records:
                    alert = self.core.handle(record.value, utcnow())
                    if alert is not None:
                        to_post.append(alert)
                if records:
                    self.pending[tp] = records[-1].offset + 1
            if to_post:
                await self.post(to_post)
            if not self.couriers and batches:
                await self._commit(dict(self.pending))
            await self._sample_lag()

    async def resend(self) -> None:
        """Post every active alert with a fresh ``endsAt``."""
        due = self.core.active.due(utcnow())
        if due:
            await self.post(due)

    async def flush(self) -> list[CampaignDigest]:
        """Send the pending digests to every chat channel, then commit what they covered."""
        if self.core.digests is None:
            return []
        offsets = dict(self.pending)  # taken with the drain, no await between: same changes
        digests = self.core.digests.drain()
        for digest in digests:
            metrics.NOTIFIER_DIGEST_ALERTS.observe(len(digest.entries))
        if digests or any(self.undelivered.values()):
            await asyncio.gather(*(self._send_all(courier, digests) for courier in self.couriers))
        waiting = sum(len(queue) for queue in self.undelivered.values())
        if waiting:  # committed once every channel has them: a restart reads those alerts again
            log.warning("notifier: %d digest(s) wait for a channel; offsets not committed until delivered", waiting)
        else:
            await self._commit(offsets)
        return digests

    # -- helpers ---------------------------------------------------------------------------

    async def post(self, alerts: list[dict[str, Any]]) -> bool:
        """Post alerts to Alertmanager with retries; False when it stayed unreachable."""
        if self.alertmanager is None:
            return False
        attempts = max(1, self.settings.notify_retries)
        for attempt in range(1, attempts + 1):
            try:
                await self.alertmanager.post(alerts)
            except RetryableError as exc:
                if attempt == attempts:
                    log.error("alertmanager: giving up on %d alerts: %s", len(alerts), exc)
                    break
                metrics.NOTIFICATIONS.labels("alertmanager", "retried").inc()
                await self.pause(min(30.0, 2 ** (attempt - 1)) * random.uniform(0.8, 1.2))
            except InvalidInput as exc:
                log.error("alertmanager: %s", exc.reason)
                break
            else:
                metrics.NOTIFICATIONS.labels("alertmanager", "sent").inc(len(alerts))
                return True
        metrics.NOTIFICATIONS.labels("alertmanager", "failed").inc(len(alerts))
        return False

    async def _send_all(self, courier: Courier, digests: list[CampaignDigest]) -> None:
        """The channel's waiting digests, then the new ones; what it cannot take yet waits again."""
        name = courier.channel.name
        queue = self.undelivered.pop(name, []) + digests
        later: list[CampaignDigest] = []
        for i, digest in enumerate(queue):
            if courier.ready_in() > self.settings.notify_digest_seconds:  # muted: not worth waiting here
                later.extend(queue[i:])
                break
            if await courier.send(digest) is Outcome.LATER:
                later.append(digest)
        if len(later) > MAX_UNDELIVERED:
            dropped, later = later[:-MAX_UNDELIVERED], later[-MAX_UNDELIVERED:]
            metrics.NOTIFICATIONS.labels(name, "failed").inc(len(dropped))
            log.error("%s: %d digest(s) dropped: the channel has taken none of the last %d", name, len(dropped),
                      MAX_UNDELIVERED)
        if later:
            self.undelivered[name] = later

    async def _every(self, seconds: float, job: Callable[[], Awaitable[Any]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:  # noqa: BLE001 - a failed round must not end the loop
                log.exception("notifier: %s failed; next round in %.0f s", getattr(job, "__name__", job), seconds)

    async def _adopt(self) -> None:
        assert self.alertmanager is not None
        matcher = 'alertname=~"^(' + "|".join(ALERT_TYPES) + ')$"'
        try:
            found = await self.alertmanager.query(matcher)
        except RetryableError as exc:
            log.warning("notifier: could not read active alerts from Alertmanager (%s); starting empty", exc)
            return
        n = self.core.adopt(found)
        if n:
            log.info("notifier: adopted %d active post alerts from Alertmanager", n)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets or self.consumer is None:
            return
        assigned = self.consumer.assignment()
        mine = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if not mine:
            return
        try:
            await self.consumer.commit(mine)
        except KafkaError as exc:
            log.warning("notifier: commit failed (%r); those alerts may be notified again", exc)

    async def _sample_lag(self) -> None:
        assert self.consumer is not None
        lag = 0
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            if end is None:
                continue
            with contextlib.suppress(Exception):
                lag += max(0, end - await self.consumer.position(tp))
        metrics.CONSUMER_LAG.labels(ALERTS).set(lag)


def notifier_services(settings: Settings) -> list[mode.Service]:
    """The notifier when Alertmanager or a chat webhook is configured; else nothing."""
    if settings.alertmanager_url or channels(settings):
        return [NotifierService(settings)]
    return []
