"""Charts as PNG bytes (matplotlib's object API: no global pyplot state, safe in threads).

``curve_png`` draws one post's multi-node pulse heating curve: cumulative
and hourly velocity, each pulse's attribution interval and onset, heating
delivery windows, and decay alerts. The others serve the campaign report.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

HEATING_WINDOW = timedelta(hours=24)
PULSE_FILL = ("#dbeafe", "#fef3c7")
GAP_HOURS = 6
"""Hours without a snapshot beyond which the curve draws its interpolated stretch dotted."""
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316", "#64748b", "#ec4899")


def png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def number(value: float, _pos: int | None = None) -> str:
    """A tick label as a reader writes the number: thousands separators from 100 up, never an
    offset or scientific notation ("1,050,000", not 1.05 with "1e6" at the axis' end)."""
    if value == 0:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def plain_numbers(axis: Axis) -> None:
    """Label ``axis`` with :func:`number` (matplotlib's default formatter adds a "1e6" offset)."""
    axis.set_major_formatter(FuncFormatter(number))


def _local(ts: datetime, zone: ZoneInfo) -> datetime:
    return ts.astimezone(zone).replace(tzinfo=None) if ts.tzinfo else ts.replace(tzinfo=ZoneInfo("UTC")).astimezone(
        zone).replace(tzinfo=None)


def curve_png(post_id: str, metric: str, points: Sequence[Mapping[str, Any]], pulses: Sequence[Mapping[str, Any]],
              heating: Sequence[Mapping[str, Any]], alerts: Sequence[Mapping[str, Any]], tz: str) -> bytes:  # fmt: skip
    """Cumulative (top) and velocity per hour (bottom) of ``metric`` with pulses, heating and decay alerts."""
    return png(curve_figure(post_id, metric, points, pulses, heating, alerts, tz))


def curve_figure(post_id: str, metric: str, points: Sequence[Mapping[str, Any]], pulses: Sequence[Mapping[str, Any]],
                 heating: Sequence[Mapping[str, Any]], alerts: Sequence[Mapping[str, Any]], tz: str) -> Figure:  # fmt: skip
    """The figure :func:`curve_png` draws."""
    zone = ZoneInfo(tz)
    fig = Figure(figsize=(11, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
    hours = [_local(p["hour"], zone) for p in points]
    cumulative = [p["cumulative"] for p in points]
    velocity = [p["velocity"] for p in points]
    observed = [(h, v) for h, v, p in zip(hours, velocity, points, strict=True) if p.get("observed") and v is not None]
    end = hours[-1] if hours else None
    span = (hours[-1] - hours[0]) if len(hours) > 1 else timedelta(hours=1)
    last_label: tuple[datetime, int] | None = None  # (onset, level) of the previous pulse's label
    for i, pulse in enumerate(pulses):
        start = _local(pulse["onset"], zone)
        stop = _local(pulse["ends_at"], zone) if pulse.get("ends_at") else end or start + HEATING_WINDOW
        for ax in (top, bottom):
            ax.axvspan(start, stop, color=PULSE_FILL[i % 2], lw=0, zorder=0)
            ax.axvline(start, color="#1e3a8a", ls="--", lw=1, zorder=1)
        label = f"P{pulse['pulse_index']} {pulse['trigger']}"
        if pulse.get("status") == "no-response":
            label += " (no response)"
        # a label close to the previous one (about its width) goes a line higher, never over it
        close = last_label is not None and start - last_label[0] < span * 0.12
        level = (last_label[1] + 1) % 3 if close and last_label is not None else 0
        last_label = (start, level)
        top.annotate(label, (start, 1), xycoords=("data", "axes fraction"), xytext=(3, 3 + 10 * level),
                     textcoords="offset points", fontsize=8, color="#1e3a8a")
        if pulse.get("peak_at") and pulse.get("peak_velocity") is not None:
            bottom.plot([_local(pulse["peak_at"], zone)], [pulse["peak_velocity"]], "v", color="#1e3a8a", ms=6,
                        label=_once(bottom, "pulse peak"))
    for node in heating:
        start = _local(node["start_at"], zone)
        stop = _local(node["end_at"], zone) if node.get("end_at") else start + HEATING_WINDOW
        for ax in (top, bottom):
            ax.axvspan(start, stop, ymin=0, ymax=0.06, color="#f97316", alpha=0.9, lw=0, zorder=2,
                       label=_once(bottom, "heating window") if ax is bottom else None)
    gap = in_long_gap([bool(p.get("observed")) for p in points])
    top.plot(hours, _where(cumulative, gap, False), color=PALETTE[0], lw=1.8, label=f"cumulative {metric}")
    bottom.plot(hours, _where(velocity, gap, False), color="#94a3b8", lw=1, label="velocity (interpolated hours)")
    if any(gap):  # a day without snapshots is an average, not a flat day: drawn apart
        top.plot(hours, _where(cumulative, gap, True), color=PALETTE[0], lw=1.2, ls=":")
        bottom.plot(hours, _where(velocity, gap, True), color="#94a3b8", lw=1.2, ls=":",
                    label=f"velocity (average over more than {GAP_HOURS} h without a snapshot)")
    if observed:
        bottom.plot([h for h, _ in observed], [v for _, v in observed], ".", color=PALETTE[0], ms=3,
                    label="velocity (observed hours)")
    for alert in alerts:
        at = _local(alert["starts_at"], zone)
        bottom.plot([at], [0], marker="^", color="#dc2626", ms=11, clip_on=False, zorder=5, ls="none",
                    label=_once(bottom, "decay alert (PostDecaying)"))
    top.set_title(f"{post_id}: {metric} — pulses (shaded), heating windows (orange), decay alerts (red)",
                  fontsize=10, pad=16)
    top.set_ylabel(f"cumulative {metric}")
    bottom.set_ylabel(f"{metric} per hour")
    xlabel = f"time ({tz})"
    top.legend(loc="upper right", fontsize=8)
    # under the chart, where it hides no data however many kinds of marks there are
    bottom.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8, frameon=False)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        plain_numbers(ax.yaxis)  # "8,000", not "8000" or an offset
    bottom.set_ylim(bottom=0)
    if hours:  # the data's span: heating planned weeks ahead would squeeze it to a sliver
        margin = max(hours[-1] - hours[0], timedelta(hours=1)) * 0.02
        lo, hi = hours[0] - margin, hours[-1] + margin
        bottom.set_xlim(lo, hi)
        later = sorted(_local(n["start_at"], zone) for n in heating if _local(n["start_at"], zone) > hi)
        if later:  # told under the axis, where it hides no point
            xlabel += (f" · {len(later)} heating node{'s' if len(later) > 1 else ''} after the data, "
                       f"the first at {later[0]:%Y-%m-%d %H:%M}")
    bottom.set_xlabel(xlabel)
    locator = mdates.AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return fig


def in_long_gap(observed: Sequence[bool]) -> list[bool]:
    """Per hour, whether it lies in a run of more than ``GAP_HOURS`` hours without a snapshot
    (before tracking began, or while collection stopped): its values are interpolated across
    the whole run, the same average velocity every hour."""
    out = [False] * len(observed)
    start = None
    for i, seen in enumerate([*observed, True]):
        if not seen and start is None:
            start = i
        elif seen and start is not None:
            if i - start > GAP_HOURS:
                out[start:i] = [True] * (i - start)
            start = None
    return out


def _where(values: Sequence[float | None], gap: Sequence[bool], inside: bool) -> list[float]:
    """``values`` on the hours inside (or outside) long gaps, NaN elsewhere; a gap's line runs on to
    the observed hours on either side, so that the two lines meet."""
    n = len(values)

    def shown(i: int) -> bool:
        if not inside:
            return not gap[i]
        return gap[i] or (i > 0 and gap[i - 1]) or (i + 1 < n and gap[i + 1])

    return [float("nan") if v is None or not shown(i) else float(v) for i, v in enumerate(values)]


def _once(ax: Axes, label: str) -> str:
    """``label`` for the first artist of ``ax`` that draws it, hidden from the legend afterwards."""
    drawn = {artist.get_label() for artist in [*ax.lines, *ax.patches]}
    return f"_{label}" if label in drawn else label


def bars_png(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], ylabel: str) -> bytes:
    """Grouped bars (one group per label, one bar per series); n/a bars are left out."""
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        ax.bar(xs, [v if v is not None else 0 for v in values], width, label=name, color=PALETTE[i % len(PALETTE)])
        for x, v in zip(xs, values, strict=True):
            if v is None:
                ax.annotate("n/a", (x, 0), ha="center", va="bottom", fontsize=7, color="#64748b")
    ax.set_xticks(range(len(labels)), labels, rotation=0 if len(labels) < 6 else 30, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    plain_numbers(ax.yaxis)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def hbars_figure(title: str, labels: Sequence[str], values: Sequence[float | None], xlabel: str,
                 left_out: str = "without a value") -> Figure:
    """One horizontal bar per label, top to bottom, so that long labels (a post and its pulse) stay
    readable however many there are; n/a values get no bar, and a note counts them."""
    shown = [(label, float(v)) for label, v in zip(labels, values, strict=True) if v is not None]
    fig = Figure(figsize=(7.5, max(2.4, 0.9 + 0.27 * len(shown))))
    ax = fig.subplots()
    ax.barh(range(len(shown)), [v for _, v in shown], 0.6, color=PALETTE[0])
    ax.set_yticks(range(len(shown)), [label for label, _ in shown], fontsize=8)
    if shown:
        ax.set_ylim(len(shown) - 0.5, -0.5)  # the first label on top
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    plain_numbers(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    _left_out(ax, len(labels) - len(shown), len(labels), left_out, bool(shown))
    return fig


def _left_out(ax: Axes, missing: int, total: int, what: str, shown: bool) -> None:
    """The note under a chart of rows: how many rows have no figure, or that none has one yet."""
    if missing:
        ax.annotate(f"{missing} of {total} {what} left out", (0, 0), xycoords="figure fraction",
                    xytext=(6, 4), textcoords="offset points", fontsize=8, color="#64748b")
    if not shown:
        ax.annotate("no figures yet", (0.5, 0.5), xycoords="axes fraction", ha="center", color="#64748b")


def ranges_figure(title: str, labels: Sequence[str], quartiles: Sequence[Sequence[float | None] | None],
                  xlabel: str, groups: Sequence[str] | None = None, left_out: str = "without a value") -> Figure:  # fmt: skip
    """p25–p75 bars with the median marked, one row per label, top to bottom (tier comparisons).

    Horizontal, so that long labels stay readable however many there are; labels whose
    quartiles are n/a get no row, and a note under the chart counts them ("N … left out").
    Rows of one ``group`` (a platform) share a colour."""
    def complete(q: Sequence[float | None] | None) -> list[float] | None:
        values = [float(v) for v in q or () if v is not None]
        return values if q is not None and len(q) == 3 and len(values) == 3 else None

    shown = [(label, values) for label, q in zip(labels, quartiles, strict=True) if (values := complete(q))]
    colour_of: dict[str, str] = {}
    group_of = dict(zip(labels, groups or labels, strict=True))
    fig = Figure(figsize=(7.5, max(2.4, 0.9 + 0.27 * len(shown))))
    ax = fig.subplots()
    for i, (label, (lo, mid, hi)) in enumerate(shown):
        colour = colour_of.setdefault(group_of[label], PALETTE[len(colour_of) % len(PALETTE)])
        ax.barh(i, hi - lo, 0.55, left=lo, color=colour, alpha=0.55)
        ax.plot([mid, mid], [i - 0.3, i + 0.3], color="black", lw=2)
        ax.plot([mid], [i], "D", color=colour, ms=6, mec="black")
    ax.set_yticks(range(len(shown)), [label for label, _ in shown], fontsize=8)
    if shown:  # an empty range would print matplotlib's "identical low and high ylims" warning
        ax.set_ylim(len(shown) - 0.5, -0.5)  # the first label on top
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=0)
    plain_numbers(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    _left_out(ax, len(labels) - len(shown), len(labels), left_out, bool(shown))
    return fig


def ranges_png(title: str, labels: Sequence[str], quartiles: Sequence[Sequence[float | None] | None],
               xlabel: str, groups: Sequence[str] | None = None, left_out: str = "without a value") -> bytes:  # fmt: skip
    """The PNG of :func:`ranges_figure`."""
    return png(ranges_figure(title, labels, quartiles, xlabel, groups, left_out))


def cumulative_figure(title: str, days: Sequence[Any], cumulative: Sequence[float], carried: Sequence[float],
                      ylabel: str, started: Sequence[int] | None = None) -> Figure:  # fmt: skip
    """A campaign's cumulative count, one stacked bar per day: what each post's first snapshot
    found (``carried``: counted before its tracking began, grey) under what was counted while
    tracked (blue).

    A post whose tracking begins after it was published brings its count so far in one step;
    shown apart, that step does not read as engagement of that day. The days that brought the
    largest such steps (≥ 10 % of the last total, three at most) are annotated with ``started``
    (posts whose tracking began that day). Plain numbers with thousands separators, no offset."""
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    tracked = [c - b for c, b in zip(cumulative, carried, strict=True)]
    width = 0.8 if len(days) < 60 else 1.0
    ax.bar(days, carried, width, color="#94a3b8",
           label="counted at each post's first snapshot (before its tracking began)")
    ax.bar(days, tracked, width, bottom=carried, color=PALETTE[0], label="counted while tracked")
    top = max(cumulative, default=0)
    steps = [(b - (carried[i - 1] if i else 0.0), i) for i, b in enumerate(carried)]
    for step, i in sorted(steps, reverse=True)[:3]:
        if step <= 0 or step < 0.1 * top:
            continue
        posts = f"tracking of {started[i]} posts began" if started else "tracking began"
        right_half = i >= len(days) / 2
        ax.annotate(f"{posts}: {number(step)} counted before", (days[i], cumulative[i]),
                    xytext=(-4 if right_half else 4, 4), textcoords="offset points",
                    ha="right" if right_half else "left", va="bottom", fontsize=7.5, color="#334155")
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, top * 1.15 or 1)
    plain_numbers(ax.yaxis)
    short = len(days) < 2 or (days[-1] - days[0]).days <= 14
    locator = mdates.DayLocator() if short else mdates.AutoDateLocator()  # whole days: the bars are days
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=7, frameon=False)
    return fig


def cumulative_png(title: str, days: Sequence[Any], cumulative: Sequence[float], carried: Sequence[float],
                   ylabel: str, started: Sequence[int] | None = None) -> bytes:  # fmt: skip
    """The PNG of :func:`cumulative_figure`."""
    return png(cumulative_figure(title, days, cumulative, carried, ylabel, started))
