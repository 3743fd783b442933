"""ROI helpers (reporting currency; None = not computable, shown as "n/a").

A denominator that is None (metric absent on the platform) or 0 gives None,
never 0 or infinity.
"""

from __future__ import annotations


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator ÷ denominator, None when either is None or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def total_spend(
    fee: float = 0.0, bundle_share: float = 0.0, extra: float = 0.0, heating: float = 0.0
) -> float:
    """Spend of a post: placement fee (with service fee) + bundle share + extra costs + heating."""
    return fee + bundle_share + extra + heating


def cpm(spend: float | None, views: float | None) -> float | None:
    """Cost per thousand views."""
    r = ratio(spend, views)
    return None if r is None else r * 1000.0


def cost_per(spend: float | None, outcome: float | None) -> float | None:
    """Cost per engagement, save, search or intent comment."""
    return ratio(spend, outcome)


def emv_return(emv: float | None, spend: float | None) -> float | None:
    """(EMV − spend) ÷ spend."""
    if emv is None:
        return None
    return ratio(emv - (spend or 0.0), spend)


def roas(revenue: float | None, spend: float | None) -> float | None:
    """Attributed revenue ÷ spend."""
    return ratio(revenue, spend)


def tail_contribution(after_burst: float | None, outcome: float | None) -> float | None:
    """Outcome after the burst window ÷ outcome."""
    return ratio(after_burst, outcome)


def heating_efficiency(incremental: float | None, spend: float | None) -> float | None:
    """A pulse's incremental engagements ÷ its spend."""
    return ratio(incremental, spend)


def quartiles(values: list[float]) -> tuple[float, float, float] | None:
    """p25, p50, p75 (linear interpolation) for tier comparisons; None when empty."""
    xs = sorted(values)
    if not xs:
        return None

    def q(p: float) -> float:
        pos = p * (len(xs) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

    return q(0.25), q(0.5), q(0.75)
