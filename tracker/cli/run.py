"""``tracker run``: everything on one machine, one process (``--demo``: with the platform simulator)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from tracker.cli.runtime import LOGLEVEL, preflight, run_services
from tracker.cli.simulate import Finite
from tracker.settings import Settings
from tracker.shipped import DEMO_CAMPAIGN

if TYPE_CHECKING:
    from tracker.simulate import Simulation
    from tracker.store.store import Store

DEMO_SPEED = 600.0
"""The demo's simulated seconds per real second unless TRACKER_SIMULATOR_SPEED says otherwise: at
60, 7 minutes of a first run raised no alert at all."""


def _campaign_file(ctx: click.Context, param: click.Parameter, campaign: Path) -> Path:
    """A given --campaign file, checked while the options are read: before Kafka or ports are."""
    if ctx.get_parameter_source(str(param.name)) is not ParameterSource.DEFAULT:  # the shipped file is tested
        demo_source(campaign)
    return campaign


def demo_source(campaign: Path) -> tuple[int, int, datetime]:
    """(seed, posts, campaign start) of a campaign file written by `tracker simulate`, whose
    simulator the demo serves; ClickException saying what the file should be otherwise."""
    from tracker.errors import TrackerError
    from tracker.registry.reader import named, read
    from tracker.simulate.clock import parse_time

    try:
        doc = read(campaign)
    except TrackerError as exc:
        raise click.ClickException(named(campaign, exc)) from exc
    if doc.kind != "campaign":
        raise click.ClickException(f"{campaign}: a table of rows; --campaign takes a campaign document "
                                   "(YAML/JSON) written by `tracker simulate --write-campaign FILE`")
    source = doc.data.get("source")
    if not isinstance(source, dict) or source.get("tool") != "tracker simulate":
        raise click.ClickException(f"{campaign} was not written by `tracker simulate`; the demo's simulator "
                                   "must serve the same population (tracker simulate --write-campaign FILE)")
    try:
        return int(source["seed"]), int(source["posts"]), parse_time(source["campaign_start"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise click.ClickException(f"{campaign}: source needs seed, posts and campaign_start as `tracker simulate` "
                                   "writes them") from None


@click.command()
@click.option("--loglevel", type=LOGLEVEL, default="info", show_default=True, help="Log level.")
@click.option("--demo", is_flag=True,
              help="Also serve the platform simulator in this process, import the demo campaign and collect "
                   "every platform from the simulator.")
@click.option("--campaign", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEMO_CAMPAIGN,
              callback=_campaign_file,
              show_default="deploy/demo/campaign.yaml", help="Campaign file of the demo (written by `tracker simulate`).")
@click.option("--speed", type=Finite(min=0), default=None,
              help="Simulated seconds per real second in the demo [TRACKER_SIMULATOR_SPEED, else 600: a "
                   "simulated day in 2.4 minutes, so pulses decay and alerts fire within minutes].")
@click.option("--days-in", type=Finite(min=0, max=3650), default=10.0, show_default=True,
              help="Where the demo's clock starts: days after the campaign start.")
def run(loglevel: str, demo: bool, campaign: Path, speed: float | None, days_in: float) -> None:
    """Run the stream worker, the collectors, /metrics and /healthz, and the
    read-only ClickHouse HTTP endpoint over the embedded store, in one process.
    Expects a reachable Kafka (`tracker broker start`) with topics created.

    With --demo: the simulator serves every platform's API on TRACKER_SIMULATOR_PORT
    on a virtual clock, the campaign file is imported (posts, creators, planned
    heating) and the collectors read every platform from the simulator."""
    settings = Settings()
    preflight(settings)  # before the demo imports anything: Kafka answers, ports are free
    if demo:
        start_demo(settings, campaign, speed, days_in)
    run_services(loglevel=loglevel, collectors=True, checked=True)


def last_collected(store: Store, post_ids: list[str]) -> datetime | None:
    """The latest snapshot the store holds of these posts (None: none)."""
    latest, n = store.query_sync("SELECT max(observed_at), count() FROM snapshots WHERE post_id IN %(ids)s",
                                 {"ids": post_ids}).rows[0]
    return latest.replace(tzinfo=UTC) if n else None


def confirm_heating(sim: Simulation, settings: Settings, nodes: list[dict[str, Any]], every_s: float = 5.0) -> None:
    """The demo's ops: a planned heating node whose delivery window the simulator's clock has
    passed is recorded executed (the simulator delivered it), as ``tracker heat --status
    executed`` would be after a real boost, so that campaign spend counts it. Runs until every
    node is recorded, in a daemon thread."""
    from tracker.broker import topics as t
    from tracker.registry.importer import send

    pending = sorted((n for n in nodes if n["status"] == "planned"),
                     key=lambda n: n["end"] or n["start"] + timedelta(hours=24))
    while pending:
        now = sim.clock.now()
        due = [n for n in pending if (n["end"] or n["start"] + timedelta(hours=24)) <= now]
        if due:
            stamp = datetime.now(UTC)
            try:
                asyncio.run(send(settings, [(t.HEATING, {**n, "status": "executed", "updated_at": stamp})
                                            for n in due]))
            except Exception as exc:  # noqa: BLE001 - the demo goes on; the next pass tries again
                click.echo(f"demo: recording {len(due)} heating node(s) executed failed ({exc}); retrying", err=True)
            else:
                pending = pending[len(due):]
        time.sleep(every_s)


def start_demo(settings: Settings, campaign: Path, speed: float | None, days_in: float) -> None:
    """Simulator thread up, campaign imported, collectors pointed at the simulator."""
    from tracker.broker.topics import create_topics
    from tracker.errors import TrackerError
    from tracker.registry.importer import import_file, version_of
    from tracker.registry.records import Options
    from tracker.simulate import ServerThread, Simulation
    from tracker.simulate.owners import write_accounts
    from tracker.store.migrations import migrate
    from tracker.store.store import Store

    seed, posts, campaign_start = demo_source(campaign)
    if speed is None:
        speed = settings.simulator_speed if "simulator_speed" in settings.model_fields_set else DEMO_SPEED
    sim = Simulation.build(seed, posts, campaign_start, speed=speed)
    start = sim.population.campaign_start + timedelta(days=days_in)
    try:
        asyncio.run(create_topics(settings.kafka_bootstrap, settings.topic_partitions, settings.topic_prefix))
        with Store.open(settings) as store:
            migrate(store)
            collected = last_collected(store, [p.id for p in sim.population.posts])
    except TrackerError as exc:
        raise click.ClickException(f"demo import failed: {getattr(exc, 'reason', exc)}") from exc
    resumed = ""
    if collected is not None and collected > start:
        if click.get_current_context().get_parameter_source("days_in") == ParameterSource.DEFAULT:
            start, resumed = collected, " (resumed where the last run stopped)"
        else:
            click.echo(f"warning: the store holds this demo's snapshots up to {collected:%Y-%m-%d %H:%M}Z; the hours "
                       "from --days-in to then are collected again (the worker sets aside what is older than its "
                       "reorder window as late)", err=True)
    sim.clock.set(start)
    try:
        url = ServerThread(sim, settings.simulator_host, settings.simulator_port).start()
    except OSError as exc:
        raise click.ClickException(f"the simulator cannot listen on {settings.simulator_host}:"
                                   f"{settings.simulator_port} ({exc.strerror}); set TRACKER_SIMULATOR_PORT") from exc
    os.environ["TRACKER_COLLECT_SIMULATOR_URL"] = url
    # the simulator answers as the owner-only APIs do (a token reads its own account's videos
    # alone): the collectors get every simulated creator's token, as the agency's creators' authorisations
    sim.owners.enforced = True
    accounts = write_accounts(sim.population, settings.data_dir.resolve() / "demo" / "accounts.yaml")
    os.environ["TRACKER_ACCOUNTS_FILE"] = str(accounts)
    ends = max(c.end for c in sim.population.campaigns)
    if ends > datetime.now(UTC) and "max_snapshot_lead_hours" not in settings.model_fields_set:
        # the simulator's clock will run past today: its snapshots are no mistyped dates
        os.environ["TRACKER_MAX_SNAPSHOT_LEAD_HOURS"] = "0"
        click.echo(f"note: this demo's campaigns end {ends:%Y-%m-%d}, after today: snapshots dated ahead of the "
                   "wall clock are accepted (TRACKER_MAX_SNAPSHOT_LEAD_HOURS=0)", err=True)
    try:
        outcome = import_file(campaign, settings, Options(version=version_of(campaign)))
    except TrackerError as exc:
        raise click.ClickException(f"demo import failed: {getattr(exc, 'reason', exc)}") from exc
    threading.Thread(target=confirm_heating, args=(sim, settings, outcome.registry.heating), daemon=True,
                     name="demo-heating").start()
    counts = ", ".join(f"{n} {name}" for name, n in outcome.registry.counts().items() if n)
    web, read = f"http://{settings.web_host}:{settings.web_port}", f"http://{settings.read_host}:{settings.read_port}"
    click.echo(f"""
tracker demo: simulator on {url} ({len(sim.population.posts)} posts, clock {sim.clock.now():%Y-%m-%d %H:%M}Z at \
{sim.clock.speed:g}x{resumed}); imported {counts} from {campaign.name}
  metrics        {web}/metrics   (tracker_collector_*, tracker_collect_*, tracker_sink_*)
  read endpoint  {read}   (any ClickHouse HTTP client, Grafana's ClickHouse plugin)
  simulator      {url}/_sim/clock   {url}/_sim/truth   POST {url}/_sim/faults
  accounts       {accounts}   (each creator's token on Douyin, TikTok, Kuaishou, Instagram)
  try            .venv/bin/tracker sql "SELECT platform, count() AS posts, max(as_of) AS latest, sum(views) AS views \
FROM post_totals FINAL GROUP BY platform ORDER BY posts DESC"
                 TRACKER_COLLECT_SIMULATOR_URL={url} .venv/bin/tracker collect --plan
""" + (f"  progress       a line every {settings.progress_seconds:g} s below (TRACKER_PROGRESS_SECONDS)\n"
       if settings.progress_seconds > 0 else ""), err=True)
