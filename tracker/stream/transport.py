"""A Faust Kafka transport whose producer is idempotent with ``acks=all``.

faust-streaming turns idempotence on only in exactly-once mode; tracker wants it
for every message it writes (changelog, DLQ, alerts) in at-least-once mode too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka

SCHEME = "trackerkafka"


class IdempotentProducer(faust_aiokafka.Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        return {"acks": "all", "enable_idempotence": True}


class Transport(faust_aiokafka.Transport):
    Producer = IdempotentProducer


drivers.TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"


def broker_url(bootstrap: str) -> str:
    """Faust broker URL(s) for a comma-separated bootstrap list."""
    return ";".join(f"{SCHEME}://{hostport.strip()}" for hostport in bootstrap.split(","))
