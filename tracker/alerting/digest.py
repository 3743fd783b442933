"""Per-campaign digests: one chat message per campaign per interval, listing its alerts.

Changes are gathered by (tenant, campaign) and by alert instance; the latest
state of an instance wins, so an alert that fired and resolved within one
interval appears once, as resolved (and says it fired).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.alerting.change import SEVERITY_RANK, AlertChange
from tracker.alerting.wording import ZH_STATUS, describe_suggestion


@dataclass(frozen=True, slots=True)
class Entry:
    """One alert instance in a digest: its latest change and whether it fired in the interval."""

    change: AlertChange
    fired_here: bool

    @property
    def status(self) -> str:
        if self.change.firing:
            return "FIRING"
        return "FIRED+RESOLVED" if self.fired_here else "RESOLVED"

    @property
    def suggestion(self) -> str:
        """What to do while it fires: the re-heat suggested, else the alert's next step."""
        if not self.change.firing:
            return ""
        return describe_suggestion(self.change.suggestion) or self.change.next_step

    @property
    def timeline(self) -> str:
        return self.change.timeline


@dataclass
class CampaignDigest:
    """The alert changes of one campaign since its last digest."""

    tenant: str
    campaign: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def firing(self) -> int:
        return sum(entry.change.firing for entry in self.entries)

    @property
    def resolved(self) -> int:
        return len(self.entries) - self.firing

    @property
    def campaign_name(self) -> str:
        """``双11 大促 (double11)`` when an entry's evidence names the campaign, else its id."""
        name = next((e.change.campaign_name for e in self.entries if e.change.campaign_name), "")
        return f"{name} ({self.campaign})" if name and name != self.campaign else self.campaign

    @property
    def title(self) -> str:
        return (f"tracker · {self.tenant} / {self.campaign_name}: {self.firing} firing, "
                f"{self.resolved} resolved")

    @property
    def title_zh(self) -> str:
        """:attr:`title` with Chinese labels, for the CN chat platforms."""
        return (f"tracker 告警 · {self.tenant} / {self.campaign_name}: {self.firing} firing {ZH_STATUS['FIRING']}, "
                f"{self.resolved} resolved {ZH_STATUS['RESOLVED']}")

    def sorted_entries(self) -> list[Entry]:
        """Firing first (critical, warning, info), then resolved; by alert, then post."""
        return sorted(self.entries, key=lambda e: (not e.change.firing, SEVERITY_RANK.get(e.change.severity, 9),
                                                   e.change.alert, e.change.post_id))


class Digests:
    """Changes waiting for the next digest, by campaign."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], dict[str, Entry]] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._pending.values())

    def add(self, change: AlertChange) -> None:
        entries = self._pending.setdefault((change.tenant, change.campaign), {})
        before = entries.get(change.alert_id)
        fired = change.firing or (before is not None and (before.fired_here or before.change.firing))
        entries[change.alert_id] = Entry(change, fired_here=fired)

    def drain(self) -> list[CampaignDigest]:
        """Every pending campaign's digest (sorted by tenant, campaign); empties the queue."""
        pending, self._pending = self._pending, {}
        return [CampaignDigest(tenant, campaign, list(entries.values()))
                for (tenant, campaign), entries in sorted(pending.items())]


def fit_lines(lines: list[str], budget: int, more: str = "… and {n} more") -> list[str]:
    """The first lines whose UTF-8 size (plus one separator byte each) fits ``budget`` bytes,
    and a last line saying how many were left out."""
    kept: list[str] = []
    used = 0
    reserve = len(more.format(n=len(lines)).encode()) + 1
    for i, line in enumerate(lines):
        size = len(line.encode()) + 1
        last = i == len(lines) - 1
        if used + size + (0 if last else reserve) > budget:
            kept.append(more.format(n=len(lines) - i))
            return kept
        kept.append(line)
        used += size
    return kept
