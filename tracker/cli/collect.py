"""``tracker collect``: keep every tracked post fresh (the collectors alone)."""

from __future__ import annotations

import asyncio

import click

from tracker.cli.runtime import LOGLEVEL, check_ports, web_listeners
from tracker.settings import Settings

EPILOG = """\b
Where the posts come from: the registry topics (tracker.posts.v1, tracker.heating.v1),
filled by `tracker posts import` and `tracker heat`. Several `tracker collect`
processes split the posts between them (one consumer group, by partition).

\b
Configuration (see `tracker settings`):
  TRACKER_COLLECT_SIMULATOR_URL   read every platform from the simulator (demo, tests)
  TRACKER_COLLECT_LIMITS          {"youtube": {"daily_quota": 10000, "rate_per_second": 5}}
  TRACKER_COLLECT_BASE_URLS       {"xiaohongshu": "https://provider.example"}
  TRACKER_COLLECT_SOURCES         {"wechat_channels": "export"}
  TRACKER_COLLECT_CADENCE         [[6, 15], [24, 30], [72, 60], [168, 180], [720, 360]]
  TRACKER_ACCOUNTS_FILE           each creator's token on Douyin, Kuaishou, TikTok, Instagram,
                                  which read only the authorising account's videos
  TRACKER_<PLATFORM>_* tokens     never printed or logged

\b
Examples:
  tracker collect --plan          # what would be refreshed, how often, within which quota
  tracker collect                 # run; /metrics on TRACKER_WEB_PORT
"""


@click.command(epilog=EPILOG)
@click.option("--plan", is_flag=True, help="Load the registry, print the collection plan and exit.")
@click.option("--loglevel", type=LOGLEVEL, default="info", show_default=True, help="Log level.")
def collect(plan: bool, loglevel: str) -> None:
    """Refresh every tracked post on every platform, at a cadence that follows its age
    and heating, within each platform's quota and rate limits; produce snapshots and
    comments to Kafka."""
    settings = Settings()
    if plan:
        click.echo(asyncio.run(_plan(settings)))
        return
    import mode

    from tracker.broker.reach import require_broker
    from tracker.collect.service import CollectorService
    from tracker.ops.web import WebService, metrics_app

    check_ports(web_listeners(settings, read_endpoint=False))
    require_broker(settings.kafka_bootstrap)  # once running, the collectors retry as before
    service = CollectorService(settings)

    def health() -> dict[str, object]:
        c = service.collection
        return {"posts": len(c.scheduler) if c else 0,
                "refreshed": c.collector.refreshed if c and c.collector else 0}

    web = WebService([(metrics_app(health), settings.web_host, settings.web_port)])
    click.echo(f"tracker collect: metrics on http://{settings.web_host}:{settings.web_port}/metrics", err=True)
    mode.Worker(service, web, loglevel=loglevel, quiet=True).execute_from_commandline()


async def _plan(settings: Settings) -> str:
    from tracker.collect.feed import RegistryFeed
    from tracker.collect.plan import render
    from tracker.collect.platforms import adapter_for
    from tracker.collect.service import Collection

    collection = Collection(settings, group=False)
    await collection.clock.start()
    feed: RegistryFeed = collection.feed
    try:
        await feed.start()
        runner = asyncio.create_task(feed.run())
        try:
            await asyncio.wait_for(feed.loaded.wait(), 120)
        except TimeoutError:
            raise click.ClickException("the registry did not load within 120 s; is Kafka up?") from None
        finally:
            runner.cancel()
        adapters = {name: adapter_for(cfg) for name, cfg in collection.configs.items()}
        comments = ((settings.collect_comment_every_hours, settings.collect_comment_max_pages)
                    if settings.collect_comments else None)
        return render(collection.scheduler, collection.configs, adapters, collection.clock.now(),
                      collection.clock.label, comments=comments, skipped=collection.skipped)
    finally:
        await feed.stop()
        await collection.clock.stop()
