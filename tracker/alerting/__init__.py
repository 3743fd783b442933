"""Where post alerts leave tracker: Alertmanager (API v2) and chat webhooks.

The notifier consumes ``tracker.alerts.v1`` (raw bytes, validated here), keeps
the active alerts alive in Alertmanager and resolves them by ``endsAt``, and
posts one digest per campaign per interval to Slack, Feishu/Lark, DingTalk and
WeCom, each in its own format, signed, rate-limited, retried, deduplicated.
"""

from tracker.alerting.notifier import NotifierService, notifier_services

__all__ = ["NotifierService", "notifier_services"]
