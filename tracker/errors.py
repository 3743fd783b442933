"""The error tree of tracker.

Three families, handled differently everywhere:

- ``RetryableError``: the world is temporarily unavailable (network, HTTP 429/5xx,
  the store refusing inserts, Kafka not answering). Retry with backoff; never drop data.
- ``InvalidInput``: a message, file row or response that does not satisfy its
  contract. It goes to the DLQ (or the import report) with its reason.
- ``ConfigError``: the operator must fix something (missing Java, port taken,
  bad URL). Fail fast with a message that says what to fix.

Whatever reaches the ``tracker`` command line unhandled is printed as one
``Error:`` line with exit status 1 (``tracker.cli.main``), never a traceback.
"""


class TrackerError(Exception):
    """Base of every error tracker raises on purpose."""


class RetryableError(TrackerError):
    """A temporary failure; the same call may succeed later."""


class StoreUnavailable(RetryableError):
    """The ClickHouse store refused or failed a call that may succeed later."""


class BrokerUnavailable(RetryableError):
    """Kafka did not answer at the configured bootstrap servers."""


class InvalidInput(TrackerError):
    """Input that violates its contract; carries a human-readable reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(TrackerError):
    """A configuration or environment problem the operator has to fix."""
