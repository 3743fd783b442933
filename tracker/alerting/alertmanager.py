"""Alertmanager API v2: post alerts, keep active ones alive, resolve by ``endsAt``.

Alertmanager identifies an alert by its label set. A post alert's labels are
``alertname, tenant, campaign, platform, severity, post_id`` (the post id names
the alert here; it never becomes a Prometheus metric label). An active alert is
posted with ``endsAt`` = now + 4 × the resend interval and re-posted every
interval, so it stays active while the notifier runs and expires by itself if
the notifier stops; a resolved one is posted with its ``endsAt`` (≤ now).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from tracker.alerting.change import AlertChange
from tracker.alerting.wording import describe_evidence, describe_suggestion
from tracker.contracts.timestamps import format_ts
from tracker.contracts.vocab import ALERT_TYPES
from tracker.errors import ConfigError, InvalidInput, RetryableError

EXPIRY_RESENDS = 4  # an alert not re-posted for this many intervals expires
LabelKey = tuple[tuple[str, str], ...]


def labels_of(change: AlertChange) -> dict[str, str]:
    """The identity of the alert in Alertmanager (bounded except for post_id). A ``PostUnavailable``
    says its ``cause``: ``taken_down`` (the platform reports it) or ``counters_fell`` (a purge the
    platform does not report, open until the end of tracking): only a take-down inhibits the post's
    other alerts (a purge of bought likes silenced its decay alerts for the rest of tracking)."""
    labels = {
        "alertname": change.alert, "tenant": change.tenant, "campaign": change.campaign,
        "platform": change.platform, "severity": change.severity, "post_id": change.post_id,
    }
    if change.alert == "PostUnavailable":
        labels["cause"] = "taken_down" if change.alert_id.endswith(":status") else "counters_fell"
    return labels


def to_alertmanager(change: AlertChange, *, grafana_url: str = "", runbook_url: str = "") -> dict[str, Any]:
    """The API v2 alert of ``change`` without ``endsAt`` (set when posted).

    The summary names the post (an Alertmanager summary is read alone); ``runbook_url`` is the
    runbook's absolute URL, the alert's section appended as an anchor (no link when empty)."""
    summary = change.summary if change.post_id in change.summary else f"{change.post_id}: {change.summary}"
    annotations = {
        "summary": summary,
        "description": describe_evidence(change.evidence),
        "suggestion": describe_suggestion(change.suggestion),
        "alert_id": change.alert_id,
        "runbook_url": f"{runbook_url}#{change.alert.lower()}" if runbook_url else "",
    }
    alert: dict[str, Any] = {
        "labels": labels_of(change),
        "annotations": {key: value for key, value in annotations.items() if value},
        "startsAt": format_ts(change.starts_at),
    }
    link = post_link(grafana_url, change)
    if link:
        alert["generatorURL"] = link
    return alert


def post_link(grafana_url: str, change: AlertChange) -> str:
    """The post's pulse-curve dashboard in Grafana, or "" when no Grafana URL is configured."""
    if not grafana_url:
        return ""
    return (f"{grafana_url.rstrip('/')}/d/tracker-post-pulses/?var-tenant={quote(change.tenant)}"
            f"&var-campaign={quote(change.campaign)}&var-post={quote(change.post_id)}")


def key_of(alert: Mapping[str, Any]) -> LabelKey:
    return tuple(sorted(alert["labels"].items()))


