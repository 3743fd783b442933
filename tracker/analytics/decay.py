"""DESIGN.md's power-law decay ``A (τ + c)^−θ``: evaluation, integral, and its fit.

The pulse model (:mod:`.response`) is a mixture of exponentials; the exponent θ
users compare across posts is read off it by fitting ``A (τ + c)^−θ`` to the
fitted excess from its peak on (:func:`fit_power_law`), on a log-spaced
selection of steps so that the long tail does not outvote the first hours.
"""

from __future__ import annotations

import math

import numpy as np

OFFSET_GRID = np.concatenate([[0.0], np.geomspace(0.25, 400.0, 20)])
_PICKS: dict[int, np.ndarray] = {}


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


def half_life(c: float, theta: float, tau_peak: float) -> float:
    """Steps from ``tau_peak`` until ``(τ + c)^−θ`` has halved."""
    return (tau_peak + c) * (2.0 ** (1.0 / theta) - 1.0)


def fit_power_law(
    tau: np.ndarray, excess: np.ndarray, theta_min: float = 0.1, theta_max: float = 3.0
) -> tuple[float, float, float] | None:
    """(A, c, θ) of ``A (τ + c)^−θ`` fitted in log terms to positive ``excess`` at ``tau``
    (steps since the onset, the first one the peak's), on at most 24 log-spaced points, with
    ``c`` on a grid; None with fewer than 3 positive points or θ outside the bounds."""
    tau = np.asarray(tau, dtype=float)
    e = np.asarray(excess, dtype=float)
    ok = e > 0
    tau, e = tau[ok], e[ok]
    if len(tau) < 3:
        return None
    if len(tau) > 24:
        pick = _PICKS.get(len(tau))
        if pick is None:
            pick = _PICKS[len(tau)] = np.unique(np.round(np.geomspace(1, len(tau), 24)).astype(int) - 1)
        tau, e = tau[pick], e[pick]
    y = np.log(e)
    x = np.log(tau[None, :] + OFFSET_GRID[:, None])  # (C, n)
    # for each offset, least squares of y = log A − θ x gives θ in closed form
    xm, ym = x.mean(axis=1, keepdims=True), y.mean()
    sxx = ((x - xm) ** 2).sum(axis=1)
    sxy = ((x - xm) * (y - ym)).sum(axis=1)
    theta = np.where(sxx > 0, -sxy / np.maximum(sxx, 1e-300), 0.0)
    theta = np.clip(theta, theta_min, theta_max)
    log_a = ym + theta * xm[:, 0]
    sse = ((y[None, :] - (log_a[:, None] - theta[:, None] * x)) ** 2).sum(axis=1)
    i = int(np.argmin(sse))
    th = float(theta[i])
    if not theta_min < th < theta_max:
        return None
    return float(math.exp(log_a[i])), float(OFFSET_GRID[i]), th
