"""Repeated log records, one of a kind per minute.

While Kafka is down, aiokafka logs "Unable connect to node with id 1: …" at ERROR on
every reconnect attempt of every client (producer, consumer, coordinator): 40,000
lines in 3.5 minutes of ``tracker run``. ``Repeats`` lets the first record of each
kind (logger, level, message template) through, holds back the same kind for
``every`` seconds, and lets the next one through with the count held back meanwhile
(``tracker_log_records_held_back_total`` counts them too). The outage itself is
reported once, with its start, by ``tracker.ops.health``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from tracker.ops import metrics

NOISY = ("aiokafka", "mode.timers")
"""Loggers (and their children) whose repeats are held back: aiokafka's, and the timers of the
worker's services ("Timer … woke up too late" at INFO each time a batch's analytics held the
event loop past a timer's interval, several a minute on a busy machine)."""


class Repeats(logging.Filter):
    """One record of a kind per ``every`` seconds, the next with how many were held back."""

    MAX_KINDS = 1000

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        self.kinds: dict[tuple[str, int, str], list[float]] = {}  # kind → [last written, held back since]
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self.lock:
            seen = self.kinds.get(kind)
            if seen is not None and now - seen[0] < self.every:
                seen[1] += 1
                metrics.LOG_HELD_BACK.labels(record.name).inc()
                return False
            if len(self.kinds) >= self.MAX_KINDS:
                self.kinds.clear()
            self.kinds[kind] = [now, 0]
        if seen is not None and seen[1]:
            record.msg = (f"{record.getMessage()} ({seen[1]:.0f} more like this in the last {now - seen[0]:.0f} s "
                          "not logged)")
            record.args = ()  # not None: Faust's log formatter makes that (None,) and fails on it
        return True


REPEATS = Repeats()


def _loggers(prefixes: Iterable[str]) -> list[logging.Logger]:
    names = {name for name in logging.root.manager.loggerDict
             if any(name == p or name.startswith(p + ".") for p in prefixes)}
    return [logging.getLogger(name) for name in sorted(names | set(prefixes))]


def hold_back_repeats(prefixes: Iterable[str] = NOISY, limit: Repeats = REPEATS) -> None:
    """Install ``limit`` on the loggers under ``prefixes`` (a filter acts on the logger a record
    is logged to, not on its parents, so each existing one gets it; installing twice is harmless)."""
    prefixes = tuple(prefixes)
    if "aiokafka" in prefixes:
        import aiokafka  # noqa: F401 - creates its modules' loggers
        import aiokafka.admin  # noqa: F401
        import aiokafka.consumer.fetcher  # noqa: F401
        import aiokafka.consumer.group_coordinator  # noqa: F401
        import aiokafka.producer.sender  # noqa: F401
    for logger in _loggers(prefixes):
        logger.addFilter(limit)
