"""Services for benchmarks: a private Kafka node on a free port, torn down after."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tracker.broker.node import KafkaNode, free_port
from tracker.broker.topics import create_topics
from tracker.settings import Settings


@contextlib.contextmanager
def kafka_node() -> Iterator[tuple[str, Path]]:
    """(bootstrap, scratch dir) of a Kafka node that lives for the with-block."""
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        root = Path(tmp)
        node = KafkaNode(data_dir=root / "kafka", cache_dir=Settings().cache_dir, port=free_port(),
                         controller_port=free_port())
        node.start(timeout_s=120)
        try:
            yield node.bootstrap, root
        finally:
            node.stop()


def make_topics(bootstrap: str, prefix: str, partitions: int = 4) -> None:
    asyncio.run(create_topics(bootstrap, partitions, prefix))


_ENGINE_DIR: Path | None = None


def engine_url() -> str:
    """The one embedded-engine path this bench process may use (chDB: one path per process)."""
    global _ENGINE_DIR
    if _ENGINE_DIR is None:
        _ENGINE_DIR = Path(tempfile.mkdtemp(prefix="tracker-bench-engine-"))
        atexit.register(shutil.rmtree, _ENGINE_DIR, ignore_errors=True)  # the 100M bench leaves GBs
    return f"chdb://{_ENGINE_DIR}"
