"""Step jumps of one post: one counter leaping while the others stay calm.

A :class:`JumpJudge` walks a post's steps in order, learns each counter's usual
gain per step, raises ``SuspiciousEngagement`` when one counter's gain over the
last ``JUMP_WINDOW`` steps is far above ``JUMP_WINDOW`` × its usual one while
the others stay calm (:func:`alerts.step_jump`), and says how many counts of
the pulse series each jump put into each step, so that bought likes are read
as neither an organic pulse nor a heating's lift.

The post keeps one judge with its checkpoint (stored, it raises the alerts) and
a copy that walks ahead with the live view (not stored, silent), so that a jump
is out of the pulses the stream reports from the hour it is seen.
"""

from __future__ import annotations

import math
import struct
from array import array

from tracker.analytics import alerts
from tracker.analytics.curve import COARSE_STEP, CurveState
from tracker.analytics.metrics import METRICS
from tracker.analytics.params import AnalyticsParams
from tracker.analytics.pulses import NONE

JUMP_WINDOW = 3
"""Steps a jump is summed over: the hours between two polls (one missed) split it."""
USUAL_AFTER = 24
"""Observed final hours counted into each counter's usual hourly gain before a step jump
can be judged against it."""
USUAL_WEIGHT = 1.0 / 24.0
"""Weight of a new hour in the usual hourly gain (an exponential average over about a day)."""
USUAL_RISE_CAP = 3.0
"""Largest ratio of a step's gain to the usual one that a rise counts with."""
JUMP_QUIET_STEPS = 24
"""After a step jump, steps before another one is reported (one jump spreads over the hours
between the polls that bracket it)."""

PACKED = struct.Struct(f"<ii{len(METRICS)}d{(JUMP_WINDOW - 1) * len(METRICS)}f")
"""Last step-jump step, steps counted into the usual gains, K usual gains, then the gains of
the last JUMP_WINDOW − 1 steps judged (float32, NaN: none)."""


