"""The pulse heating curve's figure: drawn over the data's span, whatever else is planned, with a
legend for every mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matplotlib import dates as mdates

from tracker.report.charts import curve_figure, curve_png

T0 = datetime(2025, 9, 11, tzinfo=UTC)


def test_the_data_fill_the_chart_when_heating_is_planned_weeks_ahead() -> None:
    """Four hours of a post with a boost planned three weeks on: the curve spanned a sliver at the
    left edge; the axis is now the data's span and the later node is named in a note."""
    points = [{"hour": T0 + timedelta(minutes=15 * q), "cumulative": 1000.0 + 10 * q, "velocity": 40.0,
               "observed": True} for q in range(17)]
    heating = [{"start_at": T0 + timedelta(days=21), "end_at": T0 + timedelta(days=22)}]
    fig = curve_figure("douyin:1", "engagements", points, [], heating, [], "UTC")
    lo, hi = (mdates.num2date(x) for x in fig.axes[1].get_xlim())
    assert lo >= T0 - timedelta(minutes=10) and hi <= T0 + timedelta(hours=4, minutes=10)
    assert fig.axes[1].get_xlabel() == "time (UTC) · 1 heating node after the data, the first at 2025-10-02 00:00"
    assert not fig.axes[1].texts  # under the axis, over no point
    assert curve_png("douyin:1", "engagements", points, [], heating, [], "UTC")[:4] == b"\x89PNG"


def test_the_legend_names_every_mark_once() -> None:
    """Two pulses with their peaks, two heating windows and two decay alerts: each kind of mark is in
    the legend once (the peak markers and the alert triangles were in none)."""
    points = [{"hour": T0 + timedelta(hours=h), "cumulative": 100.0 * h, "velocity": 100.0, "observed": h % 2 == 0}
              for h in range(96)]
    pulses = [{"onset": T0 + timedelta(hours=h), "ends_at": T0 + timedelta(hours=h + 48), "pulse_index": i,
               "trigger": "heating", "peak_at": T0 + timedelta(hours=h + 3), "peak_velocity": 300.0}
              for i, h in enumerate((0, 48))]
    heating = [{"start_at": T0 + timedelta(hours=h), "end_at": T0 + timedelta(hours=h + 12)} for h in (0, 48)]
    alerts = [{"starts_at": T0 + timedelta(hours=h)} for h in (30, 80)]
    fig = curve_figure("douyin:1", "engagements", points, pulses, heating, alerts, "UTC")
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert sorted(legend) == sorted(["velocity (interpolated hours)", "velocity (observed hours)", "pulse peak",
                                     "heating window", "decay alert (PostDecaying)"])
