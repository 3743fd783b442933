"""The worker's pure step: state updates, null metrics, duplicates, late snapshots, DLQ rows."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import orjson

from tracker.broker import topics as t
from tracker.broker.topics import home_partition
from tracker.contracts import decode
from tracker.stream import rows as r
from tracker.stream.insights import Insights
from tracker.stream.processor import (
    DLQ_PAYLOAD_BYTES,
    Output,
    Processor,
    Source,
    decode_or_reject,
    dlq_row,
    misplaced,
    payload_facts,
)
from tracker.stream.state import PostState

POST = "bilibili:BV1xx411c7mD"


def snap(hour: int, views: int | None, likes: int | None = 10, saves: int | None = None) -> bytes:
    return orjson.dumps({
        "tenant": "acme", "post_id": POST, "platform": "bilibili",
        "observed_at": f"2026-11-01T{hour:02d}:00:00Z", "source": "api",
        "metrics": {"views": views, "likes": likes, "comments": 1, "shares": 0, "saves": saves},
    })


def apply_all(messages: list[bytes], state: PostState | None = None) -> tuple[PostState, Output]:
    state = state or PostState()
    out = Output()
    proc = Processor(reorder_window_hours=6)
    for offset, raw in enumerate(messages):
        src = Source(t.SNAPSHOTS, 0, offset, POST.encode())
        message = decode_or_reject(src, raw, out)
        if message is not None:
            proc.apply(src, message, state, out)
    return state, out


def test_totals_take_latest_observation_and_keep_nulls() -> None:
    state, out = apply_all([snap(1, 100), snap(3, 300), snap(2, 200)])
    totals = state.totals()
    assert totals["views"] == 300
    assert totals["saves"] is None and totals["searches"] is None
    row = Processor.totals_row(POST, state)
    cols = dict(zip(r.COLUMNS[r.POST_TOTALS], row, strict=True))
    assert cols["engagements"] == 10 + 1 + 0  # likes + comments + shares; saves absent, not 0
    assert len(out.rows[r.SNAPSHOTS]) == 3


def test_duplicates_change_no_value() -> None:
    once, _ = apply_all([snap(1, 100), snap(2, 200)])
    twice, out = apply_all([snap(1, 100), snap(2, 200), snap(1, 100), snap(2, 200)])
    assert once.totals() == twice.totals()
    assert once.last_observed_ms == twice.last_observed_ms
    keys = {(row[1], row[2]) for row in out.rows[r.SNAPSHOTS]}
    assert len(keys) == 2  # the same natural keys, replaced in the store


def test_metric_missing_in_newer_snapshot_keeps_older_value() -> None:
    state, _ = apply_all([snap(1, 100, saves=7), snap(2, 200, saves=None)])
    assert state.totals()["saves"] == 7


def test_snapshot_older_than_reorder_window_goes_to_late_table() -> None:
    state, out = apply_all([snap(12, 1200), snap(5, 500), snap(7, 700)])
    assert out.late == 1
    assert [row[2].hour for row in out.rows[r.LATE_SNAPSHOTS]] == [5]
    assert state.totals()["views"] == 1200


def test_a_late_snapshot_gives_the_totals_a_metric_no_later_one_had() -> None:
    """A day-late export carries saves the API never gives: they are the post's saves, while its
    older views do not replace the newer ones."""
    state, out = apply_all([snap(12, 1200), snap(13, 1300), snap(2, 200, saves=40)])
    assert out.late == 1
    totals = state.totals()
    assert totals["saves"] == 40 and totals["views"] == 1300
    cols = dict(zip(r.COLUMNS[r.POST_TOTALS], Processor.totals_row(POST, state), strict=True))
    assert cols["saves"] == 40 and cols["engagements"] == 10 + 1 + 0 + 40


def test_bad_message_becomes_dlq_row_with_reason() -> None:
    bad = orjson.loads(snap(1, 5))
    bad["metrics"]["views"] = -5
    state, out = apply_all([orjson.dumps(bad), b"{not json", snap(2, 20)])
    reasons = [row[5] for row in out.rows[r.DLQ]]
    assert len(reasons) == 2 and "views" in reasons[0] and "JSON" in reasons[1]
    assert out.rejected == 2 and state.totals()["views"] == 20


def test_key_must_match_post_id() -> None:
    out = Output()
    src = Source(t.SNAPSHOTS, 0, 0, b"douyin:1")
    assert decode_or_reject(src, snap(1, 1), out) is None
    assert "differs from post_id" in out.rows[r.DLQ][0][5]


def test_a_snapshot_dated_far_after_its_sending_goes_to_the_dlq() -> None:
    """A mistyped year (2052) would move its tenant's clock decades ahead; a day of lead (clock skew,
    a time read in the wrong zone) is accepted, and 0 hours accepts any lead (a simulator run ahead)."""
    sent = int(datetime(2026, 11, 1, 1, tzinfo=UTC).timestamp() * 1000)  # an hour after snap(0, …)
    typo = orjson.loads(snap(0, 5))
    typo["observed_at"] = "2052-11-01T00:00:00Z"
    for raw, lead, kept in ((snap(0, 5), 24.0, True), (snap(23, 5), 24.0, True), (orjson.dumps(typo), 24.0, False),
                            (orjson.dumps(typo), 0.0, True)):
        out = Output()
        src = Source(t.SNAPSHOTS, 0, 0, POST.encode(), sent)
        assert (decode_or_reject(src, raw, out, max_lead_hours=lead) is not None) == kept
    assert out.rejected == 0
    out = Output()
    assert decode_or_reject(Source(t.SNAPSHOTS, 0, 0, POST.encode(), sent), orjson.dumps(typo), out, None, 24) is None
    reason = out.rows[r.DLQ][0][5]
    assert reason.startswith("observed_at 2052-11-01T00:00:00.000Z is 9,497 days after the snapshot was sent "
                             "(2026-11-01T01:00:00.000Z): a wrong date?"), reason
    assert "TRACKER_MAX_SNAPSHOT_LEAD_HOURS=24 h" in reason


def test_state_round_trips_through_bytes() -> None:
    state, _ = apply_all([snap(1, 100), snap(2, 200)])
    again = PostState.from_bytes(state.to_bytes())
    assert again == state
    assert decode(t.SNAPSHOTS, snap(1, 1))["metrics"]["searches"] is None


def test_registry_tombstone_marks_the_post_deleted() -> None:
    from tests.fixtures.data import registry

    key, raw = registry(1)
    state, out = PostState(), Output()
    proc = Processor()
    proc.apply(Source(t.POSTS, 0, 0, key), decode(t.POSTS, raw), state, out)
    proc.tombstone(key.decode(), state, out)
    first, second = out.rows[r.POSTS]
    cols = r.COLUMNS[r.POSTS]
    assert second[cols.index("deleted")] == 1 and first[cols.index("deleted")] == 0
    assert second[cols.index("version")] > first[cols.index("version")]
    assert second[: cols.index("deleted")] == first[: cols.index("deleted")]


def test_each_registry_record_outranks_the_ones_before_it_whatever_its_own_time() -> None:
    """The store keeps the row of highest version; the registry is read in topic order. A file
    imported again after a tombstone, or an older file moving the post, must win in the store too."""
    from tests.fixtures.data import registry

    key, raw = registry(1)
    newer = decode(t.POSTS, orjson.dumps(orjson.loads(raw) | {"updated_at": "2025-11-03T00:00:00Z"}))
    older = decode(t.POSTS, orjson.dumps(orjson.loads(raw) | {"campaign_id": "c2"}))
    state, out, proc = PostState(), Output(), Processor()
    proc.apply(Source(t.POSTS, 0, 0, key), newer, state, out)
    proc.tombstone(key.decode(), state, out)
    proc.apply(Source(t.POSTS, 0, 1, key), decode(t.POSTS, raw), state, out)  # the file again
    proc.apply(Source(t.POSTS, 0, 2, key), older, state, out)
    cols = r.COLUMNS[r.POSTS]
    posts = [(row[cols.index("campaign_id")], row[cols.index("deleted")], row[cols.index("version")])
             for row in out.rows[r.POSTS]]
    assert [p[:2] for p in posts] == [("c1", 0), ("c1", 1), ("c1", 0), ("c2", 0)]
    assert [p[2] for p in posts] == sorted({p[2] for p in posts})  # each above the one before
    fees = out.rows[r.COST_LINES]
    version = r.COLUMNS[r.COST_LINES].index("version")
    assert fees[-1][version] == posts[-1][2] > fees[0][version]  # the fee moves with the post


def test_replay_after_crash_classifies_each_snapshot_as_the_first_pass_did() -> None:
    msgs = [snap(12, 1200), snap(5, 500), snap(13, 1300), snap(8, 800)]
    state, first = apply_all(msgs)
    # the changelog already holds the state; the uncommitted offsets come again
    _, replay = apply_all(msgs, state=PostState.from_bytes(state.to_bytes()))
    assert [row[2].hour for row in first.rows[r.LATE_SNAPSHOTS]] == [5]
    assert [row[2].hour for row in replay.rows[r.LATE_SNAPSHOTS]] == [5]
    assert [row[2].hour for row in replay.rows[r.SNAPSHOTS]] == [12, 13, 8]


def test_heating_before_its_post_gets_the_campaign_once_the_registry_arrives() -> None:
    from tests.fixtures.data import registry

    key, raw = registry(1)
    post = decode(t.POSTS, raw)
    heat = decode(t.HEATING, orjson.dumps({
        "tenant": "acme", "post_id": post["post_id"], "heating_id": "h1", "channel": "dou+",
        "start": "2026-11-02T00:00:00Z", "spend": {"amount": "300.00", "currency": "CNY"}, "status": "executed",
        "updated_at": "2026-11-02T00:00:00Z"}))
    state, out, proc = PostState(), Output(), Processor()
    proc.apply(Source(t.HEATING, 0, 0, key), heat, state, out)
    proc.apply(Source(t.POSTS, 0, 1, key), post, state, out)
    cols = r.COLUMNS[r.HEATING_NODES]
    first, second = out.rows[r.HEATING_NODES]
    assert first[cols.index("campaign_id")] == "" and second[cols.index("campaign_id")] == post["campaign_id"]
    assert second[cols.index("version")] > first[cols.index("version")]
    assert PostState.from_bytes(state.to_bytes()).heating == state.heating


def test_the_rounded_list_reaches_the_analytics() -> None:
    """A counter the message lists as rounded ("1.2万") is read as rounded from its first value."""
    def shown(hour: int, rounded: list[str]) -> bytes:
        return orjson.dumps({
            "tenant": "acme", "post_id": POST, "platform": "bilibili",
            "observed_at": f"2026-11-01T{hour:02d}:00:00Z", "source": "api",
            "metrics": {"views": 12_000, "likes": 12_345}, "rounded": rounded,
        })

    for rounded, expected in ((["views"], True), ([], False)):
        state, out = PostState(), Output()
        proc = Processor(reorder_window_hours=6, insights=Insights())
        src = Source(t.SNAPSHOTS, 0, 0, POST.encode())
        message = decode_or_reject(src, shown(1, rounded), out)
        assert message is not None
        proc.apply(src, message, state, out)
        assert state.live.curve.rounded("views") is expected
        assert state.live.curve.rounded("likes") is False


def test_a_posts_title_is_stored_and_kept_by_its_tombstone() -> None:
    """The registry's title (what a client knows the post by) reaches the posts table; a
    tombstone of a state written before titles existed keeps the columns in place."""
    from tests.fixtures.data import registry

    key, raw = registry(1)
    message = {**decode(t.POSTS, raw), "title": "夏日防晒 | 3 款实测"}
    state, out = PostState(), Output()
    proc = Processor()
    proc.apply(Source(t.POSTS, 0, 0, key), message, state, out)
    old = PostState.from_bytes(state.to_bytes())
    assert old.registry is not None
    del old.registry["title"]  # as a state from before titles holds it
    proc.tombstone(key.decode(), state, out)
    proc.tombstone(key.decode(), old, out)
    cols = r.COLUMNS[r.POSTS]
    written, deleted, deleted_old = out.rows[r.POSTS]
    assert len(written) == len(cols)
    assert written[cols.index("title")] == deleted[cols.index("title")] == "夏日防晒 | 3 款实测"
    assert deleted_old[cols.index("title")] == "" and deleted_old[cols.index("url")] == written[cols.index("url")]
    assert deleted_old[cols.index("campaign_id")] == written[cols.index("campaign_id")]
    assert deleted_old[cols.index("deleted")] == 1


def test_money_dates_are_the_campaign_zones_dates() -> None:
    """A post published at 07:30 in Shanghai on 2 November (23:30 UTC on the 1st): its publish
    date, its fee's date and a heating node starting at 03:00 local on the 3rd count on the
    campaign's own dates (the FX rate and EMV unit values of those days), tombstone included."""
    from datetime import date

    from tests.fixtures.data import registry

    key, raw = registry(1)
    post = {**decode(t.POSTS, raw), "campaign_tz": "Asia/Shanghai"}
    post["published_at"] = post["published_at"].replace(year=2026, month=11, day=1, hour=23, minute=30)
    heat = decode(t.HEATING, orjson.dumps({
        "tenant": "acme", "post_id": post["post_id"], "heating_id": "h1", "channel": "dou+",
        "start": "2026-11-02T19:00:00Z", "spend": {"amount": "300.00", "currency": "CNY"}, "status": "executed",
        "updated_at": "2026-11-02T00:00:00Z"}))
    state, out, proc = PostState(), Output(), Processor()
    proc.apply(Source(t.POSTS, 0, 0, key), post, state, out)
    proc.apply(Source(t.HEATING, 0, 1, key), heat, state, out)
    proc.tombstone(key.decode(), state, out)
    posts, nodes, costs = r.COLUMNS[r.POSTS], r.COLUMNS[r.HEATING_NODES], r.COLUMNS[r.COST_LINES]
    written, deleted = out.rows[r.POSTS]
    assert written[posts.index("published_day")] == deleted[posts.index("published_day")] == date(2026, 11, 2)
    assert [row[costs.index("cost_date")] for row in out.rows[r.COST_LINES]] == [date(2026, 11, 2)]
    assert [row[nodes.index("start_day")] for row in out.rows[r.HEATING_NODES]] == [date(2026, 11, 3)]


