"""``tracker topics``: create and list tracker's Kafka topics."""

from __future__ import annotations

import asyncio

import click

from tracker.broker.topics import TOPICS, create_topics, describe_topics
from tracker.settings import Settings


@click.group()
def topics() -> None:
    """Create or list tracker's Kafka topics (keyed by post_id)."""


@topics.command()
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="Partitions per topic (default TRACKER_TOPIC_PARTITIONS).")
def create(partitions: int | None) -> None:
    """Create the missing topics with their settings (idempotent)."""
    s = Settings()
    created = asyncio.run(create_topics(s.kafka_bootstrap, partitions or s.topic_partitions, s.topic_prefix))
    for name in created:
        click.echo(f"created {name}")
    if not created:
        click.echo("all topics exist")


@topics.command("list")
def list_() -> None:
    """List tracker's topics with their partition counts."""
    s = Settings()
    present = asyncio.run(describe_topics(s.kafka_bootstrap, s.topic_prefix))
    for spec in TOPICS:
        name = s.topic(spec.name)
        parts = present.get(name)
        click.echo(f"{name:<28} {'missing' if parts is None else f'{parts} partitions':<14} {spec.purpose}")
