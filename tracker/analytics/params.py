"""Every analytics threshold, named, with the default of DESIGN.md "Analytics".

Durations are in hours (the resampling grid is hourly); counts are counts.
The lead exposes these through ``Settings``; the pure code only ever sees an
``AnalyticsParams`` value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class AnalyticsParams:
    """Parameters of the pure analytics (DESIGN.md defaults; hours unless noted)."""

    grid_hours: float = 1.0
    """Resampling step. The core counts in grid steps; durations below are
    converted with :meth:`steps`."""
    reorder_window_hours: float = 6.0
    """Snapshots up to this much older than the newest one are merged; older ones are late."""
    regression_drop_fraction: float = 0.05
    regression_drop_min: int = 100
    """A counter drop raises ``PostUnavailable`` when it exceeds both the fraction and the count."""
    baseline_window_hours: float = 24.0
    """Trailing median of velocity before an onset."""
    onset_ratio: float = 2.0
    onset_hours: int = 2
    """Organic onset: velocity > ratio × baseline for this many consecutive observed hours."""
    onset_noise_z: float = 3.0
    """An onset must also exceed the baseline by this many noise standard deviations
    (Poisson, scaled by the measured dispersion) so that counting noise on small
    counts cannot trigger one."""
    burst_input_hours: float = 3.0
    burst_input_ratio: float = 0.6
    """Input of a publish or organic burst: spread over this many hours, each hour this
    ratio of the one before (a front-loaded arrival; heating spreads evenly over its
    delivery window instead)."""
    min_fit_points: int = 6
    """Observed hours after a peak needed to report a decay exponent; else "no fit" with
    the reason."""
    theta_min: float = 0.1
    theta_max: float = 3.0
    """Allowed power-law decay exponents (outside: "no fit")."""
    burst_window_hours: float = 72.0
    """Fixed burst window after publish: engagements after it are the tail."""
    decay_fraction: float = 0.25
    decay_hours: int = 3
    """Decaying: velocity ≤ baseline + fraction × (peak − baseline) for this many hours."""
    decay_gain_ratio: float = 0.10
    decay_gain_horizon_hours: float = 72.0
    """Projected pulse gain over the horizon ≤ ratio × the pulse's incremental so far."""
    decay_min_age_hours: float = 48.0
    """No ``PostDecaying`` before a pulse is this old: its slow part, which most of the
    projected gain comes from, is not visible before."""
    decay_confirm_hours: float = 3.0
    """``PostDecaying`` fires once its conditions have held at every evaluation for this
    long (a refit that dips below the line for an hour is not a decay)."""
    heating_window_hours: float = 24.0
    """Delivery window of a heating node when none is given."""
    heating_lookahead_hours: float = 24.0
    """No ``PostDecaying`` when heating is planned within this many hours."""
    horizons_hours: tuple[float, ...] = (30 * 24.0, 90 * 24.0)
    interval: float = 0.80
    """Projection horizons (hours after publish) and the central probability of their interval."""
    tracking_window_hours: float = 90 * 24.0
    """Tracking window after publish when the registry gives none."""
    stalled_cadence_multiple: float = 3.0
    """PostStalled: no fresh snapshot for this many expected polling intervals (wall clock)."""
    suspicious_mad_z: float = 5.0
    """SuspiciousEngagement: a log ratio this many robust SDs from its population median."""
    step_jump_ratio: float = 10.0
    step_jump_min: int = 500
    """SuspiciousEngagement: one counter's hourly gain ≥ ratio × its usual rate and ≥ min,
    while every other counter stays within 2 × its usual rate."""

    def steps(self, hours: float, minimum: int = 1) -> int:
        """A duration in hours as a whole number of grid steps (rounded up, ≥ minimum)."""
        return max(minimum, math.ceil(hours / self.grid_hours - 1e-9))

    def at_resolution(self, grid_hours: float) -> AnalyticsParams:
        """The same parameters on a coarser grid (e.g. 24 for daily data)."""
        return replace(self, grid_hours=grid_hours)


DEFAULT_PARAMS = AnalyticsParams()
