"""The stream worker on the real broker and engine: exact rows, idempotent replays,
every bad contract example in the DLQ with its reason."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.fixtures.data import T0, burst_views, post_id, registry, snapshot, snapshots, views_at
from tests.fixtures.heating import heated_post
from tests.fixtures.heating import tables as heating_tables
from tests.fixtures.worker import WorkerProcess, end_offsets, heat_first_post, json_records, produce
from tracker.analytics.longtail import prior_ratio
from tracker.broker import topics as t
from tracker.contracts import encode

pytestmark = pytest.mark.integration

POSTS, PER_POST = 400, 20
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "events" / "examples"

TABLE_CHECKS = {
    "snapshots": "SELECT count(), sum(views), sum(likes), countIf(searches IS NULL) FROM snapshots FINAL",
    "post_totals": "SELECT count(), sum(views), sum(engagements), max(as_of) FROM post_totals FINAL",
    "posts": "SELECT count(), uniqExact(campaign_id) FROM posts FINAL",
    "cost_lines": "SELECT count(), sum(amount) FROM cost_lines FINAL",
}


def figures(worker: WorkerProcess) -> dict[str, tuple]:
    client = worker.client()
    out = {name: tuple(client.query(sql).result_rows[0]) for name, sql in TABLE_CHECKS.items()}
    for (view,) in client.query("SELECT name FROM system.tables WHERE database = 'tracker' "
                                "AND engine = 'View' ORDER BY name").result_rows:
        out[view] = tuple(client.query(f"SELECT count(), cityHash64(groupArray(tuple(*))) FROM "
                                       f"(SELECT * FROM {view} ORDER BY tuple(*))").result_rows[0])
    return out


@pytest.fixture
def worker(kafka: str, tracker_topics: str, tmp_path: Path):
    w = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    yield w
    w.stop()


def test_exact_rows_and_idempotent_replay(kafka: str, tracker_topics: str, worker: WorkerProcess) -> None:
    regs = [registry(i) for i in range(POSTS + 1)]  # the last one has no snapshot yet
    snaps = list(snapshots(POSTS, PER_POST))
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, regs))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, snaps))

    worker.wait_for("SELECT count() FROM snapshots FINAL", POSTS * PER_POST)
    worker.wait_caught_up(t.SNAPSHOTS)
    worker.wait_caught_up(t.POSTS)
    worker.wait_for("SELECT count() FROM post_totals FINAL WHERE campaign_id != ''", POSTS)
    # a post never observed has no totals row (it had one, observed "1970-01-01")
    assert worker.scalar("SELECT count() FROM posts FINAL") == POSTS + 1
    assert worker.scalar("SELECT count() FROM post_totals FINAL") == POSTS
    expected_views = sum(views_at(i, PER_POST - 1) for i in range(POSTS))
    assert worker.scalar("SELECT sum(views) FROM post_totals FINAL") == expected_views
    assert worker.scalar("SELECT count() FROM snapshots") == POSTS * PER_POST  # stored once, not just merged
    exposition = _metrics_when(worker, 'tracker_consumer_lag{topic="tracker.snapshots.v1"} 0.0')
    assert f'tracker_events_processed_total{{topic="tracker.snapshots.v1"}} {POSTS * PER_POST}.0' in exposition
    state_bytes = next(float(line.split()[1]) for line in exposition.splitlines()
                       if line.startswith("tracker_state_bytes "))
    assert state_bytes > POSTS * 100  # measured (it was never set: the State size panel read 0 B)
    before = figures(worker)

    # the very same messages again: nothing may change in any table or view
    asyncio.run(produce(kafka, tracker_topics + t.POSTS, regs))
    asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, snaps))
    worker.wait_caught_up(t.SNAPSHOTS)
    worker.wait_caught_up(t.POSTS)
    assert figures(worker) == before
    # its local state is under TRACKER_DATA_DIR; the directory it was started from stays as it was
    assert list(worker.cwd.iterdir()) == []


def _metrics_when(worker: WorkerProcess, line: str, timeout: float = 30) -> str:
    """The worker's /metrics exposition once it contains ``line``."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.ConnectError):  # not serving yet
            text = httpx.get(f"http://127.0.0.1:{worker.web_port}/metrics").text
        if line in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"{line!r} not in /metrics:\n" + "\n".join(x for x in text.splitlines() if "lag" in x))


