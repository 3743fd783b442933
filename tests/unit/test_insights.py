"""The worker's analytics wiring: snapshots and heating become curve, pulse, long-tail
and alert rows; comments carry their classification; state round-trips."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.fixtures.data import T0
from tracker.alerting.change import AlertChange, describe_evidence
from tracker.alerting.digest import Digests
from tracker.analytics import alerts as decide
from tracker.analytics.pulses import HeatingNode
from tracker.broker import topics as t
from tracker.contracts import decode, encode
from tracker.contracts.timestamps import format_ts
from tracker.stream import rows as r
from tracker.stream.insights import Insights, alert_summary
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState

POST = "douyin:7301"


def registry(zone: str = "Asia/Shanghai") -> dict:
    return decode(t.POSTS, encode(t.POSTS, {
        "tenant": "acme", "post_id": POST, "platform": "douyin", "platform_post_id": "7301", "campaign_id": "c1",
        "creator_id": "k1", "creator_tier": "micro", "published_at": T0, "content_form": "video",
        "campaign_tz": zone, "updated_at": T0}))


def snapshot(hour: int, likes: int) -> dict:
    return decode(t.SNAPSHOTS, orjson.dumps({
        "tenant": "acme", "post_id": POST, "platform": "douyin", "observed_at": (T0 + timedelta(hours=hour)).isoformat(),
        "source": "api", "metrics": {"views": likes * 20, "likes": likes, "comments": likes // 10, "shares": 0}}))


def likes_at(hour: int) -> int:
    """A burst after publish, then a heated pulse from hour 48."""
    organic = int(3000 * (1 - 0.9 ** (hour + 1)))
    heated = int(4000 * (1 - 0.85 ** (hour - 47))) if hour >= 48 else 0
    return organic + heated + 5 * hour


def run(messages: list[tuple[str, dict]], state: PostState | None = None) -> tuple[PostState, Output]:
    state = state or PostState()
    out = Output()
    proc = Processor(6, Insights())
    for offset, (topic, message) in enumerate(messages):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    return state, out


def test_snapshots_and_heating_produce_curve_pulse_and_long_tail_rows() -> None:
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=48),
        "end": T0 + timedelta(hours=60), "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))
    msgs = [(t.POSTS, registry()), (t.HEATING, heat)] + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(96)]
    state, out = run(msgs)
    cols = r.COLUMNS[r.CURVES]
    metrics = {row[cols.index("metric")] for row in out.rows[r.CURVES]}
    assert {"views", "likes", "comments", "shares", "engagements"} <= metrics
    assert "saves" not in metrics, "a metric the platform lacks gets no curve (null, not 0)"
    pulses = {row[2]: dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]}
    heated = [p for p in pulses.values() if p["heating_ids"] == ["h1"]]
    assert heated, f"no pulse attributed to the heating node: {pulses}"
    assert heated[0]["spend_currency"] == "CNY" and heated[0]["incremental_engagements"] > 0
    assert out.rows[r.LONG_TAIL]
    # the analytics state survives the changelog round trip
    again = PostState.from_bytes(state.to_bytes())
    assert again.analytics and Insights().analytics(again).to_bytes() == state.live.to_bytes()


def test_a_heated_pulse_counts_its_spend_on_the_campaigns_date() -> None:
    """A boost starting at 00:00 UTC on 3 November is 2 November in Los Angeles: the pulse's
    spend converts at that day's rate."""
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=48),
        "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed", "updated_at": T0}))
    msgs = [(t.POSTS, registry("America/Los_Angeles")), (t.HEATING, heat)]
    _, out = run(msgs + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(96)])
    pulses = [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]
    heated = [p for p in pulses if p["heating_ids"] == ["h1"]]
    assert heated and {p["onset"].date() for p in heated} == {T0.date() + timedelta(days=2)}
    assert {p["onset_day"] for p in heated} == {T0.date() + timedelta(days=1)}


def test_comments_are_classified_on_their_rows() -> None:
    comment = decode(t.COMMENTS, orjson.dumps({
        "tenant": "acme", "post_id": POST, "platform": "douyin", "comment_id": "m1", "text": "求链接!这个多少钱",
        "created_at": "2026-11-01T10:00:00Z", "likes": 3}))
    _, out = run([(t.COMMENTS, comment)])
    row = dict(zip(r.COLUMNS[r.COMMENTS], out.rows[r.COMMENTS][0], strict=True))
    assert row["intent"] == 1 and row["negative"] == 0 and "求链接" in row["intent_terms"]


def test_suspicious_engagement_reaches_alert_rows_and_messages() -> None:
    """A step jump in likes alone fires ``SuspiciousEngagement`` like ``PostDecaying`` does:
    an ``alerts`` row and a ``tracker.alerts.v1`` message; a ratio far from the post's
    platform-and-tier distribution fires once, when the burst window is over."""
    state, out = run([(t.POSTS, registry())])
    insights = Insights()
    insights.ratio_stats[("douyin", "micro")] = {
        "likes/views": decide.RatioDistribution(median_log=math.log(0.2), mad_log=0.1, n=100)}
    for h in range(120):
        likes = likes_at(h) + (20_000 if h >= 90 else 0)
        views = likes_at(h) * 20
        at = T0 + timedelta(hours=h, minutes=20)
        insights.snapshot(POST, int(at.timestamp() * 1000), {"views": views, "likes": likes,
                                                             "comments": likes_at(h) // 10,
                                                             "shares": 0, "saves": None, "searches": None},
                          state, out)
        state.last_observed_ms = int(at.timestamp() * 1000)
    rows = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS]]
    suspicious = [row for row in rows if row["alert"] == "SuspiciousEngagement"]
    kinds = sorted(json.loads(row["evidence"])["kind"] for row in suspicious)
    assert kinds == ["ratio", "step-jump"], rows
    jump = next(row for row in suspicious if json.loads(row["evidence"])["kind"] == "step-jump")
    assert json.loads(jump["evidence"])["metric"] == "likes" and jump["state"] == "firing"
    messages = [m for m in insights.alerts if m["alert"] == "SuspiciousEngagement"]
    assert len(messages) == 2 and all(m["severity"] == "warning" for m in messages)
    assert {m["alert_id"] for m in messages} == {row["alert_id"] for row in suspicious}


