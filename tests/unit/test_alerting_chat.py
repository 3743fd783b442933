"""Chat formats (PLATFORMS.md §11): body shapes, size limits, signatures (checked against
openssl, an independent HMAC implementation) and how each platform's replies are read."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import orjson
import pytest

from tracker.alerting.change import AlertChange
from tracker.alerting.chat import DingTalk, Feishu, Slack, WeCom, channels
from tracker.alerting.chat import dingtalk as dingtalk_mod
from tracker.alerting.chat import feishu as feishu_mod
from tracker.alerting.digest import CampaignDigest, Digests
from tracker.errors import ConfigError
from tracker.settings import Settings

NOW = datetime(2024, 11, 15, 7, 0, tzinfo=UTC)


def digest(n: int, campaign: str = "double11") -> CampaignDigest:
    digests = Digests()
    for i in range(n):
        digests.add(AlertChange(
            tenant="acme", campaign=campaign, post_id=f"douyin:73012345{i:05d}", alert="PostDecaying",
            state="firing" if i % 3 else "resolved", alert_id=f"a{i}", severity=("warning", "critical", "info")[i % 3],
            starts_at=NOW - timedelta(hours=2), ends_at=None if i % 3 else NOW, emitted_at=NOW,
            summary=f"post {i} is decaying <fast> & cheap — 小红书 测试",
            suggestion={"action": "reheat", "channel": "dou+", "spend": {"amount": "2000.00", "currency": "CNY"}}))
    (out,) = digests.drain()
    return out


def hmac_openssl(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 computed by openssl, not by Python."""
    exe = shutil.which("openssl")
    if exe is None:
        pytest.skip("openssl not installed")
    out = subprocess.run([exe, "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{key.hex()}", "-binary"],
                         input=message, capture_output=True, check=True)
    return out.stdout


def test_feishu_sign_matches_the_documented_algorithm() -> None:
    ts, secret = 1731654000, "demo-secret"
    expected = base64.b64encode(hmac_openssl(f"{ts}\n{secret}".encode(), b"")).decode()
    assert feishu_mod.sign(ts, secret) == expected
    url, body = Feishu("https://open.feishu.cn/open-apis/bot/v2/hook/x", secret).request({"msg_type": "text"}, ts + 0.9)
    assert body["timestamp"] == str(ts) and body["sign"] == expected and url.endswith("/hook/x")


def test_dingtalk_sign_matches_the_documented_algorithm() -> None:
    ts_ms, secret = 1731654000123, "SECabc123"
    expected = base64.b64encode(hmac_openssl(secret.encode(), f"{ts_ms}\n{secret}".encode())).decode()
    assert dingtalk_mod.sign(ts_ms, secret) == expected
    channel = DingTalk("https://oapi.dingtalk.com/robot/send?access_token=T", secret)
    url, _ = channel.request({}, ts_ms / 1000)
    query = parse_qs(urlsplit(url).query)
    assert query["access_token"] == ["T"] and query["timestamp"] == [str(ts_ms)]
    assert query["sign"] == [expected]  # URL-encoded on the wire, the same after decoding
    assert unquote_plus(url.split("sign=", 1)[1]) == expected


def test_slack_body_blocks_within_limits() -> None:
    body = Slack("https://hooks.slack.com/services/T/B/X").render(digest(400))
    assert body["text"].startswith("tracker · acme / double11: 266 firing, 134 resolved")
    assert body["blocks"][0]["type"] == "header" and len(body["blocks"][0]["text"]["text"]) <= 150
    assert len(body["blocks"]) <= 50
    sections = [b["text"]["text"] for b in body["blocks"][1:]]
    assert all(len(s) <= 3000 for s in sections)
    assert "&lt;fast&gt; &amp; cheap" in sections[0]  # mrkdwn control characters escaped
    assert sections[-1].splitlines()[-1].startswith("… and ")


def test_feishu_body_is_a_post_under_20_kb() -> None:
    body = Feishu("https://open.feishu.cn/open-apis/bot/v2/hook/x").render(digest(500))
    post = body["content"]["post"]["zh_cn"]
    assert body["msg_type"] == "post" and post["title"].startswith("tracker 告警 · acme / double11")
    assert len(orjson.dumps(body)) <= 20 * 1024
    assert post["content"][0][0]["text"].startswith("触发 FIRING [critical] 衰减预警 PostDecaying")
    assert post["content"][-1][0]["text"].startswith("… and ")


def test_dingtalk_body_is_markdown() -> None:
    body = DingTalk("https://oapi.dingtalk.com/robot/send?access_token=T").render(digest(3))
    assert body["msgtype"] == "markdown" and body["at"] == {"atMobiles": [], "isAtAll": False}
    text = body["markdown"]["text"]
    assert text.startswith("#### tracker 告警 · acme / double11") and "**触发 FIRING** critical 衰减预警 PostDecaying" in text
    assert "↳ re-heat via dou+ with 2,000 CNY" in text


def test_wecom_markdown_fits_4096_bytes() -> None:
    body = WeCom("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K").render(digest(300))
    content = body["markdown"]["content"]
    assert body["msgtype"] == "markdown" and len(content.encode()) <= 4096
    assert '<font color="warning">触发 FIRING</font>' in content and content.splitlines()[-1].startswith("… and ")


