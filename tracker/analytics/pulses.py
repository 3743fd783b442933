"""Pulses of one post's velocity: onsets, attribution, peak, half-life, decay, lift.

:class:`PulseTracker` is fed one complete grid step at a time (an hour on the
default grid), in order, with the step's velocity of the pulse series
(engagements) and whether the step was observed. It keeps the current pulse's
sufficient statistics and folds closed pulses into the counterfactual, so its
size does not grow with the post's age.

Model (all velocities deseasonalised by the post's learned daily cycle,
:mod:`.cycle`):

- A pulse starts at a heating node (its delivery window, default 24 h) or at an
  organic onset (velocity > ``onset_ratio`` × the trailing level for
  ``onset_hours`` observed steps, clear of the noise).
- Its excess over the counterfactual is a mixture of decaying exponentials
  driven by its input (:mod:`.response`): an even input over the delivery
  window for heating, a front-loaded burst (``burst_input_*``) for publish
  and organic onsets.
- The counterfactual of pulse *k* is the pre-onset baseline of the first pulse
  (0 at publish) plus the fitted responses of the pulses before it, extrapolated
  and scaled by a fitted β (pulled towards 1) so that a tail misjudged before
  the onset is corrected by what follows, plus a fitted level ≥ 0 (the post's
  own baseline, which no onset shows before the publish burst; the next pulses
  extrapolate it as the slowest component); intervals ``[onset_k, onset_k+1)``
  tile time. Incremental engagements are the velocity above it summed over
  the interval (≥ 0, never above the interval's total).
- Peak, half-life (peak to half of the peak excess, as hours are read) and the
  decay start come from the fitted excess; DESIGN.md's power-law exponent θ
  of ``A (τ + c)^−θ`` is fitted to it from the peak on (:mod:`.decay`).
- Decaying (``PostDecaying``'s first two conditions): the fitted velocity has
  been below baseline + ``decay_fraction`` × (peak − baseline) for
  ``decay_hours`` steps and the fitted gain over the next
  ``decay_gain_horizon_hours``, held to the level of the last day's steps, is
  ≤ ``decay_gain_ratio`` × the excess so far (both with the fitted level).
- Fit: weighted non-negative least squares from normal equations, each step
  weighted by its inverse variance (multiplicative and counting noise); the
  pulse's first steps, where the peak and half-life are, as if at least
  ``WEIGHT_FLOOR_SHARE`` of their peak, so that the steps around the peak are
  not outvoted by the low ones before and after it. Two penalties regularise
  the mixture: a light curvature one (``SMOOTHING``) and, from the post's second
  pulse on, a pull of the fast components towards the shape of its earlier
  pulses (``SHAPE_PRIOR``).

Feeding a step needs no fit (onsets, peaks and responses are read from the
data); the fit runs when something is read (:meth:`PulseTracker.current`,
:meth:`PulseTracker.decay_view`, projections) and when a pulse closes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from tracker.analytics.baseline import exceeds, log_noise, median
from tracker.analytics.cycle import SETTLE_STEPS, DailyCycle
from tracker.analytics.decay import fit_power_law
from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams
from tracker.analytics.records import DecayView, HeatingNode, Pulse, cost_per_incremental
from tracker.analytics.response import (
    K,
    Response,
    box_profile,
    burst_profile,
    decay_powers,
    decays,
    nnls,
    response_for,
)

__all__ = ["DecayView", "HeatingNode", "Pulse", "PulseTracker", "STATUSES", "TRIGGERS"]

_Solution = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float]]
"""A fit (:meth:`PulseTracker._solve`): coefficients, normal equations, right-hand side and the
early steps' weighted sums."""

TRIGGERS = ("publish", "tracking-start", "organic", "heating")
STATUSES = ("rising", "decaying", "settled", "no-response")
NONE = -(2**31) + 1
"""Sentinel step ("none") in integer fields."""
RING = 26
"""Trailing steps kept for the onset test and the daily cycle (lag 12 needs 25)."""
EARLY = 48
"""First steps of the current pulse kept as they were, so its fit can be redone with
the daily cycle learned later (the half-life lives in them)."""
FOLD_AT = 168
"""Step of a pulse at which its early steps are folded into the normal equations for
good (the daily cycle is known by then) and no longer kept."""
N = K + 3
"""Fitted coefficients: the K response components, β (the scale of the counterfactual), the
level: a constant velocity the pulse does not explain (a post's own baseline, unseen before the
publish burst; ≥ 0), and the held level (a later pulse's; see :meth:`PulseTracker.held_column`),
both part of the counterfactual."""
LEVEL = K + 1
"""Index of the level in the coefficients."""
HELD = K + 2
"""Index of the held level in the coefficients."""
_TRI = np.triu_indices(N)
_COEFS = {2: K + 1, 3: K + 2, 4: K + 2, 5: N, 6: N}
"""Coefficients stored by each state version (2: no level; 3, 4: no held level; 6 adds the carried
decay, :data:`_CARRIED`)."""
BETA_PRIOR_HOURS = 24.0
"""β (how far the earlier pulses' extrapolation is off) is pulled towards 1 with the weight of
this many hours of the counterfactual: a fit cannot blame a later pulse for an earlier one's
tail. Hours, not steps: on a daily grid, 24 steps outweighed two months of data and kept an
earlier pulse's overshooting tail in the fit."""
_LOG_SCALE = 2048.0
ONSET_LEAD_SHARE = 0.5
"""An organic onset's first step must rise at least this share of the next step's rise over
the trailing level; else it is the old pulse's noise (or the next step's counts spread back
by interpolation between polls) and the onset moves one step on."""
WEIGHT_FLOOR_SHARE = 0.2
"""Each of the pulse's first ``EARLY`` steps is weighted as if its level were at least this
share of their smoothed peak: the low steps before the rise and after the fall must not
outvote the few around the peak, where the half-life is read."""
SPREAD_PER_DOUBLING = 0.375
"""A projection's interval: ± ``z`` × this share of the projected gain per doubling of the post's
age to the horizon. A heuristic, set so that about 80 % of the simulator's posts (seeds 7 and
11, from 3 to 14 days of age) end inside their 80 % interval at 30 days; at 0.25, 61–76 % did."""
RIDGE = 1e-6
"""Ridge on the normal equations, relative to each coefficient's own diagonal (the columns
differ in scale by many orders: response shapes sum to 1, the counterfactual is in counts)."""
SMOOTHING = 0.003
"""Weight of the curvature penalty on the response components (second differences of
neighbouring ``a_j``), relative to their mean diagonal. Reading a mixture of exponentials off
a few noisy steps is an ill-posed inverse problem; a light Tikhonov penalty keeps neighbouring
time constants alike, as any power-law-like decay has them. On three simulated populations of
200 posts (seeds 7, 11, 23) it lowered the incremental error (median 6.6 → 5.8 %, 7.6 → 7.1 %,
7.5 → 6.7 %) and put more decay alerts near the true decay (49 → 54 %, 50 → 54 %, 49 → 53 %
within [T − 12 h, T + 24 h]); larger weights move alerts later and blur half-lives."""
_CURVATURE = (lambda d: d.T @ d)(np.diff(np.eye(K), n=2, axis=0))
"""``Dᵀ D`` of the second-difference operator ``D`` on the K response components."""
RECENT_HOURS = 24.0
"""Hours whose observed excess holds projections to the level they show."""
SHAPE_PRIOR = 1.0
"""Weight (relative to the components' mean diagonal) of the pull of a later pulse's fast
components towards the mixture of the post's earlier responding pulses. A post's audience
answers each push alike, and a heated pulse's short half-life read off a few noisy hours is
otherwise left to the noise. Only the mixture's shape is pulled (its scale stays free: the
penalty is the distance from the line through the earlier shape), only on the components up to
a day (``SHAPE_FAST``): the slower ones of an earlier pulse also hold the post's own baseline,
and pulling towards them moved decay alerts later. On the simulated populations of 200 posts
(seeds 7, 11, 23): half-life error median 21.2 → 19.3 %, 19.6 → 18.7 %, 19.6 → 18.4 %, p90
61.6 → 56.8 %, 66.7 → 57.8 %, 64.7 → 56.5 %; decay alerts within [T − 12 h, T + 24 h] 54 → 55 %,
53 → 54 %, 52 → 54 %; median delay +2.5 → +2.0 h, 0 → 0 h, +1 → +2 h."""
SHAPE_FAST = 4
"""Components (fastest first: 1 h … 23 h time constants) the earlier pulses' shape pulls."""
POPULATION_PRIOR = 1.0
"""Weight, as ``SHAPE_PRIOR``'s, of the pull of a post's first pulse (it has no earlier pulse of
its own to lean on) towards its population's shape: the mean fast mixture of the first pulses
of finished posts of its platform and tier (:func:`population_shape`, learned by the worker,
``PulseTracker.population``). A publish burst peaking at a few dozen engagements an hour
otherwise reads its half-life off noise. The post's own shape, which its later pulses lean on,
is its first pulse's fit without this pull (``Pulse.response_shape``). On the simulated
populations of 200 posts, each post learning from the posts streamed before it: half-life error
median 19.3 → 18.0 % and p90 56.8 → 50.2 % on seed 7 (first pulses alone: p90 81 → 53 %), 18.7 →
18.0 % and 57.8 → 55.8 % on seed 11; decay alerts unchanged. Slow pulses pay for it (those with
a true half-life over 8 h are read shorter), and no variant did better at p90 on seed 7: weights
0.5 and 3 (50.5, 51.6 %), pulling 3 or 5 components (55.5, 51.2 %), a fast and a slow centroid
to choose from instead of one mean (51.1 %), learning only from bursts peaking at 50 an hour or
more (50.2 %)."""
POPULATION_MIN = 20
"""First pulses a population needs before its shape is a prior."""


