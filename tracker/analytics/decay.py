"""Power-law decay of a pulse: fit, evaluation, integrals and their interval.

The excess of a pulse over its counterfactual, ``e(τ) = A · (τ + c)^−θ`` with
``τ`` hours since the onset, is fitted to the hours from the peak on by
weighted least squares in linear space (weights from a multiplicative plus
Poisson noise model), searching ``c`` and ``θ`` on a grid with ``A`` solved
in closed form, then refining around the best cell. The cells whose error is
within the 80 % profile region give the interval of every projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tracker.analytics.params import DEFAULT_PARAMS, AnalyticsParams

REL_NOISE = 0.3
"""Relative noise assumed for one hour's velocity (besides Poisson counting noise)."""

_D_GRID = np.geomspace(1.0, 4000.0, 22)  # τ_peak + c, hours
MAX_BIN_WEIGHT_HOURS = 4.0
"""Hours within one bin are not independent (the daily cycle); a wide bin weighs at most this many."""
_CHI2_2DOF = {0.5: 1.386, 0.8: 3.219, 0.9: 4.605, 0.95: 5.991}


@dataclass(frozen=True, slots=True)
class DecayFit:
    """A fitted decay ``e(τ) = amplitude · (τ + offset)^−theta`` (counts per hour)."""

    amplitude: float
    offset: float
    """``c`` in hours; may be negative down to just above ``−τ_peak``."""
    theta: float
    r2: float
    """Weighted coefficient of determination of the fit (1 = perfect)."""
    points: int
    """Observed hours after the peak that the fit used."""
    low: tuple[float, float, float] = (0.0, 0.0, 0.0)
    high: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """(A, c, θ) at the ends of the interval region (least and most future mass)."""

    def excess(self, tau: float) -> float:
        """Fitted excess velocity at ``tau`` hours after the onset (counts/h)."""
        return kernel(self.amplitude, self.offset, self.theta, tau)

    def integral(self, tau1: float, tau2: float) -> float:
        """Fitted excess accumulated between ``tau1`` and ``tau2`` hours after the onset."""
        return kernel_integral(self.amplitude, self.offset, self.theta, tau1, tau2)

    def half_life(self, tau_peak: float) -> float:
        """Hours from the peak until the fitted excess is half of its value at the peak."""
        return (tau_peak + self.offset) * (2.0 ** (1.0 / self.theta) - 1.0)


@dataclass(frozen=True, slots=True)
class NoFit:
    """Why no decay could be fitted (yet)."""

    reason: str


def kernel(a: float, c: float, theta: float, tau: float) -> float:
    """``a · (tau + c)^−theta``, 0 where ``tau + c ≤ 0``."""
    x = tau + c
    return a * x**-theta if x > 0 else 0.0


def kernel_integral(a: float, c: float, theta: float, tau1: float, tau2: float) -> float:
    """∫ a (τ + c)^−θ dτ from tau1 to tau2 (both with τ + c > 0)."""
    if tau2 <= tau1:
        return 0.0
    x1, x2 = max(tau1 + c, 1e-9), max(tau2 + c, 1e-9)
    if abs(theta - 1.0) < 1e-9:
        return a * math.log(x2 / x1)
    return a * (x2 ** (1.0 - theta) - x1 ** (1.0 - theta)) / (1.0 - theta)


def weights_for(level: Sequence[float], hours: Sequence[float]) -> np.ndarray:
    """Weights of bin means: hours / variance of one hour (multiplicative + Poisson)."""
    lv = np.maximum(np.asarray(level, dtype=float), 0.0)
    n = np.minimum(np.asarray(hours, dtype=float), MAX_BIN_WEIGHT_HOURS)
    return n / (REL_NOISE**2 * lv * lv + lv + 1.0)


def _sse(
    tau: np.ndarray, e: np.ndarray, w: np.ndarray, d: np.ndarray, th: np.ndarray, tau_peak: float
):
    """Weighted SSE and closed-form amplitude for every (d, θ) cell (broadcast)."""
    x = (tau[None, None, :] - tau_peak + d[:, :, None]) ** (-th[:, :, None])
    swxx = (w * x * x).sum(axis=2)
    swxe = (w * x * e).sum(axis=2)
    a = np.maximum(swxe / np.maximum(swxx, 1e-300), 0.0)
    sse = (w * e * e).sum() - 2 * a * swxe + a * a * swxx
    return sse, a