def test_rounded_counters_are_no_spike() -> None:
    """Likes shown rounded ("1.2万", the message's ``rounded`` list) step 1,000 at a time."""
    state, out = run([(t.POSTS, registry())])
    insights = Insights()
    for h in range(120):
        likes = 4 * likes_at(h) + 9_000
        shown = likes // 1_000 * 1_000 if likes >= 10_000 else likes
        at = T0 + timedelta(hours=h, minutes=20)
        insights.snapshot(POST, int(at.timestamp() * 1000), {"views": likes * 5, "likes": shown,
                                                             "comments": likes // 40, "shares": 0, "saves": None,
                                                             "searches": None},
                          state, out, rounded=["likes"] if likes >= 10_000 else [])
    assert not [m for m in insights.alerts if m["alert"] == "SuspiciousEngagement"]


def test_a_resolved_alert_keeps_the_time_it_fired() -> None:
    """The ``alerts`` table keeps one row per alert (the resolve replaces the firing row), so
    the resolve carries the firing time as ``starts_at``, across a restart of the state."""
    gone = snapshot(10, likes_at(10))
    gone["status"] = "unavailable"
    state, out = run([(t.POSTS, registry())] + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(10)]
                     + [(t.SNAPSHOTS, gone)])
    state = PostState.from_bytes(state.to_bytes())  # as the worker's table holds it
    later, out2 = run([(t.SNAPSHOTS, snapshot(14, likes_at(14)))], state)
    rows = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS] + out2.rows[r.ALERTS]]
    unavailable = [row for row in rows if row["alert"] == "PostUnavailable"]
    assert [row["state"] for row in unavailable] == ["firing", "resolved"], rows
    fired, resolved = unavailable
    assert fired["starts_at"] == T0 + timedelta(hours=10)
    assert resolved["starts_at"] == fired["starts_at"] and resolved["ends_at"] == T0 + timedelta(hours=14)
    assert later.open_alerts == {}


def test_a_decaying_post_once_heated_is_suggested_a_reheat_on_its_own_pulses() -> None:
    """Two heats (500 and 1,500 CNY through dou+); when the second pulse decays, the alert suggests
    the post's usual spend at what its two heated pulses brought per CNY, the decaying one's
    result so far included (it has run its course: that is what the alert says)."""
    def heat(hid: str, hour: int, amount: str) -> tuple[str, dict]:
        return t.HEATING, decode(t.HEATING, encode(t.HEATING, {
            "tenant": "acme", "post_id": POST, "heating_id": hid, "channel": "dou+",
            "start": T0 + timedelta(hours=hour), "end": T0 + timedelta(hours=hour + 12),
            "spend": {"amount": amount, "currency": "CNY"}, "status": "executed", "updated_at": T0}))

    def likes(hour: int) -> int:
        return likes_at(hour) + (int(4000 * (1 - 0.85 ** (hour - 119))) if hour >= 120 else 0)

    msgs = [(t.POSTS, registry()), heat("h1", 48, "500.00"), heat("h2", 120, "1500.00")]
    _, out = run(msgs + [(t.SNAPSHOTS, snapshot(h, likes(h))) for h in range(240)])
    cols = r.COLUMNS[r.ALERTS]
    fired = [dict(zip(cols, row, strict=True)) for row in out.rows[r.ALERTS]]
    fired = [a for a in fired if a["alert"] == "PostDecaying" and a["state"] == "firing"]
    assert fired, "the second heated pulse should decay within the run"
    pulse_rows = [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]
    first_heat = [p for p in pulse_rows if p["heating_ids"] == ["h1"]][-1]  # its row when it closed
    second = [p["incremental_engagements"] for p in pulse_rows if p["heating_ids"] == ["h2"]]
    suggestion = json.loads(fired[-1]["suggestion"])
    rate = suggestion["expected_engagements_per_cny"]
    assert suggestion["basis"] == "this post's earlier pulses" and suggestion["channel"] == "dou+"
    assert suggestion["spend"] == {"amount": "1000.00", "currency": "CNY"}  # the median of 500 and 1,500
    both = (first_heat["incremental_engagements"] + second[-1]) / 2000  # the second pulse's lift in, as of its end
    assert math.isclose(rate, both, rel_tol=0.05), (rate, both)
    evidence = json.loads(fired[-1]["evidence"])
    assert math.isclose(evidence["reheat_lift_per_spend"], rate, rel_tol=1e-3)
    share = evidence["projected_gain"] / evidence["incremental"]
    # pulses by the index the pulses table gives them (the third pulse, h2's, is pulse 2), and no
    # "decaying" where the pulses table reads the pulse settled
    assert evidence["pulse"] == 2 and "pulse_number" not in evidence
    assert fired[-1]["summary"] == (f"pulse 2 (heating h2) has run its course — projected 72 h gain "
                                    f"{share * 100:.0f} % of its lift; re-heat while it is tracked")
    pulse_row = next(p for p in reversed(pulse_rows)
                     if p["pulse_index"] == evidence["pulse"] and p["version"] == fired[-1]["version"])
    assert pulse_row["status"] == "settled"


def one_boost_messages() -> list[tuple[str, dict]]:
    """A post boosted once, 800 CNY from hour 120, left to decay until hour 240."""
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+",
        "start": T0 + timedelta(hours=120), "end": T0 + timedelta(hours=132),
        "spend": {"amount": "800.00", "currency": "CNY"}, "status": "executed", "updated_at": T0}))

    def likes(hour: int) -> int:
        return likes_at(hour) + (int(4000 * (1 - 0.85 ** (hour - 119))) if hour >= 120 else 0)

    return [(t.POSTS, registry()), (t.HEATING, heat)] + [(t.SNAPSHOTS, snapshot(h, likes(h))) for h in range(240)]