def _examples(kind: str) -> list[tuple[str, Path]]:
    out = []
    for topic in (t.POSTS, t.HEATING, t.SNAPSHOTS, t.COMMENTS):
        out += [(topic, p) for p in sorted((EXAMPLES / topic / kind).glob("*.json"))]
    return out


def test_every_bad_example_reaches_the_dlq_with_its_reason(kafka: str, tracker_topics: str,
                                                           worker: WorkerProcess) -> None:
    good, bad = _examples("good"), _examples("bad")
    assert good and bad
    # interleave: good, bad, good, bad ... on each topic, keyed like the producers do
    by_topic: dict[str, list[tuple[bytes, bytes]]] = {}
    for i in range(max(len(good), len(bad))):
        for pair in (good[i % len(good)], bad[i] if i < len(bad) else None):
            if pair is None:
                continue
            topic, path = pair
            raw = path.read_bytes()
            try:
                key = json.loads(raw).get("post_id", "x:bad").encode()
            except (ValueError, AttributeError):
                key = b"x:bad"
            by_topic.setdefault(topic, []).append((key, raw))
    for topic, msgs in by_topic.items():
        asyncio.run(produce(kafka, tracker_topics + topic, msgs))
    for topic in by_topic:
        worker.wait_caught_up(topic)

    records = asyncio.run(json_records(kafka, tracker_topics + t.DLQ, len(bad)))
    rejected = {(r["source_topic"], base64.b64decode(r["payload_b64"])) for r in records}
    for topic, path in bad:
        assert (topic, path.read_bytes()) in rejected, f"{topic} {path.name} not in the DLQ"
    assert all(r["reason"] for r in records)
    assert worker.scalar("SELECT count() FROM dlq") == len(bad)
    good_snaps = {json.loads(p.read_bytes())["post_id"] for tp, p in good if tp == t.SNAPSHOTS}
    stored = worker.scalar("SELECT uniqExact(post_id) FROM (SELECT post_id FROM snapshots "
                           "UNION ALL SELECT post_id FROM late_snapshots)")
    assert stored == len(good_snaps)


def test_a_wider_reorder_window_reaches_the_analytics(kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """TRACKER_REORDER_WINDOW_HOURS=12: a snapshot 8 h older than the newest is not late. It was
    stored, but the analytics kept the default 6 h window and dropped it from the curve."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_REORDER_WINDOW_HOURS="12").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(0)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(0, h) for h in (*range(9), *range(18, 22))] + [snapshot(0, 13)]))
        worker.wait_for("SELECT count() FROM snapshots FINAL", 14)
        worker.wait_caught_up(t.SNAPSHOTS)
        assert worker.scalar("SELECT count() FROM late_snapshots") == 0
        hour = (T0 + timedelta(hours=13)).strftime("%Y-%m-%d %H:%M:%S")
        worker.wait_for(f"SELECT max(observed) FROM curves FINAL WHERE metric = 'views' AND hour = '{hour}'",
                        1, timeout=60)
    finally:
        worker.stop()


def test_open_alerts_resolve_when_the_tracking_window_closes(kafka: str, tracker_topics: str,
                                                            tmp_path: Path) -> None:
    """A post polled no more once its window closes: its open alerts resolve then (DESIGN.md:
    ``PostDecaying`` resolves at the end of tracking), keeping the time they fired, and it is
    not reported stalled. The window closes in event time: another post's snapshots pass it."""
    ended, other = 1, 2
    end = T0 + timedelta(hours=48)

    def alerts_when(done) -> list[tuple]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 90
        while True:
            rows = worker.client().query("SELECT state, starts_at, ends_at, evidence FROM alerts FINAL "
                                         "WHERE post_id = %(p)s", parameters={"p": post_id(ended)}).result_rows
            if done(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.3)

    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_STALL_CHECK_SECONDS="0.5").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(ended, tracking_end=end), registry(other)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(ended, h) for h in range(10)] + [snapshot(ended, 10, status="unavailable")]
                            + [snapshot(other, h) for h in range(40)]))
        rows = alerts_when(bool)
        assert [r[0] for r in rows] == ["firing"]  # the window (48 h) is still open at hour 39
        worker.wait_caught_up(t.SNAPSHOTS)
        time.sleep(1.5)  # three checks: still open
        assert [r[0] for r in alerts_when(bool)] == ["firing"]
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(other, 50)]))
        rows = alerts_when(lambda rows: rows and rows[0][0] == "resolved")
        assert len(rows) == 1, rows
        state, starts_at, ends_at, evidence = rows[0]
        assert state == "resolved" and json.loads(evidence)["reason"] == "end of tracking"
        # the resolve names the post as its firing did, times in the campaign's zone (it named neither)
        assert {"creator_id": "cr1", "time_zone": "Asia/Shanghai"}.items() <= json.loads(evidence).items()
        naive = T0.replace(tzinfo=None)  # the engine's DateTime64 comes back naive (UTC)
        assert (starts_at, ends_at) == (naive + timedelta(hours=10), naive + timedelta(hours=48))
        assert worker.scalar("SELECT count() FROM alerts WHERE alert = 'PostStalled'") == 0
        # a row of a later export, dated inside the window, still comes: each such snapshot
        # resolved the alert again
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(ended, 47, status="unavailable")]))
        worker.wait_caught_up(t.SNAPSHOTS)
        time.sleep(1.5)  # three checks
        topic = tracker_topics + t.ALERTS
        messages = asyncio.run(json_records(kafka, topic, asyncio.run(end_offsets(kafka, topic))))
        assert [m["state"] for m in messages if m["post_id"] == post_id(ended)] == ["firing", "resolved"]
    finally:
        worker.stop()


