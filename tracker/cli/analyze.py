"""``tracker analyze``: the stream's analytics, offline, on a snapshot file."""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click
import numpy as np

from tracker.analytics.alerts import Alert
from tracker.analytics.longtail import LearnedRatios
from tracker.analytics.params import AnalyticsParams
from tracker.analytics.records import HeatingNode, Pulse
from tracker.analytics.replay import PostReport, replay_post
from tracker.analytics.resample import to_datetime
from tracker.cli.snapshotfile import (
    INSTANT_FORMATS,
    HeatingFile,
    parse_instant,
    read_heating,
    read_snapshots,
)
from tracker.cli.snapshots import zone_option
from tracker.errors import InvalidInput
from tracker.registry.reader import named
from tracker.registry.records import DEFAULT_TRACKING_DAYS
from tracker.settings import Settings

T = TypeVar("T")


def _iso(step: float | None, grid: float) -> str | None:
    return None if step is None else to_datetime(step * grid).isoformat().replace("+00:00", "Z")


def _num(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.{digits}f}"


def pulse_spend(p: Pulse, nodes: Mapping[str, HeatingNode]) -> dict[str, float]:
    """The amounts of a pulse's heating ``nodes`` (by id) per currency ('' where the heating file
    gives none), those of 0 left out unless every one is: one entry when the nodes share a
    currency, several when 500 CNY and 100 USD heated it (no sum of those means anything)."""
    amounts: dict[str, float] = {}
    for node_id in dict.fromkeys(p.heating_ids):
        node = nodes.get(node_id)
        if node is not None:
            amounts[node.currency] = amounts.get(node.currency, 0.0) + node.spend
    return {cur: amount for cur, amount in amounts.items() if amount} or amounts


def spend_text(amounts: Mapping[str, float]) -> str:
    """``500 CNY + 100 USD`` (an amount without a currency reads ``100 (no currency)``)."""
    return " + ".join(f"{amount:,.{0 if float(amount).is_integer() else 2}f} {cur or '(no currency)'}"
                      for cur, amount in sorted(amounts.items()))


def spend_notes(r: PostReport, nodes: Mapping[str, HeatingNode]) -> list[str]:
    """Why a pulse's spend and cost per incremental are n/a: its nodes were paid in several currencies."""
    return [f"pulse {p.index}: spend and cost per incremental n/a: its heating nodes were paid in "
            f"{spend_text(amounts)}, which add up to no amount in one currency"
            for p in r.pulse_list() if len(amounts := pulse_spend(p, nodes)) > 1]


def by_id(nodes: Iterable[HeatingNode]) -> dict[str, HeatingNode]:
    """Heating nodes by id, a later row of the same id replacing an earlier one (as the analytics do)."""
    return {node.id: node for node in nodes}


def report_dict(r: PostReport, notes: list[str] | None = None, horizon_hours: float = 72.0,
                nodes: Mapping[str, HeatingNode] | None = None) -> dict[str, Any]:
    """A post's report as plain JSON-able values (times ISO-8601 UTC, durations in hours).

    A pulse's ``spend`` is in its ``currency``, that of its heating ``nodes`` (by id); when
    they were paid in several currencies, spend, currency and cost_per_incremental are null
    (``spend_notes`` names the amounts). ``curve`` rows: ``at`` (start of the grid step),
    ``observed``, ``cumulative`` (counts at the step's end) and ``per_hour`` (counts gained per
    hour during the step); ``notes`` say why figures are n/a or what the report leaves out."""
    g = r.grid_hours
    pulses = []
    for p in r.pulse_list():
        amounts = pulse_spend(p, nodes or {})
        shared = next(iter(amounts)) if len(amounts) == 1 else ""
        d = {}
        for key, value in asdict(p).items():
            d[key] = value
            if key == "spend":
                d["currency"] = shared or None  # after the amount it is of
        if len(amounts) > 1:
            d["spend"] = d["cost_per_incremental"] = None
        d["onset"] = _iso(p.onset, g)
        d["peak"] = _iso(p.peak, g)
        d["interval_end"] = _iso(p.interval_end, g)
        d["decaying_since"] = _iso(p.decaying_since, g)
        d["rise_hours"] = None if p.rise_steps is None else p.rise_steps * g
        d["half_life_hours"] = None if p.half_life is None else p.half_life * g
        del d["rise_steps"], d["half_life"]
        pulses.append(d)
    alerts = [{**asdict(a), "at": _iso(a.at, g), "evidence": alert_evidence(r, a),
               "summary": alert_summary(r, a, horizon_hours)} for a in r.alerts]
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
        "notes": list(notes or []),
        "curve": [
            {
                "at": _iso(s, g),
                "observed": row.observed,
                "cumulative": {**row.cumulative, "engagements": row.engagements},
                "per_hour": {m: _per_hour(v, g) for m, v in
                             {**row.velocity, "engagements": row.engagements_velocity}.items()},
            }
            for s, row in sorted(r.hours.items())
        ],
    }