def population_shape(mixtures: list[Sequence[float]]) -> np.ndarray | None:
    """The direction (unit vector over the ``SHAPE_FAST`` fastest components) a first pulse is
    pulled towards: the mean of ``mixtures`` (first pulses' ``response_shape``), None with fewer
    than ``POPULATION_MIN`` of them or none with a fast component."""
    fast = [np.asarray(m[:SHAPE_FAST], dtype=float) for m in mixtures if len(m) >= SHAPE_FAST]
    if len(fast) < POPULATION_MIN:
        return None
    mean = np.mean(fast, axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def _enc(v: float) -> int:
    """A velocity (≥ 0) as a 16-bit log code (0.05 % steps, up to ~8e13)."""
    return min(65535, int(round(math.log1p(max(v, 0.0)) * _LOG_SCALE)))


def _dec(code: int) -> float:
    return math.expm1(code / _LOG_SCALE)


def _codes(values: list[float]) -> bytes:
    """Velocities as their 16-bit log codes (vectorised :func:`_enc`)."""
    x = np.log1p(np.maximum(np.asarray(values, dtype=float), 0.0)) * _LOG_SCALE
    return np.minimum(np.rint(x), 65535).astype("<u2").tobytes()


def _q(v: float) -> float:
    """``v`` as stored (through its log code), so that a decoded tracker continues alike."""
    return _dec(_enc(v))


# Stored fields (int32 steps and counts, small flags, bit sets, float64 sums and levels).
_I32 = (
    "next_step", "publish", "track_end", "onset", "index", "closed", "cand_start", "cf_ref",
    "fit_points", "day_n",
)  # fmt: skip
_U8 = ("trigger", "flags", "cand_count")
_BITS = ("ring_obs", "early_obs")
_F64 = (
    "window_end", "spend", "p_total", "p_dtotal", "p_dsum", "cf_sum", "cf_rsum", "heat_lift",
    "heat_spend", "burst_sum", "paid_tail", "organic_tail", "w_sum", "we_sum", "wee_sum",
    "scc", "sss", "scs", "sdc", "sds", "cyc_a", "cyc_b", "base", "b0", "cand_ref", "cand_noise",
    "last_obs_v", "s_peak", "s_peak_tau", "day_sum", "day1", "trough", "theta", "offset",
    "amplitude",
)  # fmt: skip
_STORED = _I32 + _U8 + _BITS + _F64
_CARRIED = ("carry_peak", "carry_base", "carry_excess", "carry_since")
"""The decay the post carries on from its last responding pulse, as that pulse closed: its
fitted peak velocity and baseline (the decay line's rise), its excess (deseasonalised counts, the
gain condition's reference) and the step its fit fell below the decay line (NaN: none). While the
current pulse is a heat with no response, ``PostDecaying`` judges that decay
(:meth:`PulseTracker.decay_view`). Stored after the nodes from version 6: an older state decodes
with none (NaN), its next responding pulse sets them."""
_CARRY = struct.Struct(f"<{len(_CARRIED)}d")
# Read-only results of the last fit: recomputed by the next read, never stored.
_FIT = ("fit_step", "half_x", "peak_tau", "peak_v", "since", "fit_r2")
_INTS = _I32 + _U8 + _BITS + ("fit_step",)
_F32 = _FIT[1:]
_HEAD = struct.Struct(f"<B{len(_I32)}i{len(_U8)}BIQ{len(_F64)}dBBHH")
_F4 = np.float32
_VERSION = 6
_F_RESPONDED, _F_NO_RESPONSE, _F_PEAKED = 1, 2, 4
_F_RISE_UNSEEN = 64  # flags bit 6: no snapshot within RISE_SEEN_HOURS of the onset (kept past the fold)
RISE_SEEN_HOURS = 6.0
"""A pulse with no snapshot within this many hours of its onset (a post first tracked days after
it was published, a collection outage) reports no peak, half-life nor decay exponent: its rise
and peak were never observed, and a fit would only draw them from the steps after."""
_DELIVERY_SHIFT, _DELIVERY_MASK = 3, 7  # flags bits 3-5: a heated pulse's delivery (see response)
DELIVERY_HALVINGS = 4
"""A heated pulse's input is spread evenly over its node's window, or over its first half,
quarter… down to 1/2^DELIVERY_HALVINGS of it: whichever its first steps fit best. Paid
delivery is often front-loaded (a budget spent in the first hours of a 24 h window); spread
over the whole window, such a response read its peak at the window's end, 23 h late."""
DELIVERY_MARGIN = 0.1
"""A shorter delivery is taken only when it leaves this share less squared error than the
node's whole window (the window is what the node says)."""


class PulseTracker:
    """Pulses of one post, fed complete steps in order; small and serialisable."""

    __slots__ = (
        *_STORED, *_CARRIED, *_FIT, "ring", "dring", "early", "cf", "shape", "coef", "gram", "rhs", "ids", "nodes",
        "closed_pulses", "population", "_resp", "_cycle", "_memo",
    )  # fmt: skip

    # stored and fit fields (set in __init__ / read; declared for type checkers)
    next_step: int
    publish: int
    track_end: int
    onset: int
    index: int
    closed: int
    cand_start: int
    cf_ref: int
    fit_points: int
    day_n: int
    trigger: int
    flags: int
    cand_count: int
    ring_obs: int
    early_obs: int
    fit_step: int
    window_end: float
    spend: float
    p_total: float
    p_dtotal: float
    p_dsum: float
    cf_sum: float
    cf_rsum: float
    heat_lift: float
    heat_spend: float
    burst_sum: float
    paid_tail: float
    organic_tail: float
    w_sum: float
    we_sum: float
    wee_sum: float
    scc: float
    sss: float
    scs: float
    sdc: float
    sds: float
    cyc_a: float
    cyc_b: float
    base: float
    b0: float
    cand_ref: float
    cand_noise: float
    last_obs_v: float
    s_peak: float
    s_peak_tau: float
    day_sum: float
    day1: float
    trough: float
    theta: float
    offset: float
    amplitude: float
    carry_peak: float
    carry_base: float
    carry_excess: float
    carry_since: float
    half_x: float
    peak_tau: float
    peak_v: float
    since: float
    fit_r2: float

    def __init__(self, publish: int | None = None, track_end: int | None = None) -> None:
        for f in _I32 + _U8 + _BITS + ("fit_step",):
            setattr(self, f, 0)
        for f in _F64 + _FIT[1:]:
            setattr(self, f, 0.0)
        for f in _CARRIED:
            setattr(self, f, math.nan)
        self.next_step = self.onset = self.cand_start = self.fit_step = self.cf_ref = NONE
        self.publish = NONE if publish is None else publish
        self.track_end = NONE if track_end is None else track_end
        self.index = -1
        self.ring: list[float] = []  # trailing raw velocities (as stored), oldest first
        self.dring: list[float] = []  # the same deseasonalised with the cycle known then
        self.early: list[float] = []  # the current pulse's first EARLY raw velocities
        # float32 arrays, as stored, so that a decoded state continues exactly alike
        self.cf = np.zeros(K, _F4)  # closed pulses' responses at step cf_ref
        self.shape = np.zeros(K, _F4)  # earlier responding pulses' mixture (SHAPE_PRIOR), sums to 1
        self.coef = _fresh_coef()  # current pulse's fit: K components, β, the level
        self.gram = np.zeros((N, N), _F4)  # normal equations of steps after the early ones
        self.rhs = np.zeros(N, _F4)
        self.ids: tuple[str, ...] = ()
        self.nodes: list[HeatingNode] = []
        self.closed_pulses: list[Pulse] = []  # transient: pulses closed since last read
        self.population: np.ndarray | None = None  # transient: population_shape() for a first pulse
        self._resp: Response | None = None
        self._cycle: DailyCycle | None = None
        self._memo: dict[str, float | None] = {}  # readings of the current fit
        self._reset_pulse(NONE, 0, 0.0, math.nan, 0.0)

    # -- small helpers -----------------------------------------------------

    def _flag(self, bit: int) -> bool:
        return bool(self.flags & bit)

    def _set(self, bit: int, on: bool = True) -> None:
        self.flags = (self.flags | bit) if on else (self.flags & ~bit)

    def cycle(self) -> DailyCycle:
        """The post's daily cycle (learned only on sub-daily grids)."""
        if self._cycle is None:
            self._cycle = DailyCycle(
                (self.scc, self.sss, self.scs, self.sdc, self.sds), (self.cyc_a, self.cyc_b)
            )
        return self._cycle

    def _daily(self, step: int, params: AnalyticsParams) -> float:
        if params.grid_hours >= 12.0:
            return 1.0
        return self.cycle().factor(int(round(step * params.grid_hours)))

    def response(self, params: AnalyticsParams = DEFAULT_PARAMS) -> Response:
        """The basis of the current pulse's input."""
        if self._resp is None:
            # the input is a function of the trigger, the grid and the delivery or burst alone:
            # its basis is looked up by them, not rebuilt (a heated pulse's delivery choice tries
            # five at each of its first 48 steps, and every pulse is refitted at each step)
            trigger, steps = TRIGGERS[self.trigger], params.steps(params.burst_input_hours)
            if trigger == "heating":
                key: tuple[object, ...] = (trigger, params.grid_hours, self._delivery_steps())
            elif trigger == "tracking-start":
                key = (trigger, params.grid_hours)
            else:
                key = ("burst", params.grid_hours, steps, params.burst_input_ratio)
            resp = _RESPONSES.get(key)
            if resp is None:
                if trigger == "heating":
                    u = box_profile(0.0, self._delivery_steps())
                elif trigger == "tracking-start":
                    u = np.ones(1)
                else:
                    u = burst_profile(steps, params.burst_input_ratio)
                if len(_RESPONSES) >= 256:
                    _RESPONSES.clear()
                resp = _RESPONSES[key] = response_for(u, params.grid_hours)
            self._resp = resp
        return self._resp

    def _delivery_steps(self, halvings: int | None = None) -> float:
        """Steps a heated pulse's input is spread over: its window, halved ``halvings`` times
        (the chosen number by default), never under one step."""
        k = (self.flags >> _DELIVERY_SHIFT) & _DELIVERY_MASK if halvings is None else halvings
        return max(1.0, (self.window_end - self.onset) / 2**k)

    def _choose_delivery(self, params: AnalyticsParams) -> _Solution | None:
        """While a heated pulse's steps are all early ones (kept raw), pick its delivery: the
        node's window, or a front part of it that its steps fit better (DELIVERY_HALVINGS). A
        function of those steps only; their last one settles it for the pulse. Returns the
        chosen delivery's fit (:meth:`_solve`), which a refit at once takes as its own (None:
        nothing was chosen)."""
        if TRIGGERS[self.trigger] != "heating" or len(self.early) < 3 or self.next_step - self.onset > EARLY:
            return None
        best, best_sse, whole = 0, math.inf, math.inf
        chosen: _Solution | None = None
        for k in range(DELIVERY_HALVINGS + 1):
            if k and self._delivery_steps(k) == self._delivery_steps(k - 1):
                break
            self.flags = (self.flags & ~(_DELIVERY_MASK << _DELIVERY_SHIFT)) | (k << _DELIVERY_SHIFT)
            self._resp = None
            solution = self._solve(params)
            coef, gram, rhs, (_, _, wee) = solution
            sse = wee + self.wee_sum - 2.0 * float(coef @ rhs) + float(coef @ gram @ coef)
            if k == 0:
                whole = sse
            if sse < best_sse and (k == 0 or sse < (1.0 - DELIVERY_MARGIN) * whole):
                best, best_sse, chosen = k, sse, solution
        self.flags = (self.flags & ~(_DELIVERY_MASK << _DELIVERY_SHIFT)) | (best << _DELIVERY_SHIFT)
        self._resp = None
        return chosen

    def counterfactual(self, step: float, params: AnalyticsParams = DEFAULT_PARAMS) -> float:
        """Velocity expected at ``step`` without the current pulse (deseasonalised counts/step)."""
        total = self.b0
        if self.cf_ref != NONE:
            total += float((self.cf * decays(params.grid_hours) ** (step - self.cf_ref)).sum())
        return max(total, 0.0)

    def _cf_array(self, steps: np.ndarray, params: AnalyticsParams) -> np.ndarray:
        """Counterfactual at each of ``steps``."""
        total = np.full(len(steps), self.b0)
        if self.cf_ref != NONE:
            k = np.asarray(steps) - self.cf_ref
            if k.dtype.kind == "i" and len(k) and int(k.min()) >= 0:
                powers = decay_powers(params.grid_hours, int(k.max()) + 1)[k]
            else:
                powers = decays(params.grid_hours)[None, :] ** k[:, None]
            total += (self.cf[None, :] * powers).sum(axis=1)
        return np.maximum(total, 0.0)

    def _cf_sum(self, s1: int, s2: int, params: AnalyticsParams) -> float:
        """Σ counterfactual over steps ``s1 .. s2 − 1``."""
        if s2 <= s1:
            return 0.0
        total = self.b0 * (s2 - s1)
        if self.cf_ref != NONE:
            q = decays(params.grid_hours)
            total += float((self.cf * q ** (s1 - self.cf_ref) * (1.0 - q ** (s2 - s1)) / (1.0 - q)).sum())
        return total

    def excess(self, tau: int, params: AnalyticsParams = DEFAULT_PARAMS) -> float:
        """Fitted excess of the current pulse ``tau`` steps after its onset."""
        if tau < 0:
            return 0.0
        return float(self.response(params).at(tau) @ self.coef[:K])

    def beta(self) -> float:
        """The fitted scale of the counterfactual (1: the earlier pulses extrapolate as fitted)."""
        return float(self.coef[K])

    def level(self) -> float:
        """The fitted level of the counterfactual (deseasonalised counts/step, ≥ 0)."""
        return float(self.coef[LEVEL])

    def held_column(self, steps: np.ndarray, params: AnalyticsParams = DEFAULT_PARAMS) -> np.ndarray:
        """The held level's column at each of ``steps``: what the earlier pulses' slowest
        component (where their levels went, see ``_close``) has lost by decaying since this
        pulse's onset, ``cf_K · (1 − q_K^(step − onset))``; zeros for a first pulse.

        Its coefficient is fitted (≥ 0): 1 holds that component constant, 0 lets it decay.
        Days of a closed pulse cannot tell a post's floor from its slow tail; a later pulse's
        steps can. With the free constant alone, a floor held by a ramp the constant cannot
        follow took the slow part of the later pulse's response: a boost on a post with a floor
        of a tenth of its peak was credited a third too little."""
        if self.cf_ref == NONE:
            return np.zeros(len(steps))
        q = float(decays(params.grid_hours)[K - 1])
        return float(self.cf[K - 1]) * (1.0 - q ** (np.asarray(steps, float) - self.cf_ref))

    def level_at(self, step: float, params: AnalyticsParams = DEFAULT_PARAMS) -> float:
        """The fitted levels' velocity at ``step`` (the constant and the held level)."""
        return self.level() + float(self.coef[HELD]) * float(self.held_column(np.array([step]), params)[0])

    def level_sum(self, s1: int, s2: int, params: AnalyticsParams = DEFAULT_PARAMS) -> float:
        """Σ of the fitted levels' velocity over steps ``s1 .. s2 − 1``."""
        if s2 <= s1:
            return 0.0
        total = self.level() * (s2 - s1)
        if self.cf_ref != NONE and float(self.coef[HELD]) > 0:
            q = float(decays(params.grid_hours)[K - 1])
            gone = q ** (s1 - self.cf_ref) * (1.0 - q ** (s2 - s1)) / (1.0 - q)
            total += float(self.coef[HELD]) * float(self.cf[K - 1]) * ((s2 - s1) - gone)
        return total

    def model(self, step: float, params: AnalyticsParams = DEFAULT_PARAMS) -> float:
        """Fitted velocity at ``step``: scaled counterfactual and levels plus the current pulse's
        excess."""
        cf = self.beta() * self.counterfactual(step, params) + self.level_at(step, params)
        return cf + self.excess(int(step) - self.onset, params)


    # -- pulse lifecycle ---------------------------------------------------

    def _reset_pulse(
        self, onset: int, trigger: int, spend: float, window_end: float, base: float
    ) -> None:
        self.onset, self.trigger, self.spend, self.window_end, self.base = (
            onset, trigger, spend, window_end, base,
        )  # fmt: skip
        self.flags = 0
        self.p_total = self.p_dtotal = self.p_dsum = self.cf_sum = self.cf_rsum = 0.0
        self.trough = 0.0
        self.w_sum = self.we_sum = self.wee_sum = 0.0
        self.fit_step = NONE
        self.fit_points = 0
        self.half_x = self.since = self.theta = self.offset = self.amplitude = math.nan
        self.fit_r2 = self.last_obs_v = math.nan
        self.peak_tau = self.s_peak_tau = -1.0
        self.peak_v = self.s_peak = 0.0
        self.early = []
        self.early_obs = 0
        self.coef = _fresh_coef()
        self.gram = np.zeros((N, N), _F4)
        self.rhs = np.zeros(N, _F4)
        self.ids = ()
        self._resp = None

    def _start(
        self,
        step: int,
        trigger: int,
        spend: float,
        window_end: float,
        ids: tuple[str, ...],
        params: AnalyticsParams,
    ) -> None:
        """Close the current pulse (its response joins the counterfactual) and open a new one."""
        first = self.onset == NONE
        if not first:
            self._close(params, step)
            self.index += 1
        else:
            self.index = 0
        base = 0.0 if first and trigger == 0 else self.counterfactual(step - 1, params)
        if first and trigger != 0:
            history = self.ring
            base = median(history[-params.steps(params.baseline_window_hours, 3) :]) if history else 0.0
        self._reset_pulse(step, trigger, spend, window_end, base)
        self.ids = ids

    def _close(self, params: AnalyticsParams, next_onset: int) -> None:
        self._refit(params)
        final = self.current(params)
        responded = not self._flag(_F_NO_RESPONSE)
        # the pulse's own mixture: a first pulse's without the population's pull (what the
        # population learns from, and what the post's later pulses lean on)
        mix = self.coef[:K].astype(float)
        if responded and self._pulled():
            mix = self._solve(params, pull=False)[0][:K]
        mix = mix / mix.sum() if responded and mix.sum() > 0 else np.zeros(0)
        if final is not None:
            shape = tuple(round(float(x), 6) for x in mix)
            # a pulse closed before it peaked (a boost bought while the publish burst still rose)
            # rises no more: its response goes on decaying inside the next pulse's counterfactual
            status = "decaying" if final.status == "rising" else final.status
            self.closed_pulses.append(replace(final, interval_end=next_onset, response_shape=shape, status=status))
        if TRIGGERS[self.trigger] == "heating" and self.spend > 0:  # a cancelled boost's pulse cost nothing
            self.heat_lift += self.incremental(params)
            self.heat_spend += self.spend
        self.closed += 1
        self._carry(params, responded)
        if not responded:
            return
        # the post's shape: its responding pulses' mixtures, the latest weighing half
        if len(mix):
            self.shape = (mix if not self.shape.any() else 0.5 * (self.shape + mix)).astype(_F4)
        # the pulse's components continue as plain exponentials from the next onset on
        resp = self.response(params)
        tau = next_onset - self.onset
        here = resp.at(tau) * self.coef[:K]
        beta = self.beta()
        if self.cf_ref != NONE:
            self.cf = (beta * self.cf * decays(params.grid_hours) ** (next_onset - self.cf_ref)).astype(_F4)
        self.cf = (self.cf + here).astype(_F4)
        self.b0 *= beta
        # the level goes on as the slowest component: a level fitted in a few days cannot be
        # told from a slowly decaying tail, and held constant it would outlive that tail
        self.cf[K - 1] += self.level_at(next_onset, params)
        self.cf_ref = next_onset

    def _carry(self, params: AnalyticsParams, responded: bool) -> None:
        """Keep the decay the post goes on with after this pulse (:data:`_CARRIED`): a responding
        pulse's own, fitted as it closes; a pulse with no response leaves the earlier one going
        on, its excess grown by what the post gained over the interval."""
        if responded:
            fitted = self.fit_step != NONE and self.peak_tau >= 0
            self.carry_peak = self.peak_v if fitted else math.nan
            self.carry_base = self.base if fitted else math.nan
            self.carry_excess = self.so_far() if fitted else math.nan
            self.carry_since = self.since if fitted else math.nan
        elif self.carry_peak == self.carry_peak:
            if self.carry_since != self.carry_since:
                since = self._carried_since(params)
                self.carry_since = math.nan if since is None else float(since)
            self.carry_excess = self._carried_excess()

    def _carried_excess(self) -> float:
        """The carried decay's excess so far (deseasonalised counts): its pulse's as it closed
        and all the post gained over the intervals of the heats with no response since (their
        counterfactual is that decay)."""
        return self.carry_excess + self.p_dtotal - self.beta() * self.b0 * (self.next_step - self.onset)

    def _carried_since(self, params: AnalyticsParams) -> int | None:
        """The step the carried decay fell below its decay line, as the current fit reads the
        steps since the onset (the counterfactual, the levels and the little excess the fit
        gives a pulse with no response); already below at the onset, the step its pulse's fit
        said (else the onset); None: not yet."""
        if "carried_since" in self._memo:
            hit = self._memo["carried_since"]
            return None if hit is None else int(hit)
        line = self.carry_base + params.decay_fraction * (self.carry_peak - self.carry_base)
        tau_now = self.next_step - self.onset
        taus = np.arange(tau_now)
        steps = self.onset + taus
        fitted = self.beta() * self._cf_array(steps, params) + self.level()
        fitted += float(self.coef[HELD]) * self.held_column(steps, params)
        fitted += self.response(params).matrix(0, tau_now) @ self.coef[:K].astype(float)
        below = (fitted <= line).nonzero()[0]
        since: int | None = None
        if len(below) and below[0] == 0 and self.carry_since == self.carry_since:
            since = min(int(self.carry_since), self.onset)
        elif len(below):
            since = self.onset + int(below[0])
        self._memo["carried_since"] = None if since is None else float(since)
        return since

    # -- feeding -----------------------------------------------------------

    def add_node(self, node: HeatingNode) -> None:
        """Register a heating node (planned or executed); idempotent by id. An update of a node
        the current pulse carries moves its spend too."""
        node = replace(
            node,
            start=float(node.start),
            end=None if node.end is None else float(node.end),
            spend=float(node.spend),
        )
        old = self.node(node.id)
        if old is not None and node.id in self.ids:
            self.spend += node.spend - old.spend
        self.nodes = [n for n in self.nodes if n.id != node.id]
        self.nodes.append(node)
        self.nodes.sort(key=lambda n: (n.start, n.id))

    def node(self, node_id: str) -> HeatingNode | None:
        """The registered node with this id, if any."""
        return next((n for n in self.nodes if n.id == node_id), None)

    def drop_node(self, node_id: str) -> None:
        """Forget a node (cancelled before it was read)."""
        self.nodes = [n for n in self.nodes if n.id != node_id]

    def feed(
        self, step: int, v: float, observed: bool, params: AnalyticsParams = DEFAULT_PARAMS, scale: float = 1.0
    ) -> None:
        """Add one complete step (``v`` counts gained during it) in order; ``scale``: the counts
        each counted unit of ``v`` stands for (:meth:`.CurveState.count_scale`), for the onset
        test's counting noise."""
        if self.next_step != NONE and step != self.next_step:
            raise ValueError(f"step {step} fed out of order (expected {self.next_step})")
        first = self.onset == NONE
        if first:
            at_publish = self.publish != NONE and step <= self.publish + 1
            self.next_step = step
            self._start(step, 0 if at_publish else 1, 0.0, math.nan, (), params)
        heat = self._heating_onset(step, first, params)
        if heat is not None:
            self._flush_candidate(params)
        self.next_step = step + 1
        if heat is not None:
            spend, window_end, ids = heat
            if self._merges(step):
                self.spend += spend
                self.window_end = max(self.window_end, window_end)
                self.ids = self.ids + ids
                self._resp = None
            elif first:
                self.trigger, self.spend, self.window_end, self.ids = 3, spend, window_end, ids
                self._resp = None
            else:
                self._start(step, 3, spend, window_end, ids, params)
        self._push_ring(step, v, observed, params)
        if heat is None and self._organic(step, v, observed, params, scale):
            return  # held as an onset candidate
        self._add(step, v, observed, params)

    def _heating_onset(
        self, step: int, first: bool, params: AnalyticsParams
    ) -> tuple[float, float, tuple[str, ...]] | None:
        if first:  # tracking starts: a node whose delivery is over left only a tail to see, no onset
            due = [n for n in self.nodes if math.floor(n.start) <= step < n.window_end(params)]
        else:
            due = [n for n in self.nodes if math.floor(n.start) == step]
        if not due:
            return None
        return (
            sum(n.spend for n in due),
            max(n.window_end(params) for n in due),
            tuple(n.id for n in due),
        )

    def _merges(self, step: int) -> bool:
        """A node joins the current heated pulse if its window is still open and no rise has peaked."""
        return (
            TRIGGERS[self.trigger] == "heating"
            and step < self.window_end
            and not self._flag(_F_PEAKED)
        )

    def _push_ring(self, step: int, v: float, observed: bool, params: AnalyticsParams) -> None:
        self.ring.append(_q(v))
        self.dring.append(_q(v / self._daily(step, params)))
        self.day_sum += self.dring[-1]
        self.day_n += 1
        if self.day_n >= params.steps(24.0):
            self.day1 = self.day_sum / self.day_n
            self.day_sum, self.day_n = 0.0, 0
            if step - self.onset >= params.steps(48.0) and (self.trough <= 0 or self.day1 < self.trough):
                self.trough = self.day1
        self.ring_obs = (self.ring_obs << 1 | int(observed)) & ((1 << RING) - 1)
        if len(self.ring) > RING:
            del self.ring[0]
            del self.dring[0]
        # the daily cycle, from the step 12 h back, away from pulse onsets
        if params.grid_hours < 12.0 and len(self.ring) >= 25 and step - 12 - self.onset >= SETTLE_STEPS:
            obs = self.ring_obs
            if obs & 1 and obs >> 12 & 1 and obs >> 24 & 1:
                hour = int(round((step - 12) * params.grid_hours))
                r = self.ring
                cyc = self.cycle()
                cyc.add(hour, r[-25], r[-13], r[-1])
                self.scc, self.sss, self.scs, self.sdc, self.sds = cyc.sums()
                if hour % 24 == 0:
                    cyc.refresh()
                    self.cyc_a, self.cyc_b = cyc.alpha, cyc.beta

    def _recent(self, n: int, params: AnalyticsParams) -> float:
        """Mean deseasonalised velocity of the last ``n`` steps in the ring."""
        vals = self.dring[-n:]
        return sum(vals) / len(vals) if vals else 0.0

    def _organic(self, step: int, v: float, observed: bool, params: AnalyticsParams, scale: float = 1.0) -> bool:
        """Onset-candidate bookkeeping; True when this step is held back in a candidate."""
        dv = v / self._daily(step, params)
        if self.cand_start != NONE:
            if not observed:
                if step - self.cand_start < 8:
                    return True
                self._flush_candidate(params)
                return False
            if exceeds(dv, self.cand_ref, params.onset_ratio, params.onset_noise_z, self.cand_noise, scale):
                self.cand_count += 1
                if self.cand_count >= params.steps(params.onset_hours):
                    self._confirm_candidate(params)
                return True
            self._flush_candidate(params)
            return True
        tau = step - self.onset
        if not observed or tau < 2:
            return False
        if TRIGGERS[self.trigger] == "heating" and step < self.window_end:
            return False
        window = params.steps(params.baseline_window_hours, 3)
        if len(self.ring) < min(window, 3) + 1:
            return False
        # the trailing level, never below what the current pulse itself explains
        prior = self.dring[:-1]
        ref = sum(prior[-3:]) / len(prior[-3:])
        if not self._flag(_F_PEAKED):
            ref = max(ref, self.s_peak)
        if dv <= params.onset_ratio * ref:
            return False
        ref = max(ref, median(prior[-window:]))
        noise = log_noise(prior)
        if not exceeds(dv, ref, params.onset_ratio, params.onset_noise_z, noise, scale):
            return False
        self.cand_start, self.cand_count, self.cand_ref, self.cand_noise = step, 1, ref, noise
        if self.cand_count >= params.steps(params.onset_hours):
            self._confirm_candidate(params)
        return True

    def _held(self) -> list[tuple[int, float, bool]]:
        n = self.next_step - self.cand_start
        start = len(self.ring) - n
        return [
            (self.cand_start + i, self.ring[start + i], bool(self.ring_obs >> (n - 1 - i) & 1))
            for i in range(n)
        ]

    def _confirm_candidate(self, params: AnalyticsParams) -> None:
        held = self._held()
        self.cand_start = NONE
        self.cand_count = 0
        # A burst's first step carries a large share of its rise (its input is front-loaded):
        # a first held step far below the next is the old pulse's noise, not the onset.
        while len(held) >= 2 and held[0][2] and held[1][2]:
            e0 = held[0][1] / self._daily(held[0][0], params) - self.cand_ref
            e1 = held[1][1] / self._daily(held[1][0], params) - self.cand_ref
            if e0 >= ONSET_LEAD_SHARE * e1:
                break
            self._add(*held[0], params)
            held = held[1:]
        self._start(held[0][0], 2, 0.0, math.nan, (), params)
        for s, v, o in held:
            self._add(s, v, o, params)

    def _flush_candidate(self, params: AnalyticsParams) -> None:
        """Reject a candidate: its held steps go to the current pulse."""
        if self.cand_start == NONE:
            return
        held = self._held()
        self.cand_start = NONE
        self.cand_count = 0
        for s, v, o in held:
            self._add(s, v, o, params)

    def _weight(self, level: float) -> float:
        """Inverse variance of one step's velocity at ``level`` (multiplicative + counting)."""
        lv = max(level, 0.0)
        return 1.0 / (0.09 * lv * lv + lv + 1.0)

    def _add(self, step: int, v: float, observed: bool, params: AnalyticsParams) -> None:
        """Account one step to the current pulse."""
        tau = step - self.onset
        d = self._daily(step, params)
        cf = self.counterfactual(step, params)
        dv = v / d
        self.p_total += v
        self.p_dtotal += dv
        self.p_dsum += d
        self.cf_sum += cf
        self.cf_rsum += cf * d
        if observed:
            self.last_obs_v = dv
        self._track_tail(step, v, params)
        if tau < EARLY:
            self.early.append(_q(v))
            self.early_obs |= int(observed) << tau
        else:
            w = self._weight(self._recent(3, params))
            g = np.empty(N)
            g[:K] = self.response(params).at(tau)
            g[K] = cf
            g[LEVEL] = 1.0
            g[HELD] = self.held_column(np.array([step]), params)[0]
            e = dv
            # np.outer(g, g) as it computes it, without its wrapper's cost
            self.gram += (w * (g[:, None] * g[None, :])).astype(_F4)
            self.rhs += (w * e * g).astype(_F4)
            self.w_sum += w
            self.we_sum += w * e
            self.wee_sum += w * e * e
            self.fit_points += int(observed)
        if tau == EARLY - 1:
            self._choose_delivery(params)  # settled from the data alone, however often it was read
        if tau == FOLD_AT and self.early:
            self._set(_F_RISE_UNSEEN, not self._rise_observed(params))  # the early steps go: keep the verdict
            g_e, r_e, w_e, we_e, wee_e = self._early_system(params)
            self.gram += g_e.astype(_F4)
            self.rhs += r_e.astype(_F4)
            self.w_sum += w_e
            self.we_sum += we_e
            self.wee_sum += wee_e
            self.fit_points += bin(self.early_obs).count("1")
            self.early = []
            self.early_obs = 0
        self._track_state(step, observed, params)

    def _track_tail(self, step: int, v: float, params: AnalyticsParams) -> None:
        if self.publish == NONE:
            return
        if step < self.publish + params.steps(params.burst_window_hours):
            self.burst_sum += v
        elif TRIGGERS[self.trigger] == "heating" and not self._flag(_F_NO_RESPONSE):
            self.paid_tail += v
        else:
            self.organic_tail += v

    def _track_state(self, step: int, observed: bool, params: AnalyticsParams) -> None:
        """Data-only bookkeeping (the fit is not needed to feed a step): the smoothed peak,
        whether the pulse peaked, responded, or never responded to its heating."""
        tau = step - self.onset
        smooth = self._recent(3, params)
        if smooth > self.s_peak or self.s_peak_tau < 0:
            self.s_peak, self.s_peak_tau = smooth, float(max(tau - 1, 0))
        if (
            not self._flag(_F_PEAKED)
            and tau - self.s_peak_tau >= 3
            and self._recent(2, params) < self.base + 0.8 * (self.s_peak - self.base)
        ):
            self._set(_F_PEAKED)
        if not self._flag(_F_RESPONDED) and tau >= 1:
            cf = self.counterfactual(step, params)
            excess = self._recent(3, params) - cf
            if excess > max(0.25 * self.base, 2.0 * math.sqrt(cf + 1.0)):
                self._set(_F_RESPONDED)
        if (
            TRIGGERS[self.trigger] == "heating"
            and not self._flag(_F_RESPONDED)
            and not self._flag(_F_NO_RESPONSE)
            and step >= self.window_end + params.steps(6.0)
        ):
            self._set(_F_NO_RESPONSE)
            # its steps so far went to the paid tail (``_track_tail``): they were organic. Exact
            # for a heat after the burst window; one inside it keeps the part counted paid after
            # the window (the burst does not say which of its steps were the pulse's)
            if self.publish != NONE and self.onset >= self.publish + params.steps(params.burst_window_hours):
                moved = min(self.paid_tail, self.p_total)
                self.paid_tail -= moved
                self.organic_tail += moved

    # -- fitting -----------------------------------------------------------

    def _early_system(self, params: AnalyticsParams) -> tuple[np.ndarray, np.ndarray, float, float, float]:
        """Normal equations of the kept early steps, deseasonalised with today's cycle."""
        n = len(self.early)
        if n == 0:
            return np.zeros((N, N)), np.zeros(N), 0.0, 0.0, 0.0
        x = np.empty((n, N))
        x[:, :K] = self.response(params).matrix(0, n)
        x[:, K:], e, w, sums = self._early_weights(params)
        xw = x * w[:, None]
        return xw.T @ x, xw.T @ e, *sums

    def _early_weights(
        self, params: AnalyticsParams
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float]]:
        """What the early steps' normal equations take besides the response: the
        counterfactual's columns (β, level, held level), the deseasonalised velocities, their
        weights and weighted sums. A function of the early steps, the counterfactual and the
        cycle alone, read by every refit from the pulse's 48th step to its fold (and by each
        delivery a heated pulse tries): kept per content (:data:`_EARLY`), it is computed once
        for them all, the same values as each time."""
        n = len(self.early)
        cyc = self.cycle() if params.grid_hours < 12.0 else None
        key = (
            params.grid_hours, self.onset, self.cf_ref, self.b0.hex(), self.cf.tobytes(),
            None if cyc is None else (cyc.alpha, cyc.beta), *self.early,
        )  # fmt: skip
        hit = _EARLY.get(key)
        if hit is not None:
            return hit
        cols = np.empty((n, N - K))
        cols[:, 0] = self._cf_array(self.onset + np.arange(n), params)
        cols[:, LEVEL - K] = 1.0
        cols[:, HELD - K] = self.held_column(self.onset + np.arange(n), params)
        if cyc is not None:
            h0 = int(round(self.onset * params.grid_hours))
            d = np.asarray(cyc.factors(h0, n))
        else:
            d = np.ones(n)
        e = np.array(self.early) / d
        smooth = np.convolve(e, np.ones(3) / 3.0, mode="same") if n >= 3 else e
        lv = np.maximum(smooth, WEIGHT_FLOOR_SHARE * max(float(smooth.max()), 0.0))
        w = 1.0 / (0.09 * lv * lv + lv + 1.0)
        sums = float(w.sum()), float((w * e).sum()), float((w * e * e).sum())
        if len(_EARLY) >= 256:
            _EARLY.clear()
        hit = _EARLY[key] = (cols, e, w, sums)
        return hit

    def _ensure_fit(self, params: AnalyticsParams) -> None:
        """Refit when steps arrived since the last fit (fits are only needed to read)."""
        if self.onset != NONE and self.fit_step != self.next_step:
            self._refit(params)

    def _pulled(self) -> bool:
        """Whether the current pulse's fit is pulled towards the population's shape (a first
        pulse, with a population shape known)."""
        return bool(POPULATION_PRIOR) and self.population is not None and not self.shape[:SHAPE_FAST].any()

    def _solve(self, params: AnalyticsParams, pull: bool = True) -> _Solution:
        """The current pulse's fit (coefficients, normal equations, right-hand side and the early
        steps' weighted sums); ``pull``: with the population's shape prior where it applies."""
        tau_now = self.next_step - self.onset
        g_e, r_e, w_e, we_e, wee_e = self._early_system(params)
        gram = g_e + self.gram
        rhs = r_e + self.rhs
        diag = gram.diagonal().copy()
        prior = params.steps(BETA_PRIOR_HOURS) * float(gram[K, K]) / tau_now + 1e-9
        # the ridge added on the diagonal alone (what adding its diagonal matrix changes)
        g = gram.copy()
        g[_DIAG] += RIDGE * diag + 1e-12 * (float(diag.max()) + 1e-300)
        diag_mean = float(diag[:K].sum()) / K
        g[:K, :K] += SMOOTHING * diag_mean * _CURVATURE
        j = SHAPE_FAST
        towards = None
        if SHAPE_PRIOR and self.shape[:j].any():
            towards, weight = _projector(self.shape[:j], normalise=True), SHAPE_PRIOR
        elif pull and self._pulled():
            assert self.population is not None  # a pulled fit has one
            towards, weight = _projector(self.population), POPULATION_PRIOR
        if towards is not None:
            g[:j, :j] += weight * diag_mean * towards
        g[K, K] += prior
        b = rhs.astype(float)
        b[K] += prior  # β ≈ 1 unless the data say otherwise
        if not float(np.abs(b).max(initial=0.0)) > 0:
            return _fresh_coef().astype(float), gram, rhs, (w_e, we_e, wee_e)
        coef = nnls(g, b, self.coef)
        if coef[HELD] > 1.0:  # at most the whole held level: fixed there, the rest refitted
            rest = _REST
            sub = g.take(rest, axis=0).take(rest, axis=1)  # g[rest][:, rest], copied as cheaply
            coef[rest] = nnls(sub, b[rest] - g[rest, HELD], self.coef[rest])
            coef[HELD] = 1.0
        return coef, gram, rhs, (w_e, we_e, wee_e)

    def _refit(self, params: AnalyticsParams) -> None:
        if self.onset == NONE or self.next_step == NONE or self.next_step <= self.onset:
            return
        # the delivery's choice solved the fit of the chosen one already, from the same state
        chosen = self._choose_delivery(params)
        coef, gram, rhs, (w_e, we_e, wee_e) = chosen if chosen is not None else self._solve(params)
        self.coef = coef.astype(_F4)
        coef = self.coef.astype(float)
        self.fit_step = self.next_step
        self._memo = {}
        # quality: weighted R² of the mixture against the steps
        w_sum, we_sum, wee_sum = self.w_sum + w_e, self.we_sum + we_e, self.wee_sum + wee_e
        sse = wee_sum - 2.0 * float(coef @ rhs) + float(coef @ gram @ coef)
        sst = wee_sum - (we_sum * we_sum / w_sum if w_sum > 0 else 0.0)
        self.fit_r2 = 1.0 - sse / sst if sst > 0 else math.nan
        self._shape(params)

    def _shape(self, params: AnalyticsParams) -> None:
        """Peak, half-life, decay start and power-law exponent of the fitted excess."""
        resp = self.response(params)
        tau_now = self.next_step - self.onset
        horizon = max(tau_now, resp.n) + 400
        f = resp.matrix(0, horizon) @ self.coef[:K]
        if not (f > 0).any():
            self.peak_tau, self.peak_v = -1.0, 0.0
            self.half_x = self.since = math.nan
            return
        peak = int(f.argmax())
        self.peak_tau = float(peak)
        cf_peak = self.beta() * self.counterfactual(self.onset + peak, params) + self.level_at(self.onset + peak, params)
        self.peak_v = float(cf_peak + f[peak])
        half = _crossing(f, peak, 0.5 * float(f[peak]))
        self.half_x = math.nan if half is None else half
        # decay line: DESIGN.md's velocity ≤ baseline + fraction × (peak − baseline)
        line = self.base + params.decay_fraction * (self.peak_v - self.base)
        stop = max(peak + 1, tau_now + 1)
        taus = np.arange(peak, stop)
        cf = self.beta() * self._cf_array(self.onset + taus, params) + self.level()
        cf += float(self.coef[HELD]) * self.held_column(self.onset + taus, params)
        below = (cf + f[peak:stop] <= line).nonzero()[0]
        self.since = math.nan if len(below) == 0 else float(self.onset + peak + below[0])
        stop = max(peak + 3, tau_now)
        if self.theta == self.theta and tau_now % 6:
            return  # θ is read off the fit every 6 steps (it describes, nothing decides on it)
        observed = self._observed_after(peak)
        fit = None
        if observed >= params.min_fit_points:
            fit = fit_power_law(
                np.arange(peak, stop) + 0.5, f[peak:stop], params.theta_min, params.theta_max
            )
        if fit is None:
            self.theta = self.offset = self.amplitude = math.nan
        else:
            self.amplitude, self.offset, self.theta = fit

    def _rise_unseen(self, params: AnalyticsParams) -> bool:
        """Whether no step within RISE_SEEN_HOURS of the onset was observed (once that span is past)."""
        if self._flag(_F_RISE_UNSEEN):
            return True
        if not max(1, params.steps(RISE_SEEN_HOURS)) < self.next_step - self.onset <= FOLD_AT:
            return False  # too early to tell; or folded before this verdict was kept (an older state)
        return not self._rise_observed(params)

    def _rise_observed(self, params: AnalyticsParams) -> bool:
        """Whether a step within RISE_SEEN_HOURS of the onset was observed (the early steps' bits)."""
        return bool(self.early_obs & ((1 << max(1, params.steps(RISE_SEEN_HOURS))) - 1))

    def _observed_after(self, peak: int) -> int:
        """Observed steps after step ``peak`` of the pulse (what a decay exponent is read off)."""
        return bin(self.early_obs >> (peak + 1)).count("1") + self.fit_points

    # -- reading -----------------------------------------------------------

    def incremental(self, params: AnalyticsParams = DEFAULT_PARAMS) -> float:
        """Engagements above the counterfactual over the interval so far (≥ 0, ≤ the total):
        the observed total less the scaled counterfactual, but never less than the pulse's own
        fitted excess. A counterfactual that leaves less is an earlier pulse's tail
        extrapolated heavier than the steps since allow (on a real post's daily counts, a
        promotion's spike was read as 0 that way)."""
        if self._flag(_F_NO_RESPONSE):
            return 0.0
        n = self.next_step - self.onset
        daily = self.p_dsum / n if n > 0 else 1.0  # the levels in counts: deseasonalised sum × the mean cycle
        cf_raw = self.beta() * self.cf_rsum + self.level_sum(self.onset, self.next_step, params) * daily
        fitted = 0.0
        if self.fit_step != NONE:
            fitted = float(self.response(params).window_sum(0, self.fit_step - self.onset) @ self.coef[:K])
        return max(0.0, min(self.p_total, max(self.p_total - cf_raw, fitted)))

    def so_far(self) -> float:
        """Deseasonalised excess over the scaled counterfactual since the onset (counts), the
        decay rule's reference. The fitted level counts in it here, as in the projected gain:
        within a few days a level cannot be told from the pulse's slowest component, and a
        level counted out of both would end pulses whose slow tail is still to come."""
        return self.p_dtotal - self.beta() * self.cf_sum

    def projected_gain(self, params: AnalyticsParams = DEFAULT_PARAMS) -> float | None:
        """The current pulse's fitted excess over the next ``decay_gain_horizon_hours``, the
        level included (see :meth:`so_far`)."""
        self._ensure_fit(params)
        if self.fit_step == NONE:
            return None
        if "gain" in self._memo:
            return self._memo["gain"]
        tau = self.next_step - self.onset
        span = params.steps(params.decay_gain_horizon_hours)
        resp = self.response(params)
        pulse = float(resp.window_sum(tau, tau + span) @ self.coef[:K])
        pulse += self.level_sum(self.next_step, self.next_step + span, params)
        gain = self._memo["gain"] = pulse * self._recent_scale(params)
        return gain

    def _recent_scale(self, params: AnalyticsParams, with_counterfactual: bool = False) -> float:
        """Observed ÷ fitted over the last day (at least 3 steps), within 0.25–4: projections
        are held to the level the latest steps show (a fit lags a turn). The pulse's excess
        and the level, or the whole velocity ``with_counterfactual``."""
        key = f"scale{int(with_counterfactual)}"
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        tau = self.next_step - self.onset
        n = min(max(params.steps(RECENT_HOURS), 3), tau, len(self.dring))
        if n < 3:
            return 1.0
        steps = np.arange(self.next_step - n, self.next_step)
        cf = self.beta() * float(self._cf_array(steps, params).sum())
        seen = float(np.sum(self.dring[-n:]))
        fitted = float(self.response(params).window_sum(tau - n, tau) @ self.coef[:K])
        fitted += self.level_sum(self.next_step - n, self.next_step, params)
        # both scales from the same sums: a read of the fit asks for both (the projected gain
        # and the projections)
        scales = [
            1.0 if f <= 0 else min(4.0, max(0.25, s / f))
            for s, f in ((seen - cf, fitted), (seen, fitted + cf))
        ]
        self._memo["scale0"], self._memo["scale1"] = scales
        return scales[int(with_counterfactual)]

    def _decayed(self, params: AnalyticsParams) -> bool:
        if self.since != self.since or self.fit_step == NONE:
            return False
        return self.next_step - 1 >= self.since + params.steps(params.decay_hours) - 1

    def status(self, params: AnalyticsParams = DEFAULT_PARAMS) -> str:
        """rising, decaying, settled or no-response."""
        self._ensure_fit(params)
        if self._flag(_F_NO_RESPONSE):
            return "no-response"
        if not self._flag(_F_PEAKED) or self.fit_step == NONE:
            return "rising" if not self._flag(_F_PEAKED) else "decaying"
        gain = self.projected_gain(params)
        if self._decayed(params) and gain is not None and gain <= params.decay_gain_ratio * self.so_far():
            return "settled"
        return "decaying"

    def project(
        self, until: float, params: AnalyticsParams = DEFAULT_PARAMS
    ) -> tuple[float, float, float] | None:
        """Counts expected from now to step ``until`` (point, low, high); None without a fit.

        The fitted curve (counterfactual and pulse) held to the level of the last day's
        steps. The interval is a heuristic (``SPREAD_PER_DOUBLING``).
        """
        now = self.next_step
        if until <= now:
            return (0.0, 0.0, 0.0)
        self._ensure_fit(params)
        if self.fit_step == NONE:
            return None
        end = math.ceil(until)
        cf = self.beta() * self._cf_sum(now, end, params) + self.level_sum(now, end, params)
        tau = now - self.onset
        pulse = float(self.response(params).window_sum(tau, end - self.onset) @ self.coef[:K])
        point = (cf + pulse) * self._recent_scale(params, with_counterfactual=True)
        age = max(1.0, float(now - (self.publish if self.publish != NONE else self.onset)))
        spread = SPREAD_PER_DOUBLING * math.log2(1.0 + (end - now) / age) * _z(params.interval)
        return point, point * max(0.0, 1.0 - spread), point * (1.0 + spread)

    def decay_view(self, params: AnalyticsParams = DEFAULT_PARAMS) -> DecayView:
        """The current pulse as the ``PostDecaying`` decision sees it; a heat with no response,
        the decay the post is on (:meth:`carried_view`)."""
        self._ensure_fit(params)
        if self._flag(_F_NO_RESPONSE) and self.carry_peak == self.carry_peak:
            return self.carried_view(params)
        peak = self.peak_v if self.peak_tau >= 0 else None
        threshold = None if peak is None else self.base + params.decay_fraction * (peak - self.base)
        since = int(self.since) if self._decayed(params) else None
        return DecayView(
            pulse_index=self.index,
            decaying_since=since,
            projected_gain=self.projected_gain(params),
            incremental=self.so_far(),
            peak_velocity=peak,
            baseline=self.base,
            threshold=threshold,
            recent_velocity=None if self.last_obs_v != self.last_obs_v else self.last_obs_v,
            theta=None if self.theta != self.theta else self.theta,
            fit_r2=None if self.fit_r2 != self.fit_r2 else self.fit_r2,
            status=self.status(params),
            rising=self.rising(params),
        )

    def carried_view(self, params: AnalyticsParams = DEFAULT_PARAMS) -> DecayView:
        """A heat with no response as the ``PostDecaying`` decision sees it: the post goes on
        along the decay of its last responding pulse (this pulse's counterfactual), judged as
        that pulse was: below its decay line (its baseline + ``decay_fraction`` × its rise) for
        ``decay_hours``, and the fitted gain over ``decay_gain_horizon_hours`` (the whole fitted
        velocity, held to the last day's level: earlier pulses' tails count in it) against its
        excess so far (:meth:`_carried_excess`). A boost that brought nothing does not end the
        decay it was bought against."""
        self._ensure_fit(params)
        line = self.carry_base + params.decay_fraction * (self.carry_peak - self.carry_base)
        since = self._carried_since(params)
        if since is not None and self.next_step - 1 < since + params.steps(params.decay_hours) - 1:
            since = None
        projected = self.project(self.next_step + params.steps(params.decay_gain_horizon_hours), params)
        return DecayView(
            pulse_index=self.index,
            decaying_since=since,
            projected_gain=None if projected is None else projected[0],
            incremental=self._carried_excess(),
            peak_velocity=self.carry_peak,
            baseline=self.carry_base,
            threshold=line,
            recent_velocity=None if self.last_obs_v != self.last_obs_v else self.last_obs_v,
            theta=None,
            fit_r2=None if self.fit_r2 != self.fit_r2 else self.fit_r2,
            status=self.status(params),
            rising=self.rising(params),
            after_no_response=self.ids,
        )

    def rising(self, params: AnalyticsParams = DEFAULT_PARAMS) -> bool:
        """Whether the post's velocity has turned up: the mean of its last full day is above
        the lowest daily mean since the pulse's second day by more than 15 % and two counting
        standard deviations (a post that keeps growing is not decaying)."""
        if self.trough <= 0:
            return False
        n = params.steps(24.0)
        return self.day1 - self.trough > 0.15 * self.trough + 2.0 * math.sqrt((self.day1 + self.trough) / n)

    def current(self, params: AnalyticsParams = DEFAULT_PARAMS) -> Pulse | None:
        """The current pulse as reported, or None before the first step."""
        if self.onset == NONE:
            return None
        self._ensure_fit(params)
        no_resp = self._flag(_F_NO_RESPONSE)
        fitted = self.fit_step != NONE and self.peak_tau >= 0 and not no_resp
        unseen = fitted and self._rise_unseen(params)
        fitted = fitted and not unseen
        peak = self.onset + int(self.peak_tau) if fitted else None
        half = self.half_x - self.peak_tau if fitted and self.half_x == self.half_x else None
        lift = self.incremental(params)
        since = int(self.since) if self._decayed(params) else None
        theta_ok = fitted and self.theta == self.theta
        reason = None
        if unseen:
            reason = f"no snapshot within {RISE_SEEN_HOURS:g} h of the onset: its rise and peak were not observed"
        elif not fitted:
            reason = "no response" if no_resp else "too few steps after the onset"
        elif not theta_ok:
            seen = self._observed_after(int(self.peak_tau))
            reason = (
                f"{seen} observed steps after the peak, a decay exponent needs {params.min_fit_points}"
                if seen < params.min_fit_points
                else f"the decay is no power law with an exponent within {params.theta_min}–{params.theta_max}"
            )
        return Pulse(
            index=self.index,
            onset=self.onset,
            trigger=TRIGGERS[self.trigger],
            heating_ids=self.ids,
            spend=self.spend,
            interval_end=None,
            baseline=self.base,
            peak=peak,
            peak_velocity=self.peak_v if fitted else None,
            rise_steps=None if peak is None else peak - self.onset,
            half_life=half,
            theta=self.theta if theta_ok else None,
            offset=self.offset if theta_ok else None,
            amplitude=self.amplitude if theta_ok else None,
            fit_r2=None if self.fit_r2 != self.fit_r2 or not fitted else self.fit_r2,
            fit_points=self.fit_points + bin(self.early_obs).count("1"),
            no_fit_reason=reason,
            incremental=lift,
            total=self.p_total,
            cost_per_incremental=cost_per_incremental(self.spend, lift),
            status=self.status(params),
            decaying_since=since,
        )

    def copy(self) -> PulseTracker:
        """An independent copy (the live view is built from the checkpoint this way)."""
        other = PulseTracker.__new__(PulseTracker)
        for f in _STORED + _CARRIED + _FIT:
            setattr(other, f, getattr(self, f))
        other.ring = list(self.ring)
        other.dring = list(self.dring)
        other.early = list(self.early)
        other.cf, other.shape, other.coef = self.cf.copy(), self.shape.copy(), self.coef.copy()
        other.gram, other.rhs = self.gram.copy(), self.rhs.copy()
        other.ids, other.nodes = self.ids, self.nodes
        other.closed_pulses = []
        other.population = self.population
        other._resp = self._resp
        other._cycle = None
        other._memo = dict(self._memo)
        return other

    # -- serialisation -----------------------------------------------------

    def to_bytes(self, with_nodes: bool = True) -> bytes:
        """Compact binary form: velocities as 16-bit log codes, the fit's normal equations in
        float32, sums in float64; fit results are not stored (the next read refits)."""
        text = ",".join(self.ids).encode()
        nodes = _encode_nodes(self.nodes) if with_nodes else b""
        head = _HEAD.pack(
            _VERSION, *(getattr(self, f) for f in _STORED), len(self.ring), len(self.early), len(text),
            len(nodes),
        )  # fmt: skip
        return b"".join((
            head, _codes(self.ring + self.dring + self.early),
            np.asarray(self.cf, dtype="<f4").tobytes(), np.asarray(self.shape, dtype="<f4").tobytes(),
            np.asarray(self.coef, dtype="<f4").tobytes(),
            np.asarray(self.gram[_TRI], dtype="<f4").tobytes(), np.asarray(self.rhs, dtype="<f4").tobytes(),
            text, nodes, _CARRY.pack(*(getattr(self, f) for f in _CARRIED)),
        ))  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> PulseTracker:
        """Inverse of :meth:`to_bytes`."""
        tracker, _ = cls.read(memoryview(data))
        return tracker

    @classmethod
    def read(cls, buf: memoryview) -> tuple[PulseTracker, int]:
        """Decode from the start of ``buf``; returns the tracker and the bytes used."""
        vals = _HEAD.unpack_from(buf, 0)
        if vals[0] not in _COEFS:
            raise ValueError(f"unknown PulseTracker version {vals[0]}")
        self = cls.__new__(cls)
        i = 1
        for f in _STORED:
            setattr(self, f, vals[i])
            i += 1
        self.fit_step = NONE
        self.peak_tau = -1.0
        self.half_x = self.peak_v = self.since = self.fit_r2 = math.nan
        n_ring, n_early, n_text, n_nodes = vals[i : i + 4]
        off = _HEAD.size
        n_codes = 2 * n_ring + n_early
        codes = np.frombuffer(buf, dtype="<u2", count=n_codes, offset=off)
        off += 2 * n_codes
        decoded = [math.expm1(c / _LOG_SCALE) for c in codes.tolist()]
        self.ring = decoded[:n_ring]
        self.dring = decoded[n_ring : 2 * n_ring]
        self.early = decoded[2 * n_ring :]
        n = _COEFS[vals[0]]
        tri = np.triu_indices(n)
        self.cf = np.frombuffer(buf, dtype="<f4", count=K, offset=off).astype(_F4)
        off += 4 * K
        self.shape = np.zeros(K, _F4)
        if vals[0] >= 4:  # version 3 and older: no shape of earlier pulses
            self.shape = np.frombuffer(buf, dtype="<f4", count=K, offset=off).astype(_F4)
            off += 4 * K
        floats = np.frombuffer(buf, dtype="<f4", count=2 * n + len(tri[0]), offset=off)
        off += 4 * len(floats)
        self.coef = _fresh_coef()
        self.coef[:n] = floats[:n]
        gram = np.zeros((N, N), _F4)
        gram[tri] = floats[n : n + len(tri[0])]
        self.gram = gram + np.triu(gram, 1).T
        self.rhs = np.zeros(N, _F4)
        self.rhs[:n] = floats[n + len(tri[0]) :]
        self.ids = tuple(x for x in bytes(buf[off : off + n_text]).decode().split(",") if x)
        off += n_text
        self.nodes = _decode_nodes(bytes(buf[off : off + n_nodes])) if n_nodes else []
        off += n_nodes
        carried = (math.nan,) * len(_CARRIED)
        if vals[0] >= 6:  # older states carry no decay: the next responding pulse sets one
            carried = _CARRY.unpack_from(buf, off)
            off += _CARRY.size
        for f, x in zip(_CARRIED, carried, strict=True):
            setattr(self, f, x)
        self.closed_pulses = []
        self.population = None
        self._resp = None
        self._cycle = None
        self._memo = {}
        return self, off