def test_a_boost_with_no_response_is_alerted_on_the_decay_it_was_bought_against() -> None:
    """Alerted on its burst, the post is boosted (800 CNY from hour 120) and gains nothing from
    it: the alert resolved on the boost's pulse, and none fired again for the rest of its
    tracking. Once the boost reads no response (not 48 h on: the decay judged is the burst's), the burst's decay
    carried on is alerted on the boost's pulse, saying so; the re-heat it suggests rests on this
    post's boost: 800 CNY for nothing, no amount."""
    heat = [m for m in one_boost_messages() if m[0] != t.SNAPSHOTS]
    _, out = run(heat + [(t.SNAPSHOTS, snapshot(h, int(3000 * (1 - 0.9 ** (h + 1))) + 5 * h)) for h in range(240)])
    rows = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS]]
    decaying = [{**a, "evidence": json.loads(a["evidence"]), "suggestion": json.loads(a["suggestion"] or "null")}
                for a in rows if a["alert"] == "PostDecaying"]
    assert [(a["state"], a["alert_id"].rsplit(":", 1)[1]) for a in decaying] == [
        ("firing", "0"), ("resolved", "0"), ("firing", "1")]
    again = decaying[-1]
    assert again["evidence"]["after_no_response"] == ["h1"] and again["evidence"]["heating_ids"] == ["h1"]
    # once the boost reads no response (its window, to hour 132, and 6 h) and the decay is confirmed
    assert T0 + timedelta(hours=132 + 6 + 3) <= again["starts_at"] < T0 + timedelta(hours=120 + 48)
    assert again["summary"].startswith("pulse 1 (heating h1) brought no response; the decay before it has run its course")
    assert again["suggestion"] == {"action": "reheat", "no_lift": {"amount": "800.00", "currency": "CNY"},
                                   "basis": "this post's earlier pulses", "basis_pulse": 1}


def test_a_post_whose_one_boost_has_run_its_course_is_suggested_a_reheat_on_it() -> None:
    """Its one heated pulse decaying, the post was suggested a re-heat "as never heated" (no
    history of its own, none of its creator's): the boost's own lift per CNY is the best guide."""
    _, out = run(one_boost_messages())
    alerts = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS]]
    fired = [a for a in alerts if a["alert"] == "PostDecaying" and a["state"] == "firing"
             and json.loads(a["evidence"]).get("pulse_trigger") == "heating"]
    assert fired, "the heated pulse should decay within the run"
    suggestion = json.loads(fired[-1]["suggestion"])
    assert suggestion["basis"] == "this post's earlier pulses", suggestion
    assert suggestion["spend"] == {"amount": "800.00", "currency": "CNY"}
    assert 1.0 < suggestion["expected_engagements_per_cny"] < 10.0  # about 4,000 engagements for 800 CNY


def test_response_shapes_are_learned_per_platform_and_tier_with_pooled_fallbacks() -> None:
    """A (platform, tier) with enough first pulses has its own shape; one with too few leans on its
    platform's pooled tiers, and a platform with too few on every platform's."""
    from tracker.analytics.pulses import POPULATION_MIN
    from tracker.stream import shapes

    fast, slow = (0.6, 0.3, 0.1, 0.0, 0.0, 0.0, 0.0), (0.0, 0.1, 0.3, 0.6, 0.0, 0.0, 0.0)
    rows = [("douyin", "micro", fast)] * POPULATION_MIN + [("douyin", "star", slow)] * 2
    rows += [("bilibili", "micro", slow)] * 3
    learned = shapes.learned(rows)
    assert ("douyin", "star") not in learned and ("bilibili", shapes.ANY) not in learned
    own = shapes.for_post(learned, "douyin", "micro")
    platform = shapes.for_post(learned, "douyin", "star")
    pooled = shapes.for_post(learned, "bilibili", "micro")
    assert own is not None and own[0] > 0.8  # the unit vector of the fast mixture
    assert platform is not None and pooled is not None and not (platform == own).all()
    assert (pooled == learned[(shapes.ANY, shapes.ANY)]).all()
    assert shapes.for_post({}, "douyin", "micro") is None


def test_a_first_pulse_leans_on_the_learned_shape_and_passes_on_its_own() -> None:
    """The insights set the post's population shape before each event: the first pulse's reading
    leans on it, while the closed pulse's row carries its own fitted shape (summing to 1)."""
    import numpy as np

    from tracker.stream import shapes

    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=48),
        "end": T0 + timedelta(hours=60), "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))
    msgs = [(t.POSTS, registry()), (t.HEATING, heat)] + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(96)]

    def first_pulse(insights: Insights) -> dict:
        out = Output()
        proc, state = Processor(6, insights), PostState()
        for offset, (topic, message) in enumerate(msgs):
            proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
        rows = [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]
        return [p for p in rows if p["pulse_index"] == 0][-1]

    alone = first_pulse(Insights())
    leaning = Insights()
    leaning.shapes = {(shapes.ANY, shapes.ANY): np.array([1.0, 0.0, 0.0, 0.0])}  # all in the 1 h component
    pulled = first_pulse(leaning)
    assert alone["response_shape"] and sum(alone["response_shape"]) == pytest.approx(1.0, abs=1e-4)
    assert pulled["response_shape"] == alone["response_shape"]
    assert pulled["half_life_hours"] != alone["half_life_hours"]


