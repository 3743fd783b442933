"""Pulses of one post's velocity: onsets, attribution, peak, decay, lift.

:class:`PulseTracker` is fed one complete grid step at a time (a step is an
hour on the default grid), in order, with the step's velocity of the pulse
series (engagements) and whether the step was observed. It keeps the current
pulse and compact aggregates of the closed ones, so its size does not grow
with the post's age.

Model. A pulse starts at a heating node (its delivery window; default 24 h)
or at an organic onset (velocity > ``onset_ratio`` × the trailing median for
``onset_hours`` observed steps, and clear of the noise). Pulses superpose: the
counterfactual of pulse *k* is the flat pre-publish level plus the fitted
decays of the pulses before it, extrapolated; the pulse's own excess over it
is fitted with ``A (τ + c)^−θ`` from its peak on (:mod:`.decay`). The
attribution interval of pulse *k* is ``[onset_k, onset_k+1)``, so intervals
tile time. Incremental engagements are the excess summed over the interval,
clipped at 0 per block of ``lift_block_hours`` (pooling first keeps clipping
from turning counting noise into lift). Baseline, peak, half-life and the
decay start follow DESIGN.md with velocities taken from the fitted model
(noise and the daily cycle make single hours unreliable): half-way / a
``decay_fraction`` of the way from the peak back to the pre-onset baseline.
"""

from __future__ import annotations

import bisect
import math
import struct
from array import array
from dataclasses import dataclass, replace

from tracker.analytics.baseline import exceeds, log_noise, median
from tracker.analytics.decay import DecayFit, NoFit, fit_decay, kernel, kernel_integral, weights_for
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams

TRIGGERS = ("publish", "tracking-start", "organic", "heating")
STATUSES = ("rising", "decaying", "settled", "no-response")


def _bin_edges(limit: int = 20_000) -> list[int]:
    edges = list(range(13))
    while edges[-1] < limit:
        edges.append(max(edges[-1] + 1, round(edges[-1] * 1.25)))
    return edges


BIN_EDGES = _bin_edges()
"""Steps since onset grouped for fitting: single steps up to 12, then 25 % wider each."""


def bin_of(tau: int) -> int:
    """Index of the fitting bin holding step ``tau`` after the onset."""
    return bisect.bisect_right(BIN_EDGES, tau) - 1


@dataclass(frozen=True, slots=True)
class HeatingNode:
    """A paid boost of one post: delivery window ``[start, end)`` in grid steps."""

    id: str
    start: float
    end: float | None = None
    """None: ``heating_window_hours`` after the start."""
    spend: float = 0.0
    currency: str = ""
    status: str = "planned"
    """``planned`` or ``executed``."""

    def window_end(self, params: AnalyticsParams) -> float:
        """End of the delivery window in steps."""
        return (
            self.end
            if self.end is not None
            else self.start + params.heating_window_hours / params.grid_hours
        )


@dataclass(frozen=True, slots=True)
class Pulse:
    """One pulse as reported (steps are grid steps since the epoch; hours on the default grid)."""

    index: int
    onset: int
    trigger: str
    heating_ids: tuple[str, ...]
    spend: float
    interval_end: int | None
    """Next pulse's onset (exclusive), None while this is the current pulse."""
    baseline: float
    """Velocity the post would have had at the onset without this pulse (counts/step)."""
    peak: int | None
    peak_velocity: float | None
    rise_steps: int | None
    half_life: float | None
    """Steps from the peak until the velocity is half-way back to the baseline."""
    theta: float | None
    offset: float | None
    amplitude: float | None
    fit_r2: float | None
    fit_points: int
    no_fit_reason: str | None
    incremental: float
    """Engagements above the counterfactual over the attribution interval so far."""
    total: float
    """Engagements over the attribution interval so far."""
    cost_per_incremental: float | None
    status: str
    decaying_since: int | None
    """First step of the run of ``decay_hours`` below the ``decay_fraction`` line."""


