"""A post's daily cycle, learned from its own hourly velocity.

Audiences scroll more in the evening, so a post's hourly velocity carries a
daily cycle on top of its pulses. Left in, it bends short decays (a pulse that
peaks at 21:00 seems to fall faster). The cycle is modelled as
``D(h) = exp(α cos ωh + β sin ωh) / mean`` (``ω = 2π / 24 h``, ``h`` the UTC
hour, mean 1 over a day) and learned from lag-12 second differences of
``log v``::

    d(h) = log v(h) − ½ (log v(h − 12) + log v(h + 12)) = 2 (α cos ωh + β sin ωh) + noise

which cancel any trend that is locally linear in log terms (a decay) and
every even harmonic. Hours within ``SETTLE_STEPS`` of a pulse onset are left
out (a peak is not a daily cycle), small counts weigh less, and the estimate
is shrunk towards no cycle by ``PRIOR_HOURS`` hours of zero evidence. The
factors in use are refreshed from the sums once a day (:meth:`refresh`), so
that they stay fixed while a day's steps are compared.
"""

from __future__ import annotations

import math

OMEGA = 2.0 * math.pi / 24.0
PRIOR_HOURS = 24.0
SETTLE_STEPS = 36
MAX_AMPLITUDE = 0.8
"""Largest cycle amplitude in log terms (a bound against wild early estimates)."""


class DailyCycle:
    """Sufficient statistics of the cycle regression (five sums)."""

    __slots__ = ("scc", "sss", "scs", "sdc", "sds", "alpha", "beta", "_table")

    def __init__(
        self,
        sums: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0),
        coefficients: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.scc, self.sss, self.scs, self.sdc, self.sds = sums
        self.alpha, self.beta = coefficients
        """(α, β) in use (see :meth:`refresh`)."""
        self._table: list[float] | None = None

    def sums(self) -> tuple[float, float, float, float, float]:
        """The state as five floats (for serialisation)."""
        return (self.scc, self.sss, self.scs, self.sdc, self.sds)

    def add(self, hour: int, before: float, mid: float, after: float) -> None:
        """Learn from velocities at ``hour − 12``, ``hour`` and ``hour + 12`` (counts/h)."""
        low = min(before, mid, after)
        if low <= 0.0:
            return
        d = math.log(mid) - 0.5 * (math.log(before) + math.log(after))
        d = max(-1.5, min(1.5, d))
        w = low / (low + 5.0)  # counting noise dominates below a few per hour
        c, s = 2.0 * math.cos(OMEGA * hour), 2.0 * math.sin(OMEGA * hour)
        self.scc += w * c * c
        self.sss += w * s * s
        self.scs += w * c * s
        self.sdc += w * d * c
        self.sds += w * d * s

    def refresh(self) -> None:
        """Put the current estimate (:meth:`coefficients`) in use."""
        coef = self.coefficients()
        if coef != (self.alpha, self.beta):
            self.alpha, self.beta = coef
            self._table = None

    def coefficients(self) -> tuple[float, float]:
        """(α, β) of ``log D``, shrunk towards 0."""
        prior = 2.0 * PRIOR_HOURS  # E[c²] = 2 per hour of evidence
        a11, a22, a12 = self.scc + prior, self.sss + prior, self.scs
        det = a11 * a22 - a12 * a12
        if det <= 0:
            return 0.0, 0.0
        alpha = (a22 * self.sdc - a12 * self.sds) / det
        beta = (a11 * self.sds - a12 * self.sdc) / det
        amp = math.hypot(alpha, beta)
        if amp > MAX_AMPLITUDE:
            alpha, beta = alpha * MAX_AMPLITUDE / amp, beta * MAX_AMPLITUDE / amp
        return alpha, beta

    def table(self) -> list[float]:
        """``D`` for UTC hours 0..23 (mean 1 over a day)."""
        if self._table is None:
            alpha, beta = self.alpha, self.beta
            if alpha == 0.0 and beta == 0.0:
                self._table = [1.0] * 24
            else:
                norm = _bessel_i0(math.hypot(alpha, beta))  # the daily mean of exp(amp · cos x)
                self._table = [
                    math.exp(alpha * math.cos(OMEGA * h) + beta * math.sin(OMEGA * h)) / norm
                    for h in range(24)
                ]
        return self._table

    def factors(self, hour0: int, n: int) -> list[float]:
        """``D(h)`` for hours ``hour0 .. hour0 + n − 1``."""
        t = self.table()
        return [t[(hour0 + i) % 24] for i in range(n)]

    def factor(self, hour: int) -> float:
        """``D(hour)``."""
        return self.table()[hour % 24]


def _bessel_i0(x: float) -> float:
    """Modified Bessel function I₀ (series; |x| ≤ 1 here)."""
    term = total = 1.0
    for k in range(1, 12):
        term *= (x / (2 * k)) ** 2
        total += term
    return total