def test_a_registry_entry_read_after_the_posts_first_events_still_sets_its_window() -> None:
    """The worker reads its topics in no set order: a heating node or the first snapshots can
    come before the post's registry entry. The entry then gives the analytics their publish time
    and tracking end, and the rows are those of the entry read first (the long tail was n/a)."""
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=48),
        "end": T0 + timedelta(hours=60), "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))
    snaps = [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(124)]  # the heat 76 h in: fitted
    reg = (t.POSTS, registry())

    def final_rows(messages: list[tuple[str, dict]]) -> tuple[dict, dict, list]:
        state, out = run(messages)
        tail = dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))
        pulses = {row[2]: dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]}
        cols = r.COLUMNS[r.CURVES]
        curve = {(row[cols.index("metric")], row[cols.index("hour")]): row[cols.index("cumulative")]
                 for row in out.rows[r.CURVES]}
        del tail["version"]
        return tail, curve, [(p["onset"], p["trigger"], p["incremental_engagements"]) for _, p in sorted(pulses.items())]

    first = final_rows([reg, (t.HEATING, heat), *snaps])
    assert first[0]["tail_share"] is not None and first[0]["projected_30d"] is not None
    for order in ([(t.HEATING, heat), reg, *snaps], [(t.HEATING, heat), *snaps[:3], reg, *snaps[3:]]):
        assert final_rows(order) == first


def test_a_post_first_seen_after_its_burst_window_has_no_tail_share() -> None:
    """What the burst window gathered is unknown when tracking starts after it: the tail share
    is n/a (it read 1.0, as if the post had gained everything after its burst)."""
    _, out = run([(t.POSTS, registry())] + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(240, 260)])
    tail = dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))
    assert tail["tail_share"] is None and tail["organic_tail_share"] is None


def test_a_registry_entry_read_after_final_hours_sets_the_tracking_end_only() -> None:
    """Once hours are final the pulses have read them without a publish time; the entry's
    tracking end is still taken (it bounds the decay alerts), and the post is held for the
    worker to read again with its publish time (``late_window``)."""
    insights = Insights()
    state, out, proc = PostState(), Output(), Processor(6, insights)
    messages = [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(30)] + [(t.POSTS, registry())]
    for offset, (topic, message) in enumerate(messages):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    assert state.live is not None and state.live.publish is None
    assert state.live.track_end == T0.timestamp() / 3600 + 24 * 90  # the default tracking window
    assert insights.late_window == {POST}
    # not read again (the store could not answer): held again at its next snapshot
    insights.late_window.clear()
    proc.apply(Source(t.SNAPSHOTS, 0, len(messages), POST.encode()), snapshot(30, likes_at(30)), state, out)
    assert insights.late_window == {POST}


def test_a_post_read_again_with_its_late_registry_entry_has_the_rows_of_the_entry_read_first() -> None:
    """A backfill or an import of snapshots read before the registry had made the post's hours
    final: its publish burst was read as a tracking start, with no tail share, projections or
    burst-end ratio judgement, and no hours from publish to the first snapshot. Read again from
    its stored snapshots, its rows are those of the entry read first; a snapshot the entry
    would have refused (over a day before the publish time) is left out."""
    from tracker.stream.worker import stored_snapshot

    def final(rows: dict[str, list]) -> tuple:
        tail = dict(zip(r.COLUMNS[r.LONG_TAIL], rows[r.LONG_TAIL][-1], strict=True))
        del tail["version"]
        pulses = {row[2]: row[:-1] for row in rows[r.PULSES]}
        curves = {row[2:4]: row[4:7] for row in rows[r.CURVES]}
        ratios = sorted(row[1] for row in rows[r.ALERTS] if ":SuspiciousEngagement:ratio:" in row[1])
        return tail, pulses, curves, ratios

    def insights() -> Insights:
        made = Insights()
        made.ratio_stats[("douyin", "micro")] = {
            "likes/views": decide.RatioDistribution(median_log=math.log(0.2), mad_log=0.1, n=100)}
        return made

    snaps = [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(3, 120)]
    first_insights, first = insights(), PostState()
    first_out, proc = Output(), Processor(6, first_insights)
    for offset, (topic, message) in enumerate([(t.POSTS, registry()), *snaps]):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, first, first_out)
    expected = final(first_out.rows)
    assert expected[0]["tail_share"] is not None and expected[3] == [f"{POST}:SuspiciousEngagement:ratio:likes/views"]

    late_insights, late = insights(), PostState()
    late_out, proc = Output(), Processor(6, late_insights)
    for offset, (topic, message) in enumerate([*snaps, (t.POSTS, registry())]):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, late, late_out)
    assert final(late_out.rows)[0]["tail_share"] is None and late_insights.late_window == {POST}
    stray = stored_snapshot(int((T0 - timedelta(hours=30)).timestamp() * 1000), (20, 1, 0, 0, None, None), ())
    stored = [stored_snapshot(int(row[2].timestamp() * 1000), row[4:10], row[12]) for row in late_out.rows[r.SNAPSHOTS]]
    late_insights.rebuild(POST, late, [stray, *stored], late_out)
    assert final(late_out.rows) == expected


