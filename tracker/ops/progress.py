"""A progress line on stderr while ``tracker run`` runs: what the process did since the last one.

Read from the process's own Prometheus metrics, so it says what ``/metrics`` says:
snapshots collected and applied, rows stored, post alerts raised, posts tracked, DLQ
messages, consumer lag.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import click
import mode
from prometheus_client import Counter, Gauge

from tracker.ops import metrics as m


def total(metric: Counter | Gauge, **labels: str) -> float:
    """A metric's value summed over its label sets (those matching ``labels``)."""
    out = 0.0
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                out += sample.value
    return out


def reading() -> dict[str, float]:
    """The figures one progress line shows, as the metrics hold them now."""
    return {
        "collected": total(m.SNAPSHOTS_PRODUCED),
        "applied": total(m.EVENTS, topic="tracker.snapshots.v1"),
        "stored": total(m.SINK_ROWS),
        "posts": total(m.TRACKED_POSTS),
        "raised": total(m.ALERTS, state="firing"),
        "dlq": total(m.DLQ),
        "lag": total(m.CONSUMER_LAG),
    }


def progress_line(before: dict[str, float], now: dict[str, float], seconds: float) -> str:
    """One line: counts since ``before`` (``seconds`` ago), then the current levels."""
    def since(key: str) -> str:
        return f"{now[key] - before[key]:+,.0f}"

    line = (f"tracker: last {seconds:.0f} s: {since('collected')} snapshots collected, {since('applied')} applied, "
            f"{since('stored')} rows stored, {since('raised')} post alerts raised; {now['posts']:,.0f} posts tracked, "
            f"consumer lag {now['lag']:,.0f}")
    if now["dlq"] > before["dlq"]:
        line += (f"; {since('dlq')} messages to the DLQ (tracker sql \"SELECT rejected_at, source_topic, reason "
                 "FROM dlq ORDER BY rejected_at DESC LIMIT 10\")")
    return line


class ProgressService(mode.Service):
    """Prints :func:`progress_line` every ``every_s`` seconds."""

    def __init__(self, every_s: float, echo: Callable[[str], Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.every_s = every_s
        # the process's own stderr: the worker's framework logs what is written to sys.stderr
        self.echo = echo or (lambda line: click.echo(line, file=sys.__stderr__))

    async def on_started(self) -> None:
        self.add_future(self._report())

    async def _report(self) -> None:
        last, at = reading(), time.monotonic()
        while not self.should_stop:
            await self.sleep(self.every_s)
            if self.should_stop:
                return
            now, t = reading(), time.monotonic()
            self.echo(progress_line(last, now, t - at))
            last, at = now, t
