"""``tracker broker``: the local Apache Kafka node."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.broker.node import KafkaNode
from tracker.errors import ConfigError
from tracker.settings import Settings


def node_from(settings: Settings, port: int | None = None, data_dir: Path | None = None) -> KafkaNode:
    """The KafkaNode described by settings, with command-line overrides."""
    return KafkaNode(
        data_dir=(data_dir or settings.data_dir / "broker").resolve(),
        cache_dir=settings.cache_dir,
        port=port or settings.broker_port,
        version=settings.kafka_version,
        heap=settings.kafka_heap,
    )


_port = click.option("--port", type=int, default=None, help="Client port on 127.0.0.1 (default TRACKER_BROKER_PORT, 9092).")
_dir = click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                    help="Broker state directory (default <TRACKER_DATA_DIR>/broker).")


@click.group()
def broker() -> None:
    """Run one local Apache Kafka node (broker + controller, KRaft) for the
    embedded topology. Jars come from Maven Central on first start and are
    cached under TRACKER_CACHE_DIR."""


@broker.command()
@_port
@_dir
@click.option("--timeout", type=float, default=90.0, show_default=True, help="Seconds to wait until it answers.")
def start(port: int | None, data_dir: Path | None, timeout: float) -> None:
    """Start the node (idempotent) and print its bootstrap address."""
    node = node_from(Settings(), port, data_dir)
    try:
        already = node.pid() is not None
        click.echo(f"{'kafka already running' if already else 'starting kafka'} {node.version} "
                   f"in {node.data_dir} (log: {node.log_file})", err=True)
        bootstrap = node.start(timeout_s=timeout)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(bootstrap)


@broker.command()
@_port
@_dir
def stop(port: int | None, data_dir: Path | None) -> None:
    """Stop the node cleanly."""
    node = node_from(Settings(), port, data_dir)
    click.echo("kafka stopped" if node.stop() else "kafka was not running")


@broker.command()
@_port
@_dir
def status(port: int | None, data_dir: Path | None) -> None:
    """Print running / starting / stopped; exit 1 unless running."""
    node = node_from(Settings(), port, data_dir)
    state = node.status()
    click.echo(f"{state} {node.bootstrap if state != 'stopped' else ''}".rstrip())
    if state != "running":
        raise SystemExit(1)
