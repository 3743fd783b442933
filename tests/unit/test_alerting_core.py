"""The notifier's core without I/O: messages → Alertmanager alerts, dedup, digests, rate limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tracker.alerting.alertmanager import ActiveAlerts, to_alertmanager
from tracker.alerting.change import AlertChange
from tracker.alerting.dedup import Seen
from tracker.alerting.digest import Digests, fit_lines
from tracker.alerting.notifier import Notifier
from tracker.alerting.ratelimit import RateLimiter
from tracker.alerting.wording import describe_evidence, describe_suggestion
from tracker.contracts import decode, encode
from tracker.stream.insights import readable_evidence

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "events" / "examples" / "tracker.alerts.v1"
NOW = datetime(2024, 11, 15, 7, 0, tzinfo=UTC)


def example(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((EXAMPLES / "good" / f"{name}.json").read_text()), **changes}


def raw(message: dict[str, Any]) -> bytes:
    return encode("tracker.alerts.v1", message)


def change(message: dict[str, Any]) -> AlertChange:
    return AlertChange.from_message(decode("tracker.alerts.v1", raw(message)))


def sample(name: str) -> float:
    return REGISTRY.get_sample_value("tracker_notifier_messages_total", {"outcome": name}) or 0.0


def test_firing_alert_carries_identity_labels_and_expires_unless_resent() -> None:
    core = Notifier(resend_seconds=60, digests=False, runbook_url="http://tracker.example.org:8080/runbook")
    alert = core.handle(raw(example("decaying_firing")), NOW)
    assert alert is not None
    assert alert["labels"] == {"alertname": "PostDecaying", "tenant": "acme-beauty", "campaign": "2024-double11",
                               "platform": "douyin", "severity": "warning", "post_id": "douyin:7301234567890"}
    assert alert["startsAt"] == "2024-11-15T06:00:00.000Z"
    assert alert["endsAt"] == "2024-11-15T07:04:00.000Z"  # now + 4 resend intervals
    assert alert["annotations"]["summary"].startswith("douyin:7301234567890 is decaying")
    assert alert["annotations"]["suggestion"].startswith("re-heat via dou+ with 2,000 CNY")
    assert alert["annotations"]["runbook_url"] == "http://tracker.example.org:8080/runbook#postdecaying"
    assert "peak velocity per h 4,200" in alert["annotations"]["description"]
    later = NOW + timedelta(minutes=1)
    (resent,) = core.active.due(later)
    assert resent["endsAt"] == "2024-11-15T07:05:00.000Z"
    assert REGISTRY.get_sample_value("tracker_alerts_firing", {"alert": "PostDecaying"}) == 1


def test_resolved_alert_ends_and_leaves_the_active_set() -> None:
    core = Notifier(resend_seconds=60, digests=False)
    firing = example("decaying_firing")
    core.handle(raw(firing), NOW)
    resolved = {**firing, "state": "resolved", "ends_at": "2024-11-15T06:30:00Z", "emitted_at": "2024-11-15T06:30:01Z"}
    alert = core.handle(raw(resolved), NOW)
    assert alert is not None and alert["endsAt"] == "2024-11-15T06:30:00.000Z"
    assert core.active.due(NOW) == []
    assert REGISTRY.get_sample_value("tracker_alerts_firing", {"alert": "PostDecaying"}) == 0


def test_a_resolution_never_ends_in_the_future() -> None:
    active = ActiveAlerts(60)
    alert = active.apply(change(example("unavailable_resolved")), datetime(2024, 11, 16, 2, 0, tzinfo=UTC))
    assert alert["endsAt"] == "2024-11-16T02:00:00.000Z"


def test_repeated_states_are_notified_once_and_bad_messages_counted() -> None:
    core = Notifier(resend_seconds=60, digests=True)
    before_dup, before_bad = sample("duplicate"), sample("invalid")
    message = raw(example("decaying_firing"))
    assert core.handle(message, NOW) is not None
    assert core.handle(message, NOW) is None
    assert core.handle(b"{not json", NOW) is None
    assert core.handle(b"", NOW) is None
    bad = (EXAMPLES / "bad" / "unknown_alert.json").read_bytes()
    assert core.handle(bad, NOW) is None
    assert sample("duplicate") - before_dup == 1
    assert sample("invalid") - before_bad == 3
    (digest,) = core.digests.drain()  # type: ignore[union-attr]
    assert len(digest.entries) == 1


def test_adopted_alerts_are_kept_alive_and_not_announced_again() -> None:
    core = Notifier(resend_seconds=30, digests=True)
    found = [{"labels": {"alertname": "PostDecaying", "tenant": "acme-beauty", "campaign": "2024-double11",
                         "platform": "douyin", "severity": "warning", "post_id": "douyin:7301234567890"},
              "annotations": {"summary": "s", "alert_id": "PostDecaying:douyin:7301234567890:pulse-2"},
              "startsAt": "2024-11-15T06:00:00.000Z", "endsAt": "2024-11-15T07:02:00.000Z"},
             {"labels": {"alertname": "TrackerSinkStalled"}, "annotations": {}, "startsAt": "2024-11-15T06:00:00Z"}]
    assert core.adopt(found) == 1
    (kept,) = core.active.due(NOW)
    assert kept["endsAt"] == "2024-11-15T07:02:00.000Z"
    assert core.handle(raw(example("decaying_firing")), NOW) is None  # already notified before the restart


def test_digest_groups_by_campaign_latest_state_wins() -> None:
    digests = Digests()
    decaying = example("decaying_firing")
    other = example("decaying_firing", post_id="douyin:7301234567891", alert_id="PostDecaying:douyin:7301234567891:1",
                    severity="critical")
    for message in (decaying, other, example("stalled_no_suggestion"),
                    {**decaying, "state": "resolved", "ends_at": "2024-11-15T06:30:00Z"}):
        digests.add(change(message))
    acme, sim = digests.drain()
    assert (acme.tenant, acme.campaign, sim.campaign) == ("acme-beauty", "2024-double11", "sim-c1")
    assert [e.status for e in acme.sorted_entries()] == ["FIRING", "FIRED+RESOLVED"]
    assert acme.sorted_entries()[0].change.severity == "critical"
    assert acme.title == "tracker · acme-beauty / 2024-double11: 1 firing, 1 resolved"
    assert digests.drain() == []


def test_fit_lines_keeps_whole_lines_and_says_how_many_were_left_out() -> None:
    lines = [f"line {i} " + "x" * 50 for i in range(100)]
    kept = fit_lines(lines, 1000)
    assert sum(len(k.encode()) + 1 for k in kept) <= 1000
    assert kept[-1] == f"… and {100 - (len(kept) - 1)} more"
    assert kept[:-1] == lines[:len(kept) - 1]
    assert fit_lines(["a", "b"], 1000) == ["a", "b"]


def test_suggestion_reads_as_a_sentence() -> None:
    text = describe_suggestion(example("decaying_firing")["suggestion"])
    assert text == "re-heat via dou+ with 2,000 CNY: about 3.1 engagements per CNY (from this post's earlier pulses)"
    full = {"action": "reheat", "channel": "dou+", "spend": {"amount": "2000.00", "currency": "CNY"},
            "expected_engagements_per_cny": 1.8123, "expected_engagements": 3625, "basis": "this post's earlier pulses"}
    assert describe_suggestion(full) == ("re-heat via dou+ with 2,000 CNY: about 1.81 engagements per CNY, about "
                                         "3,625 in all (from this post's earlier pulses)")
    assert describe_suggestion(None) == ""


def test_a_suggestion_without_figures_says_plainly_that_there_is_none() -> None:
    """It read "reheat (basis: no heated pulse …)": a re-heat recommended with no channel or amount."""
    text = describe_suggestion({"action": "reheat", "basis": "no heated pulse of this post, its creator or its tier yet"})
    assert text == "no re-heat amount to suggest: no heated pulse of this post, its creator or its tier yet"


def test_decaying_evidence_reads_as_utc_times_and_rounded_figures() -> None:
    """The ops engineer's description read ``baseline=0, conditions_since=4.882e+05,
    decaying_since=488208, fit_r2=0.7634, … 4 more``: grid steps (hours since 1970) in
    scientific notation. The evidence as emitted carries each instant's UTC time too."""
    decided = {"pulse": 1, "decaying_since": 488208, "conditions_since": 488210.0, "peak_velocity": 4213.77,
               "baseline": 0.0, "threshold": 1264.13, "recent_velocity": 310.456, "projected_gain": 9801.4,
               "incremental": 245012.9, "theta": 0.0412, "fit_r2": 0.7634, "reheat_lift_per_spend": None}
    evidence = {**readable_evidence(decided, grid_hours=1.0), "creator_id": "kol-17"}
    assert evidence["decaying_since_at"] == "2025-09-11T00:00:00.000Z"
    assert evidence["decaying_since"] == 488208 and evidence["pulse"] == 1  # the machine figures stay
    alert = to_alertmanager(change(example("decaying_firing", evidence=evidence)))
    text = alert["annotations"]["description"]
    assert text.startswith("creator kol-17; decaying since 2025-09-11 00:00Z; "
                           "alert conditions met since 2025-09-11 02:00Z; velocity now 310/h; peak 4,214/h")
    assert "projected gain 9,801; lift so far 245,013" in text and "fit r² 0.76" in text
    assert "e+" not in text and "488208" not in text and "more" not in text


