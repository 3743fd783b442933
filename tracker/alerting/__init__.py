"""Where post alerts leave tracker: Alertmanager (API v2) and chat webhooks.

The notifier consumes ``tracker.alerts.v1`` (raw bytes, validated here), keeps
the active alerts alive in Alertmanager and resolves them by ``endsAt``, and
posts one digest per campaign per interval to Slack, Feishu/Lark, DingTalk and
WeCom, each in its own format, signed, rate-limited, retried, deduplicated.

The notifier (Kafka, HTTP) is imported on first use, so that commands reading
only :mod:`tracker.alerting.wording` (``tracker alerts``) start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.alerting.notifier import NotifierService, notifier_services

__all__ = ["NotifierService", "notifier_services"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tracker.alerting import notifier

        return getattr(notifier, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