def test_a_post_first_seen_mid_life_is_projected_by_the_fit_once_its_decay_is_fitted() -> None:
    """A few hours of a post first seen on its sixth day show a rate and no decay: the fit would
    hold that rate for a month (15 × the total on a demo post). Its projection is n/a and the
    log-linear baseline's is there; once a decay is fitted, both are."""
    def tail_after(quarters: int, likes) -> dict:  # type: ignore[no-untyped-def]
        snaps = [decode(t.SNAPSHOTS, orjson.dumps({
            "tenant": "acme", "post_id": POST, "platform": "douyin", "source": "api",
            "observed_at": (T0 + timedelta(hours=144, minutes=15 * q)).isoformat(),
            "metrics": {"views": likes(q) * 20, "likes": likes(q), "comments": likes(q) // 10, "shares": 0}}))
            for q in range(quarters)]
        _, out = run([(t.POSTS, registry())] + [(t.SNAPSHOTS, s) for s in snaps])
        return dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))

    steady = tail_after(16, lambda q: 2229 + int(12.5 * q))
    assert steady["projected_30d"] is None and steady["loglinear_30d"] is not None
    decaying = tail_after(400, lambda q: 2229 + int(3000 * (1 - 0.99 ** q)))
    assert decaying["projected_30d"] is not None and decaying["loglinear_30d"] is not None


def test_a_young_post_has_no_fitted_projection_until_its_burst_window_is_in() -> None:
    """Four hours after publish the burst is still rising: the fit held that rate for a month
    (a demo post read 8.7 M at 30 days for 79 k engagements). A day in, its decay fitted, the
    fit's level could not be told from the early tail and was held for a month (day-old posts
    read 5 × what they had at 30 days). n/a until 72 h of the pulse are in."""
    def tail_after(hours: range) -> dict:
        _, out = run([(t.POSTS, registry())] + [(t.SNAPSHOTS, snapshot(h, organic_at(h))) for h in hours])
        return dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))

    def organic_at(hour: int) -> int:  # a burst with a slow tail, and a baseline
        return int(3000 * (1 - 0.9 ** (hour + 1)) + 1500 * (1 - 0.98 ** (hour + 1))) + 5 * hour

    for hours in (5, 24, 48):
        young = tail_after(range(0, hours))
        assert young["projected_30d"] is None and young["loglinear_30d"] is not None
    assert tail_after(range(0, 80))["projected_30d"] is not None


def test_organic_and_paid_tail_add_up_to_the_tail_share() -> None:
    """The tail share comes from the totals, the organic / paid split from the pulse series; for
    a rounded or imputed series they differed and the organic part could exceed the tail."""
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=80),
        "end": T0 + timedelta(hours=86), "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))
    _, out = run([(t.POSTS, registry()), (t.HEATING, heat)]
                 + [(t.SNAPSHOTS, snapshot(h, likes_at(h) + (int(2000 * (1 - 0.9 ** (h - 79))) if h >= 80 else 0)))
                    for h in range(140)])
    tail = dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))
    assert tail["paid_tail_share"] > 0 and tail["organic_tail_share"] > 0
    assert tail["organic_tail_share"] + tail["paid_tail_share"] == pytest.approx(tail["tail_share"], abs=1e-9)



def test_a_boost_that_brought_nothing_has_no_paid_tail() -> None:
    """A boost after the burst window that nothing answered is a no-response pulse once its window
    and six hours have passed; the hours it had been counted as paid tail until then stayed paid
    (a 1.5 % paid tail beside "no-response, 0 incremental")."""
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=100),
        "end": T0 + timedelta(hours=106), "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))
    _, out = run([(t.POSTS, registry()), (t.HEATING, heat)]
                 + [(t.SNAPSHOTS, snapshot(h, int(3000 * (1 - 0.9 ** (h + 1))) + 5 * h)) for h in range(160)])
    pulses = [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]
    assert [p["status"] for p in pulses if p["heating_ids"] == ["h1"]][-1] == "no-response"
    tail = dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))
    assert tail["paid_tail_share"] == 0 and tail["organic_tail_share"] == pytest.approx(tail["tail_share"])

def decaying_alert(**registered: str) -> tuple[dict, dict, list[dict]]:
    """The firing ``PostDecaying`` of a post left to decay after its publish burst: its
    message, its ``alerts`` row and the run's ``curves`` rows. ``registered``: fields of the
    post's registry message (title, creator_name, …)."""
    insights = Insights()
    state, out = PostState(), Output()
    proc = Processor(6, insights)
    msgs = [(t.POSTS, {**registry(), **registered})] + [(t.SNAPSHOTS, snapshot(h, int(3000 * (1 - 0.9 ** (h + 1))) + 5 * h))
                                      for h in range(72)]
    for offset, (topic, message) in enumerate(msgs):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    rows = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS]]
    (row,) = [a for a in rows if a["alert"] == "PostDecaying" and a["state"] == "firing"]
    (message,) = [m for m in insights.alerts if m["alert_id"] == row["alert_id"] and m["state"] == "firing"]
    return message, row, [dict(zip(r.COLUMNS[r.CURVES], c, strict=True)) for c in out.rows[r.CURVES]]


def test_the_first_pulse_is_named_pulse_0_publish_burst() -> None:
    """Summaries number pulses as the pulses table, `tracker analyze` and the curve's P0 do (they
    read "pulse 1" for the table's pulse 0, and "pulse 2" for its pulse 1)."""
    message, row, _ = decaying_alert()
    assert message["evidence"]["pulse"] == 0 and message["alert_id"].endswith(":PostDecaying:0")  # the key stays
    assert row["summary"] == message["summary"]
    assert message["summary"].startswith("pulse 0 (publish burst) has run its course — projected 72 h gain ")
    assert "decaying" not in message["summary"]


def test_alert_evidence_adds_utc_times_and_the_creator_and_keeps_the_machine_figures() -> None:
    """``decaying_since`` and ``conditions_since`` are grid steps (hours since 1970): each gets its
    UTC time alongside; the post's creator rides along for the digests."""
    message, row, _ = decaying_alert()
    evidence = message["evidence"]
    assert json.loads(row["evidence"]) == evidence
    for key in ("decaying_since", "conditions_since"):
        assert isinstance(evidence[key], int | float)
        at = datetime.fromtimestamp(evidence[key] * 3600, tz=UTC)
        assert evidence[f"{key}_at"] == format_ts(at) and T0 < at < T0 + timedelta(hours=72)
    assert evidence["pulse_trigger"] == "publish" and "heating_ids" not in evidence
    assert evidence["creator_id"] == "k1" and "title" not in evidence  # the registry gave none
    decode(t.ALERTS, encode(t.ALERTS, message))  # still a valid tracker.alerts.v1 message


