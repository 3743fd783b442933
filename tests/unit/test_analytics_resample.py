"""Resampling: the incremental CurveState against the batch reference, and its laws."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.analytics.curve import CurveState
from tracker.analytics.metrics import METRICS
from tracker.analytics.params import DEFAULT_PARAMS
from tracker.analytics.resample import HourlyCurve, Snapshot, resample

WINDOW = DEFAULT_PARAMS.reorder_window_hours
T0 = 480_000.0  # an hour since the epoch (2024-10)


def collect(snaps: list[Snapshot], publish: float | None = None) -> tuple[dict, dict]:
    """Feed snapshots in order; keep the last emitted version of every hour per metric."""
    state = CurveState(publish)
    rows: dict[int, dict[str, tuple]] = {}
    for snap in snaps:
        change = state.apply(snap)
        if change.status != "accepted":
            continue
        end = math.floor(state.newest)
        start = change.first_hour
        hours = state.hours(start, end)
        for metric, data in hours.items():
            if data is None:
                continue
            cum, vel = data
            for i in range(end - start):
                if vel[i] is not None:
                    rows.setdefault(start + i, {})[metric] = (cum[i], vel[i])
    return rows, state.totals()


def batch_rows(curve: HourlyCurve) -> dict[int, dict[str, tuple]]:
    out: dict[int, dict[str, tuple]] = {}
    for metric in METRICS:
        cum, vel = curve.cumulative[metric], curve.velocity[metric]
        if cum is None:
            continue
        for i in range(len(curve)):
            out.setdefault(curve.start + i, {})[metric] = (cum[i], vel[i])
    return out


def same(a: dict, b: dict) -> bool:
    """Hour rows equal wherever the batch knows the hour (the stream never emits 'unknown')."""
    for hour, metrics in b.items():
        for metric, (cum, vel) in metrics.items():
            if vel is None:
                continue
            got = a.get(hour, {}).get(metric)
            if got is None or not math.isclose(got[0], cum, rel_tol=1e-9, abs_tol=1e-6):
                return False
            if not math.isclose(got[1], vel, rel_tol=1e-9, abs_tol=1e-6):
                return False
    return True


@st.composite
def series(draw):
    """An irregularly polled post: cumulative counts with noise, gaps, dips, absent metrics."""
    n = draw(st.integers(2, 40))
    gaps = draw(st.lists(st.floats(0.05, 5.0), min_size=n, max_size=n))
    present = draw(st.lists(st.booleans(), min_size=len(METRICS), max_size=len(METRICS)))
    if not any(present):
        present[1] = True
    snaps = []
    t = T0 + draw(st.floats(0, 3))
    level = [0.0] * len(METRICS)
    for g in gaps:
        t += g
        vals = []
        for k in range(len(METRICS)):
            level[k] += draw(st.integers(0, 500))
            if not present[k] or draw(st.integers(0, 9)) == 0:
                vals.append(None)  # absent metric or a missing field in this snapshot
            else:
                dip = draw(st.integers(0, 30)) if draw(st.integers(0, 6)) == 0 else 0
                vals.append(max(0.0, level[k] - dip))
        snaps.append(Snapshot(round(t, 4), tuple(vals)))
    return snaps


def window_shuffle(snaps: list[Snapshot], rnd: random.Random) -> list[Snapshot]:
    """A permutation in which no snapshot arrives later than the window allows."""
    keyed = sorted(snaps, key=lambda s: s.t + rnd.uniform(0, WINDOW * 0.9))
    newest = -math.inf
    out = []
    for s in keyed:
        if s.t < newest - WINDOW:
            continue
        out.append(s)
        newest = max(newest, s.t)
    return out


@settings(max_examples=150, deadline=None)
@given(series(), st.integers(0, 10**6), st.booleans())
def test_incremental_equals_batch_in_any_order_within_window(snaps, seed, with_publish):
    rnd = random.Random(seed)
    publish = T0 if with_publish else None
    order = window_shuffle(snaps, rnd)
    kept = set(s.t for s in order)
    rows, _ = collect(order, publish)
    expected = batch_rows(resample([s for s in snaps if s.t in kept], publish))
    assert same(rows, expected)


@settings(max_examples=100, deadline=None)
@given(series(), st.integers(0, 10**6))
def test_duplicates_are_idempotent(snaps, seed):
    rnd = random.Random(seed)
    doubled = []
    for s in snaps:
        doubled.append(s)
        if rnd.random() < 0.5:
            doubled.append(s)
    a, totals_a = collect(snaps)
    b, totals_b = collect(doubled)
    assert same(b, batch_rows(resample(snaps)))
    assert totals_a == totals_b


@settings(max_examples=100, deadline=None)
@given(series())
def test_monotone_and_null_metrics_stay_null(snaps):
    curve = resample(snaps)
    for k, metric in enumerate(METRICS):
        if all(s.values[k] is None for s in snaps):
            assert curve.cumulative[metric] is None and curve.velocity[metric] is None
            continue
        cum = [c for c in curve.cumulative[metric] if c is not None]
        assert all(b >= a for a, b in zip(cum, cum[1:], strict=False))
        assert all(v >= 0 for v in curve.velocity[metric] if v is not None)


def test_late_snapshot_is_rejected_and_duplicate_reported():
    state = CurveState()
    assert state.apply(Snapshot.of(T0 * 3600, likes=10)).status == "accepted"
    assert state.apply(Snapshot.of((T0 + 10) * 3600, likes=50)).status == "accepted"
    assert state.apply(Snapshot.of((T0 + 3) * 3600, likes=20)).status == "late"
    assert state.apply(Snapshot.of((T0 + 10) * 3600, likes=50)).status == "duplicate"


def test_regression_beyond_threshold_is_flagged_and_totals_use_latest():
    state = CurveState()
    state.apply(Snapshot(T0, (None, 10_000, None, None, None, None)))
    small = state.apply(Snapshot(T0 + 1, (None, 9_950, None, None, None, None)))
    assert small.regressions == ()
    big = state.apply(Snapshot(T0 + 2, (None, 9_000, None, None, None, None)))
    assert [r.metric for r in big.regressions] == ["likes"]
    assert state.totals()["likes"] == 9_000
    # velocity uses the running maximum: nothing negative, flat while below the max
    cum, vel = state.hours(math.floor(T0), math.floor(T0) + 2)["likes"]
    assert vel == [0.0, 0.0]


def test_linear_interpolation_and_observed_marks():
    curve = resample(
        [
            Snapshot(T0 + 0.5, (100, None, None, None, None, None)),
            Snapshot(T0 + 3.5, (400, None, None, None, None, None)),
        ]
    )
    assert curve.start == T0
    assert curve.velocity["views"] == [None, 100.0, 100.0]
    assert curve.observed == [True, False, False]
    assert curve.velocity["likes"] is None


def test_publish_anchors_counts_at_zero():
    curve = resample([Snapshot(T0 + 2.0, (None, 200, None, None, None, None))], publish=T0 + 0.2)
    assert curve.start == T0
    assert curve.velocity["likes"] == [100.0, 100.0]


def test_serialisation_round_trip():
    state = CurveState(publish=T0)
    for i in range(30):
        state.apply(Snapshot(T0 + i * 0.7, (i * 100, i * 10, i, None, None, None)))
    again = CurveState.from_bytes(state.to_bytes())
    assert again.to_bytes() == state.to_bytes()
    assert again.hours(int(T0) + 10, int(T0) + 20) == state.hours(int(T0) + 10, int(T0) + 20)


def test_a_counter_flagged_rounded_is_read_as_rounded_at_once():
    """The collector's ``rounded`` list ("1.2万") says it from the first snapshot; without it
    the curve needs a run of round values to suspect rounding."""
    flagged, guessed = CurveState(), CurveState()
    flagged.apply(Snapshot(T0, (None, 12_000, None, None, None, None), ("likes",)))
    guessed.apply(Snapshot(T0, (None, 12_000, None, None, None, None)))
    assert flagged.rounded("likes") and not guessed.rounded("likes")
    assert not flagged.rounded("views")
    # a daily export's exact value between polls does not make the platform's display exact
    flagged.apply(Snapshot(T0 + 1, (None, 12_345, None, None, None, None)))
    assert flagged.rounded("likes")
    for i in range(3):  # exact values that go on do
        flagged.apply(Snapshot(T0 + 2 + i, (None, 12_400 + i, None, None, None, None)))
    assert not flagged.rounded("likes")
    row = {"observed_at": "2026-01-01T00:00:00Z", "likes": "12000", "rounded": "likes, saves"}
    assert Snapshot.from_mapping(row).rounded == ("likes", "saves")
    assert Snapshot.from_mapping({**row, "rounded": ["likes", "bogus"]}).rounded == ("likes",)
    assert Snapshot.from_mapping({**row, "rounded": ""}).rounded == ()


def _final_series(snaps: list[Snapshot]) -> dict[int, float]:
    """The pulse series as the stream's checkpoint reads it: each hour once, when it is final."""
    state, read, nxt = CurveState(), {}, None
    for snap in snaps:
        state.apply(snap, prune=False)
        final, start = state.final_until(), state.series_start()
        if final is not None and start is not None:
            nxt = start if nxt is None else nxt
            for h, v in enumerate(state.series(nxt, final), start=nxt):
                read[h] = v
            nxt = max(nxt, final)
        state.prune()
    return read


def test_a_rounded_counter_gains_as_its_steps_say_and_a_rise_stays_where_it_happened():
    """Likes shown rounded gain 60 an hour for 40 h, then 3,000 an hour from hour 40 (a
    heating): read hour by hour as the stream reads them, the hours before the rise stay near 60
    (one latest rate for every hour read, or the steps as shown, read the rise or a whole
    rounding step into them), and the rise is where it happened."""
    rnd = random.Random(5)
    for _ in range(3):
        polls = sorted(h + rnd.uniform(0.1, 0.9) for h in range(60))
        true = [40_000 + 60 * min(t, 40) + 3_000 * max(0.0, t - 40) for t in polls]
        snaps = [Snapshot(T0 + t, (None, float(x // 1_000 * 1_000), None, None, None, None), ("likes",))
                 for t, x in zip(polls, true, strict=True)]
        read = _final_series(snaps)
        before = [read[int(T0) + h] for h in range(8, 38)]
        assert max(before) < 200 and 30 < sum(before) / len(before) < 120, before
        around = sum(read[int(T0) + h] for h in range(39, 42))
        assert around > 3_000, [read[int(T0) + h] for h in range(36, 44)]