@pytest.mark.parametrize(("channel", "status", "headers", "text", "expected"), [
    (Slack, 200, {}, "ok", "ok"),
    (Slack, 429, {"Retry-After": "7"}, "rate_limited", "throttled 7"),
    (Slack, 404, {}, "no_service", "failed"),
    (Slack, 500, {}, "rollup_error", "retry"),
    (Feishu, 200, {}, '{"code":0,"msg":"success","data":{}}', "ok"),
    (Feishu, 200, {}, '{"StatusCode":0,"StatusMessage":"success"}', "ok"),
    (Feishu, 200, {}, '{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}', "failed"),
    (Feishu, 200, {}, '{"code":11232,"msg":"frequency limited"}', "throttled 1"),
    (DingTalk, 200, {}, '{"errcode":0,"errmsg":"ok"}', "ok"),
    (DingTalk, 200, {}, '{"errcode":310000,"errmsg":"sign not match"}', "failed"),
    (DingTalk, 200, {}, '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}', "throttled 600"),  # muted 10 min
    (WeCom, 200, {}, '{"errcode":0,"errmsg":"ok"}', "ok"),
    (WeCom, 200, {}, '{"errcode":93000,"errmsg":"invalid webhook url"}', "failed"),
    (WeCom, 200, {}, '{"errcode":45009,"errmsg":"api freq out of limit"}', "throttled 60"),
    (WeCom, 502, {}, "bad gateway", "retry"),
    (WeCom, 200, {}, "<html>", "failed"),
])
def test_replies_are_read_per_platform(channel, status, headers, text, expected) -> None:
    reply = channel("https://example.org/hook").reply(status, headers, text)
    if expected == "ok":
        assert reply.ok
    elif expected == "failed":
        assert not reply.ok and not reply.retry and reply.detail
    elif expected == "retry":
        assert reply.retry and not reply.throttled
    else:
        assert reply.retry and reply.throttled and reply.retry_after == float(expected.split()[1])


def test_channels_from_settings_and_bad_urls(monkeypatch) -> None:
    settings = Settings(_env_file=None, feishu_webhook_url="https://open.feishu.cn/open-apis/bot/v2/hook/u",  # type: ignore[call-arg]
                        feishu_secret="s", wecom_webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
    built = channels(settings)
    assert [c.name for c in built] == ["feishu", "wecom"]
    assert built[0].secret == "s"
    with pytest.raises(ConfigError, match="https://"):
        Slack("hooks.slack.com/services/T/B/X")


def one(suggestion: dict | None = None, **evidence: str) -> CampaignDigest:
    digests = Digests()
    digests.add(AlertChange(
        tenant="acme", campaign="double11", post_id="douyin:7301234567890", alert="PostDecaying", state="firing",
        alert_id="a", severity="warning", starts_at=NOW, ends_at=None, emitted_at=NOW,
        summary="pulse 2 (heating h-7) has run its course", evidence=dict(evidence), suggestion=suggestion))
    (out,) = digests.drain()
    return out


NO_BASIS = {"action": "reheat", "basis": "no heated pulse of this post, its creator or its tier yet"}


@pytest.mark.parametrize("channel", [Slack, Feishu, DingTalk, WeCom])
def test_items_name_the_platform_and_creator_and_say_plainly_when_nothing_is_suggested(channel) -> None:
    """Items were bare post ids with "↳ reheat (basis: no heated pulse …)": a re-heat recommended
    with no channel or amount."""
    text = orjson.dumps(channel("https://example.org/hook").render(one(NO_BASIS, creator_id="kol-17"))).decode()
    assert "douyin:7301234567890" in text
    assert " (Douyin · creator kol-17): pulse 2 (heating h-7) has run its course" in text
    assert "↳ no re-heat amount to suggest: no heated pulse of this post, its creator or its tier yet" in text
    assert "reheat (basis" not in text


@pytest.mark.parametrize("channel", [Slack, Feishu, DingTalk, WeCom])
def test_items_name_the_post_by_its_title_cut_to_a_line(channel) -> None:
    """Ops know a post by its title, not by douyin:7301234567890."""
    short = orjson.dumps(channel("https://example.org/hook").render(
        one(title="夏日防晒 | 3 款实测", creator_id="kol-17"))).decode()
    assert " (Douyin · “夏日防晒 | 3 款实测” · creator kol-17): pulse 2" in short
    long = orjson.dumps(channel("https://example.org/hook").render(one(title="长" * 300))).decode()
    assert f" (Douyin · “{'长' * 39}…”): pulse 2" in long


def test_an_item_without_creator_names_the_platform_only() -> None:
    text = Slack("https://hooks.slack.com/services/T/B/X").render(one())["blocks"][1]["text"]["text"]
    assert "`douyin:7301234567890` (Douyin): pulse 2" in text


def test_feishu_labels_the_zh_cn_post_in_chinese_too() -> None:
    """The post went out under zh_cn with English-only text; the labels are now bilingual."""
    post = Feishu("https://open.feishu.cn/open-apis/bot/v2/hook/x").render(one())["content"]["post"]
    assert list(post) == ["zh_cn"]
    assert post["zh_cn"]["title"] == "tracker 告警 · acme / double11: 1 firing 触发, 0 resolved 恢复"
    assert post["zh_cn"]["content"][0][0]["text"] == "触发 FIRING [warning] 衰减预警 PostDecaying · "
    slack = Slack("https://hooks.slack.com/services/T/B/X").render(one())
    assert "触发" not in orjson.dumps(slack).decode()  # Slack stays English
