"""Whether Kafka answers, and the one message every command gives when it does not.

One-shot commands start their clients with ``start_client``: when Kafka does not
answer, the client is closed (so aiokafka warns of no "Unclosed AIOKafka…" object
later) and ``BrokerUnavailable`` says where Kafka was expected and what to do.
Long-running services (``tracker run``, ``worker``, ``notify``, ``collect``) call
``require_broker`` once before they start; once running, their clients retry as
they always did.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from tracker.errors import BrokerUnavailable


class _Drop(logging.Filter):
    """Drops the records whose message starts with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


_DROP_UNCLOSED = _Drop("Unclosed AIOKafka")
_DROP_BOOTSTRAP = _Drop("Unable connect to \"")


def unreachable(bootstrap: str) -> BrokerUnavailable:
    """The error of a Kafka that does not answer at ``bootstrap``."""
    return BrokerUnavailable(f"Kafka at {bootstrap} is not reachable; start it (tracker broker start) "
                             "or set TRACKER_KAFKA_BOOTSTRAP")


async def start_client(client: Any, bootstrap: str) -> None:
    """``await client.start()`` of an aiokafka producer, consumer or admin client; when
    Kafka does not answer, close the client and raise ``BrokerUnavailable``."""
    from aiokafka.errors import KafkaConnectionError

    client_log = logging.getLogger("aiokafka")  # its "Unable connect to" line would repeat the error
    client_log.addFilter(_DROP_BOOTSTRAP)
    try:
        await client.start()
    except KafkaConnectionError as exc:
        close = getattr(client, "stop", None) or client.close
        with contextlib.suppress(Exception):
            await close()
        raise unreachable(bootstrap) from exc
    finally:
        client_log.removeFilter(_DROP_BOOTSTRAP)


def require_broker(bootstrap: str) -> None:
    """Raise ``BrokerUnavailable`` unless a metadata request to ``bootstrap`` succeeds."""
    from tracker.broker.node import broker_answers

    if not broker_answers(bootstrap):
        raise unreachable(bootstrap)


def forget_unstarted_clients() -> None:
    """Silence asyncio's "Unclosed AIOKafka…" reports (logged when a client whose start
    failed is garbage-collected; it holds no connection). For a command that is ending
    because Kafka did not answer, where that client was started outside ``start_client``."""
    logging.getLogger("asyncio").addFilter(_DROP_UNCLOSED)  # adding it twice keeps one