def _per_hour(gain: float | None, grid_hours: float) -> float | None:
    return None if gain is None else gain / grid_hours


def alert_evidence(r: PostReport, a: Alert) -> dict[str, Any]:
    """The alert's evidence as the stream stores and sends it: each grid-step instant also as
    a UTC time (``decaying_since_at``), a decaying pulse's trigger and heating ids."""
    from tracker.stream.insights import readable_evidence

    evidence = readable_evidence(a.evidence, r.grid_hours)
    if a.type == "PostDecaying" and a.state == "firing":
        pulse = r.pulses.get(evidence.get("pulse", -1))
        if pulse is not None:
            evidence["pulse_trigger"] = pulse.trigger
            if pulse.heating_ids:
                evidence["heating_ids"] = list(pulse.heating_ids)
    return evidence


def alert_summary(r: PostReport, a: Alert, horizon_hours: float = 72.0) -> str:
    """The alert as the store words it (``counters regressed: views fell from 19,943 to
    12,000``): the stream's evidence reading, with a decaying pulse's trigger."""
    from tracker.stream.insights import alert_summary as summary
    from tracker.stream.insights import decaying_summary

    evidence = alert_evidence(r, a)
    if a.type == "PostDecaying" and a.state == "firing":
        return decaying_summary(evidence, horizon_hours)
    return summary(a.type, a.state, a.key, evidence)


def why_not_available(r: PostReport, published: float | None, last_hours: float | None,
                      params: AnalyticsParams) -> list[str]:
    """Why the long tail's figures are n/a, in words a file's owner can act on."""
    lt, burst = r.long_tail, params.burst_window_hours
    if lt is None or lt.total is None:
        return ["long tail n/a: no engagement counter (likes, comments, shares, saves) in the file"]
    if lt.tail_share is not None:
        return []
    if published is None:
        return [f"tail share and projections n/a: no published_at for this post in the file; both count from "
                f"publish (the burst window is its first {burst:g} h): add a published_at column"]
    end = published + burst
    if last_hours is not None and last_hours < end:
        return [f"tail share n/a: the burst window ({burst:g} h after publish) is not over until {when(end)}; "
                f"the last snapshot is at {when(last_hours)}"]
    return [f"tail share n/a: the first snapshot came after the burst window ({burst:g} h after publish, until "
            f"{when(end)}), so the burst's engagements are unknown"]


def when(hours: float) -> str:
    """Hours since the epoch as ``2025-09-14 08:00Z``."""
    from tracker.alerting.wording import when as wording_when

    return wording_when(to_datetime(hours))


