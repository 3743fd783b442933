"""``tracker run``: everything on one machine, one process."""

from __future__ import annotations

import click

from tracker.cli.runtime import run_services


@click.command()
@click.option("--loglevel", default="info", show_default=True, help="Log level.")
def run(loglevel: str) -> None:
    """Run the stream worker, the collectors, /metrics and /healthz, and the
    read-only ClickHouse HTTP endpoint over the embedded store, in one process.
    Expects a reachable Kafka (`tracker broker start`) with topics created."""
    run_services(loglevel=loglevel, collectors=True)
