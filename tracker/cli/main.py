"""The ``tracker`` command: a lazy group so ``--help`` stays fast.

Each entry maps a command name to ``module:attribute`` and its one-line help;
a command module is imported only when that command runs.

Every command runs inside ``LazyGroup.invoke``, the one place where an ordinary
mistake becomes a one-line ``Error:`` (exit status 1) instead of a traceback: an
error of tracker's tree (``tracker.errors``), bad ``TRACKER_*`` values (one line
per variable) and a Kafka that does not answer. ``-vv`` logs the traceback too.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

# name -> (module:attribute, one-line help). Keep alphabetical within a block.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("tracker.cli.run:run", "Run everything on one machine: collectors, worker, web, read endpoint."),
    "worker": ("tracker.cli.worker:worker", "Run the stream worker: validate, keep post state, upsert rows, DLQ."),
    "broker": ("tracker.cli.broker:broker", "Start, stop or inspect the local Apache Kafka node (KRaft)."),
    "topics": ("tracker.cli.topics:topics", "Create or list tracker's Kafka topics."),
    "db": ("tracker.cli.db:db", "Migrate or inspect the ClickHouse store."),
    "sql": ("tracker.cli.sql:sql", "Run a read-only SQL query against the store."),
    "settings": ("tracker.cli.settings:settings", "Print the effective settings (secrets masked)."),
    "analyze": ("tracker.cli.analyze:analyze", "Analyze a snapshot file offline: curves, pulses, long tail, alerts."),
    "collect": ("tracker.cli.collect:collect", "Keep every tracked post fresh from the platforms (quota-aware); --plan shows how."),
    "posts": ("tracker.cli.posts:posts", "Import the campaign registry: posts, creators, campaigns, planned heating."),
    "heat": ("tracker.cli.heat:heat", "Record a heating node (DOU+, shutiao, ads) of a post."),
    "costs": ("tracker.cli.costs:costs", "Record extra cost lines of a campaign or post."),
    "snapshots": ("tracker.cli.snapshots:snapshots", "Import metric exports (platforms without an API) as snapshots."),
    "simulate": ("tracker.cli.simulate:simulate", "Serve a synthetic campaign in the platforms' own API formats (virtual clock)."),
    "notify": ("tracker.cli.notify:notify", "Deliver post alerts to Alertmanager and Slack/Feishu/DingTalk/WeCom digests."),
    "dashboards": ("tracker.cli.dashboards:dashboards", "Generate Grafana dashboards, datasources and alert rules (as code)."),
    "roi": ("tracker.cli.roi:roi", "Campaign ROI by platform, tier, creator, post or content form (n/a, never a false 0)."),
    "top": ("tracker.cli.top:top", "A campaign's best or worst posts by one metric."),
    "creators": ("tracker.cli.creators:creators", "The creator pool: rank, show and tag scorecards across campaigns."),
    "alerts": ("tracker.cli.alerts:alerts", "List post alerts (decaying, stalled, unavailable, suspicious)."),
    "dlq": ("tracker.cli.dlq:dlq", "What the worker set aside and why; send it again once the cause is fixed."),
    "curve": ("tracker.cli.curve:curve", "Draw a post's pulse heating curve (cumulative, velocity, pulses) as a PNG."),
    "report": ("tracker.cli.report:report", "Write the post-campaign report (结案报告) as XLSX and/or HTML."),
    "sales": ("tracker.cli.sales:sales", "Import orders and attribution keys (post id, link, promo code) for ROAS."),
    "tenants": ("tracker.cli.tenants:tenants", "Scope reader users to one tenant on a ClickHouse server (row policies)."),
}


class Problems(click.ClickException):
    """Several problems, printed as one ``Error:`` line each."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = list(lines)

    def format_message(self) -> str:
        return "\nError: ".join(self.lines)


def _kafka_bootstrap() -> str:
    from tracker.settings import Settings

    try:
        return Settings().kafka_bootstrap
    except Exception:  # noqa: BLE001 - the settings' own error was reported first if they were the cause
        return "TRACKER_KAFKA_BOOTSTRAP"


def explain(exc: BaseException) -> click.ClickException | None:
    """The one-line CLI error of an exception a command let through, or None for a bug."""
    from tracker.errors import TrackerError
    from tracker.settings import problems

    if isinstance(exc, TrackerError):
        return click.ClickException(getattr(exc, "reason", None) or str(exc))
    if isinstance(exc, Exception) and (lines := problems(exc, os.environ)):
        return Problems(lines)
    errors = sys.modules.get("aiokafka.errors")  # loaded if the exception can come from aiokafka
    if errors is not None and isinstance(exc, errors.KafkaConnectionError):
        from tracker.broker.reach import forget_unstarted_clients, unreachable

        forget_unstarted_clients()
        return click.ClickException(str(unreachable(_kafka_bootstrap())))
    return None


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            problem = explain(exc)
            if problem is None:
                raise
            logging.getLogger("tracker").debug("the error's traceback (shown with -vv)", exc_info=exc)
            raise problem from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="tracker")
def main(verbose: int) -> None:
    """tracker follows every placed KOL post as a stream: long tail, heating
    pulses, decaying-post alerts and campaign ROI.

    Configuration comes from TRACKER_* environment variables, or a .env
    file in the current folder (see `tracker settings`). On one machine,
    `make run` starts everything.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from tracker.settings import unknown_variables

    for warning in unknown_variables(os.environ):
        click.echo(f"warning: {warning}", err=True)
