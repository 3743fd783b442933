"""The pure per-event step of the worker: raw bytes + post state -> new state + rows.

No Kafka or ClickHouse here (Snuba's ``process_message`` shape): the agent feeds
decoded-or-rejected events in, the sink takes rows out. Every event, duplicates
included, re-emits the rows it touched, so a replay after a crash repairs the store.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tracker.broker import topics as t
from tracker.broker.topics import home_partition
from tracker.contracts import decode
from tracker.contracts.timestamps import (
    BEFORE_PUBLISH,
    BEFORE_PUBLISH_HOURS,
    ahead_of_sending,
    before_publish,
    local_day,
)
from tracker.errors import InvalidInput
from tracker.stream import rows as r
from tracker.stream.insights import Insights
from tracker.stream.state import METRICS, PostState, engagements

HOUR_MS = 3_600_000
MAX_LATE_OFFSETS = 32  # late arrivals remembered for replays; replays span only uncommitted offsets
DLQ_PAYLOAD_BYTES = 128 * 1024
"""Bytes of a rejected payload kept in its DLQ record and row: every valid message (a comment's
10,000 characters, escaped, at most) is kept whole, and a DLQ record, base64 and all, stays far
below the producer's 1 MB request limit however large the message was."""
DLQ_KEY_CHARS = 1024  # characters of a rejected record's key kept (post ids are shorter)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FEE_KINDS = ("fee", "service_fee")
FEES = "fees"
"""Key of the registry state: the fee kinds the post has had (kind -> currency of its latest line)."""
NAMES = ("creator_name", "campaign_name")
"""The post message's names kept in the post's registry entry: alerts name the creator and campaign by them."""
FEE_REMOVED = "not in the registry any more"
"""Note of the 0 line that replaces a fee (or service fee) the registry no longer gives the post."""