def test_a_record_without_a_key_goes_to_the_dlq() -> None:
    """Accepted before (only a key present had to equal the post_id): its post's state then
    grew on whichever partition the record happened to be."""
    out = Output()
    assert decode_or_reject(Source(t.SNAPSHOTS, 0, 0, None), snap(1, 1), out) is None
    reason = out.rows[r.DLQ][0][5]
    assert reason.startswith("no key: key the record by its post_id") and POST in reason, reason


def test_a_record_off_its_keys_partition_goes_to_the_dlq() -> None:
    """The partition must be the one the Java client's and aiokafka's default partitioner
    (murmur2) gives the key, whatever the topic: the post's state lives there."""
    from aiokafka.partitioner import DefaultPartitioner

    key = POST.encode()
    for partitions in (1, 4, 12):
        home = DefaultPartitioner()(key, list(range(partitions)), [])
        assert home_partition(key, partitions) == home
        for topic in (t.SNAPSHOTS, t.POSTS, t.HEATING, t.COMMENTS):
            assert misplaced(Source(topic, home, 0, key), POST, partitions) is None
    assert home_partition(b"x" * 1000, 7) == DefaultPartitioner()(b"x" * 1000, list(range(7)), [])
    home = home_partition(key, 4)
    out = Output()
    assert decode_or_reject(Source(t.SNAPSHOTS, home, 0, key), snap(1, 1), out, partitions=4) is not None
    assert decode_or_reject(Source(t.SNAPSHOTS, (home + 1) % 4, 0, key), snap(1, 1), out, partitions=4) is None
    reason = out.rows[r.DLQ][0][5]
    assert reason.startswith(f"wrong partition: on partition {(home + 1) % 4} of 4, but its key {POST!r} belongs "
                             f"on partition {home}"), reason
    assert "murmur2" in reason and "tracker dlq replay" in reason