def test_a_snapshot_dated_years_ahead_goes_to_the_dlq_and_no_tenant_closes_anothers_window(
        kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """A mistyped year on one snapshot closed every post's tracking window, of every tenant, and
    resolved all their alerts ("end of tracking"). It now goes to the DLQ with its reason, and
    a later snapshot of another tenant's post closes none of this tenant's windows."""
    ended, other, elsewhere = 1, 2, 3
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_STALL_CHECK_SECONDS="0.5").start()

    def states() -> list[str]:
        return [row[0] for row in worker.client().query(
            "SELECT state FROM alerts FINAL WHERE post_id = %(p)s", parameters={"p": post_id(ended)}).result_rows]

    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [
            registry(ended, tracking_end=T0 + timedelta(hours=48)), registry(other),
            registry(elsewhere, tenant="globex")]))
        typo = json.loads(snapshot(other, 20)[1])
        typo["observed_at"] = "2052-11-01T20:00:00Z"
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(ended, h) for h in range(10)] + [snapshot(ended, 10, status="unavailable")]
                            + [snapshot(other, h) for h in range(20)] + [(post_id(other).encode(), json.dumps(typo).encode())]
                            + [snapshot(elsewhere, h, tenant="globex") for h in (0, 200)]))
        worker.wait_for("SELECT count() FROM dlq", 1)
        worker.wait_caught_up(t.SNAPSHOTS)
        time.sleep(1.5)  # three checks of the windows
        assert states() == ["firing"]
        [reason] = worker.client().query("SELECT reason FROM dlq").result_rows[0]
        assert reason.startswith("observed_at 2052-11-01T20:00:00.000Z is ") and "a wrong date?" in reason, reason
        assert worker.scalar(f"SELECT max(as_of) FROM post_totals FINAL WHERE post_id = '{post_id(other)}'") \
            == (T0 + timedelta(hours=19)).replace(tzinfo=None)  # the post keeps its real clock
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(other, 50)]))
        deadline = time.monotonic() + 60
        while states() != ["resolved"] and time.monotonic() < deadline:
            time.sleep(0.3)
        assert states() == ["resolved"]  # its own tenant's clock passed its end
    finally:
        worker.stop()


def test_a_ratio_far_from_its_platform_and_tier_is_suspicious(kafka: str, tracker_topics: str,
                                                             tmp_path: Path) -> None:
    """The worker learns each platform and tier's ratio distributions from the posts past their
    burst window (72 h), then judges a post when its own window ends: likes at 60 % of views
    among posts liking 9–11 % fires ``SuspiciousEngagement``; a post like the others does not."""
    population = range(100, 130)
    odd, usual = 1, 2
    hours = range(0, 84, 4)
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_RATIO_STATS_SECONDS="1").start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(i) for i in [*population, odd, usual]]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(p, h, like_rate=0.09 + 0.02 * i / 29) for i, p in enumerate(population)
                             for h in hours]))
        seen = "SELECT count() FROM post_totals FINAL WHERE views IS NOT NULL"
        worker.wait_for(seen, len(population))
        _metrics_when(worker, "tracker_ratio_populations 1.0")
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS,
                            [snapshot(odd, h, like_rate=0.6) for h in hours] + [snapshot(usual, h) for h in hours]))
        worker.wait_for(seen, len(population) + 2)
        worker.wait_caught_up(t.SNAPSHOTS)
        rows = worker.client().query("SELECT post_id, alert_id, evidence FROM alerts FINAL "
                                     "WHERE alert = 'SuspiciousEngagement'").result_rows
        odd_id = post_id(odd)
        assert [(p, a) for p, a, _ in rows] == [(odd_id, f"{odd_id}:SuspiciousEngagement:ratio:likes/views")], rows
        evidence = json.loads(rows[0][2])
        assert evidence["kind"] == "ratio" and evidence["z"] > 5
    finally:
        worker.stop()


