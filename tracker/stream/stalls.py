"""``PostStalled``: the one wall-clock rule (DESIGN.md): no fresh snapshot for
``stalled_cadence_multiple`` × the post's expected polling interval.

The watcher keeps, per post, when its last snapshot arrived (wall clock) and a
smoothed interval between arrivals; a periodic check fires the alert once per
silence and resolves it when a snapshot arrives. This bookkeeping lives in
memory only: after a restart the clock of each post starts again at its next
snapshot, which can delay — never invent — a stall alert. The alerts still
firing in the store are read back (``reopen``) when a worker is given a post's
partition (at start, and when workers join or leave), so that the post's next
snapshot, or the end of its tracking, resolves them; a worker whose partition
went to another stops watching its posts (``keep``).

A post whose tracking window has closed is polled no more: it is not stalled.
Its window closes in event time, when the newest snapshot of any post of its
tenant (the tenant's watermark: those this worker reads, and those the store
holds, which other workers' partitions bring) passes its ``tracking_end``;
:meth:`StallWatcher.ended` hands such posts over once, so that their open
alerts can be resolved, and again after each snapshot that still comes (an
export row, a record read again after a rebalance), remembering what was
resolved (``to_resolve``): an alert raised since resolves too, none twice.
One tenant's clock never closes another's windows (a snapshot dated years
ahead by mistake goes to the DLQ before it gets here:
``tracker.contracts.timestamps.ahead_of_sending``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tracker.analytics.alerts import stalled
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams


@dataclass(slots=True)
class Arrival:
    """Arrival bookkeeping of one post (seconds, wall clock)."""

    tenant: str
    campaign_id: str
    last_seen: float
    interval: float | None = None
    firing_since: float | None = None
    """The last arrival before the silence that fired (the alert's key), while it fires."""
    fired_at: float = 0.0
    tracking_end_ms: int | None = None
    """End of the post's tracking window (event time, epoch ms)."""
    first_seen: float = 0.0
    arrivals: int = 1
    """Arrivals since ``first_seen``: a post polled more often than ``min_interval_s`` (an
    accelerated demo clock) takes their mean interval, floored, as its usual one."""
    ended: bool = False
    """Handed over by ``ended`` (its window closed) and not seen since."""
    resolved: dict[str, int] = field(default_factory=dict)
    """The alerts resolved at the end of its tracking (alert id -> when it fired, epoch ms)."""


class StallWatcher:
    """Tracks snapshot arrivals and reports posts that went silent or came back."""

    def __init__(self, params: AnalyticsParams = DEFAULT_PARAMS, min_interval_s: float = 60.0) -> None:
        self.params = params
        self.min_interval_s = min_interval_s
        self.posts: dict[str, Arrival] = {}
        self.watermarks: dict[str, int] = {}
        """Per tenant, the newest snapshot time seen of any of its posts (event time, epoch ms)."""

    def seen(self, post_id: str, tenant: str, campaign_id: str, now: float, observed_ms: int = 0,
             tracking_end_ms: int | None = None) -> tuple[float, float] | None:
        """Record an arrival (wall clock ``now``; the post's newest snapshot time and the end of
        its tracking window, event time); returns (start of the silence, when its alert fired)
        of a stall it ends (to resolve), else None."""
        self.advance(tenant, observed_ms)
        p = self.posts.get(post_id)
        if p is None:
            self.posts[post_id] = Arrival(tenant, campaign_id, now, tracking_end_ms=tracking_end_ms, first_seen=now)
            return None
        p.tracking_end_ms = tracking_end_ms
        p.ended = False  # handed over again if its window has closed: what this snapshot raised resolves
        p.arrivals += 1
        gap = now - p.last_seen
        if gap >= self.min_interval_s:
            p.interval = gap if p.interval is None else 0.8 * p.interval + 0.2 * gap
        elif p.interval is None and p.arrivals >= 4 and now - p.first_seen >= self.min_interval_s:
            # arrivals closer than the floor, spread over more than it: polled that often; a burst
            # of them at once (a replay after a restart) spans less and sets nothing
            p.interval = max(self.min_interval_s, (now - p.first_seen) / (p.arrivals - 1))
        p.last_seen, p.campaign_id = now, campaign_id or p.campaign_id
        ended, p.firing_since = p.firing_since, None
        return None if ended is None else (ended, p.fired_at)

    def advance(self, tenant: str, observed_ms: int) -> None:
        """Move ``tenant``'s watermark to ``observed_ms`` (epoch ms) if that is later: a snapshot
        of one of its posts, read here or stored by another worker."""
        if observed_ms > self.watermarks.get(tenant, 0):
            self.watermarks[tenant] = observed_ms

    def reopen(self, post_id: str, tenant: str, campaign_id: str, silence: float, fired_at: float,
               tracking_end_ms: int | None, now: float) -> bool:
        """Watch, as firing, a ``PostStalled`` (the silence that began at ``silence``, fired at
        ``fired_at``) the store has open from before this process started: the post's next
        snapshot or the end of its tracking resolves it. False when the post has had a snapshot
        since this process started: the stall is over, to resolve now."""
        if post_id in self.posts:
            return False
        self.posts[post_id] = Arrival(tenant, campaign_id, now, firing_since=silence, fired_at=fired_at,
                                      tracking_end_ms=tracking_end_ms, first_seen=now)
        return True

    def forget(self, post_id: str) -> Arrival | None:
        """Stop watching a post (end of tracking, deleted); what was watched of it, if anything."""
        return self.posts.pop(post_id, None)

    def keep(self, owned: Callable[[str], bool]) -> int:
        """Stop watching every post ``owned`` says is not this worker's any more (its partition
        went to another worker, which watches it from there); returns how many were dropped."""
        gone = [post_id for post_id in self.posts if not owned(post_id)]
        for post_id in gone:
            del self.posts[post_id]
        return len(gone)

    def closed(self, p: Arrival) -> bool:
        """Whether ``p``'s tracking window has closed: its tenant's watermark passed its end."""
        return p.tracking_end_ms is not None and p.tracking_end_ms <= self.watermarks.get(p.tenant, 0)

    def ended(self) -> list[tuple[str, Arrival]]:
        """Posts whose tracking window their tenant's watermark has passed, handed over once, and
        once more after each later snapshot (what it raised resolves: ``to_resolve``)."""
        out = [(post_id, p) for post_id, p in self.posts.items() if not p.ended and self.closed(p)]
        for _, p in out:
            p.ended = True
        return out

    @staticmethod
    def to_resolve(p: Arrival, open_alerts: Mapping[str, int]) -> list[tuple[str, int]]:
        """The open alerts (alert id -> when it fired, epoch ms) of a post ``ended`` handed over
        that the end of its tracking has not resolved yet; remembered as resolved from now on.
        (Its state keeps them open: the batches own it.)"""
        out = [(alert_id, fired) for alert_id, fired in open_alerts.items() if p.resolved.get(alert_id) != fired]
        p.resolved.update(out)
        return out

    def check(self, now: float) -> list[tuple[str, Arrival]]:
        """Posts that just went silent (each reported once per silence) inside their tracking window."""
        out = []
        for post_id, p in self.posts.items():
            if p.firing_since is not None or p.interval is None:
                continue
            if self.closed(p):
                continue  # polled no more; ``ended`` hands it over
            if stalled(p.last_seen / 3600, now / 3600, p.interval / 3600, self.params):
                p.firing_since, p.fired_at = p.last_seen, now
                out.append((post_id, p))
        return out