def test_alert_evidence_names_the_post_by_its_title() -> None:
    message, row, _ = decaying_alert(title="夏日防晒 | 3 款实测")
    assert message["evidence"]["title"] == json.loads(row["evidence"])["title"] == "夏日防晒 | 3 款实测"
    assert AlertChange.from_message(message).who == "Douyin · “夏日防晒 | 3 款实测” · creator k1"


def test_alert_evidence_names_the_creator_and_campaign_the_registry_names() -> None:
    """Chat lines read "creator 小鹿", not the registry's id, when the post message names them."""
    message, row, _ = decaying_alert(title="夏日防晒实测", creator_name="小鹿", campaign_name="双11 大促")
    evidence = json.loads(row["evidence"])
    assert (evidence["creator_name"], evidence["campaign_name"]) == ("小鹿", "双11 大促")
    change = AlertChange.from_message(message)
    assert change.who == "Douyin · “夏日防晒实测” · creator 小鹿" and change.campaign_name == "双11 大促"


def test_the_worker_writes_no_emv_curve_it_is_priced_in_the_store() -> None:
    """EMV rows priced with a fixed table disagreed with the post's ROI; ``v_curves`` prices the
    metric curves with the configured unit values (tests/integration/test_emv_curves.py)."""
    _, _, curves = decaying_alert()
    metrics = {c["metric"] for c in curves}
    assert "emv" not in metrics and {"views", "likes", "engagements"} <= metrics


@pytest.mark.parametrize(("kind", "state", "key", "evidence", "summary"), [
    ("PostDecaying", "resolved", "1", {"reason": "new pulse"}, "a new pulse started after pulse 1"),
    ("PostDecaying", "resolved", "0", {"reason": "end of tracking"}, "tracking ended during pulse 0"),
    ("PostDecaying", "resolved", "1", {"reason": "new pulse", "new_pulse": 2, "new_pulse_trigger": "organic"},
     "pulse 2 (organic rise) started after pulse 1"),
    ("PostDecaying", "resolved", "0", {"reason": "new pulse", "new_pulse": 1, "new_pulse_trigger": "heating",
                                       "new_heating_ids": ["h1"], "reheated_with": "via dou+ with 800 CNY"},
     "re-heated via dou+ with 800 CNY: pulse 1 (heating h1) started after pulse 0"),
    ("PostDecaying", "resolved", "0", {"reason": "read again without the cancelled boost p1"},
     "pulse 0 is no longer alerted (read again without the cancelled boost p1)"),
    ("PostUnavailable", "firing", "status", {"status": "deleted"}, "the platform reports the post deleted"),
    ("PostUnavailable", "resolved", "status", {"status": "ok"}, "the post is available again"),
    ("PostUnavailable", "firing", "likes@1", {"taken_down": False, "regressions": [
        {"metric": "likes", "before": 9100.0, "after": 8008.0}]}, "counters regressed: likes fell from 9,100 to 8,008"),
    ("PostStalled", "firing", "1", {"last_snapshot_wall_clock": "2025-09-14T08:03:27.512+00:00",
                                    "usual_interval_seconds": 1800},
     "no fresh snapshot since 2025-09-14 08:03Z (usually one every 30 min)"),
    ("PostStalled", "resolved", "1", {}, "snapshots arrive again"),
    # a counter fall stays open to the end of tracking: it read "the post is available again"
    ("PostUnavailable", "resolved", "likes@1", {"reason": "end of tracking"}, "tracking ended"),
    ("PostUnavailable", "resolved", "status", {"reason": "removed from the registry"},
     "the post was removed from the registry: tracked no more"),
    ("PostDecaying", "resolved", "2", {"reason": "removed from the registry"},
     "the post was removed from the registry: tracked no more"),
    ("SuspiciousEngagement", "firing", "step-jump:likes@488208",
     {"kind": "step-jump", "metric": "likes", "gain": 20000.0, "usual": 400.0, "hour": 488208,
      "hour_at": "2025-09-11T00:00:00.000Z"},
     "likes jumped by 20,000 at 2025-09-11 00:00Z (50× its usual gain); the other counters stayed calm"),
    ("SuspiciousEngagement", "firing", "ratio:likes/views",
     {"kind": "ratio", "ratio": "likes/views", "log_ratio": math.log(0.9), "median_log": math.log(0.1), "z": 6.04},
     "likes/views is 9× its platform-and-tier median (+6.0 robust SD)"),
    ("SuspiciousEngagement", "firing", "ratio:likes/views",  # bought likes: it read "1e+02×"
     {"kind": "ratio", "ratio": "likes/views", "log_ratio": math.log(3.0), "median_log": math.log(0.03), "z": 9.5},
     "likes/views is 100× its platform-and-tier median (+9.5 robust SD)"),
    ("SuspiciousEngagement", "firing", "ratio:comments/likes",
     {"kind": "ratio", "ratio": "comments/likes", "log_ratio": math.log(0.0004), "median_log": math.log(0.06),
      "z": -7.2}, "comments/likes is 0.0067× its platform-and-tier median (-7.2 robust SD)"),
])
def test_each_alert_state_reads_as_what_happened(kind, state, key, evidence, summary) -> None:
    """A resolve repeated the firing text ("post is decaying and can still be re-heated")."""
    assert alert_summary(kind, state, key, evidence) == summary


