"""The refresh loop: due posts → requests → snapshots and comments, per platform.

Per platform one loop keeps up to ``concurrency`` batches in flight. Each pass
takes the posts that are due (``Scheduler.pop_due``) into a ready queue ordered
by priority class (heated, young, ageing, old) and then due time, and fills a
batch up to the adapter's size. The first post of a batch pays for the call, so
the quota is asked for its class: when it refuses, that post and every less
important one waiting are deferred (a cadence interval later) and counted; the
rest of a paid batch is filled for free. Refreshed posts are rescheduled by the
cadence; failed ones after a growing delay; posts of an open breaker wait. A post
is refreshed once the broker confirmed its snapshot: one whose snapshot Kafka did
not take is a failed refresh (reason ``undelivered``), polled again after the same
growing delay, and its comments are read again on a later visit.

On an owner-only API (the adapter's ``owner_only``) a batch holds the posts of one account: the
first post's, filled from the ready queue with more of that account's (the others keep their
place). A post no account may read (its creator is not in TRACKER_ACCOUNTS_FILE and the platform
has no platform-wide token) is not polled and not marked unavailable: it waits
(``Scheduler.wait``, counted in ``tracker_collect_unauthorised_posts``) and is polled as soon as
the accounts file, reread, authorises its creator. A creator's refused token holds that account
alone (``PlatformHttp.account_wait``): its posts fail with reason ``auth``, the others go on. A
refused token the collector could renew (``renewal.py``) fails nothing: the batch is polled again at
once with the renewed token (``TokenRenewed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from aiokafka.errors import KafkaError

from tracker.collect import errors as e
from tracker.collect.accounts import VARIABLE
from tracker.collect.cadence import PRIORITIES
from tracker.collect.clock import Clock
from tracker.collect.comments import CommentState, read_new
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp
from tracker.collect.model import Observation, PostRef
from tracker.collect.plan import counted
from tracker.collect.platforms import Adapter
from tracker.collect.produce import Producer
from tracker.collect.scheduler import Scheduler
from tracker.ops import metrics

log = logging.getLogger(__name__)
LOOKAHEAD = 4
"""Batches' worth of ready posts looked through for more posts of a batch's account."""


@dataclass
class Runner:
    """One platform's moving parts."""

    cfg: PlatformConfig
    adapter: Adapter
    http: PlatformHttp
    ready: list[tuple[int, int, int]] = field(default_factory=list)  # (priority, order, slot) heap
    order: int = 0
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def platform(self) -> str:
        return self.cfg.platform


@dataclass(frozen=True)
class Options:
    """Collector knobs from settings."""

    comments: bool = True
    comment_every_hours: float = 6.0
    comment_max_pages: int = 5
    tick: float = 0.2


