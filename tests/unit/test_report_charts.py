"""The report's charts read as numbers a client checks: no axis offset, no n/a slots, no jump
mistaken for a day's engagement."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

from tracker.report.charts import cumulative_figure, number, png, ranges_figure

DAYS = [date(2025, 9, 1) + timedelta(days=i) for i in range(5)]


def test_numbers_have_thousands_separators_and_no_scientific_notation() -> None:
    assert [number(v) for v in (0, 1_050_000, 250_000.0, 133.37, 12.5, 0.0035)] == [
        "0", "1,050,000", "250,000", "133", "12.5", "0.0035"]


def test_cumulative_engagements_in_millions_read_as_plain_numbers_without_a_1e6_offset() -> None:
    """Up to 1.05 million: matplotlib's default labelled the axis 0.2 … 1.0 with "1e6" at its end."""
    cumulative = [60_000.0, 80_000.0, 100_000.0, 1_050_000.0, 1_080_000.0]
    carried = [50_000.0, 50_000.0, 50_000.0, 980_000.0, 980_000.0]
    fig = cumulative_figure("Cumulative engagements", DAYS, cumulative, carried, "engagements", [3, 0, 0, 25, 0])
    png(fig)  # draws the ticks
    ax = fig.axes[0]
    assert ax.yaxis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "1,000,000" in labels and not any("e" in label for label in labels), labels


def test_counts_a_post_brought_when_its_tracking_began_are_shown_apart_and_annotated() -> None:
    """The step of 930,000 on the fourth day is what 25 posts had before they were first seen:
    the grey bars (carried) hold it, and a note names it, so it does not read as that day's engagement."""
    cumulative = [60_000.0, 80_000.0, 100_000.0, 1_050_000.0, 1_080_000.0]
    carried = [50_000.0, 50_000.0, 50_000.0, 980_000.0, 980_000.0]
    fig = cumulative_figure("Cumulative engagements", DAYS, cumulative, carried, "engagements", [3, 0, 0, 25, 0])
    ax = fig.axes[0]
    grey, blue = ax.containers
    assert [b.get_height() for b in grey] == carried
    assert [b.get_y() + b.get_height() for b in blue] == cumulative
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["tracking of 25 posts began: 930,000 counted before"], notes


def test_cpm_ranges_are_horizontal_and_leave_n_a_groups_out() -> None:
    """35 platform/tier groups, 20 without a CPM: 35 rotated x labels with 20 "n/a" slots before."""
    labels = [f"platform{i // 5} / tier{i % 5}" for i in range(35)]
    quartiles = [(10.0 * i, 12.0 * i, 15.0 * i) if i % 7 < 3 else (None, None, None) for i in range(35)]
    fig = ranges_figure("CPM", labels, quartiles, "CPM CNY", groups=[lb.split(" / ")[0] for lb in labels],
                        left_out="groups without a CPM")
    ax = fig.axes[0]
    shown = [labels[i] for i in range(35) if i % 7 < 3]
    assert [t.get_text() for t in ax.get_yticklabels()] == shown
    notes = [t.get_text() for t in ax.texts]
    assert "20 of 35 groups without a CPM left out" in notes and "n/a" not in notes
    png(fig)
    assert ax.xaxis.get_offset_text().get_text() == ""


def test_a_ranges_chart_with_no_figure_draws_without_a_warning_on_the_terminal() -> None:
    """A campaign before its first snapshot: `tracker report` printed matplotlib's "Attempting to set
    identical low and high ylims" UserWarning under its output."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png(ranges_figure("CPM", ["douyin / mid"], [[None, None, None]], "CPM CNY"))
