"""One alert state change, as read from ``tracker.alerts.v1``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.alerting import wording
from tracker.alerting.wording import describe_evidence, describe_suggestion, platform_name
from tracker.report.tables import opening

__all__ = ["SEVERITY_RANK", "AlertChange", "dedup_key", "describe_evidence", "describe_suggestion"]

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
CHAT_TITLE_CHARS = 40  # a chat line names the post by its title's opening


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
    def creator(self) -> str:
        """The post's creator: by name when the evidence carries one (``creator_name``), else by
        id (``creator_id``), else ""."""
        return str(self.evidence.get("creator_name") or self.evidence.get("creator_id") or "")

    @property
    def campaign_name(self) -> str:
        """The campaign's name when the evidence carries one (``campaign_name``), else ""."""
        return str(self.evidence.get("campaign_name") or "")

    @property
    def title(self) -> str:
        """The post's title, when the evidence gives one (``title``), cut to ``CHAT_TITLE_CHARS``."""
        return opening(self.evidence.get("title"), CHAT_TITLE_CHARS)

    @property
    def url(self) -> str:
        """The post on its platform (``url``, from its registry entry), or ""."""
        url = str(self.evidence.get("url") or "")
        return url if url.startswith(("http://", "https://")) else ""

    @property
    def who_parts(self) -> tuple[str, str, str]:
        """(before, title, after) of :attr:`who`: a chat line links the title to :attr:`url`."""
        before = platform_name(self.platform)
        title = f"“{self.title}”" if self.title else ""
        after = f"creator {self.creator}" if self.creator else ""
        sep = " · "
        if title:
            return (before + sep if before else ""), title, (sep + after if after else "")
        return "", "", sep.join(part for part in (before, after) if part)

    @property
    def who(self) -> str:
        """``Douyin · “夏日防晒实测” · creator 小鹿``: the post's platform, title and creator (by name,
        else id), as far as known."""
        return "".join(self.who_parts)

    @property
    def timeline(self) -> str:
        """Since when (and for how long), in the campaign's zone: :func:`wording.timeline`."""
        return wording.timeline(self.alert, self.firing, self.starts_at, self.ends_at, self.evidence)

    @property
    def next_step(self) -> str:
        """What to do, in plain words, while it fires ("" when resolved or nothing to say)."""
        return wording.next_step(self.alert, self.platform) if self.firing else ""

    @property
    def firing(self) -> bool:
        return self.state == "firing"

    @property
    def dedup_key(self) -> tuple[str, str, int]:
        """Same alert instance, same state, same start: one notification, however often it is
        re-emitted. The start tells apart two firings of one alert id (a post taken down, back,
        then taken down again keeps its status alert's id)."""
        return dedup_key(self.alert_id, self.state, self.starts_at)


def dedup_key(alert_id: str, state: str, starts_at: datetime) -> tuple[str, str, int]:
    """The notifier's memory key of one state of one firing: the start to the millisecond."""
    return (alert_id, state, round(starts_at.timestamp() * 1000))
