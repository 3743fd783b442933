"""``tracker simulate``: serve a synthetic campaign in the platforms' own API formats."""

from __future__ import annotations

import asyncio
import math
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.simulate.faults import FaultSpec

EPILOG = """\b
Endpoints (base URL printed at start):
  /youtube/v3/videos  /youtube/v3/commentThreads
  /bilibili/x/web-interface/view  /bilibili/x/v2/reply  /bilibili/x/v2/reply/wbi/main
  /weibo/2/statuses/count.json  /weibo/2/statuses/show.json  /weibo/2/comments/show.json
  /douyin/api/douyin/v1/video/video_data/ (POST)  /douyin/item/comment/list/
  /kuaishou/openapi/photo/info  /kuaishou/openapi/photo/list
  /xiaohongshu/api/sns/web/v1/feed (POST)  /xiaohongshu/api/sns/web/v2/comment/page
  /tiktok/v2/video/query/  /tiktok/v2/research/video/query/  /tiktok/v2/research/video/comment/list/
  /instagram/{media-id}[/insights|/comments]   /{platform}/export?format=csv|json
  tokens: /tiktok/v2/oauth/token/ (POST)  /douyin/oauth/refresh_token/ (POST)  /kuaishou/oauth2/refresh_token
Control:
  GET /_sim/truth  POST /_sim/advance?hours=N  GET|POST|DELETE /_sim/faults
  GET /_sim/campaign  GET|POST /_sim/clock?set=&speed=  GET /_sim/health

\b
Faults (--fault, repeatable): platform:kind[:key=value,...]
  kinds: rate_limit server_error slow truncated html expired_token risk_control quota
  trigger: count=N | probability=P,seed=S | start=ISO,end=ISO   (exactly one)
  e.g. bilibili:risk_control:count=3,code=-412   youtube:quota:start=2025-09-10T00:00:00Z
--faults FILE takes a YAML/JSON list of the same fields.

\b
Examples:
  tracker simulate                                  # 200 posts, seed 7, 60x time
  tracker simulate --write-campaign deploy/demo/campaign.yaml
  tracker simulate --write-accounts accounts.yaml  # owner-only APIs: a token per creator
  tracker simulate --speed 0 --port 0 --export-truth truth.json   # truth again on exit
  tracker simulate --no-serve --export-truth truth.json
"""


