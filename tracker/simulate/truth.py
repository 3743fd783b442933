"""Ground truth of a simulation: JSON-serialisable, scored against by analytics.

Conventions used by every field:

- **Hour index** ``t`` of a post is the interval [publish + t h, publish + (t+1) h);
  its *velocity* is ``curve[t+1] - curve[t]``. ``*_hour`` fields are such
  indices (hours after publish); ``*_at`` fields are the UTC start of that hour.
- **Curves** ``curves[m][i]`` is the counter of metric ``m`` exactly as the
  platform shows it at the instant publish + i h (``curves[m][0] == 0``),
  including corrections and step jumps, before display rounding ("1.2万").
  They run to the post's horizon: the end of its tracking window or the hour
  it was taken down. A metric the platform does not have (DESIGN.md matrix),
  or that this post hides (hidden likes), is ``None`` — never 0.
- **Engagements** = likes + comments + shares + saves over the metrics this
  post has (exports included). **Noiseless velocity** is the expected
  engagement velocity of the generating process with noise, daily cycle,
  corrections and step jumps removed; pulse timing fields are computed on it.
  The process is linear in its inputs, so a pulse's *own* noiseless velocity
  (with its input minus without it) is exact; half-lives and decay gains use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class PulseTruth:
    """One pulse of one post: the publish burst, a heating node or an organic shock.

    - ``key``: "publish", "heating:<heating_id>" or "organic:<n>".
    - ``trigger``: "heating:<heating_id>" or "organic" (the publish burst is organic).
    - ``onset_hour``/``onset_at``: first hour the pulse's input arrives (heating: delivery start).
    - ``interval_end_hour``: the next pulse's onset, or the horizon; [onset, end) is the
      attribution interval, as in DESIGN.md.
    - ``baseline_velocity``: noiseless velocity in hour onset-1 (0 for the publish burst).
    - ``peak_hour``/``peak_velocity``: argmax / max of the noiseless velocity in the interval.
    - ``half_life_hours``: a property of the pulse alone, measured on its own *excess*: the
      noiseless engagement velocity of the run with this input minus the run without it (the
      exact counterfactual; no noise, no daily cycle). Hours from the hour that excess peaks
      until it first falls to half of that peak, linearly interpolated between hours; None if
      it does not within the interval.
    - ``decay_at_hour``/``decay_at``: the first instant T (start of hour T) at which the pulse
      is decaying as DESIGN.md defines ``PostDecaying``'s two conditions, evaluated on the
      noiseless process: (1) the noiseless velocity was ≤ baseline + 0.25 × (peak − baseline)
      in each of hours T-3, T-2, T-1 (all after the peak, inside the interval), and (2) the
      pulse's gain over the next 72 h, hours [T, T+72), is ≤ 0.10 × its incremental so far,
      hours [onset, T). Gain and incremental are the noiseless engagement velocity above
      DESIGN.md's counterfactual: the run without this input, with the baseline held at its
      level in hour onset-1, so a baseline that keeps growing after the onset counts as
      gain; for the publish burst, which nothing precedes, the counterfactual is 0 (DESIGN.md:
      "the pre-onset baseline for the first"), so the post's baseline is its gain too. The
      continuation past the horizon is extrapolated (baseline linearly, the pulse's response
      geometrically). None if never inside the interval. With the simulator's own
      counterfactual (baseline not held) most pulses of the posts that keep growing would
      decay; with DESIGN.md's, 3 of 16 do (seed 7). ``decay_start_hour``/
      ``decay_start_at``: T - 3, the first hour of that run.
    - ``incremental_engagements``: engagements caused by this pulse's input and everything it
      excited, over the attribution interval: realised engagements minus those of the same
      run without this input, same noise path (exact: the process is linear given its noise).
      ``incremental_engagements_total``: the same to the horizon. ``incremental_by_metric``:
      per metric the post has (views and searches included), over the interval.
    - ``no_response``: this pulse's own noiseless velocity never reaches 0.25 × the baseline;
      then peak, half-life and decay fields are None.
    - ``spend``/``currency``: the heating node's spend (0 and "" for organic pulses).
    """

    key: str
    trigger: str
    onset_hour: int
    onset_at: str
    interval_end_hour: int
    spend: float
    currency: str
    baseline_velocity: float
    no_response: bool
    peak_hour: int | None
    peak_at: str | None
    peak_velocity: float | None
    half_life_hours: float | None
    decay_start_hour: int | None
    decay_start_at: str | None
    decay_at_hour: int | None
    decay_at: str | None
    incremental_engagements: float
    incremental_engagements_total: float
    incremental_by_metric: dict[str, float]


@dataclass
class CounterEventTruth:
    """A counter change not produced by the process: ``amount`` added to ``metric`` at the
    end of hour ``hour`` (instant ``at``); negative for a correction (purge), positive for an
    inorganic step jump."""

    metric: str
    hour: int
    at: str
    amount: int


@dataclass
class CommentTruth:
    """Comments over the whole horizon: ``total`` (= the final comment counter), those with a
    purchase-intent phrase, a negative phrase, a brand/product term; ``intent_curve`` and
    ``negative_curve`` are cumulative counts at the same instants as the metric curves."""

    total: int
    intent: int
    negative: int
    brand: int
    intent_curve: Any = None  # list of ints in JSON (a numpy array in memory)
    negative_curve: Any = None


@dataclass
class PostTruth:
    """Everything true about one post.

    ``horizon_hours``: hours of data (tracking window, or floor of the taken-down hour).
    ``totals``: last value of each curve. ``tail_share``: engagements after the first 72 h ÷
    engagements at the horizon (None when there are none). ``decay_start_hours``: each
    decaying pulse's ``decay_start_hour``, in order. ``keeps_growing``: the baseline grows through
    the window, so the post never settles. ``taken_down_at``/``taken_down_hour``: when every
    API starts answering "not found". ``params``: the generating parameters, for reference.
    """

    post_id: str
    platform: str
    tenant: str
    campaign: str
    published_at: str
    tracking_hours: int
    horizon_hours: int
    metrics: list[str]
    hidden_metrics: list[str]
    totals: dict[str, int | None]
    tail_share: float | None
    pulses: list[PulseTruth]
    decay_start_hours: list[int]
    keeps_growing: bool
    taken_down_at: str | None
    taken_down_hour: float | None
    step_jumps: list[CounterEventTruth]
    corrections: list[CounterEventTruth]
    comments: CommentTruth
    params: dict[str, float]
    curves: dict[str, Any] = field(default_factory=dict)  # metric -> list of ints in JSON, or None


@dataclass
class Truth:
    """The whole truth of one simulation: posts, and every fault configured and injected.

    ``faults``: the specs configured (``faults.FaultSpec`` as dicts). ``injected``: one record
    per faulted request, in order (fault id, platform, kind, path, sim time, HTTP status).
    """

    seed: int
    posts_requested: int
    campaign_start: str
    as_of: str
    posts: list[PostTruth]
    faults: list[dict[str, Any]] = field(default_factory=list)
    injected: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> bytes:
        """JSON bytes (numpy curves serialised directly, no copies through lists)."""
        return orjson.dumps(self, option=orjson.OPT_SERIALIZE_NUMPY)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (dicts, lists, ints, floats, str, None)."""
        return orjson.loads(self.to_json())