def to_ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(ts.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message came from: the logical topic and its Kafka coordinates."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    timestamp_ms: int | None = None
    """The record's Kafka timestamp: when its producer sent it (epoch ms)."""


@dataclass
class Output:
    """Rows per table, plus the posts whose totals must be re-emitted."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    late: int = 0
    rejected: int = 0

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, []).append(row)

    def clear(self) -> None:
        self.rows.clear()
        self.touched.clear()
        self.late = self.rejected = 0


def _posts_row(row: tuple[Any, ...], title: str, zone: str | None) -> tuple[Any, ...]:
    """A posts row in the table's column order: the title after the url, the
    publish date in the campaign zone after the publish time (both kept beside
    the registry's "row", whose layout states written before them keep)."""
    return (*row[:5], title, *row[5:10], local_day(row[9], zone), *row[10:])


class Processor:
    """Applies one event to a post's state and writes the rows it touched."""

    def __init__(self, reorder_window_hours: float = 6.0, insights: Insights | None = None) -> None:
        self.reorder_window_ms = int(reorder_window_hours * HOUR_MS)
        self.insights = insights

    def apply(self, source: Source, message: dict[str, Any], state: PostState, out: Output) -> None:
        """Apply a decoded message (``tracker.contracts.decode``) to ``state``."""
        state.seq += 1
        state.tenant = message["tenant"]
        if source.topic == t.SNAPSHOTS:
            self._snapshot(source, message, state, out)
        elif source.topic == t.POSTS:
            self._registry(message, state, out)
        elif source.topic == t.HEATING:
            self._heating(message, state, out)
        elif source.topic == t.COMMENTS:
            self._comment(source, message, out)
        out.touched.add(message["post_id"])

    def _snapshot(self, source: Source, m: dict[str, Any], state: PostState, out: Output) -> None:
        observed_at = m["observed_at"]
        observed_ms = int(observed_at.timestamp() * 1000)
        metrics = m["metrics"]
        values = (metrics["views"], metrics["likes"], metrics["comments"], metrics["shares"], metrics["saves"],
                  metrics["searches"])  # METRICS order
        offset = source.offset
        row = (m["tenant"], m["post_id"], observed_at, m["platform"], *values, m["status"], m["source"],
               m.get("rounded") or [], source.partition, offset, offset)
        if self._is_late(offset, observed_ms, state):
            # the analytics leave it out (DESIGN.md: reorder window), but a metric it carries that no
            # later snapshot had is the post's latest value: a day-late export's saves (export-only on
            # Douyin) are the post's saves, in its totals and ROI
            out.add(r.LATE_SNAPSHOTS, row)
            out.late += 1
            _merge_latest(state.latest, observed_ms, values, newest=False)
            return
        out.add(r.SNAPSHOTS, row)
        newest = observed_ms >= state.last_observed_ms  # then it is newer than every metric's last value
        _merge_latest(state.latest, observed_ms, values, newest)
        if newest:
            state.last_observed_ms = observed_ms
            previous, state.status = state.status, m["status"]
            if self.insights is not None and (previous == "ok") != (state.status == "ok"):
                self.insights.availability(m["post_id"], state, observed_at, out)
        if self.insights is not None:
            self.insights.snapshot(m["post_id"], observed_ms, metrics, state, out, m.get("rounded") or ())

    def _is_late(self, offset: int, observed_ms: int, state: PostState) -> bool:
        """Older than the reorder window when it first arrived (a replay gets the same answer)."""
        if offset <= state.snap_hw:
            return offset in state.late_offsets
        state.snap_hw = offset
        late = bool(state.last_observed_ms) and observed_ms < state.last_observed_ms - self.reorder_window_ms
        if late:
            state.late_offsets = [*state.late_offsets[-(MAX_LATE_OFFSETS - 1):], offset]
        return late

    def _registry(self, m: dict[str, Any], state: PostState, out: Output) -> None:
        version = registry_version(to_ms(m["updated_at"]), state.registry)
        had = _fees_had(state.registry, m.get("reporting_currency"))
        row = (
            m["tenant"], m["post_id"], m["platform"], m["platform_post_id"], m.get("url") or "",
            m["campaign_id"], m["creator_id"], m["creator_tier"], m["content_form"], m["published_at"],
            m.get("tracking_end"), m.get("bundle_id") or "", m.get("tags") or [], int(m.get("deleted", False)),
            version,
        )
        state.registry = {
            "campaign_id": m["campaign_id"], "platform": m["platform"], "creator_id": m["creator_id"],
            "tier": m["creator_tier"], "published_ms": to_ms(m["published_at"]),
            "tracking_end_ms": to_ms(m["tracking_end"]) if m.get("tracking_end") else None,
            "tz": m.get("campaign_tz"), "deleted": bool(m.get("deleted", False)), "version": version,
            "row": [v.isoformat() if isinstance(v, datetime) else v for v in row[2:14]],
            "title": m.get("title") or "",  # beside "row", whose layout states written before titles keep
            FEES: {**had, **{kind: m[kind]["currency"] for kind in FEE_KINDS if m.get(kind) is not None}},
            **{name: m[name] for name in NAMES if m.get(name)},  # for alerts' words; absent when not given
        }
        out.add(r.POSTS, _posts_row(row, state.registry["title"], m["campaign_tz"]))
        for heating_id in state.heating:  # nodes that arrived before their post now get its campaign
            self._heating_row(m["tenant"], m["post_id"], heating_id, state, out)
        if self.insights is not None:
            self.insights.registered(m["post_id"], state, out)
        for kind, amount, currency, note in _fee_lines(m, had):
            out.add(r.COST_LINES, (
                m["tenant"], f"{m['post_id']}:{kind}", m["campaign_id"], m["post_id"], m.get("bundle_id") or "",
                kind, amount, currency, local_day(m["published_at"], m["campaign_tz"]), note, version,
            ))

    def _heating(self, m: dict[str, Any], state: PostState, out: Output) -> None:
        spend = m["spend"]
        state.heating[m["heating_id"]] = [
            m["channel"], to_ms(m["start"]), to_ms(m["end"]) if m.get("end") else None, spend["amount"],
            spend["currency"], m["status"], to_ms(m["updated_at"]),
        ]
        self._heating_row(m["tenant"], m["post_id"], m["heating_id"], state, out)
        if self.insights is not None:
            self.insights.heating(m["post_id"], m, state, out)

    def tombstone(self, post_id: str, state: PostState, out: Output) -> None:
        """A deleted registry entry (compaction tombstone): the post is marked deleted."""
        reg = state.registry
        if reg is None:
            return
        state.seq += 1
        reg["deleted"] = True
        reg["version"] = registry_version(to_ms(datetime.now(UTC)), reg)
        values = [datetime.fromisoformat(v) if i in (7, 8) and v else v for i, v in enumerate(reg["row"])]
        values[11] = 1
        out.add(r.POSTS, _posts_row((state.tenant, post_id, *values, reg["version"]), reg.get("title", ""), reg.get("tz")))
        out.touched.add(post_id)

    def _comment(self, source: Source, m: dict[str, Any], out: Output) -> None:
        if self.insights is not None:
            out.add(r.COMMENTS, self.insights.comment_row(m, source.offset))
        else:
            out.add(r.COMMENTS, (
                m["tenant"], m["post_id"], m["comment_id"], m["created_at"], m["text"], m.get("likes"),
                m.get("author_hash") or "", 0, 0, [], [], m.get("parent_id") or "", source.offset,
            ))

    @staticmethod
    def _heating_row(tenant: str, post_id: str, heating_id: str, state: PostState, out: Output) -> None:
        """The heating node's row, with the campaign the registry names (or '' until it does)."""
        channel, start, end, amount, currency, status, version = state.heating[heating_id]
        reg = state.registry or {}
        campaign_id = reg.get("campaign_id", "")
        out.add(r.HEATING_NODES, (
            tenant, post_id, heating_id, campaign_id, channel, from_ms(start), local_day(from_ms(start), reg.get("tz")),
            None if end is None else from_ms(end), Decimal(amount), currency, status,
            version + (1 if campaign_id else 0),
        ))

    @staticmethod
    def totals_row(post_id: str, state: PostState) -> tuple[Any, ...]:
        """The post's latest totals as an upsert row, versioned by the state's sequence."""
        totals = state.totals()
        reg = state.registry or {}
        platform = reg.get("platform") or post_id.split(":", 1)[0]
        as_of = from_ms(state.last_observed_ms) if state.last_observed_ms else EPOCH
        return (state.tenant, post_id, platform, reg.get("campaign_id", ""), as_of, state.status,
                *(totals[m] for m in METRICS), engagements(totals), state.seq)


def decode_or_reject(source: Source, raw: bytes | None, out: Output,
                     decoder: Callable[[bytes], dict[str, Any]] | None = None,
                     max_lead_hours: float = 0.0, partitions: int | None = None) -> dict[str, Any] | None:
    """Decode and validate a raw message (with ``decoder`` when the topic has a fast one);
    on failure add a DLQ row and return None. A message must be keyed by its post_id and, when
    the topic's ``partitions`` are given, sit on the partition that key hashes to (``misplaced``).
    A snapshot observed more than ``max_lead_hours`` after its record was sent is refused
    (``ahead_of_sending``; 0: no such check)."""
    try:
        if raw is None:
            raise InvalidInput("empty message (null value)")
        message = decode(source.topic, raw) if decoder is None else decoder(raw)
        wrong = misplaced(source, message["post_id"], partitions)
        if wrong is not None:
            raise InvalidInput(wrong)
        sent_ms = source.timestamp_ms
        if (max_lead_hours > 0 and sent_ms is not None and source.topic == t.SNAPSHOTS
                and message["observed_at"].timestamp() * 1000 - sent_ms > max_lead_hours * HOUR_MS):
            sent = datetime.fromtimestamp(sent_ms / 1000, tz=UTC)
            raise InvalidInput(ahead_of_sending(message["observed_at"], sent, max_lead_hours) or "")
        return message
    except InvalidInput as exc:
        reject(source, raw, exc.reason, out, type(exc).__name__)
        return None


KINDS = {t.SNAPSHOTS: "snapshot", t.POSTS: "registry entry", t.HEATING: "heating node", t.COMMENTS: "comment"}


def refusal(topic: str, m: dict[str, Any], state: PostState) -> str | None:
    """Why a valid message cannot apply to its post as the post's state stands, or None: another
    tenant's message for a post registered to one tenant (it took the post's state over: its rows,
    alerts and digests under the other tenant's name), or a snapshot or comment ``before_its_publish``."""
    reg = state.registry
    if reg is not None and not reg.get("deleted") and state.tenant and m["tenant"] != state.tenant:
        return (f"post {m['post_id']} is registered to tenant {state.tenant!r}; this {KINDS.get(topic, 'message')} "
                f"says tenant {m['tenant']!r}: a post belongs to one tenant. Fix the tenant it was sent with, or "
                "delete the post from the other tenant's registry first")
    return before_its_publish(topic, m, state) if topic in DATED else None


DATED = {t.SNAPSHOTS: "observed_at", t.COMMENTS: "created_at"}
"""The time field of the messages that cannot come before their post (:func:`before_its_publish`)."""


def before_its_publish(topic: str, m: dict[str, Any], state: PostState) -> str | None:
    """Why snapshot or comment ``m`` cannot be its post's (``before_publish``: observed or created
    over a day before the publish time its registry entry gives), or None, also before the entry
    arrives."""
    ms = (state.registry or {}).get("published_ms")
    field = DATED[topic]
    if ms is None or m[field].timestamp() * 1000 >= ms - BEFORE_PUBLISH_HOURS * HOUR_MS:
        return None
    return (f"{before_publish(m[field], from_ms(ms), field)}; correct the {KINDS[topic]}'s time, or the post's "
            f"published_at in the registry and then `tracker dlq replay --reason \"{BEFORE_PUBLISH}\"`")


def misplaced(source: Source, post_id: str, partitions: int | None) -> str | None:
    """Why a record of ``post_id`` may not be applied where it was read, or None.

    A post's state lives on one partition (its changelog's, beside the source partition), so
    all of a post's records must be keyed by its post_id and sit on the partition the default
    partitioner of the Java client and aiokafka puts that key on (murmur2). A record without a
    key, or placed by another partitioner (librdkafka's default, as in kcat or confluent-kafka,
    is CRC32), would grow a second copy of the post's state on another partition, and after a
    restart the stale copy would win. ``partitions``: the topic's partition count (None: the
    partition is not checked)."""
    key = source.key
    if key is None:
        return (f"no key: key the record by its post_id ({post_id!r}) and leave its partition to the default "
                "Java/aiokafka partitioner (murmur2), so that every record of a post reaches the partition of "
                "its state; `tracker dlq replay --reason 'no key'` sends it again so")
    if key != post_id.encode():
        shown = key[:DLQ_KEY_CHARS].decode("utf-8", "replace")
        return f"key {shown!r} differs from post_id {post_id!r}"
    if partitions and source.partition != home_partition(key, partitions):
        return wrong_partition(source, key, partitions)
    return None


def wrong_partition(source: Source, key: bytes, partitions: int) -> str:
    """The reason of a record keyed ``key`` read on another partition than its key's."""
    return (f"wrong partition: on partition {source.partition} of {partitions}, but its key "
            f"{key[:DLQ_KEY_CHARS].decode('utf-8', 'replace')!r} belongs on partition "
            f"{home_partition(key, partitions)}; produce it keyed by post_id with the default Java/aiokafka "
            "partitioner (murmur2) and no explicit partition (librdkafka clients such as kcat or confluent-kafka: "
            "partitioner=murmur2_random), and `tracker dlq replay --reason 'wrong partition'` sends it again so")


def registry_version(given_ms: int, registry: dict[str, Any] | None) -> int:
    """The version of the rows a registry record writes (its post's ``posts`` row and fee cost lines):
    the record's own (``updated_at``, an import's file time), raised above the post's previous entry.

    The registry is read in its topic's order everywhere else: the worker's state and the collectors'
    schedule take each record as it comes, and compaction keeps a post's last record. The store keeps
    the row of highest version, so it must rise in that order too: a post deleted by mistake (its
    tombstone stored at the time it was read) and imported again from the unchanged campaign file
    stayed deleted in every ROI view while it was collected and tracked, and a post moved to another
    campaign by a file saved before the first one's stayed, with its fee, in its first campaign."""
    return given_ms if registry is None else max(given_ms, int(registry["version"]) + 1)


def _fees_had(registry: dict[str, Any] | None, campaign_currency: str | None) -> dict[str, str]:
    """The fee kinds (FEE_KINDS) the post's registry entries have carried, each with the currency of
    its latest line. A state written before they were remembered (no FEES key) may hold either: both
    count as had, in the campaign's currency, when the message names it (else none can be cleared)."""
    if registry is None:
        return {}
    if FEES in registry:
        return dict(registry[FEES])
    return dict.fromkeys(FEE_KINDS, campaign_currency) if campaign_currency else {}


def _fee_lines(m: dict[str, Any], had: dict[str, str]) -> list[tuple[str, Decimal, str, str]]:
    """(kind, amount, currency, note) of the post's fee and service-fee cost lines: those the message
    carries, and an amount of 0 for each kind the post had and the message no longer carries (a fee
    corrected to none): its cost line (same cost_id) is replaced, not left counted. The 0 is in the
    campaign's reporting currency when the message names it (converted at 1, so never an amount
    without an FX rate in the campaign's figures), else in the currency of the line it replaces."""
    lines = []
    for kind in FEE_KINDS:
        money = m.get(kind)
        if money is not None:
            lines.append((kind, Decimal(money["amount"]), money["currency"], ""))
        elif kind in had:
            lines.append((kind, Decimal(0), m.get("reporting_currency") or had[kind], FEE_REMOVED))
    return lines


def _merge_latest(latest: dict[str, list[int]], observed_ms: int, values: tuple[int | None, ...], newest: bool) -> None:
    """Take each metric ``values`` carries as its latest value, unless one observed later is known."""
    for metric, value in zip(METRICS, values, strict=True):
        if value is None:
            continue
        seen = latest.get(metric)
        if seen is None:
            latest[metric] = [observed_ms, value]
        elif newest or observed_ms >= seen[0]:
            seen[0], seen[1] = observed_ms, value


def reject(source: Source, raw: bytes | None, reason: str, out: Output, error_class: str = "InvalidInput") -> None:
    """Set the message aside: a DLQ row with ``reason``."""
    out.rejected += 1
    out.add(r.DLQ, dlq_row(source, raw, reason, error_class))


def set_aside_first(headers: Iterable[tuple[str, bytes]] | None) -> tuple[str, int, int] | None:
    """Where a record ``tracker dlq replay`` sent again was first set aside (its ``REPLAY_OF``
    header: source topic, partition, offset), or None for any other record. Set aside again, the
    message takes that DLQ row's place (the row's key) instead of adding one, so replaying a
    message still bad leaves one row for it, with its latest reason."""
    for name, value in headers or ():
        if name != t.REPLAY_OF:
            continue
        topic, _, place = bytes(value).decode("utf-8", "replace").rpartition("@")
        partition, _, offset = place.partition(":")
        if topic and partition.isdigit() and offset.isdigit():
            return topic, int(partition), int(offset)
    return None


def replayed_row(first: tuple[str, int, int]) -> tuple[Any, ...]:
    """The ``dlq_replayed`` row of a message ``tracker dlq replay`` sent again that the worker
    applied: the key of the DLQ row where it was first set aside (:func:`set_aside_first`), whose
    tenant is always unknown (``dlq_row``)."""
    return ("", *first, datetime.now(UTC))


def dlq_row(source: Source, raw: bytes | None, reason: str, error_class: str) -> tuple[Any, ...]:
    """The ``dlq`` row of a rejected message; its payload is the base64 of the message's first
    ``DLQ_PAYLOAD_BYTES``, followed by the whole message's size and sha256 (``payload_facts``)."""
    tenant = ""
    return (tenant, datetime.now(UTC), source.topic, source.partition, source.offset, reason, error_class,
            base64.b64encode((raw or b"")[:DLQ_PAYLOAD_BYTES]).decode(), *payload_facts(raw))


def payload_facts(raw: bytes | None) -> tuple[int, str]:
    """The size in bytes and the sha256 (hex) of a whole rejected payload: what its DLQ record
    says of it when only its first ``DLQ_PAYLOAD_BYTES`` are kept."""
    data = raw or b""
    return len(data), hashlib.sha256(data).hexdigest()
