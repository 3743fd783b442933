"""Chat webhooks, one module per platform; ``channels(settings)`` builds the configured ones."""

from __future__ import annotations

from tracker.alerting.chat.base import Channel, Reply
from tracker.alerting.chat.dingtalk import DingTalk
from tracker.alerting.chat.feishu import Feishu
from tracker.alerting.chat.slack import Slack
from tracker.alerting.chat.wecom import WeCom
from tracker.settings import Settings

CHANNELS: dict[str, type[Channel]] = {c.name: c for c in (Slack, Feishu, DingTalk, WeCom)}


def channels(settings: Settings) -> list[Channel]:
    """Every chat channel whose webhook URL is set."""
    configured = [
        (Slack, settings.slack_webhook_url, None),
        (Feishu, settings.feishu_webhook_url, settings.feishu_secret),
        (DingTalk, settings.dingtalk_webhook_url, settings.dingtalk_secret),
        (WeCom, settings.wecom_webhook_url, None),
    ]
    return [cls(url.get_secret_value(), secret.get_secret_value() if secret else "", grafana_url=settings.grafana_url)
            for cls, url, secret in configured if url.get_secret_value()]


__all__ = ["CHANNELS", "Channel", "DingTalk", "Feishu", "Reply", "Slack", "WeCom", "channels"]