_RESPONSES: dict[tuple[object, ...], Response] = {}
""":meth:`PulseTracker.response` by what its input is a function of (grid, delivery or burst)."""
_DIAG = np.diag_indices(N)
_REST = np.flatnonzero(np.arange(N) != HELD)
"""The coefficients refitted with the held level fixed at 1."""
_PROJECTORS: dict[tuple[bool, str, tuple[int, ...], bytes], np.ndarray] = {}


def _projector(m: np.ndarray, normalise: bool = False) -> np.ndarray:
    """``I − m mᵀ`` (``SHAPE_FAST`` components): the penalty of the distance from the line
    through ``m``, ``normalise``d first (a post's earlier pulses' shape, float32; a population's
    is a unit vector already). Kept per ``m``: a post's later pulses, and a population's first
    pulses, refit against the same one at every step."""
    key = (normalise, m.dtype.str, m.shape, m.tobytes())
    hit = _PROJECTORS.get(key)
    if hit is None:
        if normalise:
            m = m.astype(float) / float(np.linalg.norm(m))
        if len(_PROJECTORS) >= 256:
            _PROJECTORS.clear()
        hit = _PROJECTORS[key] = np.eye(SHAPE_FAST) - np.outer(m, m)
    return hit


_EARLY: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float]]] = {}
""":meth:`PulseTracker._early_weights` by their inputs (read-only arrays)."""


