"""``tracker worker``: the Faust stream worker with /metrics and, when it owns the
embedded store, the read endpoint."""

from __future__ import annotations

import click

from tracker.cli.runtime import LOGLEVEL, run_services


@click.command()
@click.option("--loglevel", type=LOGLEVEL, default="info", show_default=True, help="Faust/tracker log level.")
def worker(loglevel: str) -> None:
    """Consume posts, heating and snapshots; keep per-post state; upsert rows
    into ClickHouse; reject bad messages to the DLQ. Scale out by running one
    per partition group (same TRACKER_KAFKA_BOOTSTRAP, same topics)."""
    run_services(loglevel=loglevel, collectors=False)