def test_a_dlq_row_keeps_a_bounded_prefix_of_a_large_payload() -> None:
    """A rejected message is kept whole up to DLQ_PAYLOAD_BYTES (any valid message is smaller),
    its first DLQ_PAYLOAD_BYTES beyond: its base64 once made the DLQ record of a 760 KB message
    too large for the producer, and the worker stopped on it at every start."""
    import base64
    import hashlib

    huge = orjson.dumps("x" * 900_000)
    out = Output()
    assert decode_or_reject(Source(t.SNAPSHOTS, 0, 7, POST.encode()), huge, out) is None
    row = dict(zip(r.COLUMNS[r.DLQ], out.rows[r.DLQ][0], strict=True))
    assert base64.b64decode(row["payload"]) == huge[:DLQ_PAYLOAD_BYTES]
    assert len(row["payload"]) < 200_000 and row["reason"].startswith("message: must be an object")
    assert payload_facts(huge) == (900_002, hashlib.sha256(huge).hexdigest())
    assert (row["payload_bytes"], row["payload_sha256"]) == payload_facts(huge)  # the whole one's, in the row
    small = snap(1, -1)
    assert base64.b64decode(dlq_row(Source(t.SNAPSHOTS, 0, 0), small, "r", "InvalidInput")[7]) == small


def test_a_state_written_with_its_unstored_alert_changes_still_loads() -> None:
    """States written before the changelog followed the insert end their head with a 12th field
    (alert changes kept until their batch was stored); a worker on this version restores them."""
    state = PostState(tenant="acme", seq=4, open_alerts={"douyin:1:PostDecaying:0": 1_700_000_000_000},
                      analytics=b"\x01\x02")
    head = orjson.dumps([state.tenant, state.registry, state.latest, state.last_observed_ms, state.status,
                         state.seq, state.snap_hw, state.late_offsets, state.heat_currency, state.heating,
                         state.open_alerts, [["tracker.snapshots.v1", 0, 7, "{}"]]])
    raw = struct.pack("<I", len(head)) + head + state.analytics
    assert PostState.from_bytes(raw) == state
    assert PostState.from_bytes(state.to_bytes()) == state
