"""The notifier: ``tracker.alerts.v1`` → Alertmanager and per-campaign chat digests.

Pipeline (one screen):

1. ``consume``: read raw alert messages; decode and validate each
   (``tracker.contracts.decode``; a bad one is logged and counted, never fatal);
   drop repeats of an alert instance's state; post the changes to
   Alertmanager at once and queue them for the digest.
2. ``resend`` (every ``notify_resend_seconds``): post every active alert again
   with a fresh ``endsAt``, so Alertmanager keeps it while tracker runs.
3. ``digest``: each chat channel is a lane (``delivery.Lane``) with its own task:
   every ``notify_digest_seconds`` one message per campaign (queued digests merged:
   the latest state per alert), then the channel's own consumer group
   (``tracker-notifier.<channel>``) commits what it took. A channel that could not
   take its digests (throttled, muted, unreachable) pauses alone, with a growing
   backoff, and keeps them; the reader's group commits only what every channel has
   (with no chat channel: after the Alertmanager post). After a restart the alerts a
   channel is owed are read again; those it had are skipped for it.

On start, the alerts before the reader's committed position are read again without
being notified (``restore``): the post alerts firing there are active again, so a stop
longer than their ``endsAt`` (Alertmanager ends them meanwhile) does not leave them resolved
there; active post alerts Alertmanager still holds are adopted, or resolved when the alerts
read say they ended. A restart neither drops nor re-announces them.
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

from tracker.alerting.alertmanager import ActiveAlerts, AlertmanagerClient, LabelKey, key_of, utcnow
from tracker.alerting.change import AlertChange, dedup_key
from tracker.alerting.chat import Channel, channels
from tracker.alerting.dedup import Seen
from tracker.alerting.delivery import Courier, Lane
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
"""Campaign digests a chat channel may owe before some are dropped (a channel down for days)."""


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
        change = self.read(raw)
        return None if change is None else self.apply(change, now)

    @staticmethod
    def read(raw: bytes | None, *, quiet: bool = False) -> AlertChange | None:
        """The change a raw message carries; None (logged and counted unless ``quiet``) when it is invalid."""
        try:
            return AlertChange.from_message(decode(ALERTS, raw))
        except InvalidInput as exc:
            if not quiet:
                metrics.NOTIFIER_MESSAGES.labels("invalid").inc()
                log.warning("skipping an invalid alert message: %s", exc.reason)
            return None

    def restore(self, change: AlertChange, now: datetime) -> dict[str, Any]:
        """Apply a change notified before a restart, notifying nothing: a firing one is active
        again, a resolved one ends it. Returns its Alertmanager alert (a resolve's with its ``endsAt``)."""
        self.seen.first(change.dedup_key)
        return self.active.apply(change, now, grafana_url=self.grafana_url, runbook_url=self.runbook_url)

    def apply(self, change: AlertChange, now: datetime) -> dict[str, Any] | None:
        """The Alertmanager alert of a change not notified yet (queued for the digest too), else None."""
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
        """Take over alerts that Alertmanager holds; their firing state counts as notified (an alert
        restored as firing keeps its restored form)."""
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
    """Runs the notifier in the process's event loop (``tracker run`` or ``tracker notify``).

    One consumer (group ``tracker-notifier``) reads the alerts and posts them to Alertmanager;
    each chat channel is a :class:`Lane` with its own task, backoff and committed position, kept
    as the consumer group ``tracker-notifier.<channel>`` (committed by a consumer that only
    commits). The reader's group commits the least position of all channels, so after a restart
    it reads again from the oldest alert some channel is still owed, and each channel skips what
    its own group says it already took: a channel that was down gets what it missed, the others
    get nothing twice. A restart mid-round (a channel failing between two campaigns of a round)
    may repeat that round's delivered campaigns to that channel: at least once per channel.
    """

    stop_seconds = 5.0
    """At stop, how long each channel may take for its last round (one attempt per digest)."""

    def __init__(self, settings: Settings, *, chat: list[Channel] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, **kwargs: Any) -> None:
        """``sleep`` waits between delivery retries (tests pass a virtual one)."""
        super().__init__(**kwargs)
        self.settings = settings
        self.chat = channels(settings) if chat is None else chat
        self.pause = sleep
        self.core = Notifier(settings.notify_resend_seconds, digests=False,
                             grafana_url=settings.grafana_url, runbook_url=runbook_link(settings))
        self.pending: dict[TopicPartition, int] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.http: httpx.AsyncClient | None = None
        self.alertmanager: AlertmanagerClient | None = None
        self.couriers: list[Courier] = []
        self.lanes: list[Lane] = []
        self.ledgers: dict[str, AIOKafkaConsumer] = {}
        """Per chat channel, a consumer that only commits the channel's position."""
        self.consumer: AIOKafkaConsumer | None = None

    @property
    def group(self) -> str:
        return f"{self.settings.topic_prefix}tracker-notifier"

    def channel_group(self, name: str) -> str:
        """The consumer group holding what chat channel ``name`` has taken."""
        return f"{self.group}.{name}"

    async def on_start(self) -> None:
        s = self.settings
        self.http = httpx.AsyncClient()
        self.couriers = [Courier(channel, self.http, attempts=s.notify_retries, sleep=self.pause)
                         for channel in self.chat]
        for courier in self.couriers:
            name = courier.channel.name
            self.ledgers[name] = await self._ledger(self.channel_group(name))
            self.lanes.append(Lane(courier, self._committer(name), interval=s.notify_digest_seconds,
                                   max_waiting=MAX_UNDELIVERED))
        self.consumer = AIOKafkaConsumer(
            s.topic(ALERTS), bootstrap_servers=s.kafka_bootstrap, group_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest")
        await self.consumer.start()
        ended = await self._restore()
        if s.alertmanager_url:
            self.alertmanager = AlertmanagerClient(s.alertmanager_url, self.http)
            await self._adopt(ended)
        self.tasks = [asyncio.create_task(self._consume(), name="notifier-consume"),
                      asyncio.create_task(self._every(s.notify_resend_seconds, self.resend, at_once=True),
                                          name="notifier-resend")]
        self.tasks += [asyncio.create_task(self._drive(lane), name=f"notifier-{lane.name}") for lane in self.lanes]
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
                if self.lanes:  # each channel on its own, bounded: what one did not get waits for the restart
                    await asyncio.gather(*(self._last_round(lane) for lane in self.lanes))
                await self._commit(self._covered())
            await self.consumer.stop()
        for ledger in self.ledgers.values():
            with contextlib.suppress(Exception):
                await ledger.stop()
        if self.http is not None:
            await self.http.aclose()

    # -- the loops -----------------------------------------------------------------------

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
                await self._load_positions(tp)
                for record in records:
                    change = self.core.read(record.value)
                    alert = None if change is None else self.core.apply(change, utcnow())
                    if alert is not None:
                        to_post.append(alert)
                    for lane in self.lanes:
                        lane.offer(tp, record.offset, change)
                if records:
                    self.pending[tp] = records[-1].offset + 1
            if to_post:
                await self.post(to_post)
            if batches:
                await self._commit(self._covered())
            await self._sample_lag()

    async def resend(self) -> None:
        """Post every active alert with a fresh ``endsAt``."""
        due = self.core.active.due(utcnow())
        if due:
            await self.post(due)

    async def flush(self) -> list[CampaignDigest]:
        """One round of every chat channel at once (each on its own); returns the digests sent."""
        rounds = await asyncio.gather(*(lane.round() for lane in self.lanes))
        await self._commit(self._covered())
        return [digest for sent in rounds for digest in sent]

    async def _drive(self, lane: Lane) -> None:
        """A channel's rounds: every ``notify_digest_seconds``, later while its circuit is open."""
        while True:
            await asyncio.sleep(max(self.settings.notify_digest_seconds, lane.paused_for()))
            try:
                sent = await lane.round()
            except Exception:  # noqa: BLE001 - a failed round must not end the loop
                log.exception("notifier: %s round failed", lane.name)
                continue
            for digest in sent:
                metrics.NOTIFIER_DIGEST_ALERTS.observe(len(digest.entries))

    async def _last_round(self, lane: Lane) -> None:
        try:
            await asyncio.wait_for(lane.round(stopping=True), timeout=self.stop_seconds)
        except Exception as exc:  # noqa: BLE001 - one channel's last round never blocks the others
            log.warning("notifier: %s: last round given up at stop (%r); it resumes after the restart",
                        lane.name, exc)
        if lane.waiting:
            log.warning("notifier: %s still owes %d campaign digest(s); they are sent after the restart",
                        lane.name, len(lane.waiting))

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

    async def _every(self, seconds: float, job: Callable[[], Awaitable[Any]], *, at_once: bool = False) -> None:
        """``job`` every ``seconds`` (the first time at once with ``at_once``)."""
        while True:
            if not at_once:
                await asyncio.sleep(seconds)
            at_once = False
            try:
                await job()
            except Exception:  # noqa: BLE001 - a failed round must not end the loop
                log.exception("notifier: %s failed; next round in %.0f s", getattr(job, "__name__", job), seconds)

    async def _restore(self) -> dict[LabelKey, dict[str, Any]]:
        """Read again, notifying none, the alerts before the reader's committed position: the post
        alerts firing there are active again. Alertmanager ends an alert the notifier stops
        re-sending, so a stop longer than its ``endsAt`` left every alert still firing resolved
        there for good. Returns the resolve of each alert they end, by label set (``_adopt``)."""
        assert self.consumer is not None
        s = self.settings
        topic = s.topic(ALERTS)
        tps = [TopicPartition(topic, p) for p in sorted(self.consumer.partitions_for_topic(topic) or ())]
        reader = AIOKafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=self.group,
                                  enable_auto_commit=False, auto_offset_reset="earliest")
        ended: dict[LabelKey, dict[str, Any]] = {}
        n = 0
        await reader.start()
        try:
            if not tps:
                return ended
            reader.assign(tps)
            last = await reader.end_offsets(tps)  # a position past the log's end is never reached
            todo = {tp: min(end, last[tp]) for tp in tps if (end := await reader.committed(tp)) and last[tp]}
            if todo:
                await reader.seek_to_beginning(*todo)
            while todo:
                batches = await reader.getmany(*todo, timeout_ms=1000)
                for tp, records in batches.items():
                    for record in records:
                        change = None if record.offset >= todo[tp] else self.core.read(record.value, quiet=True)
                        if change is None:
                            continue
                        alert = self.core.restore(change, utcnow())
                        n += 1
                        if change.firing:
                            ended.pop(key_of(alert), None)
                        else:
                            ended[key_of(alert)] = alert
                for tp in list(todo):
                    if await reader.position(tp) >= todo[tp]:
                        del todo[tp]
        except KafkaError as exc:
            log.warning("notifier: reading the alerts before the restart failed (%r); "
                        "those still firing are posted again when they change", exc)
        finally:
            await reader.stop()
        self.core.publish_counts()
        if n:
            log.info("notifier: %d alert changes read again, %d post alerts active", n, len(self.core.active))
        return ended

    async def _adopt(self, ended: dict[LabelKey, dict[str, Any]]) -> None:
        """Take over the post alerts Alertmanager holds; those the alerts read again end
        (``ended``: their resolve did not reach it) are resolved there instead."""
        assert self.alertmanager is not None
        matcher = 'alertname=~"^(' + "|".join(ALERT_TYPES) + ')$"'
        try:
            found = await self.alertmanager.query(matcher)
        except RetryableError as exc:
            log.warning("notifier: could not read active alerts from Alertmanager (%s); starting empty", exc)
            return
        stale = [ended[key_of(alert)] for alert in found if key_of(alert) in ended]
        n = self.core.adopt([alert for alert in found if key_of(alert) not in ended])
        if n:
            log.info("notifier: adopted %d active post alerts from Alertmanager", n)
        if stale:
            log.info("notifier: resolving %d post alerts Alertmanager still held", len(stale))
            await self.post(stale)

    def _covered(self) -> dict[TopicPartition, int]:
        """The reader's position to commit: what Alertmanager and every chat channel have taken."""
        if not self.lanes:
            return dict(self.pending)
        return {tp: min(lane.done[tp] for lane in self.lanes) for tp in self.pending
                if all(tp in lane.done for lane in self.lanes)}

    async def _ledger(self, group: str) -> AIOKafkaConsumer:
        """A consumer of ``group`` that reads nothing: assigned the partitions the reader gets
        (``_load_positions``), it reads and commits the channel's positions there."""
        ledger = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap, group_id=group,
                                  enable_auto_commit=False)
        await ledger.start()
        return ledger

    def _committer(self, name: str) -> Callable[[dict[TopicPartition, int]], Awaitable[None]]:
        async def commit(offsets: dict[TopicPartition, int]) -> None:
            ledger = self.ledgers[name]
            mine = {tp: offset for tp, offset in offsets.items() if tp in ledger.assignment()}
            try:
                if mine:
                    await ledger.commit(mine)
            except KafkaError as exc:
                log.warning("notifier: %s: commit failed (%r); those alerts may reach it again", name, exc)
            await self._commit(self._covered())
        return commit

    async def _load_positions(self, tp: TopicPartition) -> None:
        """Each channel's committed position of ``tp``, once, before its first record is offered."""
        for lane in self.lanes:
            if tp in lane.start:
                continue
            ledger = self.ledgers[lane.name]
            if tp not in ledger.assignment():
                ledger.assign([*ledger.assignment(), tp])
            try:
                lane.start[tp] = await ledger.committed(tp)
            except KafkaError as exc:
                log.warning("notifier: %s: reading its position failed (%r); it may get alerts again",
                            lane.name, exc)
                lane.start[tp] = None

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