def test_a_decaying_post_is_suggested_a_reheat_on_its_heating_history(kafka: str, tracker_topics: str,
                                                                      tmp_path: Path) -> None:
    """``PostDecaying`` on posts never heated suggests a re-heat on the heating history the worker
    learned from the store: the creator's closed heated pulses when it has three, else its
    platform-and-tier's; a post of another tenant gets nothing from this tenant's history."""
    creator_known, tier_only, other_tenant = 1, 2, 3  # creators cr1, cr2, cr3; all "micro" on bilibili
    history = [
        heated_post("acme", "bilibili:H1", "cr1", "micro", [(3000.0, 1000.0, "settled"), (2000.0, 1000.0, "settled")]),
        heated_post("acme", "bilibili:H2", "cr1", "micro", [(0.0, 500.0, "no-response")], channel="ads"),
        heated_post("acme", "bilibili:H3", "cr7", "micro", [(4000.0, 1000.0, "settled")]),
    ]
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_RATIO_STATS_SECONDS="1")
    worker.prefill(heating_tables(*history)).start()
    try:
        _metrics_when(worker, 'tracker_heating_histories{basis="creator"} 1.0')
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(creator_known), registry(tier_only),
                                                              registry(other_tenant, tenant="globex")]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [
            snapshot(i, k, tenant="globex" if i == other_tenant else "acme", views=burst_views(k))
            for k in range(80) for i in (creator_known, tier_only, other_tenant)]))
        query = "SELECT post_id, suggestion FROM alerts FINAL WHERE alert = 'PostDecaying' AND state = 'firing'"
        worker.wait_for(f"SELECT count() FROM ({query})", 3)
        got = {p: json.loads(s) for p, s in worker.client().query(query + " ORDER BY post_id").result_rows}
        assert got[post_id(creator_known)] == {
            "action": "reheat", "channel": "qifei", "spend": {"amount": "1000.00", "currency": "CNY"},
            "expected_engagements_per_cny": 2.0, "expected_engagements": 2000,
            "basis": "this creator's 3 heated pulses on the platform"}
        tier = got[post_id(tier_only)]
        assert tier["basis"] == "4 heated pulses of the platform's creators of this tier"
        assert tier["expected_engagements_per_cny"] == round(9_000 / 3_500, 4)
        assert got[post_id(other_tenant)] == {
            "action": "reheat", "basis": "no heated pulse of this post, its creator or its tier yet"}
    finally:
        worker.stop()


def test_the_log_linear_baseline_learns_from_finished_posts(kafka: str, tracker_topics: str,
                                                            tmp_path: Path) -> None:
    """A post's log-linear projection uses the ratio its platform and tier's finished posts
    showed (here 20 posts that gained ten times their first-month count by day 30), shrunk
    towards the prior by its weight of five posts — not the prior alone (about 2× at a day)."""
    start = T0 - timedelta(days=60)
    finished = [f"bilibili:F{i}" for i in range(20)]
    curve = [(k, 100.0 if k <= 700 else 1000.0) for k in range(1, 721)]
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_RATIO_STATS_SECONDS="1")
    worker.prefill({
        "posts": (["tenant", "post_id", "platform", "creator_tier", "published_at", "version"],
                  [("acme", p, "bilibili", "micro", start, 1) for p in finished]),
        "post_totals": (["tenant", "post_id", "as_of", "version"],
                        [("acme", p, start + timedelta(hours=720), 1) for p in finished]),
        "curves": (["tenant", "post_id", "metric", "hour", "cumulative", "version"],
                   [("acme", p, "engagements", start + timedelta(hours=k), c, 1) for p in finished for k, c in curve]),
    }).start()
    try:
        _metrics_when(worker, "tracker_loglinear_populations 1.0")
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(1)]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(1, k) for k in range(30)]))
        worker.wait_for(f"SELECT count() FROM long_tail FINAL WHERE as_of >= '{T0 + timedelta(hours=29):%F %T}'", 1)
        total, projected = worker.client().query(
            "SELECT engagements, l.loglinear_30d FROM long_tail AS l FINAL "
            "JOIN post_totals AS t FINAL ON t.post_id = l.post_id").result_rows[0]
        learned = math.log(10.0)  # every finished post: 100 engagements up to day 29, 1,000 at day 30
        prior = math.log(prior_ratio(29.0, 720.0))
        assert projected / total == pytest.approx(math.exp((5 * prior + 20 * learned) / 25), rel=0.05)
    finally:
        worker.stop()


