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
from matplotlib.figure import Figure

HEATING_WINDOW = timedelta(hours=24)
PULSE_FILL = ("#dbeafe", "#fef3c7")
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316", "#64748b", "#ec4899")


def png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


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
    for i, pulse in enumerate(pulses):
        start = _local(pulse["onset"], zone)
        stop = _local(pulse["ends_at"], zone) if pulse.get("ends_at") else end or start + HEATING_WINDOW
        for ax in (top, bottom):
            ax.axvspan(start, stop, color=PULSE_FILL[i % 2], lw=0, zorder=0)
            ax.axvline(start, color="#1e3a8a", ls="--", lw=1, zorder=1)
        label = f"P{pulse['pulse_index']} {pulse['trigger']}"
        if pulse.get("status") == "no-response":
            label += " (no response)"
        top.annotate(label, (start, 1), xycoords=("data", "axes fraction"), xytext=(3, 3),
                     textcoords="offset points", fontsize=8, color="#1e3a8a")
        if pulse.get("peak_at") and pulse.get("peak_velocity") is not None:
            bottom.plot([_local(pulse["peak_at"], zone)], [pulse["peak_velocity"]], "v", color="#1e3a8a", ms=6)
    for node in heating:
        start = _local(node["start_at"], zone)
        stop = _local(node["end_at"], zone) if node.get("end_at") else start + HEATING_WINDOW
        for ax in (top, bottom):
            ax.axvspan(start, stop, ymin=0, ymax=0.06, color="#f97316", alpha=0.9, lw=0, zorder=2)
    top.plot(hours, cumulative, color=PALETTE[0], lw=1.8, label=f"cumulative {metric}")
    bottom.plot(hours, velocity, color="#94a3b8", lw=1, label="velocity (interpolated hours)")
    if observed:
        bottom.plot([h for h, _ in observed], [v for _, v in observed], ".", color=PALETTE[0], ms=3,
                    label="velocity (observed hours)")
    for alert in alerts:
        at = _local(alert["starts_at"], zone)
        bottom.plot([at], [0], marker="^", color="#dc2626", ms=11, clip_on=False, zorder=5)
        bottom.annotate("decaying", (at, 0), xytext=(4, 8), textcoords="offset points", fontsize=8, color="#dc2626")
    top.set_title(f"{post_id}: {metric} — pulses (shaded), heating windows (orange), decay alerts (red)",
                  fontsize=10, pad=16)
    top.set_ylabel(f"cumulative {metric}")
    bottom.set_ylabel(f"{metric} per hour")
    bottom.set_xlabel(f"time ({tz})")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
    bottom.set_ylim(bottom=0)
    if hours:  # the data's span: heating planned weeks ahead would squeeze it to a sliver
        margin = max(hours[-1] - hours[0], timedelta(hours=1)) * 0.02
        lo, hi = hours[0] - margin, hours[-1] + margin
        bottom.set_xlim(lo, hi)
        later = sorted(_local(n["start_at"], zone) for n in heating if _local(n["start_at"], zone) > hi)
        if later:
            bottom.annotate(f"{len(later)} heating node(s) after the data, the first at {later[0]:%Y-%m-%d %H:%M}",
                            (1, 0), xycoords="axes fraction", xytext=(-4, 4), textcoords="offset points",
                            ha="right", fontsize=8, color="#c2410c")
    locator = mdates.AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return fig


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
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def ranges_png(title: str, labels: Sequence[str], quartiles: Sequence[Sequence[float | None] | None],
               ylabel: str) -> bytes:  # fmt: skip
    """p25–p75 bars with the median marked, one per label (tier comparisons)."""
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    for i, q in enumerate(quartiles):
        values = [float(v) for v in q or () if v is not None]
        if len(values) != 3:
            ax.annotate("n/a", (i, 0), ha="center", va="bottom", fontsize=7, color="#64748b")
            continue
        lo, mid, hi = values
        ax.bar(i, hi - lo, 0.5, bottom=lo, color=PALETTE[i % len(PALETTE)], alpha=0.7)
        ax.plot([i - 0.25, i + 0.25], [mid, mid], color="black", lw=2)
        ax.plot([i], [mid], "D", color=PALETTE[i % len(PALETTE)], ms=7, mec="black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    return png(fig)


def line_png(title: str, xs: Sequence[Any], ys: Sequence[float], ylabel: str) -> bytes:
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.subplots()
    ax.plot(xs, ys, color=PALETTE[0], lw=2, marker="o", ms=3)
    ax.fill_between(xs, ys, color=PALETTE[0], alpha=0.12)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return png(fig)