class Collector:
    """Runs every platform's loop over one scheduler and one producer."""

    def __init__(self, scheduler: Scheduler, runners: list[Runner], producer: Producer, clock: Clock,
                 options: Options | None = None) -> None:
        self.scheduler = scheduler
        self.runners = runners
        self.producer = producer
        self.clock = clock
        self.options = options or Options()
        self.comment_states: dict[int, CommentState] = {}
        self.extra: dict[int, dict[str, str]] = {}
        self.refreshed = 0  # successful post refreshes, for health and benchmarks
        for runner in runners:
            runner.slots = asyncio.Semaphore(runner.cfg.concurrency)

    async def run(self) -> None:
        """Run every platform loop (and the gauges) until cancelled."""
        loops = [asyncio.create_task(self._loop(r), name=f"collect-{r.platform}") for r in self.runners]
        loops.append(asyncio.create_task(self._gauges(), name="collect-gauges"))
        try:
            await asyncio.gather(*loops)
        finally:
            for task in loops:
                task.cancel()
            for runner in self.runners:
                for task in list(runner.tasks):
                    task.cancel()
            await asyncio.gather(*loops, *(t for r in self.runners for t in r.tasks), return_exceptions=True)

    def wake(self) -> None:
        """Something changed in the schedule (new posts, heating): look again now."""
        for runner in self.runners:
            runner.wake.set()

    # -- one platform -----------------------------------------------------------------
    async def _loop(self, r: Runner) -> None:
        while True:
            wait = r.http.wait_seconds()
            if wait > 0:
                await asyncio.sleep(min(wait, 1.0))
                continue
            await r.slots.acquire()
            try:
                batch = self._next_batch(r)
            except BaseException:
                r.slots.release()
                raise
            if not batch:
                r.slots.release()
                r.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(r.wake.wait(), self.options.tick)
                continue
            task = asyncio.create_task(self._refresh(r, batch))
            r.tasks.add(task)
            task.add_done_callback(functools.partial(self._finished, r))

    def _finished(self, r: Runner, task: asyncio.Task[None]) -> None:
        r.tasks.discard(task)
        r.slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: refresh failed unexpectedly", r.platform, exc_info=task.exception())

    def _fill(self, r: Runner, now: float) -> bool:
        """Due posts into the ready queue; False when none was due."""
        size = r.adapter.batch
        due = self.scheduler.pop_due(r.platform, now, max(4 * size * r.cfg.concurrency, 64))
        for slot in due:
            r.order += 1
            heapq.heappush(r.ready, (self.scheduler.priority(slot, now), r.order, slot))
        return bool(due)

    def _next_batch(self, r: Runner) -> list[tuple[int, int]]:
        """Up to one batch of (slot, priority), most important first, of one account on an
        owner-only API; defers what the quota refuses, sets aside (``wait``) what no account reads."""
        now = self.clock.now()
        size = r.adapter.batch
        if len(r.ready) < size:
            self._fill(r, now)
        owned = r.adapter.owner_only
        batch: list[tuple[int, int]] = []
        account: object = None  # the account of the batch (owner-only APIs)
        aside: list[tuple[int, int, int]] = []  # ready posts of other accounts, back in the queue after
        while len(batch) < size:
            if not r.ready and (aside or not owned or not self._fill(r, now)):
                break  # (waiting posts are skipped, not polled: more due ones may fill the batch)
            prio, _, slot = r.ready[0]
            if not self.scheduler.active(slot):
                heapq.heappop(r.ready)
                continue
            if owned:
                owner = r.adapter.account_by_creator(self.scheduler.creator_of(slot))
                if owner is None:
                    heapq.heappop(r.ready)
                    self.scheduler.wait(slot, now)
                    continue
                if batch and owner is not account:
                    aside.append(heapq.heappop(r.ready))
                    if len(aside) >= LOOKAHEAD * size:
                        break
                    continue
                account = owner
            if not batch and not r.http.allows(prio):
                self._defer_ready(r, now)
                break
            heapq.heappop(r.ready)
            batch.append((slot, prio))
        for entry in aside:
            heapq.heappush(r.ready, entry)
        return batch

    def _defer_ready(self, r: Runner, now: float) -> None:
        """The quota refuses the most important waiting post: defer it and all after it."""
        for prio, _, slot in r.ready:
            self.scheduler.defer(slot, now)
            metrics.COLLECT_DEFERRED.labels(r.platform, PRIORITIES[prio]).inc()
        r.ready.clear()

    async def _refresh(self, r: Runner, batch: list[tuple[int, int]]) -> None:
        slots = [slot for slot, _ in batch]
        refs = [self.scheduler.ref(slot) for slot in slots]
        try:
            observations = await r.adapter.fetch_metrics(r.http, refs)
        except (e.CircuitOpen, e.TokenRenewed):  # nothing read: due again now (the breaker decides when)
            for slot in slots:
                self.scheduler.retry_now(slot, self.clock.now())
            return
        except e.QuotaExhausted:
            now = self.clock.now()
            for slot, prio in batch:
                self.scheduler.defer(slot, now)
                metrics.COLLECT_DEFERRED.labels(r.platform, PRIORITIES[prio]).inc()
            return
        except e.CollectError as exc:
            self._failed(r, slots, exc.outcome)
            log.debug("%s: refresh of %d posts failed: %s", r.platform, len(slots), exc.message)
            return
        except Exception:
            self._failed(r, slots, "unexpected")
            log.exception("%s: adapter error", r.platform)
            return
        observed = self.clock.now()
        await self._publish(r, batch, refs, observations, observed)

    def _failed(self, r: Runner, slots: list[int], reason: str) -> None:
        now = self.clock.now()
        metrics.COLLECT_FAILED.labels(r.platform, reason).inc(len(slots))
        for slot in slots:
            self.scheduler.failed(slot, now)

    async def _publish(self, r: Runner, batch: list[tuple[int, int]], refs: list[PostRef],
                       observations: list[Observation], observed: float) -> None:
        """Produce the batch's snapshots; a post is refreshed (``done``) once the broker has its
        snapshot, and polled again after a backoff (``failed``) when it has not."""
        by_id = {obs.post_id: obs for obs in observations}
        at = datetime.fromtimestamp(observed, UTC)
        sent: list[tuple[int, int, PostRef, Observation]] = []
        futures = []
        undelivered: list[int] = []
        session = self.producer.session
        for (slot, prio), ref in zip(batch, refs, strict=True):
            obs = by_id.get(ref.post_id)
            if obs is None:  # the platform returned nothing for it
                self._done(slot, observed)
                continue
            if obs.status == "invalid":  # this post's item was unreadable: it alone is polled again
                log.warning("%s: %s not read: %s", r.platform, ref.post_id, obs.problem or "invalid item")
                self._failed(r, [slot], "invalid")
                continue
            if obs.extra:
                self.extra.setdefault(slot, {}).update(obs.extra)
            try:
                future = await self.producer.snapshot(obs, ref.tenant, r.platform, obs.observed_at or at,
                                                      r.cfg.source)
            except KafkaError:  # not even queued (counted and logged by the producer)
                undelivered.append(slot)
                continue
            if future is None:  # breaks the contract: counted and logged; polling again would not mend it
                self._done(slot, observed)
                continue
            sent.append((slot, prio, ref, obs))
            futures.append(future)
        follow: list[tuple[int, int, PostRef, Observation]] = []
        delivered = await self.producer.delivered(futures, self.producer.snapshots_topic, session)
        for (slot, prio, ref, obs), ok in zip(sent, delivered, strict=True):
            if not ok:
                undelivered.append(slot)
                continue
            metrics.SNAPSHOTS_PRODUCED.labels(r.platform).inc()
            self._done(slot, observed)
            if obs.status != "ok":  # unavailable, or an export's "deleted"
                metrics.COLLECT_UNAVAILABLE.labels(r.platform).inc()
            elif self.options.comments and r.adapter.has_comments:
                follow.append((slot, prio, ref, obs))
        if undelivered:
            self._failed(r, undelivered, "undelivered")
        if follow:
            await asyncio.gather(*(self._comments(r, *item, observed) for item in follow))

    def _done(self, slot: int, observed: float) -> None:
        self.scheduler.done(slot, observed)
        self.refreshed += 1

    async def _comments(self, r: Runner, slot: int, prio: int, ref: PostRef, obs: Observation,
                        now: float) -> None:
        """Read the comments that are new since the last visit, when it is time and worth it."""
        state = self.comment_states.get(slot)
        if state is None:
            state = self.comment_states[slot] = CommentState()
        elif now - state.visited < self.options.comment_every_hours * 3600:
            return
        count = obs.metrics.get("comments")
        if state.visited and count is not None and state.count is not None and count <= state.count \
                and state.resume is None and not state.owed:
            state.visited = now
            return
        if not r.http.allows(min(prio + 1, len(PRIORITIES) - 1)):  # counters matter more than comments
            return
        extra = self.extra.get(slot, {})
        before = replace(state)  # what to go back to when the broker does not take the comments

        async def fetch(cursor: str | None):  # noqa: ANN202 - CommentPage
            return await r.adapter.fetch_comments(r.http, ref, cursor, extra)

        async def replies(thread: str, skip: int):  # noqa: ANN202 - CommentPage
            return await r.adapter.fetch_replies(r.http, ref, thread, skip, extra)

        reading = await read_new(fetch, state, r.adapter.comments_newest_first, self.options.comment_max_pages,
                                 replies if r.adapter.replies_apart else None)
        if reading.error is not None:  # the state stands where it stopped; what was read is sent
            metrics.COLLECT_FAILED.labels(r.platform, f"comments_{reading.error.outcome}").inc()
            log.debug("%s: comments of %s not all read: %s", r.platform, ref.post_id, reading.error.message)
        else:
            state.visited, state.count = now, count
        found = reading.comments
        if found:
            try:
                session = self.producer.session
                futures = await self.producer.comments(ref, found)
                sent = await self.producer.delivered(futures, self.producer.comments_topic, session)
            except KafkaError:  # not even queued (counted and logged by the producer)
                sent = [False]
            metrics.COLLECT_COMMENTS.labels(r.platform).inc(sent.count(True))
            if not all(sent):  # read them again on the next visit (duplicates are harmless)
                self.comment_states[slot] = before

    # -- accounts -------------------------------------------------------------------------
    def check_accounts(self, force: bool = False) -> bool:
        """Reread the accounts file when it changed (``Accounts.refresh``); then forget the
        refusals of the entries it changed and poll at once the waiting posts it now authorises.
        True when it changed."""
        changed = False
        seen: set[int] = set()
        for r in self.runners:
            accounts = r.cfg.accounts
            if accounts is None or id(accounts) in seen:
                continue
            seen.add(id(accounts))
            if accounts.refresh(force):
                changed = True
        if not changed:
            return False
        now = self.clock.now()
        for r in self.runners:
            if r.cfg.accounts is None:
                continue
            r.http.release_accounts({c for p, c in r.cfg.accounts.changed if p == r.platform})
            waiting = self.scheduler.waiting[self.scheduler.pindex[r.platform]]
            for slot in list(waiting):
                if r.adapter.account_by_creator(self.scheduler.creator_of(slot)) is not None:
                    self.scheduler.retry_now(slot, now)
            self.log_waiting(r.platform, self.waiting_creators(r.platform))
            r.wake.set()
        return True

    def waiting_creators(self, platform: str) -> Counter[str]:
        """Posts waiting for authorisation (``Scheduler.wait``) by creator."""
        waiting = self.scheduler.waiting[self.scheduler.pindex[platform]]
        return Counter(self.scheduler.creator_of(slot) for slot in waiting)

    @staticmethod
    def log_waiting(platform: str, creators: Counter[str]) -> None:
        """Say which creators' posts wait for authorisation, and what to do (once per change)."""
        if not creators:
            return
        names = sorted(creators, key=lambda c: (-creators[c], c))
        shown = ", ".join((c or "(no creator_id)") for c in names[:10]) + (" …" if len(names) > 10 else "")
        log.warning("%s: %s wait for authorisation: add them to %s (%s); until then they are not polled, nor "
                    "marked unavailable", platform, counted(creators), VARIABLE, shown)

    # -- gauges ---------------------------------------------------------------------------
    async def _gauges(self) -> None:
        while True:
            self.check_accounts()
            self.update_gauges()
            await asyncio.sleep(1.0)

    def update_gauges(self) -> None:
        now = self.clock.now()
        for r in self.runners:
            p = r.platform
            left = r.http.quota.remaining(now)
            metrics.COLLECTOR_QUOTA_REMAINING.labels(p).set(-1 if left is None else left)
            metrics.COLLECTOR_QUOTA_EXHAUSTED.labels(p).set(1 if left == 0 else 0)
            metrics.COLLECTOR_BREAKER_OPEN.labels(p).set(0 if r.http.breaker.state == "closed" else 1)
            metrics.COLLECT_SCHEDULED.labels(p).set(self.scheduler.live_of(p))
            if r.adapter.owner_only:
                metrics.COLLECT_UNAUTHORISED.labels(p).set(len(self.scheduler.waiting[self.scheduler.pindex[p]]))
                metrics.COLLECTOR_ACCOUNTS_REFUSED.labels(p).set(r.http.accounts_refused())
            due = self.scheduler.next_due(p)
            metrics.COLLECT_LAG.labels(p).set(max(0.0, now - due) if due is not None else 0.0)