def _table(r: PostReport, notes: list[str] | None = None, horizon_hours: float = 72.0,
           nodes: Mapping[str, HeatingNode] | None = None) -> str:
    g = r.grid_hours
    lines = [f"post {r.post_id}: {r.snapshots} snapshots ({r.late} late, {r.duplicates} duplicate)"]
    totals = ", ".join(f"{k} {_num(v, 0)}" for k, v in r.totals.items() if v is not None)
    lines.append(f"  totals: {totals}")
    lines.append("  pulses:")
    lines.append(
        f"    {'#':>2} {'onset (UTC)':20} {'trigger':14} {'peak v':>10} {'half-life h':>11} {'θ':>5} "
        f"{'R²':>5} {'incremental':>12} {'spend':>14} {'cost/incr':>9}  status"
    )
    for p in r.pulse_list():
        onset = (_iso(p.onset, g) or "")[:16]
        hl = None if p.half_life is None else p.half_life * g
        amounts = pulse_spend(p, nodes or {})
        mixed = len(amounts) > 1  # n/a: the notes name the amounts
        spend = "n/a" if mixed else f"{_num(p.spend, 0)} {next(iter(amounts), '')}".strip()
        cost = None if mixed else p.cost_per_incremental
        lines.append(
            f"    {p.index:>2} {onset:20} {p.trigger:14} {_num(p.peak_velocity):>10} {_num(hl):>11} "
            f"{_num(p.theta, 2):>5} {_num(p.fit_r2, 2):>5} {_num(p.incremental, 0):>12} {spend:>14} "
            f"{_num(cost, 3):>9}  {p.status}"
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
            lines.append(f"    {(_iso(a.at, g) or '')[:16]} {a.type} {a.state}: {alert_summary(r, a, horizon_hours)}")
    lines.extend(f"  note: {note}" for note in notes or [])
    return "\n".join(lines)


def tracking_end(given: float | None, published: float | None) -> float | None:
    """A post's end of tracking (hours since the epoch): the file's, else DEFAULT_TRACKING_DAYS
    after publish, as the registry sets it for every post the stream tracks (the analytics'
    own fallback, for a post without one, is longer)."""
    if given is not None or published is None:
        return given
    return published + DEFAULT_TRACKING_DAYS * 24.0


def close_at_tracking_end(r: PostReport, end: float | None, clock: float) -> None:
    """Resolve at the post's end of tracking (hours since the epoch) every alert still open then,
    once ``clock`` has reached it: the newest snapshot of the file (by --as-of), as the stream's
    clock is the newest snapshot of the tenant's posts (README: Post alerts; the collector polls
    a post a last time at its end). The alerts table has them resolved there."""
    if end is None or clock < end:
        return
    g = r.grid_hours
    still: dict[tuple[str, str], Alert] = {}
    for a in r.alerts:
        if a.at * g > end:
            continue
        if a.state == "firing":
            still[(a.type, a.key)] = a
        else:
            still.pop((a.type, a.key), None)
    r.alerts.extend(Alert(a.type, "resolved", end / g, a.key, {"reason": "end of tracking"}) for a in still.values())


@dataclass
class Learned:
    """What the stream learns from its store's finished posts and leans on (README: What the
    analytics learn from other posts): per (platform, tier), the response shape first pulses
    are pulled towards, and the log-linear baseline's ratios."""

    shapes: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    loglinear: dict[tuple[str, str], LearnedRatios] = field(default_factory=dict)

    def for_post(self, post_id: str, tier: str | None) -> tuple[np.ndarray | None, LearnedRatios | None]:
        """The shape and ratios a post leans on: its platform (from its id) and tier's, as the
        stream picks them; without a tier, its platform's shape and the baseline's prior."""
        from tracker.stream import shapes

        platform = post_id.partition(":")[0] if ":" in post_id else ""
        return shapes.for_post(self.shapes, platform, tier or shapes.ANY), self.loglinear.get((platform, tier or ""))


def learned_from_store(params: AnalyticsParams, own: Iterable[str]) -> Learned:
    """What the worker learns at start and every TRACKER_RATIO_STATS_SECONDS, read now from the
    configured store (through a running tracker's read endpoint), less what the ``own`` posts
    (those analysed) gave it: the stream learned from a post's first pulse once it had closed,
    and from its curve once the post was finished, never while reading the post itself."""
    from tracker.store.access import open_reader
    from tracker.stream import loglinear, shapes

    with open_reader(Settings()) as reader:
        shape_rows = reader.query(shapes.QUERY_BY_POST).rows
        ratio_rows = reader.query(loglinear.QUERY_BY_POST, loglinear.parameters(params.horizons_hours)).rows
    skip = set(own)
    return Learned(shapes.learned(row[:-1] for row in shape_rows if row[-1] not in skip),
                   loglinear.learned((row[:-1] for row in ratio_rows if row[-1] not in skip), params.horizons_hours))


def learned_notes(learned: Learned | None, post_id: str, tier: str | None) -> list[str]:
    """Why the report leans on less than the stream does: without a creator tier it takes its
    platform's pooled shape and the log-linear prior, where the store has learned its tier's."""
    platform = post_id.partition(":")[0]
    if learned is None or tier or not any(p == platform and t for p, t in (*learned.shapes, *learned.loglinear)):
        return []
    return [f"no creator_tier for this post in the file: its first pulse leans on the response shape of all "
            f"{platform} posts and its log-linear baseline on the prior, where the stream leans on what it "
            "learned for its creator tier (add the column)"]


LEARNED_NOTE = ("first pulses are fitted without the response shape the stream pulls them towards and log-linear "
                "baselines use their prior: the stream learns both from its store's finished posts "
                "(--learned-from-store reads them), so these figures can differ from the stream's")


def _read(path: Path, reader: Callable[[Path], T]) -> T:
    """``reader(path)``, its InvalidInput naming the file (once)."""
    try:
        return reader(path)
    except InvalidInput as exc:
        raise InvalidInput(named(path, exc)) from None


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--heating",
    "heating_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Heating nodes, one per row (CSV, XLSX, JSON or JSONL): post_id, start, end, spend, "
    "currency, id, status.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--as-of",
    "as_of",
    help=f"Replay only snapshots observed by this time: {INSTANT_FORMATS}.",
)
@click.option(
    "--grid-hours",
    type=click.FloatRange(min=0.25, max=24.0),
    help="Resampling step in hours [1; a series document's period: 24 for daily counts].",
)
@click.option(
    "--learned-from-store",
    "from_store",
    is_flag=True,
    help="Lean, as the stream does, on what it learns from the store's finished posts: the response "
    "shape first pulses are pulled towards and the log-linear baseline's ratios, per platform and "
    "creator tier (the file's creator_tier column). Reads the configured store, through a running "
    "tracker's read endpoint.",
)
@zone_option("the files' times (observed_at / as_of, published_at; the heating file's start and end)")
def analyze(
    file: Path, heating_file: Path | None, fmt: str, as_of: str | None, grid_hours: float | None,
    from_store: bool, tz: tzinfo | None,
) -> None:
    """Analyze a snapshot FILE offline: curves, pulses, long tail, alerts.

    FILE is a table of snapshots (CSV, XLSX, JSON, JSONL), one row each: post_id,
    observed_at (or as_of) and the counters views, likes, comments, shares, saves,
    searches (blank, missing or \\N = the platform lacks it; export headers such
    as 播放量 work too); an optional published_at anchors counts at 0 at publish,
    an optional tracking_end ends the post's tracking window (else {tracking_days}
    days after publish, as the registry sets it for a post without one: the
    default of `tracker posts import --tracking-days`; decay alerts stop there),
    an optional rounded lists the counters the platform showed rounded ("1.2万":
    a store export's ['likes','saves']) and an optional creator_tier picks what
    --learned-from-store leans on.
    Times need a zone (2024-06-03T12:00:00Z or +08:00) unless --time-zone gives it;
    an end written as a date alone (tracking_end, a heating end) includes that day.
    Or a series document (JSON/YAML) of counts per period: daily_<metric> or
    hourly_<metric> lists from a start time (e.g. a video's daily views and
    shares, as research datasets publish them).

    The same code as the stream runs, in file order (a row older than the
    newest before it by more than TRACKER_REORDER_WINDOW_HOURS, 6 by default,
    is late, as in the stream); --as-of shows what it would have said then
    (posts not yet observed by then are left out, and a time
    before every snapshot is an error). Alerts still open when the file's newest
    snapshot (by --as-of) reaches a post's tracking end resolve there, as the
    stream resolves them. Post ids are platform:id, with a
    platform tracker knows, or a label without a colon. Rows that cannot be
    read, of either file, are listed on stderr with their line and reason; the
    others are analyzed, and each post's notes say what its report leaves out
    (refused heating rows) or why a figure is n/a (no published_at: no tail
    share nor projections).

    \b
    JSON (--format json), per post: totals; pulses (peak_velocity and baseline
    per grid step: per hour on the default 1 h grid; spend in its currency,
    null with cost_per_incremental when the pulse's heating nodes were paid in
    several currencies, which a note names); long_tail; alerts with their
    evidence as the alerts table keeps it (grid steps also as times:
    decaying_since_at) and a summary; notes; curve rows of at (start of the
    grid step, UTC), observed, cumulative (counts at the step's end) and
    per_hour (counts gained per hour during the step), each for the counters
    and engagements.

    \b
    Examples:
      tracker analyze snapshots.csv --heating heating.csv
      tracker analyze export.xlsx --as-of 2024-06-03T12:00:00Z --format json
      tracker analyze active_00-6OyXVA0M.json     # daily counts: a 24 h grid

    \b
    A post tracker already stores, with its publish time, heating nodes and
    what the stream leaned on (the store's times are UTC):
    {recipe}

    Exit status: 0 every row used (a row repeated exactly counts once); 1
    nothing to analyze (an unreadable file, no usable row, --as-of before every
    snapshot); 2 a bad option value, or some rows of either file not used:
    unreadable, or late (the report leaves them out, as stderr says).
    """
    if grid_hours is not None and not math.isfinite(grid_hours):
        raise click.BadParameter("must be a number of hours from 0.25 to 24", param_hint="--grid-hours")
    try:
        cutoff = parse_instant(as_of) if as_of else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    try:
        data = _read(file, lambda p: read_snapshots(p, tz))
        heat = _read(heating_file, lambda p: read_heating(p, tz)) if heating_file else HeatingFile()
    except InvalidInput as exc:
        raise click.ClickException(exc.reason) from exc
    for pid in sorted(set(heat.nodes) - set(data.snapshots)):
        data.notes.append(f"heating of {pid} ignored: {file.name} has no snapshot of it")
    posts = dict(data.snapshots)
    if cutoff is not None:
        first = {pid: min(s.t for s in snaps) for pid, snaps in posts.items()}
        if all(t > cutoff for t in first.values()):
            raise click.ClickException(f"--as-of {as_of} is before the first snapshot ({when(min(first.values()))}) "
                                       f"in {file.name}: nothing to replay")
        for pid in [pid for pid, t in first.items() if t > cutoff]:
            data.notes.append(f"{pid} left out: no snapshot by --as-of (its first is at {when(first[pid])})")
            del posts[pid]
    grid = grid_hours or data.period_hours or 1.0
    params = Settings().analytics_params().at_resolution(grid)  # the stream's reorder window
    learned = learned_from_store(params, posts) if from_store else None
    if learned is None:
        data.notes.append(LEARNED_NOTE)
    reports, notes = [], []
    clock = max(s.t for snaps in posts.values() for s in snaps if cutoff is None or s.t <= cutoff)
    for pid, snaps in posts.items():
        end = tracking_end(data.tracking_end.get(pid), data.published.get(pid))
        shape, ratios = learned.for_post(pid, data.tier.get(pid)) if learned is not None else (None, None)
        report = replay_post(pid, snaps, heat.nodes.get(pid, []), data.published.get(pid), end, params, cutoff,
                             shape, ratios)
        close_at_tracking_end(report, end, clock)
        last = max((s.t for s in snaps if cutoff is None or s.t <= cutoff), default=None)
        said = why_not_available(report, data.published.get(pid), last, params)
        said += learned_notes(learned, pid, data.tier.get(pid))
        said += spend_notes(report, by_id(heat.nodes.get(pid, [])))
        if heat.refused.get(pid) and heating_file is not None:
            said.append(f"{heat.refused[pid]} heating row(s) of this post refused in {heating_file.name} (listed on "
                        "stderr): its pulses and spend leave them out, so they can differ from the stream's")
        reports.append(report)
        notes.append(said)
    horizon = params.decay_gain_horizon_hours
    nodes = {r.post_id: by_id(heat.nodes.get(r.post_id, [])) for r in reports}
    if fmt == "json":
        click.echo(json.dumps([report_dict(r, n, horizon, nodes[r.post_id]) for r, n in zip(reports, notes, strict=True)],
                              indent=2, default=str))
    else:
        click.echo("\n\n".join(_table(r, n, horizon, nodes[r.post_id]) for r, n in zip(reports, notes, strict=True)))
    for note in data.notes:
        click.echo(f"note: {note}", err=True)
    problems = [f"{file.name} {p}" for p in data.problems]
    problems += [f"{heating_file.name} {p}" for p in heat.problems] if heating_file else []
    problems += [f"{file.name}: {r.late} row(s) of {r.post_id} late: older than a row before them by more than "
                 f"{params.reorder_window_hours:g} h (TRACKER_REORDER_WINDOW_HOURS), set aside as the stream would "
                 "(sort the file by time to use them)" for r in reports if r.late]
    if problems:
        unused = len(problems) - sum(1 for r in reports if r.late) + sum(r.late for r in reports)
        click.echo(f"{unused} row(s) not used:", err=True)
        for line in problems:
            click.echo(f"  {line}", err=True)
        raise SystemExit(2)


RECIPE = """\
  tracker sql "SELECT s.post_id, observed_at, published_at, tracking_end, views,
    likes, comments, shares, saves, searches, rounded, status, creator_tier FROM
    snapshots AS s FINAL LEFT JOIN (SELECT post_id, published_at, tracking_end,
    creator_tier FROM posts FINAL WHERE deleted = 0) AS p ON p.post_id = s.post_id
    WHERE s.post_id = 'douyin:123' ORDER BY observed_at FORMAT CSVWithNames" > post.csv
  tracker sql "SELECT post_id, start_at AS start, end_at AS end, spend_amount AS
    spend, spend_currency AS currency, heating_id AS id, status FROM
    heating_nodes FINAL WHERE post_id = 'douyin:123' FORMAT CSVWithNames" > heating.csv
  tracker analyze post.csv --heating heating.csv --time-zone UTC --learned-from-store"""
"""The help's export of a stored post with what the stream knows of it (tests run it)."""
analyze.help = ((analyze.help or "").replace("    {recipe}", textwrap.indent(RECIPE, "    "))  # the docstring's indent
                .replace("{tracking_days}", str(DEFAULT_TRACKING_DAYS)))
