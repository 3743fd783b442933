"""Alerts as an ops lead reads them on a phone: times in the campaign's zone with since when and
for how long, the post by its title linked to the platform, the creator and campaign by name
when the message carries them, the next step in plain words, the re-heat basis and the pulse's
trigger as they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from tests.fixtures.data import T0
from tests.unit.test_insights import (
    POST,
    decaying_alert,
    one_boost_messages,
    registry,
    snapshot,
)
from tracker.alerting.change import AlertChange
from tracker.alerting.chat import DingTalk, Feishu, Slack, WeCom
from tracker.alerting.digest import CampaignDigest, Digests
from tracker.alerting.wording import (
    describe_evidence,
    describe_suggestion,
    duration,
    span,
    timeline,
    when,
)
from tracker.broker import topics as t
from tracker.contracts import decode, encode
from tracker.stream import rows as r
from tracker.stream.insights import Insights, alert_summary
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState

FIRED = datetime(2025, 9, 14, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, 01:00 in Los Angeles (PDT)
URL = "https://www.douyin.com/video/7301234567890"
CHANNELS = [Slack, Feishu, DingTalk, WeCom]


def run(messages: list[tuple[str, dict]]) -> tuple[Insights, Output]:
    insights, state, out = Insights(), PostState(), Output()
    proc = Processor(6, insights)
    for offset, (topic, message) in enumerate(messages):
        proc.apply(Source(topic, 0, offset, POST.encode()), message, state, out)
    return insights, out


def digest(alert: str = "PostUnavailable", state: str = "firing", summary: str = "the platform reports the post deleted",
           ends_at: datetime | None = None, suggestion: dict | None = None, **evidence: object) -> CampaignDigest:
    digests = Digests()
    digests.add(AlertChange(
        tenant="acme", campaign="double11", post_id="douyin:7301234567890", alert=alert, state=state,
        alert_id="a", severity="critical", starts_at=FIRED, ends_at=ends_at, emitted_at=FIRED,
        summary=summary, evidence=dict(evidence), suggestion=suggestion))
    (out,) = digests.drain()
    return out


def rendered(channel: type, d: CampaignDigest) -> str:
    return orjson.dumps(channel("https://example.org/hook").render(d)).decode()


# 1. times in the campaign's zone, since when, for how long, and the next step

def test_times_read_in_the_campaigns_zone_with_its_offset_that_day() -> None:
    assert when("2025-09-14T08:03:27.512Z", "Asia/Shanghai") == "2025-09-14 16:03 UTC+8"
    assert when("2025-09-14T08:03:27.512Z", "America/Los_Angeles") == "2025-09-14 01:03 UTC-7"
    assert when("2025-12-14T08:03:00Z", "America/Los_Angeles") == "2025-12-14 00:03 UTC-8"
    assert when("2025-09-14T08:03:00Z") == when("2025-09-14T08:03:00Z", "Not/AZone") == "2025-09-14 08:03Z"
    assert span(FIRED, FIRED + timedelta(hours=5, minutes=30), "Asia/Shanghai") == "2025-09-14 16:00 → 21:30 UTC+8 (5.5 h)"


def test_long_spans_read_in_days_not_in_scientific_notation() -> None:
    """A regression's PostUnavailable, open until its post's tracking ended 88 days later, resolved
    reading "(2.11e+03 h)"."""
    assert (timeline("PostUnavailable", False, FIRED, FIRED + timedelta(days=88), {"time_zone": "Asia/Shanghai"})
            == "was down 2025-09-14 16:00 UTC+8 → 2025-12-11 16:00 UTC+8 (88 d)")
    assert [duration(h * 3600) for h in (5.5, 47.5, 48, 60, 1400, 2600)] == [
        "5.5 h", "47.5 h", "2 d", "2.5 d", "58.3 d", "108 d"]


def test_stalled_and_suspicious_summaries_give_their_times_in_the_campaigns_zone() -> None:
    """They read "…08:03Z" to readers in Shanghai and Los Angeles."""
    stalled = {"last_snapshot_wall_clock": "2025-09-14T08:03:27.512+00:00", "usual_interval_seconds": 1800,
               "time_zone": "Asia/Shanghai"}
    assert alert_summary("PostStalled", "firing", "1", stalled) == (
        "no fresh snapshot since 2025-09-14 16:03 UTC+8 (usually one every 30 min)")
    jump = {"kind": "step-jump", "metric": "likes", "gain": 20000.0, "usual": 400.0, "hour": 488208,
            "hour_at": "2025-09-11T00:00:00.000Z", "time_zone": "America/Los_Angeles"}
    assert " at 2025-09-10 17:00 UTC-7 (50× " in alert_summary("SuspiciousEngagement", "firing", "x", jump)
    assert "time zone" not in describe_evidence(stalled)
    assert "16:03 UTC+8" in describe_evidence(stalled, "Asia/Shanghai") and "08:03Z" in describe_evidence(stalled)


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_unavailable_post_says_since_when_and_what_to_do(channel) -> None:
    text = rendered(channel, digest(time_zone="Asia/Shanghai"))
    assert "down since 2025-09-14 16:00 UTC+8" in text
    assert "↳ check the post on Douyin and with the creator" in text


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_post_available_again_says_how_long_it_was_down(channel) -> None:
    text = rendered(channel, digest(state="resolved", summary="the post is available again",
                                    ends_at=FIRED + timedelta(hours=5, minutes=30), time_zone="America/Los_Angeles"))
    assert "was down 2025-09-14 01:00 → 06:30 UTC-7 (5.5 h)" in text
    assert "↳" not in text  # nothing to do once it is back


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_stalled_post_points_at_its_platforms_collector(channel) -> None:
    text = rendered(channel, digest("PostStalled", summary="no fresh snapshot since …",
                                    last_snapshot_wall_clock="2025-09-14T05:00:00+00:00", time_zone="Asia/Shanghai"))
    assert "no snapshot since 2025-09-14 13:00 UTC+8 (for 3 h when alerted)" in text
    assert "↳ check the Douyin collector" in text


def test_a_decaying_alert_from_the_worker_says_since_when_in_the_campaigns_zone() -> None:
    message, _, _ = decaying_alert()
    evidence = message["evidence"]
    assert evidence["time_zone"] == "Asia/Shanghai" and evidence["platform"] == "douyin"
    since = datetime.fromisoformat(evidence["decaying_since_at"]).astimezone(UTC) + timedelta(hours=8)
    change = AlertChange.from_message(message)
    text = DingTalk("https://example.org/hook").render(digest_of(change))["markdown"]["text"]
    assert f"⏱ decaying since {since:%Y-%m-%d %H:%M} UTC+8" in text


def digest_of(change: AlertChange) -> CampaignDigest:
    digests = Digests()
    digests.add(change)
    (out,) = digests.drain()
    return out


# 2. which post and campaign: title linked to the post, creator and campaign by name

def test_the_worker_puts_the_posts_url_and_platform_in_the_evidence() -> None:
    reg = decode(t.POSTS, encode(t.POSTS, {**registry(), "url": URL, "title": "夏日防晒实测"}))
    snaps = [(t.SNAPSHOTS, snapshot(h, int(3000 * (1 - 0.9 ** (h + 1))) + 5 * h)) for h in range(72)]
    insights, _ = run([(t.POSTS, reg), *snaps])
    (message,) = [m for m in insights.alerts if m["alert"] == "PostDecaying" and m["state"] == "firing"]
    assert {k: message["evidence"][k] for k in ("url", "title", "platform", "time_zone", "creator_id")} == {
        "url": URL, "title": "夏日防晒实测", "platform": "douyin", "time_zone": "Asia/Shanghai", "creator_id": "k1"}
    decode(t.ALERTS, encode(t.ALERTS, message))  # still a valid tracker.alerts.v1 message


def test_a_post_taken_down_carries_its_url_zone_and_title_too() -> None:
    reg = decode(t.POSTS, encode(t.POSTS, {**registry("America/Los_Angeles"), "url": URL, "title": "Summer"}))
    down = decode(t.SNAPSHOTS, orjson.dumps({**orjson.loads(encode(t.SNAPSHOTS, snapshot(3, 100))),
                                              "status": "deleted"}))
    insights, _ = run([(t.POSTS, reg), (t.SNAPSHOTS, snapshot(2, 90)), (t.SNAPSHOTS, down)])
    (message,) = [m for m in insights.alerts if m["alert"] == "PostUnavailable"]
    assert message["evidence"]["url"] == URL and message["evidence"]["time_zone"] == "America/Los_Angeles"
    text = rendered(DingTalk, digest_of(AlertChange.from_message(message)))
    local = (T0 + timedelta(hours=3)).astimezone(ZoneInfo("America/Los_Angeles"))
    offset = int(local.utcoffset().total_seconds() // 3600)
    assert f"[“Summer”]({URL})" in text
    assert f"⏱ down since {local:%Y-%m-%d %H:%M} UTC{offset:+d}" in text
    assert "↳ check the post on Douyin and with the creator" in text


@pytest.mark.parametrize(("channel", "link"), [
    (Slack, f"<{URL}|“夏日防晒实测”>"), (DingTalk, f"[“夏日防晒实测”]({URL})"), (WeCom, f"[“夏日防晒实测”]({URL})"),
    (Feishu, orjson.dumps({"tag": "a", "text": "“夏日防晒实测”", "href": URL}).decode())])
def test_lines_link_the_title_to_the_post_and_name_the_creator_and_campaign(channel, link) -> None:
    text = rendered(channel, digest(title="夏日防晒实测", url=URL, creator_id="cr-0007", creator_name="小鹿",
                                    campaign_name="双11 大促"))
    assert link in text
    assert "creator 小鹿" in text and "creator cr-0007" not in text
    assert "acme / 双11 大促 (double11): 1 firing" in text


@pytest.mark.parametrize("channel", CHANNELS)
def test_lines_without_names_keep_the_ids(channel) -> None:
    text = rendered(channel, digest(creator_id="cr-0007", url=URL))
    assert "creator cr-0007" in text and "acme / double11: 1 firing" in text and URL in text


# 3. the re-heat basis as it is

def test_a_suggestion_resting_on_the_decaying_pulse_alone_says_from_this_pulse() -> None:
    """The post's one boost had run its course: its rate came from that pulse, not "this post's
    earlier pulses"."""
    insights, out = run(one_boost_messages())
    fired = [m for m in insights.alerts if m["alert"] == "PostDecaying" and m["state"] == "firing"
             and m["evidence"].get("pulse_trigger") == "heating"]
    assert fired
    suggestion = fired[-1]["suggestion"]
    assert suggestion["basis_pulse"] == fired[-1]["evidence"]["pulse"]
    assert describe_suggestion(suggestion).endswith("(from this pulse)")
    rows = [dict(zip(r.COLUMNS[r.ALERTS], row, strict=True)) for row in out.rows[r.ALERTS]]
    (row,) = [a for a in rows if a["alert_id"] == fired[-1]["alert_id"] and a["state"] == "firing"]
    assert json.loads(row["suggestion"])["basis_pulse"] == suggestion["basis_pulse"]  # stored with the alert