class ActiveAlerts:
    """Alerts firing now, by label set; what the notifier keeps alive in Alertmanager."""

    def __init__(self, resend_seconds: float) -> None:
        self.resend = timedelta(seconds=resend_seconds)
        self.alerts: dict[LabelKey, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self.alerts)

    def apply(self, change: AlertChange, now: datetime, *, grafana_url: str = "",
              runbook_url: str = "") -> dict[str, Any]:
        """Record ``change``; returns the alert to post now (resolved ones carry endsAt ≤ now).

        An alert dated after ``now`` (snapshots observed ahead of the wall clock: a simulator run
        ahead of it, an export's local times read as UTC) is posted as starting now: Alertmanager
        refuses a ``startsAt`` after its ``endsAt``, and keeps a resolve ending later firing until then."""
        alert = to_alertmanager(change, grafana_url=grafana_url, runbook_url=runbook_url)
        key = key_of(alert)
        if change.firing:
            self.alerts[key] = alert
            return self.stamp(alert, now)
        self.alerts.pop(key, None)
        ends = min(change.ends_at or now, now)
        return {**alert, "startsAt": format_ts(min(change.starts_at, ends)), "endsAt": format_ts(ends)}

    def adopt(self, alerts: Iterable[Mapping[str, Any]]) -> int:
        """Take over active post alerts found in Alertmanager (after a restart); returns how many."""
        n = 0
        for found in alerts:
            labels = dict(found.get("labels", {}))
            if labels.get("alertname") not in ALERT_TYPES:
                continue
            alert = {"labels": labels, "annotations": dict(found.get("annotations", {})),
                     "startsAt": found["startsAt"]}
            if found.get("generatorURL"):
                alert["generatorURL"] = found["generatorURL"]
            self.alerts.setdefault(key_of(alert), alert)
            n += 1
        return n

    def stamp(self, alert: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """``alert`` to post at ``now``: active for ``EXPIRY_RESENDS`` more intervals, started by now."""
        starts = alert["startsAt"]
        if datetime.fromisoformat(starts) > now:
            starts = format_ts(now)
        return {**alert, "startsAt": starts, "endsAt": format_ts(now + EXPIRY_RESENDS * self.resend)}

    def due(self, now: datetime) -> list[dict[str, Any]]:
        """Every active alert stamped with a fresh ``endsAt``: the periodic re-send."""
        return [self.stamp(alert, now) for alert in self.alerts.values()]

    def counts(self) -> dict[str, int]:
        """Active alerts by alert name (every post alert name present, zeros included)."""
        out = dict.fromkeys(ALERT_TYPES, 0)
        for alert in self.alerts.values():
            name = alert["labels"]["alertname"]
            out[name] = out.get(name, 0) + 1
        return out


class AlertmanagerClient:
    """``POST`` and ``GET /api/v2/alerts`` on one Alertmanager."""

    def __init__(self, base_url: str, http: httpx.AsyncClient, timeout: float = 10.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"alertmanager_url must be http(s)://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.timeout = timeout

    async def post(self, alerts: Sequence[Mapping[str, Any]], chunk: int = 500) -> None:
        """Post alerts in chunks; ``RetryableError`` when Alertmanager is unreachable or 5xx,
        ``InvalidInput`` when it rejects the payload (400)."""
        for i in range(0, len(alerts), chunk):
            try:
                resp = await self.http.post(f"{self.base_url}/api/v2/alerts", json=list(alerts[i:i + chunk]),
                                            timeout=self.timeout)
            except httpx.HTTPError as exc:
                raise RetryableError(f"alertmanager {self.base_url}: {exc!r}") from exc
            if resp.status_code >= 500 or resp.status_code == 429:
                raise RetryableError(f"alertmanager {self.base_url}: HTTP {resp.status_code} {resp.text[:200]}")
            if resp.status_code != 200:
                raise InvalidInput(f"alertmanager refused the alerts: HTTP {resp.status_code} {resp.text[:300]}")

    async def query(self, *filters: str, active: bool = True) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts`` with matchers such as ``alertname="PostDecaying"``."""
        params: list[tuple[str, str | int | float | bool | None]] = [("active", str(active).lower())]
        params += [("filter", f) for f in filters]
        try:
            resp = await self.http.get(f"{self.base_url}/api/v2/alerts", params=params, timeout=self.timeout)
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise RetryableError(f"alertmanager {self.base_url}: {exc!r}") from exc
        result: list[dict[str, Any]] = resp.json()
        return result


def utcnow() -> datetime:
    return datetime.now(UTC)
