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


def test_heating_efficiency_labels_never_overlap_however_many_pulses() -> None:
    """Thirty heated pulses named by post and pulse: the vertical bars' rotated labels ran into each
    other; one row per pulse keeps every label apart, and a pulse without a figure is counted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from tracker.report.charts import hbars_figure

    labels = [f"douyin:73323520189272{i:05d} · pulse {i % 3}" for i in range(30)]
    values = [None if i == 7 else 40.0 - i for i in range(30)]
    fig = hbars_figure("per pulse", labels, values, "per CNY", left_out="pulses without a figure")
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    shown = [t for t in ax.get_yticklabels() if t.get_text()]
    assert [t.get_text() for t in shown] == [label for label, v in zip(labels, values, strict=True) if v is not None]
    boxes = sorted((t.get_window_extent() for t in shown), key=lambda b: b.y0)
    assert all(lower.y1 <= upper.y0 for lower, upper in zip(boxes, boxes[1:], strict=False))
    assert [t.get_text() for t in ax.texts] == ["1 of 30 pulses without a figure left out"]


def test_a_stretch_without_snapshots_is_drawn_apart_from_the_measured_curve() -> None:
    """Three days between publish and the first snapshot read as a flat velocity line, as if every
    hour had been measured the same; that stretch is now dotted and named in the legend."""
    from tracker.report.charts import in_long_gap

    assert in_long_gap([True, *[False] * 7, True, False, False, True]) == [False, *[True] * 7, False, False, False,
                                                                        False]
    points = [{"hour": T0 + timedelta(hours=h), "cumulative": 10.0 * h, "velocity": 10.0, "observed": h == 0 or h >= 72}
              for h in range(96)]
    fig = curve_figure("douyin:1", "engagements", points, [], [], [], "UTC")
    velocity = fig.axes[1]
    dotted = [line for line in velocity.lines if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and dotted[0].get_label().startswith("velocity (average over more than 6 h")
    ys = dotted[0].get_ydata()
    assert sum(y == y for y in ys) == 71 + 2  # the gap's hours, and the measured hour on each side
    legend = [t.get_text() for t in velocity.get_legend().get_texts()]
    assert "velocity (average over more than 6 h without a snapshot)" in legend


def test_labels_of_pulses_close_together_do_not_overlap() -> None:
    """An organic burst and a boost four hours later: "P0 organic" was drawn over "P1 heating"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    points = [{"hour": T0 + timedelta(hours=h), "cumulative": 100.0 * h, "velocity": 100.0, "observed": True}
              for h in range(120)]
    pulses = [{"onset": T0 + timedelta(hours=h), "ends_at": None, "pulse_index": i, "trigger": trigger}
              for i, (h, trigger) in enumerate(((0, "organic"), (4, "heating"), (9, "heating"), (60, "organic")))]
    fig = curve_figure("douyin:1", "engagements", points, pulses, [], [], "UTC")
    FigureCanvasAgg(fig).draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].texts]
    assert [t.get_text() for t in fig.axes[0].texts] == ["P0 organic", "P1 heating", "P2 heating", "P3 organic"]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
