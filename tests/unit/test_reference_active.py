"""Real data nobody here generated: a YouTube video of the ACTIVE dataset, judged by day.

``../shared/reference/active_00-6OyXVA0M.json`` (from the repo root) holds 130 days
of daily views and shares with promotion-driven pulses. At daily resolution the
analytics must find a pulse at each major share spike and none elsewhere, and
projections made from the first 30 and 90 days are compared with what really
happened and with the log-linear baseline (run ``pytest -s`` to see the figures).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.analytics.longtail import loglinear_projection
from tracker.analytics.params import AnalyticsParams
from tracker.analytics.post import PostAnalytics
from tracker.analytics.replay import replay_post
from tracker.analytics.resample import Snapshot, to_hours
from tracker.cli.analyze import analyze

REFERENCE = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "active_00-6OyXVA0M.json"
)
DAILY = AnalyticsParams().at_resolution(24.0)
MAJOR_SHARE_SPIKES = (1, 7, 61)  # days: the upload burst and the two large promotions
ANY_SPIKE = {0, 1, 6, 7, 8, 15, 61, 62, 63, 79, 80, 81, 113, 114, 126, 127, 128}


@pytest.fixture(scope="module")
def data() -> dict:
    if not REFERENCE.exists():
        pytest.skip(f"reference data absent: {REFERENCE}")
    return json.loads(REFERENCE.read_text("utf-8"))


def day0(data: dict) -> datetime:
    up = datetime.fromisoformat(data["item"]["upload_time"].replace("Z", "+00:00"))
    return up.replace(hour=0, minute=0, second=0)


def replay(data: dict, series: str, days: int | None = None) -> PostAnalytics:
    """Daily cumulative snapshots at each day's end; ``series`` is the one the pulses use."""
    start = day0(data)
    post = PostAnalytics(to_hours(start), None, DAILY)
    total = 0
    for i, count in enumerate(data[f"daily_{series}"][:days]):
        total += count
        values = (
            (total, None, None, None, None, None)
            if series == "views"
            else (None, None, None, total, None, None)
        )
        post.apply_snapshot(Snapshot(to_hours(start + timedelta(days=i + 1)), values))
    return post


def pulse_days(data: dict) -> list[int]:
    """Onset days of every pulse of the full shares series, as ``tracker analyze`` reports them."""
    start = day0(data)
    snaps = []
    total = 0
    for i, count in enumerate(data["daily_shares"]):
        total += count
        snaps.append(
            Snapshot(to_hours(start + timedelta(days=i + 1)), (None, None, None, total, None, None))
        )
    report = replay_post("active", snaps, (), to_hours(start), None, DAILY)
    first = to_hours(start) / 24.0
    return [round(p.onset - first) for p in report.pulse_list()]


def test_a_pulse_at_each_major_share_spike_and_none_elsewhere(data):
    days = pulse_days(data)
    print(f"\nACTIVE shares: pulse onsets on days {days}")
    for spike in MAJOR_SHARE_SPIKES:
        assert any(abs(d - spike) <= 1 for d in days), f"no pulse near day {spike}: {days}"
    assert all(d in ANY_SPIKE for d in days), f"spurious pulse: {days}"


def test_tracker_analyze_reads_the_reference_file_as_it_is(data):
    """The record itself, through the command a user runs: daily counts, so a 24 h grid; the
    same pulses as above; the promotion of day 7 credited at least its spike's rise."""
    out = CliRunner().invoke(analyze, [str(REFERENCE), "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)[0]
    assert report["post_id"] == "youtube:00-6OyXVA0M" and report["grid_hours"] == 24.0
    start = day0(data)
    onsets = {(datetime.fromisoformat(p["onset"].replace("Z", "+00:00")) - start).days: p
              for p in report["pulses"]}
    assert sorted(onsets) == pulse_days(data)
    shares = data["daily_shares"]
    promo = onsets[7]
    print(f"\nACTIVE shares via tracker analyze: pulses on days {sorted(onsets)}; "
          f"the day-7 promotion {promo['incremental']:,.0f} incremental shares")
    assert promo["incremental"] >= shares[7] - shares[6]
    assert "daily_tweets ignored" in out.stderr


def project(
    post: PostAnalytics, total: float, horizon_day: float
) -> tuple[float, float, float] | None:
    live = post.live
    until = post.publish + horizon_day
    got = live.project(until, DAILY)
    if got is None:
        return None
    v, lo, hi = got
    return total + v, total + lo, total + hi


@pytest.mark.parametrize("series", ["shares", "views"])
def test_projections_from_30_and_90_days_beat_the_log_linear_baseline(data, series):
    daily = data[f"daily_{series}"]
    cum = [sum(daily[: i + 1]) for i in range(len(daily))]
    cases = [(30, 90), (30, len(daily)), (90, len(daily))]
    fit_err, base_err = [], []
    print()
    for as_of, horizon in cases:
        post = replay(data, series, as_of)
        total = cum[as_of - 1]
        actual = cum[horizon - 1]
        fit = project(post, total, horizon)
        base = loglinear_projection(total, as_of * 24.0, horizon * 24.0)
        assert fit is not None, "no fitted projection"
        point, low, high = fit
        e_fit = (point - actual) / actual
        e_base = (base.value - actual) / actual
        fit_err.append(abs(e_fit))
        base_err.append(abs(e_base))
        print(
            f"ACTIVE {series}: from {as_of} d to {horizon} d: actual {actual:,.0f}; "
            f"fit {point:,.0f} [{low:,.0f} – {high:,.0f}] error {e_fit:+.1%}; "
            f"log-linear {base.value:,.0f} [{base.low:,.0f} – {base.high:,.0f}] error {e_base:+.1%}"
        )
        assert low <= point <= high
    print(
        f"ACTIVE {series}: mean |error| fit {sum(fit_err) / 3:.1%}, log-linear {sum(base_err) / 3:.1%}"
    )
    assert sum(fit_err) <= sum(base_err)