class JumpJudge:
    """What judging step jumps needs to remember of the steps already judged."""

    __slots__ = ("usual", "usual_n", "jump_at", "recent")

    def __init__(self) -> None:
        self.usual = array("d", [math.nan]) * len(METRICS)  # per counter: usual gain per observed step
        self.usual_n = 0  # observed steps counted into ``usual``
        self.jump_at = NONE  # step of the last step jump reported
        self.recent = array("f", [math.nan]) * ((JUMP_WINDOW - 1) * len(METRICS))  # older first

    def copy(self) -> JumpJudge:
        other = JumpJudge.__new__(JumpJudge)
        other.usual, other.recent = array("d", self.usual), array("f", self.recent)
        other.usual_n, other.jump_at = self.usual_n, self.jump_at
        return other

    def pack(self) -> bytes:
        return PACKED.pack(self.jump_at, self.usual_n, *self.usual, *self.recent)

    @classmethod
    def unpack(cls, data: bytes | memoryview, offset: int) -> JumpJudge:
        self = cls()
        self.jump_at, self.usual_n, *gains = PACKED.unpack_from(data, offset)
        k = len(METRICS)
        self.usual, self.recent = array("d", gains[:k]), array("f", gains[k:])
        return self

    def judge(
        self, curve: CurveState, s0: int, s1: int, params: AnalyticsParams, events: list[alerts.Alert] | None
    ) -> dict[int, float]:
        """Judge steps ``s0 .. s1-1`` (the next ones after those already judged): append a
        ``SuspiciousEngagement`` to ``events`` for each jump found (``None``: find them
        silently). A counter the platform shows rounded moves a rounding step at once: that
        step is taken off its gain before judging, so "1.1万" → "1.2万" is no spike, and its
        usual gain is a plain average of its steps.

        Returns, per step, the counts of the pulse series that a jump put there: its counter's
        gain above the usual one, in the step it is found and in those of the next
        ``JUMP_WINDOW`` − 1 where that counter alone still jumps (the hours between two polls
        share it)."""
        series = set(curve.series_metrics)
        scale = curve.count_scale()
        jumped: dict[int, float] = {}
        data = curve.hours(s0, s1)
        coarse = {m: curve.rounded(m) for m in METRICS}
        rounded = [m for m in METRICS if coarse[m]]
        usual, recent, n_k = self.usual, self.recent, len(METRICS)
        for i in range(s1 - s0):
            step = s0 + i
            raw: list[float | None] = []
            for m in METRICS:
                d = data.get(m)
                raw.append(None if d is None else d[1][i])
            # gains over the window ending here (an earlier step without a value adds nothing)
            window: dict[str, float | None] = {}
            for k, m in enumerate(METRICS):
                v = raw[k]
                if v is not None:
                    for j in range(k, len(recent), n_k):
                        x = recent[j]
                        v += x if x == x else 0.0
                    v = max(0.0, v - COARSE_STEP) if coarse[m] else v
                window[m] = v
            del recent[:n_k]
            recent.extend(math.nan if v is None else v for v in raw)
            gains = {m: raw[k] for k, m in enumerate(METRICS)}
            per_step = {m: (None if usual[k] != usual[k] else usual[k]) for k, m in enumerate(METRICS)}
            if 0 < step - self.jump_at < JUMP_WINDOW:  # the rest of the last jump, if still alone
                spill = alerts.step_jump(gains, per_step, params, rounded)
                if spill is not None:
                    jumped[step] = _counts(curve, spill["metric"], gains, per_step, series) * scale
            if not curve.observed(step):
                continue
            if self.usual_n >= USUAL_AFTER and step - self.jump_at >= JUMP_QUIET_STEPS:
                ref = {m: (None if usual[k] != usual[k] else JUMP_WINDOW * usual[k])
                       for k, m in enumerate(METRICS)}
                ev = alerts.step_jump(window, ref, params, rounded)
                if ev is not None:
                    self.jump_at = step
                    ev["hour"] = step
                    if events is not None:
                        events.append(
                            alerts.Alert("SuspiciousEngagement", "firing", float(step + 1),
                                         f"step-jump:{ev['metric']}@{step}", ev)
                        )
                    jumped[step] = _counts(curve, ev["metric"], gains, per_step, series) * scale
            self._learn(raw, coarse)
        return {step: x for step, x in jumped.items() if x > 0}

    def _learn(self, raw: list[float | None], coarse: dict[str, bool]) -> None:
        """Count one observed step's gains, as shown, into the usual ones (a rounded counter's
        average out)."""
        usual = self.usual
        for k, v in enumerate(raw):
            if v is None:
                continue
            u = usual[k]
            if u != u:
                usual[k] = v
            elif self.usual_n < USUAL_AFTER:  # the first day: a plain mean, nothing judged yet
                usual[k] = u + (v - u) / (self.usual_n + 1)
            elif v <= u or u <= 0.0 or coarse[METRICS[k]]:  # then an exponential average
                # (a rounded counter moves in steps: its average is its rate) going down...
                usual[k] = u + USUAL_WEIGHT * (v - u)
            else:  # ...whose rise per step is capped in proportion, alike for every
                # counter: a pulse lifts them all, a jump barely moves its own
                usual[k] = u * min(v / u, USUAL_RISE_CAP) ** USUAL_WEIGHT
        self.usual_n += 1


def _counts(curve: CurveState, metric: str, gains: dict[str, float | None], usual: dict[str, float | None],
            series: set[str]) -> float:
    """Counts a jump of ``metric`` put into one step: its gain above the usual one, if the
    counter is summed exactly into the series (a rounded one, or one that only an export
    brings, is not)."""
    gain = gains[metric]
    if metric not in series or curve.rounded(metric) or gain is None:
        return 0.0
    return max(0.0, gain - (usual[metric] or 0.0))