def test_first_pulses_lean_on_the_response_shape_learned_from_finished_posts(kafka: str, tracker_topics: str,
                                                                             tmp_path: Path) -> None:
    """The worker learns its platform and tier's response shape from the first pulses in the store
    (``tracker_shape_populations``: bilibili/micro, 25 posts; douyin/star, 3, too few to count),
    and writes the shape of a first pulse once it closes (here at a heating node), fitted from its
    own post: the population learns from it in turn."""
    shape = [0.4, 0.3, 0.15, 0.1, 0.05, 0.0, 0.0]  # K = 7 components
    groups = [(f"bilibili:S{i}", "bilibili", "micro") for i in range(25)]
    groups += [(f"douyin:S{i}", "douyin", "star") for i in range(3)]
    worker = WorkerProcess(kafka, tracker_topics, tmp_path, TRACKER_RATIO_STATS_SECONDS="1")
    worker.prefill({
        "posts": (["tenant", "post_id", "platform", "creator_tier", "published_at", "version"],
                  [("acme", p, platform, tier, T0 - timedelta(days=30), 1) for p, platform, tier in groups]),
        "pulses": (["tenant", "post_id", "pulse_index", "onset", "ends_at", "trigger", "status", "response_shape",
                    "version"],
                   [("acme", p, 0, T0 - timedelta(days=30), T0 - timedelta(days=20), "organic", "settled", shape, 1)
                    for p, _, _ in groups]),
    }).start()
    try:
        _metrics_when(worker, "tracker_shape_populations 1.0")
        heat_first_post(worker, hours=60)
        closed = (f"SELECT count() FROM pulses FINAL WHERE post_id = '{post_id(1)}' AND pulse_index = 0 "
                  "AND notEmpty(response_shape)")
        worker.wait_for(closed, 1)
        (got,) = worker.client().query(f"SELECT response_shape FROM pulses FINAL WHERE post_id = '{post_id(1)}' "
                                       "AND pulse_index = 0").result_rows[0]
        assert len(got) == len(shape) and sum(got) == pytest.approx(1.0, abs=1e-4)
    finally:
        worker.stop()


def test_money_converts_at_the_rates_of_the_campaigns_dates(kafka: str, tracker_topics: str,
                                                              tmp_path: Path) -> None:
    """A Shanghai campaign's post published at 07:30 local on 2 November (23:30 UTC on the 1st)
    with a USD fee, boosted from 03:00 local on the 3rd: the fee converts at 2 November's rate
    and the boost at 3 November's, though in UTC both fall a day earlier (where there is no
    rate for the fee at all, and the boost would take the fee's)."""
    from datetime import date

    post = "bilibili:BVzone1"
    message = encode(t.POSTS, {
        "tenant": "acme", "post_id": post, "platform": "bilibili", "platform_post_id": "BVzone1",
        "campaign_id": "c1", "creator_id": "cr1", "creator_tier": "micro", "content_form": "video",
        "published_at": "2026-11-01T23:30:00Z", "campaign_tz": "Asia/Shanghai",
        "fee": {"amount": "1000.00", "currency": "USD"}, "updated_at": "2026-11-01T23:30:00Z"})
    heat = encode(t.HEATING, {
        "tenant": "acme", "post_id": post, "heating_id": "h1", "channel": "dou+", "start": "2026-11-02T19:00:00Z",
        "spend": {"amount": "100.00", "currency": "USD"}, "status": "executed", "updated_at": "2026-11-02T19:00:00Z"})
    rates = (["tenant", "base", "quote", "rate_date", "rate", "source", "version"],
             [("", "USD", "CNY", date(2026, 11, 2), 7.0, "test", 1), ("", "USD", "CNY", date(2026, 11, 3), 7.2, "test", 1)])
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).prefill({"fx_rates": rates}).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [(post.encode(), message)]))
        asyncio.run(produce(kafka, tracker_topics + t.HEATING, [(post.encode(), heat)]))
        worker.wait_for("SELECT count() FROM heating_nodes FINAL WHERE campaign_id = 'c1'", 1)
        fee, heating, missing = worker.client().query(
            "SELECT fee, heating, fx_missing FROM v_roi_post WHERE post_id = {p:String}", {"p": post}).result_rows[0]
        assert (fee, heating, missing) == (pytest.approx(7_000.0), pytest.approx(720.0), 0)
    finally:
        worker.stop()


