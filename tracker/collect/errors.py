"""What can go wrong when a platform is asked for data, and what each answer means.

Every adapter turns a platform's answer (HTTP status, in-body error code,
unparseable body) into one of these; ``http.PlatformHttp`` decides from the class
alone whether to retry, pause the platform, stop for the day or give up:

- ``Retryable`` (``RateLimited``, ``ServerError``, ``Timeout``, ``NetworkError``,
  ``InvalidResponse``): try again with backoff (RateLimited: after Retry-After);
- ``QuotaExhausted``: the platform's budget is spent until it resets; stop asking;
- ``RiskControl``: a risk-control or captcha answer: back off for a long while and
  report it. tracker never tries to get around one;
- ``AuthFailed``: credentials missing, expired or rejected: the operator must act. On an
  owner-only API it holds that account alone (``AccountHeld``), never the platform, unless the
  account's token could be renewed (``TokenRenewed``: asked again at once). ``RefreshRefused``:
  a token endpoint refused a grant (a refresh token expired or revoked, or the app's credentials);
- ``Rejected``: the platform refused this request (bad parameters); not retried.
  ``CursorRejected``: a stale comment cursor; comment reading drops it and starts over.
"""

from __future__ import annotations

from tracker.errors import TrackerError


class CollectError(TrackerError):
    """A platform request that did not yield data; ``outcome`` is its metric label."""

    outcome = "error"

    def __init__(self, message: str, *, code: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Retryable(CollectError):
    """Temporary: the same request may succeed later."""


class RateLimited(Retryable):
    """Too many requests; ``retry_after`` seconds when the platform said so."""

    outcome = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, code: object = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ServerError(Retryable):
    outcome = "server_error"


class Timeout(Retryable):
    outcome = "timeout"


class NetworkError(Retryable):
    outcome = "network"


class InvalidResponse(Retryable):
    """A body that fails validation (truncated, HTML, missing fields): an error, never a snapshot."""

    outcome = "invalid"


class QuotaExhausted(CollectError):
    """The platform's budget is spent; ``retry_after`` seconds until it resets, when known."""

    outcome = "quota"

    def __init__(self, message: str, *, retry_after: float | None = None, code: object = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class RiskControl(CollectError):
    """Risk control or a captcha: back off and report; never evade."""

    outcome = "risk_control"


class AuthFailed(CollectError):
    """Credentials missing, expired or rejected."""

    outcome = "auth"


class AccountHeld(AuthFailed):
    """The account a request would be sent with was refused a moment ago (its token expired or
    revoked): nothing was sent. The platform's other accounts go on."""


class NoAccount(AuthFailed):
    """No account may read this post: its creator has no entry in TRACKER_ACCOUNTS_FILE and the
    platform has no platform-wide token. Nothing was sent."""


class RefreshRefused(AuthFailed):
    """A token endpoint refused a grant: the refresh token expired, was rotated away or revoked
    (the creator must authorise the app again), or, with ``client``, the app's own credentials
    (a setting to fix). Retrying the same grant cannot help."""

    def __init__(self, message: str, *, code: object = None, client: bool = False) -> None:
        super().__init__(message, code=code)
        self.client = client


class TokenRenewed(CollectError):
    """The platform refused an account's token and the collector renewed it: nothing was read,
    and the same posts are asked again at once with the renewed token. Not a failure."""

    outcome = "renewed"


class Rejected(CollectError):
    """The platform refused the request itself (bad parameters, no permission for it)."""

    outcome = "rejected"


class CursorRejected(Rejected):
    """The platform refused a paging cursor it once gave (expired or invalid page token): the
    cursor is worth nothing now; read again from the first page."""


class CircuitOpen(CollectError):
    """The platform's breaker is open: no request was sent."""

    outcome = "circuit_open"
