"""What pulses read and report: heating nodes, pulses, the decay view (plain records)."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.analytics.params import AnalyticsParams


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
    """Steps from the peak until the pulse's excess is half of its peak excess."""
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
    response_shape: tuple[float, ...] = ()
    """A closed responding pulse's own response mixture: the weights (summing to 1) of its
    exponential components, fastest (1 h) first; empty while the pulse is open. A post's first
    pulse's is fitted without the population's pull: the population learns from these."""


@dataclass(frozen=True, slots=True)
class DecayView:
    """What the ``PostDecaying`` decision needs from the current pulse."""

    pulse_index: int
    decaying_since: int | None
    projected_gain: float | None
    """Fitted excess expected over the next ``decay_gain_horizon_hours`` (counts)."""
    incremental: float
    """The pulse's excess so far (the gain condition's reference, counts)."""
    peak_velocity: float | None
    baseline: float
    threshold: float | None
    recent_velocity: float | None
    theta: float | None
    fit_r2: float | None
    status: str
    rising: bool = False
    """The post's velocity has turned up from its low since the pulse (it keeps growing)."""
    after_no_response: tuple[str, ...] = ()
    """The current pulse's heating ids when it is a heat with no response and the view is of the
    decay the post carries on from its last responding pulse (its peak, baseline, excess); empty
    otherwise."""


def cost_per_incremental(spend: float, incremental: float) -> float | None:
    """Spend per incremental engagement; n/a without spend, and until the pulse has earned at
    least one engagement (a boost an hour old, credited 0.008 engagements, read 246,218 per
    engagement)."""
    return spend / incremental if spend > 0 and incremental >= 1.0 else None