def test_a_post_deleted_from_the_registry_resolves_its_open_alerts(kafka: str, tracker_topics: str,
                                                                     tmp_path: Path) -> None:
    """A post taken out of the registry (``deleted`` true, or a tombstone) is polled no more and never
    reaches its end of tracking: its firing alerts stayed firing in ``alerts`` (and Alertmanager, and
    the boards' re-heat candidates) for good. They resolve when it leaves, saying why."""
    flagged, tombstoned = 1, 2
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()

    def states(i: int) -> list[tuple[str, str]]:
        return [(row[0], json.loads(row[1]).get("reason", "")) for row in worker.client().query(
            "SELECT state, evidence FROM alerts FINAL WHERE post_id = %(p)s", parameters={"p": post_id(i)}).result_rows]

    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(flagged), registry(tombstoned)]))
        worker.wait_for("SELECT count() FROM posts FINAL", 2)
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [
            *(snapshot(i, h) for i in (flagged, tombstoned) for h in range(5)),
            snapshot(flagged, 5, status="unavailable"), snapshot(tombstoned, 5, status="unavailable")]))
        worker.wait_for("SELECT count() FROM alerts FINAL WHERE state = 'firing'", 2)
        deleted = json.loads(registry(flagged)[1]) | {"deleted": True, "updated_at": "2025-11-02T00:00:00Z"}
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [(post_id(flagged).encode(), json.dumps(deleted).encode())]))
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [(post_id(tombstoned).encode(), None)]))
        worker.wait_for("SELECT count() FROM alerts FINAL WHERE state = 'resolved'", 2)
        assert states(flagged) == [("resolved", "removed from the registry")]
        assert states(tombstoned) == [("resolved", "removed from the registry")]
    finally:
        worker.stop()


def test_another_tenants_messages_for_a_registered_post_go_to_the_dlq(kafka: str, tracker_topics: str,
                                                                       tmp_path: Path) -> None:
    """A post is one tenant's: a second tenant's registry entry for it took its state over (acme's
    snapshots were then stored under globex's campaign, its alerts named globex's), and a snapshot sent
    with the wrong tenant moved the post's rows to that tenant. Both go to the DLQ with the reason."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [registry(0)]))
        worker.wait_for("SELECT count() FROM posts FINAL", 1)
        globex = json.loads(registry(0, tenant="globex")[1]) | {"campaign_id": "gx-launch"}
        asyncio.run(produce(kafka, tracker_topics + t.POSTS, [(post_id(0).encode(), json.dumps(globex).encode())]))
        asyncio.run(produce(kafka, tracker_topics + t.SNAPSHOTS, [snapshot(0, 0, tenant="globex"),
                                                                  *(snapshot(0, k) for k in range(1, 4))]))
        worker.wait_for("SELECT count() FROM dlq", 2)
        worker.wait_for("SELECT count() FROM snapshots FINAL", 3)
        reasons = [r[0] for r in worker.client().query("SELECT reason FROM dlq").result_rows]
        assert all("is registered to tenant 'acme'" in r and "says tenant 'globex'" in r for r in reasons), reasons
        rows = worker.client().query("SELECT DISTINCT tenant, campaign_id FROM post_totals FINAL").result_rows
        assert rows == [("acme", "c0")], rows
        assert worker.scalar("SELECT count() FROM posts FINAL WHERE tenant = 'globex'") == 0
    finally:
        worker.stop()
