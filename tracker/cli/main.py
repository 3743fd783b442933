"""The ``tracker`` command: a lazy group so ``--help`` stays fast.

Each entry maps a command name to ``module:attribute`` and its one-line help;
a command module is imported only when that command runs.
"""

from __future__ import annotations

import importlib
import logging

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
    "simulate": ("tracker.cli.simulate:simulate", "Serve a synthetic campaign in the platforms' own API formats (virtual clock)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

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

    Configuration comes from TRACKER_* environment variables (see
    `tracker settings`). On one machine, `make run` starts everything.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
