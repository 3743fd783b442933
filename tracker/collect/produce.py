"""Observations and comments → ``tracker.snapshots.v1`` / ``tracker.comments.v1`` messages.

Every message is built and validated with ``tracker.contracts.encode`` before it is
sent: one that fails its contract is a recorded error (metric + log), never sent.
The producer is idempotent (``enable_idempotence``, ``acks=all``); key = post_id.
A message counts as produced when the broker confirmed it (``Producer.delivered``):
the collector marks a post refreshed only then, and polls it again otherwise. A
producer session the broker no longer takes (``SESSION_LOST``) is replaced by a
new one at its first refused delivery.
Comment author ids are hashed (keyed BLAKE2b) before they leave the collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber, UnknownProducerId

from tracker.broker import topics as t
from tracker.broker.reach import start_client
from tracker.collect.model import Comment, Observation, PostRef
from tracker.contracts import encode
from tracker.errors import BrokerUnavailable, InvalidInput
from tracker.ops import metrics
from tracker.ops.health import HEALTH
from tracker.settings import Settings

log = logging.getLogger(__name__)
MAX_TEXT = 10_000
SESSION_LOST = (OutOfOrderSequenceNumber, UnknownProducerId)
"""Answers after which the broker takes nothing more from a producer session. aiokafka fails a
batch that expired while its partition had no leader (a broker starting again after an outage
longer than the 40 s request timeout) after counting its records in the partition's sequence,
so every later batch of that partition is out of sequence (aio-libs/aiokafka#1017): the
collector produced nothing more until it was restarted. A new session starts the sequences
afresh; a snapshot it sends again is one the store already holds or has not seen, never a
double (every topic is idempotent)."""


def snapshot_message(obs: Observation, tenant: str, platform: str, observed_at: datetime, source: str,
                     collected_at: datetime | None = None) -> bytes:
    """The encoded snapshot (raises InvalidInput when it breaks the contract)."""
    return encode(t.SNAPSHOTS, {
        "tenant": tenant, "post_id": obs.post_id, "platform": platform, "observed_at": observed_at,
        "collected_at": collected_at or datetime.now(UTC), "source": source, "metrics": obs.metrics,
        "rounded": list(obs.rounded), "status": obs.status,
    })


def author_hash(author_id: str | None, key: bytes) -> str | None:
    """A 32-hex-digit keyed hash of an author id (None stays None)."""
    if not author_id:
        return None
    return hashlib.blake2b(str(author_id).encode(), digest_size=16, key=key[:64]).hexdigest()


def comment_message(post: PostRef, comment: Comment, key: bytes) -> bytes:
    return encode(t.COMMENTS, {
        "tenant": post.tenant, "post_id": post.post_id, "platform": post.platform,
        "comment_id": comment.comment_id[:128], "text": comment.text[:MAX_TEXT], "created_at": comment.created_at,
        "likes": comment.likes if isinstance(comment.likes, int) and comment.likes >= 0 else None,
        "author_hash": author_hash(comment.author_id, key), "parent_id": comment.parent_id,
        "collected_at": datetime.now(UTC),
    })


class Producer:
    """The collector's idempotent Kafka producer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.snapshots_topic = settings.topic(t.SNAPSHOTS)
        self.comments_topic = settings.topic(t.COMMENTS)
        self.key = settings.collect_hash_key.get_secret_value().encode()
        self.kafka: AIOKafkaProducer | None = None
        self.session = 0
        """Producer sessions replaced so far: what was sent in one is judged against it."""
        self._renewing = asyncio.Lock()
        self._retired: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Connect; raises ``BrokerUnavailable`` when Kafka does not answer."""
        self.kafka = await self._connect()
        for topic in (self.snapshots_topic, self.comments_topic):  # 0 from the start, so increase() sees the first
            metrics.PRODUCE_ERRORS.labels(topic)

    async def _connect(self) -> AIOKafkaProducer:
        kafka = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap, enable_idempotence=True,
                                 acks="all", linger_ms=20, max_batch_size=256 * 1024)
        await start_client(kafka, self.settings.kafka_bootstrap)
        return kafka

    async def stop(self) -> None:
        if self.kafka is not None:
            await self.kafka.stop()
            self.kafka = None
        for task in list(self._retired):
            with contextlib.suppress(Exception):
                await task

    async def delivered(self, futures: list[Any], topic: str, session: int) -> list[bool]:
        """``outcomes`` of ``futures``, sent in producer ``session`` (``self.session`` before
        sending); when the broker refused them as lost to that session, a new one takes over."""
        out, error = await outcomes(futures, topic)
        if isinstance(error, SESSION_LOST):
            await self._renew(session, error)
        return out

    async def _renew(self, session: int, error: KafkaError) -> None:
        """Replace the producer of ``session`` (once, whoever notices first); the old one is
        stopped aside. Kafka unreachable: the next refused delivery tries again."""
        async with self._renewing:
            if session != self.session or self.kafka is None:
                return
            try:
                fresh = await self._connect()
            except BrokerUnavailable:
                return
            old, self.kafka, self.session = self.kafka, fresh, self.session + 1
        log.warning("Kafka refused the collector's producer session (%s) and would refuse all it sends from now "
                    "on; a new session takes over (the posts not delivered are polled again)", error)
        task = asyncio.create_task(old.stop())
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)

    async def send(self, topic: str, key: str, value: bytes) -> Any:
        """Queue one message; returns the delivery future. Raises ``KafkaError`` (counted) when
        it cannot even be queued: the topic's partitions stay unknown, or the buffer stays full,
        for ``request_timeout_ms``."""
        assert self.kafka is not None, "producer not started"
        try:
            return await self.kafka.send(topic, value, key=key.encode())
        except KafkaError as exc:
            metrics.PRODUCE_ERRORS.labels(topic).inc()
            log.error("produce to %s failed: %s", topic, exc)
            raise

    async def snapshot(self, obs: Observation, tenant: str, platform: str, observed_at: datetime,
                       source: str) -> Any | None:
        """Queue a snapshot; None (and a recorded error) when it breaks the contract."""
        try:
            value = snapshot_message(obs, tenant, platform, observed_at, source)
        except InvalidInput as exc:
            metrics.COLLECTOR_REQUESTS.labels(platform, "invalid").inc()
            log.warning("%s: snapshot of %s breaks the contract, not sent: %s", platform, obs.post_id, exc.reason)
            return None
        return await self.send(self.snapshots_topic, obs.post_id, value)

    async def comments(self, post: PostRef, comments: list[Comment]) -> list[Any]:
        futures = []
        for comment in comments:
            try:
                value = comment_message(post, comment, self.key)
            except InvalidInput as exc:
                log.warning("%s: comment %s of %s breaks the contract, not sent: %s", post.platform,
                            comment.comment_id, post.post_id, exc.reason)
                continue
            futures.append(await self.send(self.comments_topic, post.post_id, value))
        return futures


async def outcomes(futures: list[Any], topic: str) -> tuple[list[bool], KafkaError | None]:
    """Await delivery reports, one bool per future: True when the broker confirmed the message;
    and the first failure. Failures are counted (``tracker_produce_errors_total``) and logged
    once per call."""
    out: list[bool] = []
    first: KafkaError | None = None
    for future in futures:
        try:
            await future
        except KafkaError as exc:
            out.append(False)
            first = first or exc
        else:
            out.append(True)
    failed = out.count(False)
    if failed:
        metrics.PRODUCE_ERRORS.labels(topic).inc(failed)
        log.error("produce to %s failed for %d of %d messages: %s", topic, failed, len(out), first)
    if failed < len(out):
        HEALTH.broker_reached()
    return out, first
