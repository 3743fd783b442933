"""Every tracked post, ordered by next-due event time, in a structure that holds millions.

Per post a slot in parallel ``array`` columns (publish time, tracking end, due,
last observation, platform, tenant, creator, partition, failures: ~49 bytes; tenants and
creators are indexes into tables of their names) plus its id
in one dict; per platform a binary heap of plain ints ``due_second << 24 | slot``
with lazy deletion: rescheduling pushes a new entry and leaves the old one,
which is dropped when it surfaces because it no longer equals the slot's due.
Due times are whole seconds. Heating windows are kept only for heated posts.

The scheduler is synchronous and single-threaded (it lives on the collector's
event loop); ``pop_due`` marks posts in flight until ``done``/``failed``/``defer``.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

from tracker.collect.cadence import HOUR, Cadence, priority
from tracker.collect.model import PostRef

SLOT_BITS = 24
SLOT_MASK = (1 << SLOT_BITS) - 1
IDLE = math.nan  # not scheduled: tracking ended, or removed
IN_FLIGHT = -1.0
FOREVER = float("inf")


class Scheduler:
    """Posts by platform and next due time; see the module docstring."""

    def __init__(self, cadence: Cadence, platforms: Sequence[str]) -> None:
        self.cadence = cadence
        self.platforms = list(platforms)
        self.pindex = {name: i for i, name in enumerate(self.platforms)}
        self.index: dict[bytes, int] = {}
        self.keys: list[bytes] = []
        self.tenant_names: list[str] = []
        self.tenant_index: dict[str, int] = {}
        self.tenant = array("H")
        self.creator_names: list[str] = [""]  # index 0: no creator known
        self.creator_index: dict[str, int] = {"": 0}
        self.creator = array("I")
        self.platform = array("B")
        self.partition = array("H")
        self.fails = array("B")
        self.published = array("d")
        self.end = array("d")
        self.due = array("d")
        self.last = array("d")
        self.heats: dict[bytes, dict[str, tuple[float, float]]] = {}
        self.heaps: list[list[int]] = [[] for _ in self.platforms]
        self.live = [0] * len(self.platforms)  # scheduled (not in flight) posts per platform
        self.waiting: list[set[int]] = [set() for _ in self.platforms]
        """Per platform, posts that came due and were not polled for want of their creator's
        credentials (``wait``); they leave it when polled again or removed."""

    # -- registry ----------------------------------------------------------------
    def upsert(self, post_id: bytes, tenant: str, platform: str, published: float, end: float | None,
               now: float, partition: int = 0, creator: str = "", last: float = 0.0) -> bool:
        """Track a post (or update it); False when its platform is not collected here.

        ``last``: its last refresh known from elsewhere (event time; 0: none), such as its newest
        snapshot read back at a start (``resume.py``): the post is due by the cadence from it, as
        after ``done``, not at once; a time after ``now`` counts as ``now``."""
        p = self.pindex.get(platform)
        if p is None:
            return False
        t = self.tenant_index.get(tenant)
        if t is None:
            t = self.tenant_index[tenant] = len(self.tenant_names)
            self.tenant_names.append(tenant)
        c = self.creator_index.get(creator)
        if c is None:
            c = self.creator_index[creator] = len(self.creator_names)
            self.creator_names.append(creator)
        slot = self.index.get(post_id)
        if slot is None:
            if len(self.keys) > SLOT_MASK:
                raise OverflowError(f"more than {SLOT_MASK} posts in one collector; run more collectors")
            slot = self.index[post_id] = len(self.keys)
            self.keys.append(post_id)
            self.tenant.append(t)
            self.creator.append(c)
            self.platform.append(p)
            self.partition.append(partition)
            self.fails.append(0)
            self.published.append(published)
            self.end.append(FOREVER if end is None else end)
            self.due.append(IDLE)
            self.last.append(0.0)
        else:
            if self.platform[slot] != p:
                self.waiting[self.platform[slot]].discard(slot)
            self.tenant[slot], self.creator[slot], self.platform[slot], self.partition[slot] = t, c, p, partition
            self.published[slot] = published
            self.end[slot] = FOREVER if end is None else end
        if last:
            self.last[slot] = max(self.last[slot], min(last, now))
        if self.due[slot] != IN_FLIGHT:
            polled = self.last[slot]
            self._schedule(slot, self.cadence.next_due(polled, published, self.end[slot], self._heats(slot))
                           if polled else self._first_due(slot, now))
        return True

    def _first_due(self, slot: int, now: float) -> float | None:
        if now >= self.end[slot]:
            return None
        return max(now, self.published[slot])

    def remove(self, post_id: bytes) -> bool:
        """Stop tracking a post (deleted from the registry)."""
        slot = self.index.pop(post_id, None)
        if slot is None:
            return False
        if self.due[slot] == self.due[slot] and self.due[slot] != IN_FLIGHT:
            self.live[self.platform[slot]] -= 1
        self.due[slot] = IDLE
        self.keys[slot] = b""
        self.heats.pop(post_id, None)
        self.waiting[self.platform[slot]].discard(slot)
        return True

    def set_heating(self, post_id: bytes, heating_id: str, start: float | None, end: float | None,
                    now: float) -> None:
        """Add, move or (start None) cancel a heating window; pulls the next refresh forward: to the
        start, or, when a refresh came after the start (its onset is observed), to the heated
        cadence from that refresh."""
        windows = self.heats.setdefault(post_id, {})
        if start is None:
            windows.pop(heating_id, None)
            if not windows:
                del self.heats[post_id]
            return
        windows[heating_id] = (start, end if end is not None else start + 24 * HOUR)
        slot = self.index.get(post_id)
        if slot is None or self.due[slot] != self.due[slot] or self.due[slot] == IN_FLIGHT:
            return
        last = self.last[slot]
        target = max(now, start) if start > last else self.cadence.next_due(
            last, self.published[slot], self.end[slot], list(windows.values()))
        if target is not None and target < self.due[slot] and target < self.end[slot]:
            self._schedule(slot, target)

    def drop_partitions(self, partitions: Iterable[int]) -> int:
        """Forget the posts of partitions this collector no longer owns; returns how many."""
        gone = set(partitions)
        doomed = [key for key, slot in self.index.items() if self.partition[slot] in gone]
        for key in doomed:
            self.remove(key)
        return len(doomed)

    # -- scheduling ----------------------------------------------------------------
    def _heats(self, slot: int) -> list[tuple[float, float]]:
        windows = self.heats.get(self.keys[slot])
        return list(windows.values()) if windows else []

    def _schedule(self, slot: int, due: float | None) -> None:
        p = self.platform[slot]
        was_live = self.due[slot] == self.due[slot] and self.due[slot] != IN_FLIGHT
        if due is None:
            self.due[slot] = IDLE
            self.live[p] -= was_live
            return
        second = int(due)
        self.due[slot] = float(second)
        self.live[p] += not was_live
        heapq.heappush(self.heaps[p], second << SLOT_BITS | slot)

    def _valid(self, entry: int) -> bool:
        slot = entry & SLOT_MASK
        return self.due[slot] == float(entry >> SLOT_BITS)

    def next_due(self, platform: str) -> float | None:
        """The earliest due time of a platform (stale heap tops are dropped on the way)."""
        heap = self.heaps[self.pindex[platform]]
        while heap and not self._valid(heap[0]):
            heapq.heappop(heap)
        return float(heap[0] >> SLOT_BITS) if heap else None

    def pop_due(self, platform: str, now: float, limit: int) -> list[int]:
        """Up to ``limit`` slots due at ``now``, earliest first, marked in flight."""
        p = self.pindex[platform]
        heap = self.heaps[p]
        out: list[int] = []
        while heap and len(out) < limit and (heap[0] >> SLOT_BITS) <= now:
            entry = heapq.heappop(heap)
            if self._valid(entry):
                slot = entry & SLOT_MASK
                self.due[slot] = IN_FLIGHT
                self.live[p] -= 1
                out.append(slot)
        if len(heap) > 64 and len(heap) > 3 * max(self.live[p], 1):
            self._compact(p)
        return out

    def _compact(self, p: int) -> None:
        """Rebuild a heap without stale entries (after mass reschedules such as a re-import)."""
        kept = [entry for entry in self.heaps[p] if self._valid(entry)]
        heapq.heapify(kept)
        self.heaps[p] = kept

    def live_of(self, platform: str) -> int:
        """Posts of a platform waiting in its heap (in flight and ended ones excluded)."""
        return self.live[self.pindex[platform]]

    def active(self, slot: int) -> bool:
        """Still tracked (not removed while in flight)."""
        return bool(self.keys[slot])

    def done(self, slot: int, observed: float) -> None:
        """A refresh at ``observed`` succeeded: schedule the next by the cadence."""
        if not self.active(slot):
            return
        self.waiting[self.platform[slot]].discard(slot)
        self.fails[slot] = 0
        self.last[slot] = max(self.last[slot], observed)
        self._schedule(slot, self.cadence.next_due(self.last[slot], self.published[slot], self.end[slot],
                                                   self._heats(slot)))

    def failed(self, slot: int, now: float) -> None:
        """A refresh failed after retries: try again after a growing delay (capped by the cadence)."""
        if not self.active(slot):
            return
        self.waiting[self.platform[slot]].discard(slot)
        self.fails[slot] = min(self.fails[slot] + 1, 16)
        wait = min(60.0 * 2 ** self.fails[slot], self.interval(slot, now))
        self._schedule(slot, min(now + wait, self.end[slot]) if now < self.end[slot] else None)

    def defer(self, slot: int, now: float) -> None:
        """Not refreshed now (quota): try again one cadence interval later."""
        if not self.active(slot):
            return
        due = now + self.interval(slot, now)
        self._schedule(slot, min(due, self.end[slot]) if now < self.end[slot] else None)

    def wait(self, slot: int, now: float) -> None:
        """Not polled: no account may read it (its creator is not authorised). It keeps its
        schedule, one cadence interval on, and is counted in ``waiting`` until it is polled."""
        if not self.active(slot):
            return
        self.defer(slot, now)
        if self.due[slot] == self.due[slot]:
            self.waiting[self.platform[slot]].add(slot)
        else:  # its tracking ended: nothing waits any more
            self.waiting[self.platform[slot]].discard(slot)

    def retry_now(self, slot: int, now: float) -> None:
        """Back in the queue as due now (the request was never sent)."""
        if self.active(slot):
            self.waiting[self.platform[slot]].discard(slot)
            self._schedule(slot, now)

    # -- what a slot is --------------------------------------------------------------
    def ref(self, slot: int) -> PostRef:
        return PostRef(self.keys[slot].decode(), self.tenant_names[self.tenant[slot]],
                       self.creator_names[self.creator[slot]])

    def creator_of(self, slot: int) -> str:
        """The registry's creator_id of a post ('' when unknown)."""
        return self.creator_names[self.creator[slot]]

    def age_hours(self, slot: int, now: float) -> float:
        return (now - self.published[slot]) / HOUR

    def heated(self, slot: int, now: float) -> bool:
        windows = self.heats.get(self.keys[slot])
        return windows is not None and self.cadence.heated(windows.values(), now)

    def priority(self, slot: int, now: float) -> int:
        return priority(self.age_hours(slot, now), self.heated(slot, now))

    def interval(self, slot: int, now: float) -> float:
        return self.cadence.interval(max(0.0, self.age_hours(slot, now)), self.heated(slot, now))

    def platform_of(self, slot: int) -> str:
        return self.platforms[self.platform[slot]]

    # -- reporting -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index)

    def scheduled(self, platform: str) -> Iterable[int]:
        """Slots of a platform with a due time (in flight excluded)."""
        p = self.pindex[platform]
        due = self.due
        return (slot for slot in self.index.values() if self.platform[slot] == p and due[slot] == due[slot]
                and due[slot] != IN_FLIGHT)

    def creators(self, platforms: Iterable[str]) -> dict[str, Counter[str]]:
        """Per platform, its scheduled posts (ended and in-flight ones excluded) counted by creator,
        in one pass over every post."""
        by_index: dict[int, Counter[int]] = {self.pindex[p]: Counter() for p in platforms if p in self.pindex}
        due, platform, creator = self.due, self.platform, self.creator
        for slot in self.index.values():
            counts = by_index.get(platform[slot])
            if counts is not None and due[slot] == due[slot] and due[slot] != IN_FLIGHT:
                counts[creator[slot]] += 1
        return {self.platforms[p]: Counter({self.creator_names[c]: n for c, n in counts.items()})
                for p, counts in by_index.items()}

    def due_in(self, partitions: Iterable[int], now: float) -> int:
        """Scheduled posts of these registry partitions due at ``now`` (in flight excluded)."""
        parts = set(partitions)
        due, partition = self.due, self.partition
        return sum(1 for slot in self.index.values()
                   if partition[slot] in parts and due[slot] <= now and due[slot] != IN_FLIGHT)

    def census(self, platform: str, now: float) -> dict[str, int]:
        """Counts of a platform's posts: tracked, scheduled, due now, per priority class, ended."""
        p = self.pindex[platform]
        out: Counter[str] = Counter()
        for slot in self.index.values():
            if self.platform[slot] != p:
                continue
            out["tracked"] += 1
            due = self.due[slot]
            if due != due:
                out["ended"] += 1
                continue
            out["scheduled"] += 1
            out["due"] += due <= now
            out[("heated", "young", "ageing", "old")[self.priority(slot, now)]] += 1
        return dict(out)