def test_a_post_hours_into_a_boost_has_no_fitted_projection_until_the_boost_decays() -> None:
    """Two hours into a heating node's rise the fit held that rate for a month: a post with
    3,500 engagements, heading for about 5,400, read 77,000 at 30 days. Like a young post's,
    a new pulse's projection is n/a until its decay is fitted (the log-linear one stands)."""
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=60),
        "end": T0 + timedelta(hours=84), "spend": {"amount": "2000.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))

    def boosted(hour: int) -> int:
        return likes_at(hour) - (int(4000 * (1 - 0.85 ** (hour - 47))) if hour >= 48 else 0) + (
            int(2000 * (1 - 0.8 ** (hour - 59))) if hour >= 60 else 0)

    def tail_after(hours: int) -> dict:
        _, out = run([(t.POSTS, registry()), (t.HEATING, heat)]
                     + [(t.SNAPSHOTS, snapshot(h, boosted(h))) for h in range(hours)])
        return dict(zip(r.COLUMNS[r.LONG_TAIL], out.rows[r.LONG_TAIL][-1], strict=True))

    rising = tail_after(63)
    assert rising["projected_30d"] is None and rising["loglinear_30d"] is not None
    settled = tail_after(60 + 96)
    assert settled["projected_30d"] is not None


def test_a_post_read_again_with_a_late_boost_resolves_the_decay_its_new_reading_has_not() -> None:
    """Decaying after its burst, the post is told of a boost from hour 20 once hour 72 is in:
    the node is held for the worker (``late_heating``), which reads the post again. The new
    reading's current pulse is the boost (no response): the burst's PostDecaying resolves, the
    burst's interval ends at hour 20 and the boost's pulse starts there."""
    from tracker.stream.worker import stored_snapshot

    insights = Insights()
    state, out = PostState(), Output()
    proc = Processor(6, insights)
    msgs = [(t.POSTS, registry())] + [(t.SNAPSHOTS, snapshot(h, int(3000 * (1 - 0.9 ** (h + 1))) + 5 * h))
                                      for h in range(72)]
    for offset, (topic, message) in enumerate(msgs):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    assert f"{POST}:PostDecaying:0" in state.open_alerts
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=20),
        "spend": {"amount": "300.00", "currency": "CNY"}, "status": "executed", "updated_at": T0}))
    late = Output()
    proc.apply(Source(t.HEATING, 0, 0, POST.encode()), heat, state, late)
    assert [n.id for n in insights.late_heating[POST]] == ["h1"] and not late.rows.get(r.PULSES)  # held

    stored = [stored_snapshot(int(row[2].timestamp() * 1000), row[4:10], row[12]) for row in out.rows[r.SNAPSHOTS]]
    again = Output()
    insights.rebuild(POST, state, stored, again)
    pulses = {row[2]: dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in again.rows[r.PULSES]}
    assert pulses[0]["ends_at"] == pulses[1]["onset"] == T0 + timedelta(hours=20)
    assert pulses[1]["trigger"] == "heating" and pulses[1]["status"] == "no-response"
    resolved = [a for a in insights.alerts if a["alert_id"] == f"{POST}:PostDecaying:0" and a["state"] == "resolved"]
    assert resolved and not state.open_alerts


def test_a_decay_kept_open_by_a_rebuild_is_worded_as_the_new_reading_has_it() -> None:
    """The boost from hour 48 is recorded after its pulse decayed, read as an organic rise: read
    again, pulse 1 is the boost's and its PostDecaying stays open. It is sent again in the new
    reading's words, with the start it fired at (so the notifier does not repeat it)."""
    from tracker.stream.worker import stored_snapshot

    insights = Insights()
    state, out = PostState(), Output()
    proc = Processor(6, insights)
    msgs = [(t.POSTS, registry())] + [(t.SNAPSHOTS, snapshot(h, likes_at(h))) for h in range(200)]
    for offset, (topic, message) in enumerate(msgs):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    (first,) = [a for a in insights.alerts if a["alert"] == "PostDecaying"]
    assert first["alert_id"] == f"{POST}:PostDecaying:1" and "(organic rise)" in first["summary"]
    heat = decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": "h1", "channel": "dou+", "start": T0 + timedelta(hours=48),
        "end": T0 + timedelta(hours=60), "spend": {"amount": "500.00", "currency": "CNY"}, "status": "executed",
        "updated_at": T0}))
    proc.apply(Source(t.HEATING, 0, 0, POST.encode()), heat, state, Output())
    stored = [stored_snapshot(int(row[2].timestamp() * 1000), row[4:10], row[12]) for row in out.rows[r.SNAPSHOTS]]
    sent = len(insights.alerts)
    again = Output()
    insights.rebuild(POST, state, stored, again)
    (kept,) = insights.alerts[sent:]
    assert (kept["alert_id"], kept["state"], kept["starts_at"]) == (first["alert_id"], "firing", first["starts_at"])
    assert "(heating h1)" in kept["summary"] and kept["evidence"]["pulse_trigger"] == "heating"
    (row,) = [dict(zip(r.COLUMNS[r.ALERTS], a, strict=True)) for a in again.rows[r.ALERTS]]
    assert row["summary"] == kept["summary"] and list(state.open_alerts) == [first["alert_id"]]
    assert AlertChange.from_message(kept).dedup_key == AlertChange.from_message(first).dedup_key


def node_message(heating_id: str, hour: int, amount: str, status: str = "executed") -> tuple[str, dict]:
    return t.HEATING, decode(t.HEATING, encode(t.HEATING, {
        "tenant": "acme", "post_id": POST, "heating_id": heating_id, "channel": "dou+",
        "start": T0 + timedelta(hours=hour), "end": T0 + timedelta(hours=hour + 12),
        "spend": {"amount": amount, "currency": "CNY"}, "status": status, "updated_at": T0}))


def burst_likes(hour: int) -> int:
    """A publish burst left to decay (its PostDecaying fires at hour 51)."""
    return int(3000 * (1 - 0.9 ** (hour + 1))) + 5 * hour