@dataclass(frozen=True, slots=True)
class DecayView:
    """What the ``PostDecaying`` decision needs from the current pulse."""

    pulse_index: int
    decaying_since: int | None
    projected_gain: float | None
    """Fitted excess expected over the next ``decay_gain_horizon_hours`` (counts)."""
    incremental: float
    peak_velocity: float | None
    baseline: float
    threshold: float | None
    recent_velocity: float | None
    theta: float | None
    fit_r2: float | None
    status: str


def _fit_tuple(fit: DecayFit | None) -> tuple[float, ...]:
    if fit is None:
        return (math.nan,) * 11
    return (fit.amplitude, fit.offset, fit.theta, fit.r2, float(fit.points), *fit.low, *fit.high)


def _fit_from(values: tuple[float, ...]) -> DecayFit | None:
    if values[0] != values[0]:
        return None
    a, c, th, r2, pts, la, lc, lt, ha, hc, ht = values
    return DecayFit(a, c, th, r2, int(pts), (la, lc, lt), (ha, hc, ht))


_SCALARS = (
    # tracker
    "next_step", "publish", "track_end", "ring_obs", "closed", "heat_lift", "heat_spend",
    "paid_tail", "organic_tail", "burst_sum", "total_sum", "b0",
    "cand_start", "cand_count", "cand_ref", "cand_noise",
    # current pulse
    "index", "onset", "trigger", "spend", "window_end", "base", "steps",
    "peak_tau", "peak_s", "peak_raw", "lift_done", "block_sum", "block_idx", "p_total",
    "fit_at", "since", "responded", "no_response", "peaked", "last_obs_v", "fit_peak",
    "half_x", "eager",
)  # fmt: skip
_INTS = {
    "next_step", "publish", "track_end", "ring_obs", "closed", "cand_start", "cand_count", "index",
    "onset", "trigger", "steps", "peak_tau", "block_idx", "fit_at", "since", "responded",
    "no_response", "peaked", "fit_peak", "eager",
}  # fmt: skip
_NONE = -(2**62)


