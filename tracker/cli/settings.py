"""``tracker settings``: the effective configuration, secrets masked."""

from __future__ import annotations

import json

import click
from pydantic import SecretStr

from tracker.settings import Settings


def markdown_table() -> str:
    """The configuration table of the README: variable, default, meaning."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            default = default.get_secret_value()
        if isinstance(default, (list, tuple, dict)):  # as the environment variable takes it
            shown = json.dumps(default, ensure_ascii=False)
        else:
            shown = "" if default is None else str(default)
        if name == "cache_dir":
            shown = "~/.cache/tracker"
        lines.append(f"| `TRACKER_{name.upper()}` | `{shown}` | {field.description or ''} |")
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON instead of a table.")
@click.option("--markdown", is_flag=True, help="Print the documented variables as a Markdown table.")
def settings(as_json: bool, markdown: bool) -> None:
    """Print the effective settings; secrets are masked."""
    if markdown:
        click.echo(markdown_table())
        return
    current = Settings()
    values = current.masked()
    if as_json:
        click.echo(json.dumps(values, indent=2, default=str))
        return
    if current.clickhouse_url is None:  # the store in use is derived, not "None"
        relative = "" if current.data_dir.is_absolute() else ", relative to the current folder"
        values["clickhouse_url"] = f"{current.store_url} (unset; derived from TRACKER_DATA_DIR{relative})"
    if current.bootstrap_derived:
        values["kafka_bootstrap"] = f"{current.kafka_bootstrap} (unset; derived from TRACKER_BROKER_PORT)"
    width = max(len(k) for k in values)
    for key, value in values.items():
        click.echo(f"{key.ljust(width)}  {value}")