def test_the_decay_a_boost_ends_resolves_saying_the_post_was_re_heated_and_with_what() -> None:
    """Alerted at hour 51, ops boost the post with 800 CNY of dou+ from hour 60: the resolve read "a
    new pulse started after pulse 0", the same as an organic rise, and the digest never said the
    re-heat was what ended it."""
    from tracker.alerting.chat.wecom import WeCom

    def likes(hour: int) -> int:
        return burst_likes(hour) + (int(4000 * (1 - 0.85 ** (hour - 59))) if hour >= 60 else 0)

    snaps = [(t.SNAPSHOTS, snapshot(h, likes(h))) for h in range(90)]
    insights = Insights()
    state, out = PostState(), Output()
    proc = Processor(6, insights)
    for offset, (topic, message) in enumerate([(t.POSTS, registry()), *snaps[:58], node_message("h1", 60, "800.00"),
                                               *snaps[58:]]):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    (resolved,) = [m for m in insights.alerts if m["alert"] == "PostDecaying" and m["state"] == "resolved"]
    assert resolved["summary"] == "re-heated via dou+ with 800 CNY: pulse 1 (heating h1) started after pulse 0"
    assert resolved["evidence"]["new_pulse"] == 1 and resolved["evidence"]["new_heating_ids"] == ["h1"]
    change = AlertChange.from_message(decode(t.ALERTS, encode(t.ALERTS, resolved)))
    assert "heating ids" not in describe_evidence(change.evidence)  # told by the summary
    digests = Digests()
    digests.add(change)
    (digest,) = digests.drain()
    text = WeCom("https://qyapi.weixin.qq.com/x").render(digest)["markdown"]["content"]
    assert "恢复 RESOLVED</font> warning 衰减预警 PostDecaying · douyin:7301 (Douyin · creator k1): re-heated via " \
           "dou+ with 800 CNY: pulse 1 (heating h1) started after pulse 0" in text


def test_a_boost_cancelled_after_its_start_was_read_is_read_again_without_it() -> None:
    """Planned for hour 60, the boost held back the burst's PostDecaying; it never ran, and ops
    cancel it at hour 80. Its pulse stood, a boost with no response, which is never alerted: the
    post was not alerted again. The worker reads the post again without it (``late_heating``), and
    the burst's alert fires; a store that cannot give the snapshots back leaves the pulse standing,
    at no spend."""
    from tracker.stream.worker import stored_snapshot

    insights = Insights()
    state, out = PostState(), Output()
    proc = Processor(6, insights)
    msgs = [(t.POSTS, registry()), node_message("p1", 60, "800.00", "planned")]
    for offset, (topic, message) in enumerate(msgs + [(t.SNAPSHOTS, snapshot(h, burst_likes(h))) for h in range(80)]):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    assert not [m for m in insights.alerts if m["alert"] == "PostDecaying"]
    before = PostState.from_bytes(state.to_bytes())
    proc.apply(Source(t.HEATING, 0, 1, POST.encode()), node_message("p1", 60, "800.00", "cancelled")[1], state,
               Output())
    assert [n.id for n in insights.late_heating.pop(POST)] == ["p1"]

    stored = [stored_snapshot(int(row[2].timestamp() * 1000), row[4:10], row[12]) for row in out.rows[r.SNAPSHOTS]]
    again = Output()
    insights.rebuild(POST, state, stored, again, [HeatingNode("p1", 60.0, status="cancelled")])
    (fired,) = [m for m in insights.alerts if m["alert"] == "PostDecaying"]
    assert fired["state"] == "firing" and fired["evidence"]["pulse"] == 0
    pulses = {row[2]: dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in again.rows[r.PULSES]}
    assert pulses[1]["status"] == "removed"

    fallback = Output()  # the store did not answer: the node is applied from the checkpoint on
    proc.apply(Source(t.HEATING, 0, 1, POST.encode()), node_message("p1", 60, "800.00", "cancelled")[1], before,
               Output())
    insights.apply_late(POST, before, insights.late_heating.pop(POST), fallback)
    pulses = {row[2]: dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in fallback.rows[r.PULSES]}
    assert (pulses[1]["heating_ids"], pulses[1]["spend_amount"], pulses[1]["spend_currency"]) == (["p1"], None, "")


def test_a_post_boosted_in_two_currencies_is_suggested_a_reheat_on_its_latest_boost_alone() -> None:
    """70 USD of ads, then 1,500 CNY of dou+: the post's lift was divided by 1,570 "CNY" and it expected
    more engagements per CNY than its boosts brought. The sum is in no currency: the suggestion rests
    on the decaying boost, priced in its own."""
    def heat(hid: str, hour: int, amount: str, currency: str) -> tuple[str, dict]:
        return t.HEATING, decode(t.HEATING, encode(t.HEATING, {
            "tenant": "acme", "post_id": POST, "heating_id": hid, "channel": "dou+",
            "start": T0 + timedelta(hours=hour), "end": T0 + timedelta(hours=hour + 12),
            "spend": {"amount": amount, "currency": currency}, "status": "executed", "updated_at": T0}))

    def likes(hour: int) -> int:
        return likes_at(hour) + (int(4000 * (1 - 0.85 ** (hour - 119))) if hour >= 120 else 0)

    msgs = [(t.POSTS, registry()), heat("h1", 48, "70.00", "USD"), heat("h2", 120, "1500.00", "CNY")]
    _, out = run(msgs + [(t.SNAPSHOTS, snapshot(h, likes(h))) for h in range(240)])
    fired = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS]]
    (fired,) = [a for a in fired if a["alert"] == "PostDecaying" and a["state"] == "firing"]
    pulse_rows = [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]
    second = [p for p in pulse_rows if p["heating_ids"] == ["h2"] and p["version"] == fired["version"]][-1]
    suggestion, evidence = json.loads(fired["suggestion"]), json.loads(fired["evidence"])
    assert suggestion["basis_pulse"] == evidence["pulse"] == second["pulse_index"]
    assert suggestion["spend"] == {"amount": "1500.00", "currency": "CNY"}
    assert math.isclose(suggestion["expected_engagements_per_cny"], second["incremental_engagements"] / 1500,
                        rel_tol=1e-3)
    assert math.isclose(evidence["reheat_lift_per_spend"], suggestion["expected_engagements_per_cny"], rel_tol=1e-3)
