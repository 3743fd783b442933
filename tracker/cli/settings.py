"""``tracker settings``: the effective configuration, secrets masked."""

from __future__ import annotations

import json

import click

from tracker.settings import Settings


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON instead of a table.")
def settings(as_json: bool) -> None:
    """Print the effective settings; secrets are masked."""
    values = Settings().masked()
    if as_json:
        click.echo(json.dumps(values, indent=2, default=str))
        return
    width = max(len(k) for k in values)
    for key, value in values.items():
        click.echo(f"{key.ljust(width)}  {value}")