def test_a_suggestion_on_earlier_pulses_says_so() -> None:
    suggestion = {"action": "reheat", "channel": "dou+", "spend": {"amount": "2000.00", "currency": "CNY"},
                  "expected_engagements_per_cny": 1.8, "basis": "this post's earlier pulses"}
    assert describe_suggestion(suggestion).endswith("(from this post's earlier pulses)")
    assert describe_suggestion({**suggestion, "basis_pulse": 1}).endswith("(from this pulse)")


# 4. the pulse's label follows its trigger

def test_a_post_first_tracked_long_after_publish_reads_as_organic_not_a_publish_burst() -> None:
    """The pulses table reads its first pulse ``organic``; the alert read "from tracking start"."""
    snaps = [(t.SNAPSHOTS, snapshot(h, int(3000 * (1 - 0.9 ** (h - 299))) + 5 * h)) for h in range(300, 380)]
    insights, out = run([(t.POSTS, registry()), *snaps])
    (message,) = [m for m in insights.alerts if m["alert"] == "PostDecaying" and m["state"] == "firing"]
    assert message["evidence"]["pulse_trigger"] == "tracking-start"
    assert message["summary"].startswith("pulse 0 (organic, tracked after publish) has run its course")
    pulses = [dict(zip(r.COLUMNS[r.PULSES], row, strict=True)) for row in out.rows[r.PULSES]]
    assert {p["trigger"] for p in pulses if p["pulse_index"] == 0} == {"organic"}


def test_the_publish_burst_keeps_its_name() -> None:
    message, _, _ = decaying_alert()
    assert message["summary"].startswith("pulse 0 (publish burst) has run its course")
