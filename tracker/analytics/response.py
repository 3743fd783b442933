"""A pulse's excess as a mixture of decaying exponentials driven by its input.

A pulse's input arrives over a few steps — a heating node's delivery window,
spread evenly; a publish or organic burst, front-loaded — and each unit of it
yields engagements through a response that decays. Any completely monotone
decay (a power law ``(τ + c)^−θ`` included) is a mixture of exponentials, so
the excess in step ``τ`` after the onset is modelled as::

    f(τ) = Σ_j a_j · g_j(τ),   g_j(τ) = (1 − q_j) · Σ_{i ≤ τ} u_i · q_j^(τ − i),   q_j = e^(−1/T_j)

with time constants ``T_j`` spaced geometrically (``TIME_CONSTANTS_HOURS``,
1 h to 21 days whatever the grid) and ``a_j ≥ 0`` fitted by non-negative least squares from accumulated
normal equations (:func:`nnls`), so no hour has to be kept. Each ``g_j`` sums
to 1 over all steps: ``a_j`` is the engagements component ``j`` brings in
total, and sums over any future window are closed-form.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.linalg import _umath_linalg  # the gufuncs behind np.linalg

TIME_CONSTANTS_HOURS = np.geomspace(1.0, 512.0, 7)
"""Time constants of the mixture, in hours (1 h … 21 d)."""
K = len(TIME_CONSTANTS_HOURS)
_Q: dict[float, np.ndarray] = {}


def decays(grid_hours: float = 1.0) -> np.ndarray:
    """``q_j = e^(−step / T_j)``: what each component keeps from one grid step to the next."""
    q = _Q.get(grid_hours)
    if q is None:
        q = _Q[grid_hours] = np.exp(-grid_hours / TIME_CONSTANTS_HOURS)
    return q


_POWERS: dict[float, np.ndarray] = {}


def decay_powers(grid_hours: float, until: int) -> np.ndarray:
    """``q_j ** k`` for ``k = 0 .. until − 1`` (at least; read-only): each fit of each post
    raised the same ``q`` to the same whole powers (the steps since an onset or a pulse's close)
    again. The same elementwise power as ``decays(grid_hours)[None, :] ** k[:, None]``, so a
    row read here is that one to the bit. One table per grid, grown to the longest span asked
    (a tracking window and a fit's horizon)."""
    table = _POWERS.get(grid_hours)
    if table is None or len(table) < until:
        rows = max(until, 2 * (0 if table is None else len(table)), 1024)
        table = _POWERS[grid_hours] = decays(grid_hours)[None, :] ** np.arange(rows)[:, None]
    return table


MAX_INPUT_STEPS = 240
"""Longest input profile (a delivery window longer than this is cut, in steps)."""


def burst_profile(steps: int, ratio: float) -> np.ndarray:
    """A front-loaded input over ``steps`` steps, each ``ratio`` times the previous, summing to 1."""
    u = ratio ** np.arange(max(1, steps), dtype=float)
    return u / u.sum()


def box_profile(start: float, end: float) -> np.ndarray:
    """An even input over ``[start, end)`` (steps after the onset step, fractions allowed)."""
    start = max(0.0, start)
    end = min(max(end, start + 1e-6), start + MAX_INPUT_STEPS)
    n = max(1, math.ceil(end - 1e-9))
    edges = np.arange(n + 1, dtype=float)
    overlap = np.clip(np.minimum(edges[1:], end) - np.maximum(edges[:-1], start), 0.0, None)
    return overlap / overlap.sum()


class Response:
    """The basis ``g_j`` of one input profile ``u`` (steps after the onset).

    ``g`` is tabulated for the first ``TABLE`` steps (and the input's length) once;
    later steps are closed-form. Use :func:`response_for` to share tables.
    """

    __slots__ = ("u", "n", "q", "tail", "table", "grid_hours")

    TABLE = 64

    def __init__(self, u: np.ndarray, grid_hours: float = 1.0) -> None:
        self.q = Q = decays(grid_hours)
        self.grid_hours = grid_hours
        self.u = np.asarray(u, dtype=float)
        self.n = len(self.u)
        rows = max(self.n, self.TABLE)
        table = np.empty((rows, K))
        s = np.zeros(K)
        for t in range(rows):
            s = Q * s + (self.u[t] if t < self.n else 0.0)
            table[t] = (1.0 - Q) * s
        self.table = table
        self.tail = table[self.n - 1].copy()
        """``g_j(n − 1)``; afterwards ``g_j(τ) = tail_j · q_j^(τ − n + 1)``."""

    def at(self, tau: int) -> np.ndarray:
        """``g(τ)`` for one step (K values; zeros before the onset)."""
        if tau < 0:
            return np.zeros(K)
        if tau < len(self.table):
            return self.table[tau]
        return self.tail * self.q ** (tau - self.n + 1)

    def matrix(self, tau0: int, tau1: int) -> np.ndarray:
        """``g(τ)`` for steps ``tau0 .. tau1 − 1`` as a (steps, K) array (tau0 ≥ 0)."""
        rows = len(self.table)
        if tau1 <= rows:
            return self.table[tau0:tau1]
        head = self.table[tau0:rows] if tau0 < rows else np.empty((0, K))
        k0 = max(tau0, rows) - self.n + 1
        k1 = tau1 - self.n + 1
        tail = self.tail[None, :] * decay_powers(self.grid_hours, k1)[k0:k1]
        return np.concatenate([head, tail]) if len(head) else tail

    def window_sum(self, tau0: int, tau1: int) -> np.ndarray:
        """``Σ_{τ=tau0}^{tau1−1} g(τ)`` per component (closed form after the input)."""
        if tau1 <= tau0:
            return np.zeros(K)
        # every term is ≥ 0 (never −0.0): a sum started at zeros is the terms' sum to the bit
        head = None
        if tau0 < self.n - 1:
            stop = min(tau1, self.n - 1)
            head = self.table[tau0:stop].sum(axis=0)
            tau0 = stop
        if tau1 > tau0:
            q = self.q
            k0 = tau0 - self.n + 1
            tail = self.tail * q**k0 * (1.0 - q ** (tau1 - tau0)) / (1.0 - q)
            return tail if head is None else head + tail
        assert head is not None  # tau1 > tau0 on entry: one of the two ran
        return head


_CACHE: dict[tuple[float, ...], Response] = {}


def response_for(u: np.ndarray, grid_hours: float = 1.0) -> Response:
    """A shared :class:`Response` for input profile ``u`` (profiles repeat across posts)."""
    key = (grid_hours, *np.round(np.asarray(u, dtype=float), 12))
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) > 512:
            _CACHE.clear()
        hit = _CACHE[key] = Response(np.asarray(key[1:]), grid_hours)
    return hit


def _singular(err: str, flag: int) -> None:
    raise np.linalg.LinAlgError("Singular matrix")


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.linalg.solve(a, b)`` for one system of float64 (``a`` square, ``b`` a vector): the
    LAPACK routine it calls (``gesv``), with the same floating-point error handling (a singular
    ``a`` raises ``LinAlgError``), without its wrapper's checks and conversions, which cost more
    than the solve of a system this small."""
    with np.errstate(call=_singular, invalid="call", over="ignore", divide="ignore", under="ignore"):
        return _umath_linalg.solve1(a, b, signature="dd->d")


def nnls(gram: np.ndarray, rhs: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """``argmin_{x ≥ 0} x'Gx − 2 x'b`` (Lawson–Hanson active set on the normal equations).

    ``start`` (a previous solution) seeds the passive set, so refits after one more
    step usually take a single solve.
    """
    n = len(rhs)
    tol = 1e-10 * max(float(np.abs(rhs).max(initial=0.0)), 1e-300)
    passive = np.zeros(n, dtype=bool) if start is None else start > 0
    x = np.zeros(n)
    # systems of at most 10 coefficients, solved tens of thousands of times a minute: the
    # cheapest numpy spelling of each step (``nonzero``, ``take`` of the rows then the columns,
    # array methods, LAPACK's solve without its wrapper), the same arithmetic on the same values
    for _ in range(3 * n + 3):
        idx = passive.nonzero()[0]
        if len(idx):
            sub = gram.take(idx, axis=0).take(idx, axis=1)
            b = rhs[idx]
            try:
                zi = _solve(sub, b)
            except np.linalg.LinAlgError:
                zi = np.linalg.lstsq(sub, b, rcond=None)[0]
            z = np.zeros(n)
            z[idx] = zi
            if (zi > 0).all():
                x = z
            else:
                bad = idx[zi <= 0]
                steps = x[bad] / np.maximum(x[bad] - z[bad], 1e-300)
                alpha = float(steps.min(initial=1.0))
                x = x + alpha * (z - x)
                passive &= x > 1e-12 * max(float(x.max(initial=0.0)), 1e-300)
                x[~passive] = 0.0
                continue
        grad = rhs - gram @ x
        grad[passive] = -np.inf
        j = int(grad.argmax())
        if grad[j] <= tol:
            break
        passive[j] = True
    return np.maximum(x, 0.0)