def _fresh_coef() -> np.ndarray:
    """Coefficients before any fit: no response, counterfactual as extrapolated (β = 1)."""
    coef = np.zeros(N, _F4)
    coef[K] = 1.0
    return coef


def _crossing(f: np.ndarray, peak: int, target: float) -> float | None:
    """First step (interpolated between steps) from ``peak`` on where ``f`` ≤ ``target``."""
    below = np.flatnonzero(f[peak:] <= target)
    if len(below) == 0:
        return None
    t = peak + int(below[0])
    if t == peak:
        return float(peak)
    drop = f[t - 1] - f[t]
    return float(t - 1 + ((f[t - 1] - target) / drop if drop > 0 else 1.0))


def _z(interval: float) -> float:
    return {0.5: 0.674, 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96}.get(interval, 1.2816)


def _encode_nodes(nodes: list[HeatingNode]) -> bytes:
    return "\x1f".join(
        f"{n.id}\x1e{n.start!r}\x1e{n.end!r}\x1e{n.spend!r}\x1e{n.currency}\x1e{n.status}" for n in nodes
    ).encode()


def _decode_nodes(raw: bytes) -> list[HeatingNode]:
    out = []
    for part in raw.decode().split("\x1f"):
        nid, start, end, spend, currency, status = part.split("\x1e")
        out.append(HeatingNode(nid, float(start), None if end == "None" else float(end), float(spend), currency, status))
    return out