def fit_decay(
    tau: Sequence[float],
    excess: Sequence[float],
    weights: Sequence[float],
    tau_peak: float,
    points: int,
    params: AnalyticsParams = DEFAULT_PARAMS,
) -> DecayFit | NoFit:
    """Fit ``A (τ + c)^−θ`` to bin means ``excess`` at ``tau`` (hours since onset, all ≥ the
    peak's ``tau_peak``); ``points`` is the number of observed hours behind them."""
    if points < params.min_fit_points or len(tau) < 3:
        return NoFit(f"{points} observed hours after the peak, {params.min_fit_points} needed")
    t = np.asarray(tau, dtype=float)
    e = np.asarray(excess, dtype=float)
    w = np.asarray(weights, dtype=float)
    if float((w * e).sum()) <= 0.0 or float(e.max()) <= 0.0:
        return NoFit("no excess over the counterfactual after the peak")
    lo, hi = params.theta_min, params.theta_max
    th_grid = np.linspace(lo, hi, 26)
    d_grid = _D_GRID + max(0.0, 0.5 - (t.min() - tau_peak))
    dd, tt = np.meshgrid(d_grid, th_grid, indexing="ij")
    sse, amp = _sse(t, e, w, dd, tt, tau_peak)
    i, j = np.unravel_index(int(np.argmin(sse)), sse.shape)
    # refine around the best cell
    d0 = d_grid[i]
    d_fine = d0 * np.geomspace(0.7, 1.43, 9)
    d_fine = d_fine[(d_fine + (t.min() - tau_peak) > 0) & (d_fine >= d_grid[0])]
    th_fine = np.clip(tt[i, j] + np.linspace(-0.12, 0.12, 13), lo, hi)
    dfd, dft = np.meshgrid(d_fine, th_fine, indexing="ij")
    sse_f, amp_f = _sse(t, e, w, dfd, dft, tau_peak)
    k, m = np.unravel_index(int(np.argmin(sse_f)), sse_f.shape)
    best_sse = float(sse_f[k, m])
    d_best, th_best, a_best = float(dfd[k, m]), float(dft[k, m]), float(amp_f[k, m])
    if not lo <= th_best <= hi:
        return NoFit(f"decay exponent {th_best:.2f} outside {lo}–{hi}")
    mean = float((w * e).sum() / w.sum())
    sst = float((w * (e - mean) ** 2).sum())
    r2 = 1.0 - best_sse / sst if sst > 0 else 0.0
    # interval region: cells within the profile threshold (residual variance scaled)
    dof = max(1, len(t) - 3)
    sigma2 = max(best_sse / dof, 1e-12)
    limit = best_sse + _CHI2_2DOF.get(params.interval, 3.219) * sigma2
    inside = (sse <= limit) & (tt >= lo) & (tt <= hi)
    c_best = d_best - tau_peak
    low = high = (a_best, c_best, th_best)
    if inside.any():
        now = float(t.max())
        ca, cd, ct = amp[inside], dd[inside], tt[inside]
        x1, x2 = now - tau_peak + cd, now + 2000.0 - tau_peak + cd
        one = np.abs(ct - 1.0) < 1e-9
        mass = np.where(
            one,
            ca * np.log(x2 / x1),
            ca * (x2 ** (1.0 - ct) - x1 ** (1.0 - ct)) / np.where(one, 1.0, 1.0 - ct),
        )
        lo_i, hi_i = int(np.argmin(mass)), int(np.argmax(mass))
        low = (float(ca[lo_i]), float(cd[lo_i]) - tau_peak, float(ct[lo_i]))
        high = (float(ca[hi_i]), float(cd[hi_i]) - tau_peak, float(ct[hi_i]))
    return DecayFit(a_best, c_best, th_best, r2, points, low, high)
