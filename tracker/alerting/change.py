"""One alert state change, as read from ``tracker.alerts.v1``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.contracts.timestamps import format_ts

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class AlertChange:
    """A firing or resolved state of one alert instance (``alert_id``) of one post."""

    tenant: str
    campaign: str
    post_id: str
    alert: str
    state: str
    alert_id: str
    severity: str
    starts_at: datetime
    ends_at: datetime | None
    summary: str
    emitted_at: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    suggestion: dict[str, Any] | None = None

    @classmethod
    def from_message(cls, msg: dict[str, Any]) -> AlertChange:
        """From a message already checked by ``tracker.contracts.decode``."""
        return cls(
            tenant=msg["tenant"], campaign=msg["campaign_id"], post_id=msg["post_id"], alert=msg["alert"],
            state=msg["state"], alert_id=msg["alert_id"], severity=msg["severity"],
            starts_at=msg["starts_at"], ends_at=msg["ends_at"], summary=msg["summary"],
            emitted_at=msg["emitted_at"], evidence=dict(msg["evidence"]), suggestion=msg["suggestion"],
        )

    @property
    def platform(self) -> str:
        """The platform, from the post id's prefix (``douyin:730…`` → ``douyin``)."""
        return self.post_id.partition(":")[0]

    @property
    def firing(self) -> bool:
        return self.state == "firing"

    @property
    def dedup_key(self) -> tuple[str, str]:
        """Same alert instance, same state: one notification, however often it is re-emitted."""
        return (self.alert_id, self.state)


def describe_evidence(evidence: dict[str, Any], limit: int = 8) -> str:
    """``key=value`` pairs of the figures that made the rule fire, sorted, at most ``limit``."""
    pairs = [f"{key}={_short(value)}" for key, value in sorted(evidence.items())[:limit]]
    more = len(evidence) - limit
    return ", ".join(pairs) + (f", … {more} more" if more > 0 else "")


def describe_suggestion(suggestion: dict[str, Any] | None) -> str:
    """A one-line suggested action, e.g. ``reheat via dou+: 2000.00 CNY (3.1 engagements per CNY, …)``."""
    if not suggestion:
        return ""
    action = str(suggestion.get("action", "act"))
    text = action + (f" via {suggestion['channel']}" if suggestion.get("channel") else "")
    spend = suggestion.get("spend")
    if isinstance(spend, dict) and spend.get("amount") is not None:
        text += f": {spend['amount']} {spend.get('currency', '')}".rstrip()
    rates = [f"{_short(v)} {k.removeprefix('expected_').replace('_per_', ' per ').replace('_', ' ')}"
             for k, v in sorted(suggestion.items()) if k.startswith("expected_")]
    details = rates + ([f"basis: {suggestion['basis']}"] if suggestion.get("basis") else [])
    return text + (f" ({'; '.join(details)})" if details else "")


def when(value: datetime | None) -> str:
    return format_ts(value) if value is not None else ""


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return "{…}" if isinstance(value, dict) else "[…]"
    return str(value)