def test_other_evidence_reads_without_raw_floats() -> None:
    jump = readable_evidence({"kind": "step-jump", "metric": "likes", "gain": 20000.0, "usual": 412.345, "hour": 488208},
                             grid_hours=1.0)
    assert describe_evidence(jump) == "at 2025-09-11 00:00Z; gain 20,000; kind step-jump; metric likes; usual 412"
    regressed = {"taken_down": False, "regressions": [{"metric": "likes", "before": 9100.0, "after": 8008.0}]}
    assert describe_evidence(regressed) == "regressions likes 9,100 → 8,008; taken down no"
    stalled = {"last_snapshot_wall_clock": "2025-09-14T08:03:27.512+00:00", "usual_interval_seconds": 1800}
    assert describe_evidence(stalled) == "last snapshot 2025-09-14 08:03Z; usual interval 30 min"


def test_alertmanager_summary_names_the_post() -> None:
    """A summary is read alone in Alertmanager: it starts with the post when it does not name it."""
    message = example("decaying_firing", summary="pulse 2 (heating h-7) has run its course")
    alert = to_alertmanager(change(message))
    assert alert["annotations"]["summary"] == "douyin:7301234567890: pulse 2 (heating h-7) has run its course"
    assert "runbook_url" not in alert["annotations"]  # no runbook URL given: no useless relative link