class PulseTracker:
    """Pulses of one post, fed complete steps in order; small and serialisable."""

    __slots__ = (
        *_SCALARS, "ring", "kernels", "bins_e", "bins_v", "bins_o", "nodes", "ids", "fit", "no_fit", "closed_pulses"
    )  # fmt: skip

    def __init__(self, publish: int | None = None, track_end: int | None = None) -> None:
        self.next_step = _NONE
        self.publish = _NONE if publish is None else publish
        self.track_end = _NONE if track_end is None else track_end
        self.ring = array("f")  # trailing velocities, oldest first
        self.ring_obs = 0  # bit i: ring[i] observed
        self.closed = 0
        self.heat_lift = self.heat_spend = 0.0
        self.paid_tail = self.organic_tail = self.burst_sum = self.total_sum = 0.0
        self.b0 = 0.0
        self.cand_start = _NONE
        self.cand_count = 0
        self.cand_ref = self.cand_noise = 0.0
        self.nodes: list[HeatingNode] = []
        self.closed_pulses: list[
            Pulse
        ] = []  # transient: pulses closed since the owner last read them
        self.eager = 1  # refit as data arrive (0: only when a pulse closes, for checkpoints)
        self.index = -1
        self.ids: tuple[str, ...] = ()
        self._reset_pulse(_NONE, 0, 0.0, math.nan, 0.0)
        self.kernels = array("d")

    # -- pulse lifecycle ---------------------------------------------------

    def _reset_pulse(
        self, onset: int, trigger: int, spend: float, window_end: float, base: float
    ) -> None:
        self.onset, self.trigger, self.spend, self.window_end, self.base = (
            onset,
            trigger,
            spend,
            window_end,
            base,
        )
        self.steps = 0
        self.peak_tau = -1
        self.peak_s = self.peak_raw = 0.0
        self.lift_done = self.block_sum = 0.0
        self.block_idx = 0
        self.p_total = 0.0
        self.fit_at = 0
        self.fit_peak = -1
        self.since = _NONE
        self.half_x = math.nan
        self.responded = 0
        self.no_response = 0
        self.peaked = 0
        self.last_obs_v = math.nan
        self.bins_e = array("f")
        self.bins_v = array("f")
        self.bins_o = array("H")
        self.fit: DecayFit | None = None
        self.no_fit = "no hours after the peak yet"

    def counterfactual(self, step: float) -> float:
        """Velocity expected at ``step`` without the current pulse (counts/step)."""
        total = self.b0
        k = self.kernels
        for i in range(0, len(k), 4):
            total += kernel(k[i + 1], k[i + 2], k[i + 3], step - k[i] + 0.5)
        return total

    def _cf_integral(self, s1: float, s2: float) -> float:
        total = self.b0 * (s2 - s1)
        k = self.kernels
        for i in range(0, len(k), 4):
            total += kernel_integral(k[i + 1], k[i + 2], k[i + 3], s1 - k[i], s2 - k[i])
        return total

    def _start(
        self,
        step: int,
        trigger: int,
        spend: float,
        window_end: float,
        ids: tuple[str, ...],
        params: AnalyticsParams,
    ) -> None:
        """Close the current pulse (its decay joins the counterfactual) and open a new one."""
        if self.onset != _NONE:
            self._close(params, step)
            self.index += 1
        else:
            self.index = 0
        if self.kernels or self.b0 > 0:
            base = self.counterfactual(step - 1)
        elif trigger == 0:
            base = 0.0
        else:
            base = (
                median(list(self.ring[-params.steps(params.baseline_window_hours, 3) :]))
                if self.ring
                else 0.0
            )
            self.b0 = base
        self._reset_pulse(step, trigger, spend, window_end, base)
        self.ids = ids

    def _close(self, params: AnalyticsParams, next_onset: int) -> None:
        self._trim_rise(next_onset)
        self._refit(params, force=True)
        if self.fit is None and self.peak_tau >= 0 and not self.no_response:
            # too few points for min_fit_points: a closing pulse still needs a decay, try with 3
            taus, es, ws, points = self._fit_data()
            relaxed = fit_decay(
                taus, es, ws, self.peak_tau + 0.5, points, replace(params, min_fit_points=3)
            )
            if isinstance(relaxed, DecayFit):
                self.fit = relaxed
                self._update_since(params)
        final = self.current(params)
        if final is not None and self.eager:
            self.closed_pulses.append(replace(final, interval_end=next_onset))
        heated = TRIGGERS[self.trigger] == "heating"
        if heated:
            self.heat_lift += self.incremental()
            self.heat_spend += self.spend
        self.closed += 1
        if self.no_response or self.steps == 0:
            return
        fit = self.fit
        if fit is None:  # fallback: a 1/τ decay through the excess of the last steps
            n = min(3, self.steps)
            recent = self._recent_excess(n)
            if recent <= 0:
                return
            tau_mid = self.steps - n / 2.0
            c = max(self.peak_tau, 0) + 1.0
            fit = DecayFit(recent * (tau_mid + c), c, 1.0, 0.0, 0)
        self.kernels.extend((float(self.onset), fit.amplitude, fit.offset, fit.theta))
        while len(self.kernels) > 4 * params.max_kernels:  # oldest kernel frozen into the level
            o, a, c, th = self.kernels[:4]
            self.b0 += kernel(a, c, th, self.onset + self.steps - o)
            del self.kernels[:4]

    def _trim_rise(self, next_onset: int) -> None:
        """Leave out of the closing fit the rising run just before the next onset (the next
        pulse's build-up), so it does not bend the decay that extrapolates under it."""
        last = self.onset + self.steps - 1
        first_kept = last
        while first_kept - 1 > self.onset + self.peak_tau and last - first_kept < 8:
            if self._mean(first_kept, first_kept) > self._mean(first_kept - 1, first_kept - 1):
                first_kept -= 1
            else:
                break
        if first_kept == last or first_kept >= next_onset:
            return
        for step in range(first_kept, last + 1):
            if self._mean(step, step) <= self._mean(first_kept - 1, first_kept - 1):
                continue
            tau = step - self.onset
            b = bin_of(tau)
            v = self._mean(step, step)
            self.bins_e[b] -= v - self.counterfactual(step)
            self.bins_v[b] -= v
            if self.bins_o[b]:
                self.bins_o[b] -= 1
        self.steps = first_kept - self.onset
        del self.bins_e[bin_of(self.steps - 1) + 1 :]
        del self.bins_v[bin_of(self.steps - 1) + 1 :]
        del self.bins_o[bin_of(self.steps - 1) + 1 :]

    def _recent_excess(self, n: int) -> float:
        """Mean excess over the counterfactual of the pulse's last ``n`` steps."""
        last = self.onset + self.steps - 1
        vals = [self._mean(s, s) - self.counterfactual(s) for s in range(last - n + 1, last + 1)]
        return sum(vals) / len(vals) if vals else 0.0

    # -- feeding -----------------------------------------------------------

    def add_node(self, node: HeatingNode) -> None:
        """Register a heating node (planned or executed); idempotent by id."""
        self.nodes = [n for n in self.nodes if n.id != node.id]
        self.nodes.append(node)
        self.nodes.sort(key=lambda n: (n.start, n.id))

    def feed(
        self, step: int, v: float, observed: bool, params: AnalyticsParams = DEFAULT_PARAMS
    ) -> None:
        """Add one complete step (``v`` counts gained during it) in order."""
        if self.next_step != _NONE and step != self.next_step:
            raise ValueError(f"step {step} fed out of order (expected {self.next_step})")
        if self.onset == _NONE:
            at_publish = self.publish != _NONE and step <= self.publish + 1
            self.next_step = step
            self._start(step, 0 if at_publish else 1, 0.0, math.nan, (), params)
        heat = self._heating_onset(step, params)
        if heat is not None:
            self._flush_candidate(params)
        self.next_step = step + 1
        if heat is not None:
            spend, window_end, ids = heat
            if self._merges(step):
                self.spend += spend
                self.window_end = max(self.window_end, window_end)
                self.ids = self.ids + ids
            else:
                self._start(step, 3, spend, window_end, ids, params)
        self._push_ring(v, observed, params)
        if heat is None and self._organic(step, v, observed, params):
            return  # held as an onset candidate
        self._add(step, v, observed, params)

    def _heating_onset(
        self, step: int, params: AnalyticsParams
    ) -> tuple[float, float, tuple[str, ...]] | None:
        due = [n for n in self.nodes if math.floor(n.start) <= step]
        if not due:
            return None
        self.nodes = [n for n in self.nodes if math.floor(n.start) > step]
        return (
            sum(n.spend for n in due),
            max(n.window_end(params) for n in due),
            tuple(n.id for n in due),
        )

    def _merges(self, step: int) -> bool:
        """A node joins the current heated pulse if its window is still open and no rise has peaked."""
        return TRIGGERS[self.trigger] == "heating" and step < self.window_end and not self.peaked

    def _push_ring(self, v: float, observed: bool, params: AnalyticsParams) -> None:
        cap = params.steps(params.baseline_window_hours, 3) + 8
        self.ring.append(v)
        self.ring_obs |= int(observed) << (len(self.ring) - 1)
        if len(self.ring) > cap:
            del self.ring[0]
            self.ring_obs >>= 1

    def _organic(self, step: int, v: float, observed: bool, params: AnalyticsParams) -> bool:
        """Onset-candidate bookkeeping; True when this step is held back in a candidate."""
        if self.cand_start != _NONE:
            if not observed:
                if step - self.cand_start < 8:
                    return True
                self._flush_candidate(params)
                return False
            if exceeds(v, self.cand_ref, params.onset_ratio, params.onset_noise_z, self.cand_noise):
                self.cand_count += 1
                if self.cand_count >= params.steps(params.onset_hours):
                    self._confirm_candidate(params)
                return True
            self._flush_candidate(params)
            return True
        if not observed or self.steps < 2:
            return False
        in_window = TRIGGERS[self.trigger] == "heating" and step < self.window_end
        if in_window:
            return False
        window = params.steps(params.baseline_window_hours, 3)
        if len(self.ring) < min(window, 3) + 1:
            return False
        # the trailing median, but never below what the current pulse itself explains:
        # its local level (a decay is not an onset) and its fitted curve
        ref = max(self._mean(step - 3, step - 1), self.model(step) if self.fit else 0.0)
        if not self.peaked:
            ref = max(ref, self.peak_s)
        if v <= params.onset_ratio * ref:
            return False
        history = list(self.ring[-window - 1 : -1])
        ref = max(ref, median(history))
        noise = log_noise(self.ring[:-1])
        if not exceeds(v, ref, params.onset_ratio, params.onset_noise_z, noise):
            return False
        self.cand_start, self.cand_count, self.cand_ref, self.cand_noise = step, 1, ref, noise
        if self.cand_count >= params.steps(params.onset_hours):
            self._confirm_candidate(params)
        return True

    def _held(self) -> list[tuple[int, float, bool]]:
        n = self.next_step - self.cand_start
        start = len(self.ring) - n
        return [
            (self.cand_start + i, self.ring[start + i], bool(self.ring_obs >> (start + i) & 1))
            for i in range(n)
        ]

    def _confirm_candidate(self, params: AnalyticsParams) -> None:
        held = self._held()
        self.cand_start = _NONE
        self._start(held[0][0], 2, 0.0, math.nan, (), params)
        for s, v, o in held:
            self._add(s, v, o, params)

    def _flush_candidate(self, params: AnalyticsParams) -> None:
        """Reject a candidate: its held steps go to the current pulse."""
        if self.cand_start == _NONE:
            return
        held = self._held()
        self.cand_start = _NONE
        self.cand_count = 0
        for s, v, o in held:
            self._add(s, v, o, params)

    def _add(self, step: int, v: float, observed: bool, params: AnalyticsParams) -> None:
        """Account one step to the current pulse."""
        tau = step - self.onset
        cf = self.counterfactual(step)
        e = v - cf
        b = bin_of(tau)
        while len(self.bins_e) <= b:
            self.bins_e.append(0.0)
            self.bins_v.append(0.0)
            self.bins_o.append(0)
        self.bins_e[b] += e
        self.bins_v[b] += v
        if observed:
            self.bins_o[b] += 1
            self.last_obs_v = v
        self.steps = tau + 1
        self.p_total += v
        self.total_sum += v
        block = int(tau // params.steps(params.lift_block_hours))
        if block != self.block_idx:
            self.lift_done += max(0.0, self.block_sum)
            self.block_sum = 0.0
            self.block_idx = block
        self.block_sum += e
        self._track_tail(step, v, params)
        self._track_peak(step, v, observed, cf, params)
        self._refit(params)

    def _mean(self, first: int, last: int) -> float:
        """Mean velocity of steps ``first..last`` kept in the ring, within this pulse."""
        newest = self.next_step - 1
        n = len(self.ring)
        first = max(first, self.onset, newest - n + 1)
        last = min(last, newest)
        if last < first:
            return 0.0
        vals = self.ring[n - 1 - (newest - first) : n - (newest - last)]
        return sum(vals) / len(vals)

    def _track_tail(self, step: int, v: float, params: AnalyticsParams) -> None:
        if self.publish == _NONE:
            return
        if step < self.publish + params.steps(params.burst_window_hours):
            self.burst_sum += v
        elif TRIGGERS[self.trigger] == "heating" and not self.no_response:
            self.paid_tail += v
        else:
            self.organic_tail += v

    def _track_peak(
        self, step: int, v: float, observed: bool, cf: float, params: AnalyticsParams
    ) -> None:
        tau = step - self.onset
        if v > self.peak_raw and observed:
            self.peak_raw = v
        # smoothed value of the previous step (its centred window ends at this step)
        if tau >= 1:
            s = self._mean(step - 2, step)
            if s > self.peak_s:
                # the smoothed maximum locates the peak; the highest step around it pins it
                around = [(self._mean(x, x), x) for x in range(max(step - 2, self.onset), step + 1)]
                self.peak_s, self.peak_tau, self.peaked = s, max(around)[1] - self.onset, 0
        elif tau == 0:
            self.peak_s, self.peak_tau = v, 0
        if not self.peaked and tau - self.peak_tau >= 3:
            recent = self._mean(step - 1, step)
            if recent < self.base + 0.8 * (self.peak_s - self.base):
                self.peaked = 1
        if not self.responded:
            excess = self._mean(step - 2, step) - cf
            if excess > max(0.25 * self.base, 2.0 * math.sqrt(cf + 1.0)) and tau >= 1:
                self.responded = 1
        if (
            TRIGGERS[self.trigger] == "heating"
            and not self.responded
            and not self.no_response
            and step >= self.window_end + params.steps(6.0)
        ):
            self.no_response = 1

    # -- fitting -----------------------------------------------------------

    def _fit_data(self) -> tuple[list[float], list[float], list[float], int]:
        taus, es, ws_level, ws_n = [], [], [], []
        points = 0
        for b in range(bin_of(max(self.peak_tau, 0)), len(self.bins_e)):
            lo = BIN_EDGES[b]
            if lo < self.peak_tau:
                continue
            hi = min(BIN_EDGES[b + 1], self.steps)
            n = hi - lo
            if n <= 0:
                continue
            taus.append(0.5 * (lo + hi))
            es.append(self.bins_e[b] / n)
            ws_level.append(self.bins_v[b] / n)
            ws_n.append(n)
            points += self.bins_o[b]
        weights = list(weights_for(ws_level, ws_n)) if taus else []
        return taus, es, weights, points

    def _refit(self, params: AnalyticsParams, force: bool = False) -> None:
        if self.no_response or self.peak_tau < 0 or not (self.eager or force):
            return
        points = sum(
            self.bins_o[
                bin_of(self.peak_tau) + (BIN_EDGES[bin_of(self.peak_tau)] < self.peak_tau) :
            ]
        )
        due = points >= params.min_fit_points and (
            self.fit is None
            or self.fit_peak != self.peak_tau
            or points >= self.fit_at + max(1, int(0.1 * self.fit_at))
        )
        if not (due or (force and points != self.fit_at)):
            return
        taus, es, ws, points = self._fit_data()
        result = fit_decay(taus, es, ws, self.peak_tau + 0.5, points, params)
        self.fit_at, self.fit_peak = points, self.peak_tau
        if isinstance(result, NoFit):
            self.fit, self.no_fit = None, result.reason
        else:
            self.fit, self.no_fit = result, ""
        self._update_since(params)

    # -- model views -------------------------------------------------------

    def model(self, step: float) -> float:
        """Fitted velocity at ``step``: counterfactual plus the current pulse's excess."""
        cf = self.counterfactual(step)
        if self.fit is None:
            return cf
        return cf + self.fit.excess(step - self.onset + 0.5)

    def _model_peak(self) -> float:
        return self.model(self.onset + self.peak_tau) if self.fit else self.peak_s

    def _crossing(self, fraction: float) -> float | None:
        """First step (fractional) after the peak where the model is ``fraction`` of the way
        from the baseline to the peak; None without a fit."""
        if self.fit is None:
            return None
        p = self._model_peak()
        target = self.base + fraction * (p - self.base)
        lo = float(self.onset + self.peak_tau)
        if self.model(lo) <= target:
            return lo
        hi = lo + 1.0
        while self.model(hi) > target:
            hi = lo + 2 * (hi - lo)
            if hi - lo > 1e6:
                return None
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if self.model(mid) > target:
                lo = mid
            else:
                hi = mid
        return hi

    def _update_since(self, params: AnalyticsParams) -> None:
        """Cache the model's crossings (they change only with the fit)."""
        x = self._crossing(params.decay_fraction)
        self.since = _NONE if x is None else math.ceil(x - 1e-9)
        h = self._crossing(0.5)
        self.half_x = math.nan if h is None else h

    def incremental(self) -> float:
        """Engagements above the counterfactual so far (0 for a no-response pulse)."""
        if self.no_response:
            return 0.0
        return min(self.p_total, self.lift_done + max(0.0, self.block_sum))

    def status(self, params: AnalyticsParams = DEFAULT_PARAMS) -> str:
        """rising, decaying, settled or no-response."""
        if self.no_response:
            return "no-response"
        if not self.peaked or self.fit is None:
            return "rising" if not self.peaked else "decaying"
        if (
            self._decayed(params)
            and (self.projected_gain(params) or 0.0) <= params.decay_gain_ratio * self.incremental()
        ):
            return "settled"
        return "decaying"

    def _decayed(self, params: AnalyticsParams) -> bool:
        if self.since == _NONE or self.fit is None:
            return False
        last = self.next_step - 1
        return last >= self.since + params.steps(params.decay_hours) - 1

    def projected_gain(self, params: AnalyticsParams = DEFAULT_PARAMS) -> float | None:
        """The current pulse's fitted excess over the next ``decay_gain_horizon_hours``."""
        if self.fit is None:
            return None
        tau = self.next_step - self.onset
        return self.fit.integral(tau, tau + params.decay_gain_horizon_hours / params.grid_hours)

    def project(
        self, until: float, params: AnalyticsParams = DEFAULT_PARAMS
    ) -> tuple[float, float, float] | None:
        """Counts expected from now to step ``until`` (point, low, high); None without a fit."""
        now = float(self.next_step)
        if until <= now:
            return (0.0, 0.0, 0.0)
        if self.fit is None:
            return None
        cf = self._cf_integral(now, until)
        t1, t2 = now - self.onset, until - self.onset
        point = cf + self.fit.integral(t1, t2)
        lows = [cf + kernel_integral(*p, t1, t2) for p in (self.fit.low, self.fit.high)]
        return point, min(lows + [point]), max(lows + [point])

    # -- reading -----------------------------------------------------------

    def decay_view(self, params: AnalyticsParams = DEFAULT_PARAMS) -> DecayView:
        """The current pulse as the ``PostDecaying`` decision sees it."""
        fit = self.fit
        peak = self._model_peak() if self.peak_tau >= 0 else None
        threshold = None if peak is None else self.base + params.decay_fraction * (peak - self.base)
        since = self.since if self._decayed(params) else None
        return DecayView(
            pulse_index=self.index,
            decaying_since=None if since == _NONE else since,
            projected_gain=self.projected_gain(params),
            incremental=self.incremental(),
            peak_velocity=peak,
            baseline=self.base,
            threshold=threshold,
            recent_velocity=None if self.last_obs_v != self.last_obs_v else self.last_obs_v,
            theta=None if fit is None else fit.theta,
            fit_r2=None if fit is None else fit.r2,
            status=self.status(params),
        )

    def current(self, params: AnalyticsParams = DEFAULT_PARAMS) -> Pulse | None:
        """The current pulse as reported, or None before the first step."""
        if self.onset == _NONE:
            return None
        fit = self.fit
        peak = None if self.peak_tau < 0 or self.no_response else self.onset + self.peak_tau
        half = None
        if peak is not None and self.half_x == self.half_x and self.fit is not None:
            half = self.half_x - peak
        lift = self.incremental()
        since = self.since if self._decayed(params) else _NONE
        return Pulse(
            index=self.index,
            onset=self.onset,
            trigger=TRIGGERS[self.trigger],
            heating_ids=self.ids,
            spend=self.spend,
            interval_end=None,
            baseline=self.base,
            peak=peak,
            peak_velocity=None if peak is None else self._model_peak(),
            rise_steps=None if peak is None else self.peak_tau,
            half_life=half,
            theta=None if fit is None else fit.theta,
            offset=None if fit is None else fit.offset,
            amplitude=None if fit is None else fit.amplitude,
            fit_r2=None if fit is None else fit.r2,
            fit_points=0 if fit is None else fit.points,
            no_fit_reason=None if fit is not None else (self.no_fit or "no fit"),
            incremental=lift,
            total=self.p_total,
            cost_per_incremental=self.spend / lift if self.spend > 0 and lift > 0 else None,
            status=self.status(params),
            decaying_since=None if since == _NONE else since,
        )

    def reheat_efficiency(self) -> float | None:
        """Incremental engagements per unit of spend over this post's closed heated pulses."""
        return self.heat_lift / self.heat_spend if self.heat_spend > 0 else None

    def copy(self, eager: bool = True) -> PulseTracker:
        """An independent copy (for replays from a checkpoint)."""
        other = PulseTracker.from_bytes(self.to_bytes())
        other.eager = int(eager)
        return other

    # -- serialisation -----------------------------------------------------

    def to_bytes(self) -> bytes:
        """Compact binary form for the changelog table."""
        ints = [getattr(self, f) for f in _SCALARS if f in _INTS]
        floats = [getattr(self, f) for f in _SCALARS if f not in _INTS]
        text = "\x1f".join(
            [self.no_fit, ",".join(self.ids)]
            + [
                f"{n.id}\x1e{n.start!r}\x1e{n.end!r}\x1e{n.spend!r}\x1e{n.currency}\x1e{n.status}"
                for n in self.nodes
            ]
        ).encode()
        head = struct.pack(
            f"<{len(ints)}q{len(floats)}d11dHHHHI",
            *ints, *floats, *_fit_tuple(self.fit),
            len(self.ring), len(self.kernels), len(self.bins_e), len(self.nodes), len(text),
        )  # fmt: skip
        return b"".join(
            (head, self.ring.tobytes(), self.kernels.tobytes(), self.bins_e.tobytes(),
             self.bins_v.tobytes(), self.bins_o.tobytes(), text)
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> PulseTracker:
        """Inverse of :meth:`to_bytes`."""
        tracker, _ = cls.read(memoryview(data))
        return tracker

    @classmethod
    def read(cls, buf: memoryview) -> tuple[PulseTracker, int]:
        """Decode from the start of ``buf``; returns the tracker and the bytes used."""
        n_int = sum(1 for f in _SCALARS if f in _INTS)
        n_float = len(_SCALARS) - n_int
        fmt = struct.Struct(f"<{n_int}q{n_float}d11dHHHHI")
        vals = fmt.unpack_from(buf, 0)
        self = cls.__new__(cls)
        ints, floats = iter(vals[:n_int]), iter(vals[n_int : n_int + n_float])
        for f in _SCALARS:
            setattr(self, f, next(ints) if f in _INTS else next(floats))
        self.fit = _fit_from(vals[n_int + n_float : n_int + n_float + 11])
        self.closed_pulses = []
        n_ring, n_k, n_bins, n_nodes, n_text = vals[-5:]
        off = fmt.size

        def take(code: str, n: int) -> array:
            nonlocal off
            arr = array(code)
            size = arr.itemsize * n
            arr.frombytes(buf[off : off + size])
            off += size
            return arr

        self.ring = take("f", n_ring)
        self.kernels = take("d", n_k)
        self.bins_e = take("f", n_bins)
        self.bins_v = take("f", n_bins)
        self.bins_o = take("H", n_bins)
        parts = bytes(buf[off : off + n_text]).decode().split("\x1f")
        off += n_text
        self.no_fit = parts[0]
        self.ids = tuple(x for x in parts[1].split(",") if x)
        self.nodes = []
        for raw in parts[2:]:
            nid, start, end, spend, currency, status = raw.split("\x1e")
            self.nodes.append(
                HeatingNode(
                    nid,
                    float(start),
                    None if end == "None" else float(end),
                    float(spend),
                    currency,
                    status,
                )
            )
        return self, off
