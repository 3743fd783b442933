"""How an alert's figures read to people: times in the campaign's zone (UTC when the message
names none), rounded numbers, a suggestion as a sentence, since when and what to do next.

The messages keep their machine evidence (grid steps, full-precision floats, UTC times);
Alertmanager's ``description``, chat digests and ``tracker alerts`` show it through these
functions. The evidence's ``time_zone`` (the campaign's IANA zone) says where its readers are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
                    "hour", "time_zone", "platform", "new_pulse", "new_pulse_trigger", "new_heating_ids",
                    "reheated_with", "after_no_response"})
"""Evidence keys told elsewhere: the pulse in the summary (and the one a resolve names, with the boost
that started it; a boost with no response whose earlier decay is alerted); grid steps by their ``*_at`` times (``pulse_number``, the pulse counted from 1, is in
alerts stored before pulses were named by index); the zone by the times it formats; the platform by the
post id."""
LABELS: dict[str, str] = {
    "title": "“{}”",
    "url": "post {}",
    "creator_name": "creator {}",
    "creator_id": "creator {}",
    "campaign_name": "campaign {}",
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


NEXT_STEPS = {
    "PostUnavailable": "check the post on {platform} and with the creator",
    "PostStalled": "check the {platform} collector",
}
"""What to do about a firing alert, in plain words (``PostDecaying``'s is its re-heat suggestion)."""


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` (``Asia/Shanghai``); None when unnamed or unknown (times read in UTC)."""
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def when(value: datetime | str | None, time_zone: str | None = None) -> str:
    """``2025-09-14 16:00 UTC+8``: an instant to the minute in ``time_zone`` (the campaign's,
    with its offset that day); ``2025-09-14 08:00Z`` in UTC when no zone is known ("" for None)."""
    moment = _instant(value)
    if moment is None:
        return ""
    tz = zone(time_zone)
    if tz is None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {_offset(local.utcoffset())}"


def span(start: datetime | str | None, end: datetime | str | None, time_zone: str | None = None) -> str:
    """``2025-09-14 16:00 → 21:30 UTC+8 (5.5 h)``: from ``start`` to ``end`` in the zone, the
    date and offset said once when they are the same, and how long it lasted."""
    a, b = _instant(start), _instant(end)
    if a is None or b is None:
        return when(a or b, time_zone)
    first, last = when(a, time_zone), when(b, time_zone)
    if first[:10] == last[:10] and first[16:] == last[16:]:  # same day, same offset
        text = f"{first[:16]} → {last[11:]}"
    else:
        text = f"{first} → {last}"
    return text + f" ({duration((b - a).total_seconds())})"


def timeline(alert: str, firing: bool, starts_at: datetime, ends_at: datetime | None,
             evidence: Mapping[str, Any]) -> str:
    """Since when, in the evidence's ``time_zone``, and for how long: ``decaying since 2025-09-14
    16:00 UTC+8 (for 20 h when alerted)``, ``down since …``, ``no snapshot since …``; a resolve
    tells the span it was open (``was down 2025-09-14 16:00 → 21:30 UTC+8 (5.5 h)``)."""
    tz = evidence.get("time_zone")
    if not firing:
        what = {"PostUnavailable": "was down", "PostStalled": "was stalled", "PostDecaying": "was alerted"}
        return f"{what.get(alert, 'was open')} {span(starts_at, ends_at or starts_at, tz)}"
    if alert == "SuspiciousEngagement":
        return f"seen at {when(evidence.get('hour_at') or starts_at, tz)}"
    since_key, what_since = {"PostDecaying": ("decaying_since_at", "decaying"),
                             "PostStalled": ("last_snapshot_wall_clock", "no snapshot"),
                             }.get(alert, ("", "down" if alert == "PostUnavailable" else "firing"))
    start = _instant(starts_at) or datetime.now(UTC)
    try:
        since = _instant(evidence.get(since_key) if since_key else None) or start
    except (TypeError, ValueError):
        since = start
    lasted = (start - since).total_seconds()
    return f"{what_since} since {when(since, tz)}" + (f" (for {duration(lasted)} when alerted)" if lasted >= 60 else "")


def next_step(alert: str, platform: str) -> str:
    """What to do about a firing ``alert`` of a post on ``platform``, or ""."""
    step = NEXT_STEPS.get(alert, "")
    return step.format(platform=platform_name(platform) or "platform") if step else ""


def number(x: float) -> str:
    """A figure rounded for reading: ``4,200``, ``310``, ``12.3``, ``1.8``, ``0.76``."""
    if isinstance(x, bool) or not math.isfinite(x):
        return str(x)
    if x == int(x) or abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3g}"
    return f"{x:.2g}" if abs(x) >= 1e-3 else "≈0"


def value(v: Any, time_zone: str | None = None) -> str:
    """Any evidence value as it reads: times (in ``time_zone``), rounded numbers, lists and small mappings."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return number(v)
    if isinstance(v, str):
        try:
            return when(v, time_zone) if "T" in v and v[:4].isdigit() else v
        except ValueError:
            return v
    if isinstance(v, Mapping):
        if {"metric", "before", "after"} <= v.keys():
            return f"{v['metric']} {value(v['before'])} → {value(v['after'])}"
        return ", ".join(f"{k} {value(x, time_zone)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return ", ".join(value(x, time_zone) for x in v)
    return str(v)


def duration(seconds: float) -> str:
    """``45 min``, ``2.5 h``, ``36 h``, ``58.1 d``: a span of seconds in the unit that reads best
    (days from 48 h: an alert open until its post's tracking ended read ``2.11e+03 h``)."""
    if seconds >= 48 * 3600:
        days = seconds / 86400
        return f"{days:.3g} d" if days < 100 else f"{days:,.0f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def describe_evidence(evidence: Mapping[str, Any], time_zone: str | None = None) -> str:
    """The figures that made the rule fire, labelled and rounded, times in ``time_zone`` (UTC
    without one: Alertmanager's ``description`` keeps its times in UTC, like its own), joined by "; "."""
    tz = time_zone
    parts = []
    for key, label in LABELS.items():
        v = evidence.get(key)
        if v is None or v == "" or key in HIDDEN:
            continue
        parts.append(label.format(_shown(key, v, tz)))
    for key in sorted(evidence):
        v = evidence[key]
        if key in LABELS or key in HIDDEN or v is None or v == []:
            continue
        parts.append(f"{key.replace('_', ' ')} {_shown(key, v, tz)}")
    return "; ".join(part for part in parts if part)


def describe_suggestion(suggestion: Mapping[str, Any] | None) -> str:
    """The suggested action as a sentence, e.g. ``re-heat via dou+ with 2,000 CNY: about 1.8
    engagements per CNY, about 3,600 in all (from this post's earlier pulses)``; or that no
    amount can be suggested and why (``no re-heat amount to suggest: this creator's 3 heated
    pulses on the platform brought no incremental engagements for 1,500 CNY``). A suggestion
    whose figures come from the alerted pulse alone (``basis_pulse``, its index: the post's one
    heated pulse is the decaying one) says ``from this pulse``. A rate below 0.1 per unit reads
    per 100, 1,000… units (``about 4 engagements per 10,000 IDR``: it read "about ≈0 per IDR")."""
    if not suggestion:
        return ""
    action = str(suggestion.get("action") or "act")
    verb = "re-heat" if action == "reheat" else action
    spend = suggestion.get("spend") if isinstance(suggestion.get("spend"), Mapping) else None
    basis = "this pulse" if suggestion.get("basis_pulse") is not None else suggestion.get("basis")
    if spend is None or spend.get("amount") is None:
        if action != "reheat":
            return verb + (f" ({basis})" if basis else "")
        spent = suggestion.get("no_lift") if isinstance(suggestion.get("no_lift"), Mapping) else None
        if spent is not None and basis:
            return (f"no re-heat amount to suggest: {basis} brought no incremental engagements for "
                    f"{_amount(spent.get('amount'))} {spent.get('currency') or ''}".rstrip())
        return "no re-heat amount to suggest" + (f": {basis}" if basis else "")
    currency = str(spend.get("currency") or "")
    text = verb + (f" via {suggestion['channel']}" if suggestion.get("channel") else "")
    text += f" with {_amount(spend['amount'])} {currency}".rstrip()
    rates = [_per_unit(v, currency or k.rsplit("_", 1)[-1].upper())
             for k, v in sorted(suggestion.items()) if k.startswith("expected_engagements_per_")]
    total = suggestion.get("expected_engagements")
    if total is not None:
        rates.append(f"about {value(total)} in all")
    text += (": " + ", ".join(rates)) if rates else ""
    return text + (f" (from {basis})" if basis else "")


def _per_unit(rate: Any, currency: str) -> str:
    """``about 1.8 engagements per CNY``; below 0.1 per unit, per the power of ten that reads it as
    a whole figure or more (``about 3 engagements per 100,000 VND``)."""
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 0.1:
        return f"about {value(rate)} engagements per {currency}"
    units = 10 ** math.ceil(-math.log10(rate))
    return f"about {value(rate * units)} engagements per {units:,} {currency}"


def platform_name(code: str) -> str:
    """``Douyin`` for ``douyin``; "" for the generic source."""
    return PLATFORM_NAMES.get(code, "" if code == "generic" else code)


def zh_alert(alert: str) -> str:
    """``衰减预警 PostDecaying``: the alert's name with a short Chinese label."""
    return f"{ZH_ALERTS[alert]} {alert}" if alert in ZH_ALERTS else alert


def zh_status(status: str) -> str:
    """``触发 FIRING``: a digest entry's status with a short Chinese label."""
    return f"{ZH_STATUS[status]} {status}" if status in ZH_STATUS else status


def _shown(key: str, v: Any, time_zone: str | None = None) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        if key in COUNTS:
            return f"{v:,.0f}"
        if key == "usual_interval_seconds":
            return duration(float(v))
    return value(v, time_zone)


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _offset(offset: timedelta | None) -> str:
    """``UTC+8``, ``UTC-7``, ``UTC+5:30``, ``UTC``."""
    minutes = round((offset or timedelta()).total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def _amount(amount: Any) -> str:
    try:
        x = float(amount)
    except (TypeError, ValueError):
        return str(amount)
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"