class Finite(click.FloatRange):
    """A FloatRange that also refuses nan and inf (which every range comparison lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An ISO time option as an aware UTC datetime; --campaign-start auto = 7 days before today (UTC),
    so that the demo's clock starts today."""
    from tracker.simulate.clock import parse_time

    if value is None:
        return None
    if value == "auto" and param.name == "campaign_start":
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
    try:
        return parse_time(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time such as 2025-09-01T00:00:00Z", ctx, param) from None


def _campaign_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    from tracker.simulate.registry import SUFFIXES

    if value is not None and value.suffix.lower() not in SUFFIXES:
        raise click.BadParameter(f"{value}: the campaign file is YAML or JSON, named *{', *'.join(SUFFIXES)}",
                                 ctx, param)
    return value


def _faults(texts: tuple[str, ...], path: Path | None) -> list[FaultSpec]:
    """The specs of --fault and --faults, each checked; a bad one is a usage error naming its option."""
    from tracker.errors import TrackerError
    from tracker.registry.reader import named, read
    from tracker.simulate.control import validate
    from tracker.simulate.faults import parse_fault, spec_from_dict

    specs = []
    for text in texts:
        try:
            spec = parse_fault(text)
            validate(spec)
        except ValueError as exc:
            raise click.BadParameter(f"{text}: {exc}", param_hint="--fault") from None
        specs.append(spec)
    if path is None:
        return specs
    try:
        doc = read(path)
    except TrackerError as exc:
        raise click.BadParameter(named(path, exc), param_hint="--faults") from None
    if doc.kind != "table":
        raise click.BadParameter(f"{path}: expected a list of faults (platform, kind, trigger…), got a mapping",
                                 param_hint="--faults")
    for row in doc.rows:
        try:
            if "__invalid__" in row.values:
                raise ValueError("expected a mapping of fault fields (platform, kind, trigger…)")
            if row.problem:
                raise ValueError(row.problem)
            spec = spec_from_dict(row.values)
            validate(spec)
        except ValueError as exc:
            raise click.BadParameter(f"{path}: {row.label()}: {exc}", param_hint="--faults") from None
        specs.append(spec)
    return specs


@click.command(epilog=EPILOG)
@click.option("--posts", type=int, default=None, help="Posts in the population [TRACKER_SIMULATOR_POSTS, 200].")
@click.option("--seed", type=int, default=None, help="Seed: same seed, same population and truth [TRACKER_SIMULATOR_SEED, 7].")
@click.option("--speed", type=Finite(min=0), default=None,
              help="Simulated seconds per real second; 0 freezes the clock (move it with POST /_sim/advance) "
                   "[TRACKER_SIMULATOR_SPEED, 60].")
@click.option("--host", default=None, help="Bind address [TRACKER_SIMULATOR_HOST, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port; 0 picks a free one [TRACKER_SIMULATOR_PORT, 8765].")
@click.option("--campaign-start", default="2025-09-01T00:00:00Z", show_default=True, callback=_time,
              help="UTC start of the campaign the population is anchored to; 'auto' = 7 days before today.")
@click.option("--start", "start", default=None, callback=_time,
              help="Clock start (ISO time, UTC) [campaign start + 7 days].")
@click.option("--export-truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the ground truth JSON here at start, and again on exit with the faults injected.")
@click.option("--write-campaign", type=click.Path(dir_okay=False, path_type=Path), default=None,
              callback=_campaign_path,
              help="Write the campaign file (the `tracker posts import` layout; JSON if it ends in .json, "
                   "else YAML) for this population.")
@click.option("--write-accounts", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Answer as the owner-only APIs do (Douyin, TikTok Display, Kuaishou and Instagram read only the "
                   "videos of the account that authorised the token) and write every simulated creator's token "
                   "here: the TRACKER_ACCOUNTS_FILE of a collector reading this simulator.")
@click.option("--fault", "fault_texts", multiple=True, help="Configure a fault at start (see below); repeatable.")
@click.option("--faults", "faults_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML/JSON list of faults to configure at start.")
@click.option("--serve/--no-serve", default=None,
              help="Serve HTTP; default: serve, except after --write-campaign (which writes and exits).")
def simulate(posts: int | None, seed: int | None, speed: float | None, host: str | None, port: int | None,
             campaign_start: datetime, start: datetime | None, export_truth: Path | None, write_campaign: Path | None,
             write_accounts: Path | None, fault_texts: tuple[str, ...], faults_file: Path | None,
             serve: bool | None) -> None:
    """Serve a synthetic KOL campaign (tenants, creators across tiers, posts on nine platforms,
    heating nodes) over HTTP in each platform's own response and error formats, on a virtual
    clock: counters are cumulative counts up to the clock's time, so a test can move 30 days
    ahead instantly and the demo can play time faster than real time.

    The ground truth (true hourly curves, every pulse's onset, peak, half-life, incremental
    engagements and decay start, takedowns, step jumps, corrections, comment counts, every
    injected fault) is at GET /_sim/truth and, with --export-truth, in a file.
    """
    from tracker.simulate.registry import write_campaign as write_campaign_file
    from tracker.simulate.simulation import Simulation

    cfg = Settings()
    posts = cfg.simulator_posts if posts is None else posts
    seed = cfg.simulator_seed if seed is None else seed
    speed = cfg.simulator_speed if speed is None else speed
    if posts < 1:
        raise click.BadParameter("must be at least 1", param_hint="--posts")
    specs = _faults(fault_texts, faults_file)
    try:
        sim = Simulation.build(seed, posts, campaign_start, start, speed)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    for spec in specs:
        sim.faults.add(spec)
    if write_campaign is not None:
        click.echo(f"campaign file: {write_campaign_file(sim.population, write_campaign)}", err=True)
    if write_accounts is not None:
        from tracker.simulate.owners import write_accounts as write_accounts_file

        sim.owners.enforced = True
        click.echo(f"accounts file: {write_accounts_file(sim.population, write_accounts)} (TRACKER_ACCOUNTS_FILE; "
                   "each creator's token reads its own videos alone)", err=True)
    if export_truth is not None:
        export_truth.parent.mkdir(parents=True, exist_ok=True)
        export_truth.write_bytes(sim.truth_json())
        click.echo(f"truth: {export_truth}", err=True)
    if serve is None:
        serve = write_campaign is None
    if serve:
        asyncio.run(_serve(sim, host or cfg.simulator_host, cfg.simulator_port if port is None else port,
                           export_truth))


async def _serve(sim, host: str, port: int, export_truth: Path | None) -> None:
    from tracker.simulate.clock import iso
    from tracker.simulate.server import start

    runner, url = await start(sim, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    click.echo(f"tracker simulator: {len(sim.population.posts)} posts, seed {sim.population.seed}, "
               f"clock {iso(sim.clock.now())} at {sim.clock.speed:g}x; Ctrl-C stops", err=True)
    click.echo(f"truth: {url}/_sim/truth   campaign: {url}/_sim/campaign", err=True)
    click.echo(url)  # the only line on stdout: URL=$(tracker simulate ... | head -1)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if export_truth is not None:
            export_truth.write_bytes(sim.truth_json())
            click.echo(f"truth (with {len(sim.faults.log)} injected faults): {export_truth}", err=True)
