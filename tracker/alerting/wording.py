"""How an alert's figures read to people: UTC times, rounded numbers, a suggestion as a sentence.

The messages keep their machine evidence (grid steps, full-precision floats); Alertmanager's
``description``, chat digests and ``tracker alerts`` show it through these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

PER_HOUR = "/h"  # velocities are per grid step: hours on the worker's grid
PLATFORM_NAMES = {
    "douyin": "Douyin", "xiaohongshu": "Xiaohongshu", "weibo": "Weibo", "kuaishou": "Kuaishou",
    "bilibili": "Bilibili", "wechat_channels": "WeChat Channels", "tiktok": "TikTok", "instagram": "Instagram",
    "youtube": "YouTube",
}
ZH_ALERTS = {"PostDecaying": "衰减预警", "PostUnavailable": "不可见", "PostStalled": "停更",
             "SuspiciousEngagement": "异常互动"}
ZH_STATUS = {"FIRING": "触发", "RESOLVED": "恢复", "FIRED+RESOLVED": "触发后恢复"}
HIDDEN = frozenset({"pulse", "pulse_number", "pulse_trigger", "heating_ids", "decaying_since", "conditions_since",
                    "hour"})
"""Evidence keys told elsewhere: the pulse in the summary; grid steps by their ``*_at`` times
(``pulse_number``, the pulse counted from 1, is in alerts stored before pulses were named by index)."""
LABELS: dict[str, str] = {
    "title": "“{}”",
    "creator_id": "creator {}",
    "decaying_since_at": "decaying since {}",
    "conditions_since_at": "alert conditions met since {}",
    "recent_velocity": "velocity now {}" + PER_HOUR,
    "peak_velocity": "peak {}" + PER_HOUR,
    "baseline": "baseline {}" + PER_HOUR,
    "threshold": "decay line {}" + PER_HOUR,
    "projected_gain": "projected gain {}",
    "incremental": "lift so far {}",
    "theta": "decay exponent θ {}",
    "fit_r2": "fit r² {}",
    "reheat_lift_per_spend": "earlier heating brought {} engagements per unit of spend",
    "last_snapshot_wall_clock": "last snapshot {}",
    "usual_interval_seconds": "usual interval {}",
    "hour_at": "at {}",
}
"""How known evidence keys read, in this order; other keys follow as ``key value``."""
COUNTS = frozenset({"projected_gain", "incremental", "gain", "usual", "before", "after"})
"""Evidence keys that are counts of engagements: shown as whole numbers."""


def when(value: datetime | str | None) -> str:
    """``2025-09-14 08:00Z``: an instant in UTC to the minute ("" for None)."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def number(x: float) -> str:
    """A figure rounded for reading: ``4,200``, ``310``, ``12.3``, ``1.8``, ``0.76``."""
    if isinstance(x, bool) or not math.isfinite(x):
        return str(x)
    if x == int(x) or abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3g}"
    return f"{x:.2g}" if abs(x) >= 1e-3 else "≈0"


def value(v: Any) -> str:
    """Any evidence value as it reads: times, rounded numbers, lists and small mappings."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return number(v)
    if isinstance(v, str):
        try:
            return when(v) if "T" in v and v[:4].isdigit() else v
        except ValueError:
            return v
    if isinstance(v, Mapping):
        if {"metric", "before", "after"} <= v.keys():
            return f"{v['metric']} {value(v['before'])} → {value(v['after'])}"
        return ", ".join(f"{k} {value(x)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return ", ".join(value(x) for x in v)
    return str(v)


def duration(seconds: float) -> str:
    """``45 min``, ``2.5 h``: a span of seconds in the unit that reads best."""
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def describe_evidence(evidence: Mapping[str, Any]) -> str:
    """The figures that made the rule fire, labelled and rounded, times in UTC, joined by "; "."""
    parts = []
    for key, label in LABELS.items():
        v = evidence.get(key)
        if v is None or key in HIDDEN:
            continue
        parts.append(label.format(_shown(key, v)))
    for key in sorted(evidence):
        v = evidence[key]
        if key in LABELS or key in HIDDEN or v is None or v == []:
            continue
        parts.append(f"{key.replace('_', ' ')} {_shown(key, v)}")
    return "; ".join(part for part in parts if part)


def describe_suggestion(suggestion: Mapping[str, Any] | None) -> str:
    """The suggested action as a sentence, e.g. ``re-heat via dou+ with 2,000 CNY: about 1.8
    engagements per CNY, about 3,600 in all (from this post's earlier pulses)``; or that no
    amount can be suggested and why."""
    if not suggestion:
        return ""
    action = str(suggestion.get("action") or "act")
    verb = "re-heat" if action == "reheat" else action
    spend = suggestion.get("spend") if isinstance(suggestion.get("spend"), Mapping) else None
    basis = suggestion.get("basis")
    if spend is None or spend.get("amount") is None:
        if action == "reheat":
            return "no re-heat amount to suggest" + (f": {basis}" if basis else "")
        return verb + (f" ({basis})" if basis else "")
    currency = str(spend.get("currency") or "")
    text = verb + (f" via {suggestion['channel']}" if suggestion.get("channel") else "")
    text += f" with {_amount(spend['amount'])} {currency}".rstrip()
    rates = [f"about {value(v)} engagements per {currency or k.rsplit('_', 1)[-1].upper()}"
             for k, v in sorted(suggestion.items()) if k.startswith("expected_engagements_per_")]
    total = suggestion.get("expected_engagements")
    if total is not None:
        rates.append(f"about {value(total)} in all")
    text += (": " + ", ".join(rates)) if rates else ""
    return text + (f" (from {basis})" if basis else "")


def platform_name(code: str) -> str:
    """``Douyin`` for ``douyin``; "" for the generic source."""
    return PLATFORM_NAMES.get(code, "" if code == "generic" else code)


def zh_alert(alert: str) -> str:
    """``衰减预警 PostDecaying``: the alert's name with a short Chinese label."""
    return f"{ZH_ALERTS[alert]} {alert}" if alert in ZH_ALERTS else alert


def zh_status(status: str) -> str:
    """``触发 FIRING``: a digest entry's status with a short Chinese label."""
    return f"{ZH_STATUS[status]} {status}" if status in ZH_STATUS else status


def _shown(key: str, v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        if key in COUNTS:
            return f"{v:,.0f}"
        if key == "usual_interval_seconds":
            return duration(float(v))
    return value(v)


def _amount(amount: Any) -> str:
    try:
        x = float(amount)
    except (TypeError, ValueError):
        return str(amount)
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"
