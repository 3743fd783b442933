"""``tracker analyze``: the stream's analytics, offline, on a snapshot file."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from tracker.analytics.params import DEFAULT_PARAMS
from tracker.analytics.pulses import HeatingNode
from tracker.analytics.replay import PostReport, replay_post
from tracker.analytics.resample import Snapshot, to_datetime, to_hours


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (header line) or JSONL file as dicts; blank CSV cells become None."""
    text = path.read_text("utf-8")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = list(csv.DictReader(text.splitlines()))
    return [{k: (v if v is None or v.strip() else None) for k, v in row.items()} for row in rows]


def _heating(rows: list[dict[str, Any]]) -> dict[str, list[HeatingNode]]:
    out: dict[str, list[HeatingNode]] = defaultdict(list)
    for i, row in enumerate(rows):
        end = row.get("end")
        out[str(row["post_id"])].append(
            HeatingNode(
                id=str(row.get("id") or row.get("heating_id") or f"heat-{i + 1}"),
                start=to_hours(row["start"]),
                end=None if end in (None, "") else to_hours(end),
                spend=float(row.get("spend") or 0.0),
                currency=str(row.get("currency") or ""),
                status=str(row.get("status") or "planned"),
            )
        )
    return out


def _iso(step: float | None, grid: float) -> str | None:
    return None if step is None else to_datetime(step * grid).isoformat().replace("+00:00", "Z")


def _num(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.{digits}f}"


def report_dict(r: PostReport) -> dict[str, Any]:
    """A post's report as plain JSON-able values (times ISO-8601 UTC, durations in hours)."""
    g = r.grid_hours
    pulses = []
    for p in r.pulse_list():
        d = asdict(p)
        d["onset"] = _iso(p.onset, g)
        d["peak"] = _iso(p.peak, g)
        d["interval_end"] = _iso(p.interval_end, g)
        d["decaying_since"] = _iso(p.decaying_since, g)
        d["rise_hours"] = None if p.rise_steps is None else p.rise_steps * g
        d["half_life_hours"] = None if p.half_life is None else p.half_life * g
        del d["rise_steps"], d["half_life"]
        pulses.append(d)
    alerts = [{**asdict(a), "at": _iso(a.at, g)} for a in r.alerts]
    return {
        "post_id": r.post_id,
        "grid_hours": g,
        "snapshots": r.snapshots,
        "late": r.late,
        "duplicates": r.duplicates,
        "totals": r.totals,
        "pulses": pulses,
        "long_tail": None if r.long_tail is None else asdict(r.long_tail),
        "alerts": alerts,
        "curve": [
            {
                "at": _iso(s, g),
                "observed": row.observed,
                "engagements": row.engagements_velocity,
                **row.velocity,
            }
            for s, row in sorted(r.hours.items())
        ],
    }


def _table(r: PostReport) -> str:
    g = r.grid_hours
    lines = [f"post {r.post_id}: {r.snapshots} snapshots ({r.late} late, {r.duplicates} duplicate)"]
    totals = ", ".join(f"{k} {_num(v, 0)}" for k, v in r.totals.items() if v is not None)
    lines.append(f"  totals: {totals}")
    lines.append("  pulses:")
    lines.append(
        f"    {'#':>2} {'onset (UTC)':20} {'trigger':14} {'peak v':>10} {'half-life h':>11} {'θ':>5} "
        f"{'R²':>5} {'incremental':>12} {'spend':>9} {'cost/incr':>9}  status"
    )
    for p in r.pulse_list():
        onset = (_iso(p.onset, g) or "")[:16]
        hl = None if p.half_life is None else p.half_life * g
        lines.append(
            f"    {p.index:>2} {onset:20} {p.trigger:14} {_num(p.peak_velocity):>10} {_num(hl):>11} "
            f"{_num(p.theta, 2):>5} {_num(p.fit_r2, 2):>5} {_num(p.incremental, 0):>12} {_num(p.spend, 0):>9} "
            f"{_num(p.cost_per_incremental, 3):>9}  {p.status}"
            + (f" ({p.no_fit_reason})" if p.no_fit_reason else "")
        )
    lt = r.long_tail
    if lt is not None:
        lines.append(
            f"  long tail: total {_num(lt.total, 0)}, tail share {_num(lt.tail_share, 3)}, "
            f"organic tail {_num(lt.organic_tail, 0)}, paid tail {_num(lt.paid_tail, 0)}"
        )
        for proj in lt.projections + lt.baseline_projections:
            lines.append(
                f"    projected at {proj.horizon_hours / 24:.0f} d ({proj.method}): {_num(proj.value, 0)} "
                f"[{_num(proj.low, 0)} – {_num(proj.high, 0)}]"
            )
    if r.alerts:
        lines.append("  alerts:")
        for a in r.alerts:
            lines.append(f"    {(_iso(a.at, g) or '')[:16]} {a.type} {a.state} ({a.key})")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--heating",
    "heating_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Heating nodes (CSV or JSONL: post_id, start, end, spend, currency, id, status).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--as-of", "as_of", help="Replay only snapshots observed by this time (ISO-8601).")
@click.option(
    "--grid-hours",
    type=float,
    default=1.0,
    show_default=True,
    help="Resampling step in hours (24 for daily data).",
)
def analyze(
    file: Path, heating_file: Path | None, fmt: str, as_of: str | None, grid_hours: float
) -> None:
    """Analyze a snapshot FILE offline: curves, pulses, long tail, alerts.

    FILE is CSV or JSONL with post_id, observed_at and the counters views, likes,
    comments, shares, saves, searches (blank or missing = the platform lacks it);
    an optional published_at column anchors counts at 0 at publish. The same code
    as the stream runs, in file order; --as-of shows what it would have said then.
    """
    params = DEFAULT_PARAMS.at_resolution(grid_hours)
    by_post: dict[str, list[Snapshot]] = defaultdict(list)
    publish: dict[str, float] = {}
    for row in read_rows(file):
        pid = str(row["post_id"])
        by_post[pid].append(Snapshot.from_mapping(row))
        if row.get("published_at") and pid not in publish:
            publish[pid] = to_hours(row["published_at"])
    heating = _heating(read_rows(heating_file)) if heating_file else {}
    cutoff = to_hours(as_of) if as_of else None
    reports = [
        replay_post(pid, snaps, heating.get(pid, []), publish.get(pid), None, params, cutoff)
        for pid, snaps in by_post.items()
    ]
    if fmt == "json":
        click.echo(json.dumps([report_dict(r) for r in reports], indent=2, default=str))
    else:
        click.echo("\n\n".join(_table(r) for r in reports))