def test_seen_forgets_the_oldest_beyond_capacity() -> None:
    seen = Seen(capacity=2)
    assert seen.first("a") and seen.first("b") and not seen.first("a")
    assert seen.first("c")  # evicts b, the least recently seen
    assert "b" not in seen and "a" in seen


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


async def test_rate_limiter_holds_every_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter([(1.0, 5), (60.0, 100)], clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(120):
        await limiter.acquire()
        starts.append(clock.now)
    for i in range(len(starts)):
        assert sum(1 for t in starts if starts[i] <= t < starts[i] + 1.0) <= 5
        assert sum(1 for t in starts if starts[i] <= t < starts[i] + 60.0) <= 100
    assert starts[100] >= starts[0] + 60.0  # the 101st waits for the minute window


async def test_rate_limiter_penalty_after_a_throttle_reply() -> None:
    clock = FakeClock()
    limiter = RateLimiter([(60.0, 20)], clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    limiter.penalise(600.0)  # DingTalk mutes a robot for 10 minutes
    start = clock.now
    await limiter.acquire()
    assert clock.now - start == pytest.approx(600.0)


def test_rate_limiter_refuses_nonsense_windows() -> None:
    with pytest.raises(ValueError):
        RateLimiter([(0, 5)])


def test_alertmanager_alert_has_no_empty_annotation() -> None:
    alert = to_alertmanager(change(example("stalled_no_suggestion")), grafana_url="https://grafana.example.org/")
    assert "suggestion" not in alert["annotations"] and "description" not in alert["annotations"]
    assert alert["labels"]["platform"] == "generic"
    assert alert["generatorURL"].startswith("https://grafana.example.org/d/tracker-post-pulses/?var-tenant=sim")


def test_a_post_taken_down_again_is_notified_again() -> None:
    """The worker keys a post's status alert ``<post>:PostUnavailable:status`` every time: taken
    down, back, taken down again is a second firing of the same alert id, with its own start. It
    reaches Alertmanager and the digest; a replay of either episode still does not."""
    core = Notifier(resend_seconds=60, digests=True)
    alert_id = "weibo:4987654321012345:PostUnavailable:status"
    first = example("unavailable_resolved", alert_id=alert_id, state="firing", ends_at=None,
                    starts_at="2024-11-16T01:00:00Z", summary="the platform reports the post unavailable")
    back = {**first, "state": "resolved", "ends_at": "2024-11-16T03:00:00Z", "emitted_at": "2024-11-16T03:00:01Z"}
    again = {**first, "starts_at": "2024-11-17T09:00:00Z", "emitted_at": "2024-11-17T09:00:01Z"}
    now = datetime(2024, 11, 17, 9, 1, tzinfo=UTC)
    assert core.handle(raw(first), now) is not None
    assert core.handle(raw(back), now) is not None
    core.digests.drain()  # type: ignore[union-attr]
    alert = core.handle(raw(again), now)
    assert alert is not None and alert["startsAt"] == "2024-11-17T09:00:00.000Z"
    assert [a["startsAt"] for a in core.active.due(now)] == ["2024-11-17T09:00:00.000Z"]
    (digest,) = core.digests.drain()  # type: ignore[union-attr]
    assert [(e.status, e.change.starts_at) for e in digest.entries] == [("FIRING", datetime(2024, 11, 17, 9, tzinfo=UTC))]
    for replayed in (first, back, again):
        assert core.handle(raw(replayed), now) is None


def test_an_adopted_alert_fired_again_later_is_notified() -> None:
    """After a restart, the alert Alertmanager holds is not announced again, but the same alert id
    firing anew later (a new start) is."""
    core = Notifier(resend_seconds=30, digests=False)
    message = example("decaying_firing")
    found = [{"labels": {"alertname": "PostDecaying", "tenant": "acme-beauty", "campaign": "2024-double11",
                         "platform": "douyin", "severity": "warning", "post_id": "douyin:7301234567890"},
              "annotations": {"summary": "s", "alert_id": message["alert_id"]},
              "startsAt": "2024-11-15T06:00:00Z", "endsAt": "2024-11-15T07:02:00.000Z"}]
    assert core.adopt(found) == 1
    assert core.handle(raw(message), NOW) is None
    later = {**message, "starts_at": "2024-11-15T09:00:00Z", "emitted_at": "2024-11-15T09:00:01Z"}
    assert core.handle(raw(later), NOW) is not None
