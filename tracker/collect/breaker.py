"""A circuit breaker per platform: stop hammering a platform that keeps failing.

Closed: requests flow; ``failures`` consecutive failures open it. Open: no request
for ``cooldown`` seconds (real time), doubled after every failed probe up to
``max_cooldown``. Then half-open: one probe request; success closes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    """Consecutive-failure breaker; thread-unsafe, used on one event loop."""

    def __init__(self, failures: int = 5, cooldown: float = 30.0, max_cooldown: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.base_cooldown = cooldown
        self.max_cooldown = max(cooldown, max_cooldown)
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.cooldown = cooldown
        self.probing = False
        self.trips = 0

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() >= self.opened_at + self.cooldown else "open"

    def wait_seconds(self) -> float:
        """Seconds until a request may be sent (0 when one may go now)."""
        if self.opened_at is None:
            return 0.0
        if self.probing:
            return max(0.5, self.cooldown / 10)
        return max(0.0, self.opened_at + self.cooldown - self.clock())

    def allow(self) -> bool:
        """Whether a request may go now; in half-open state only one probe at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.probing:
            self.probing = True
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probing = False
        self.cooldown = self.base_cooldown

    def settle(self) -> None:
        """A request ended with an answer that says nothing of the platform's health (a refused
        request, a spent quota): a probe that got one closes the breaker (the platform answered),
        else nothing changes. Left probing, the breaker would refuse every request for good."""
        if self.probing:
            self.success()

    def failure(self) -> None:
        self.failures += 1
        if self.opened_at is not None and self.probing:  # the probe failed: open longer
            self.cooldown = min(self.max_cooldown, self.cooldown * 2)
            self._open()
        elif self.opened_at is None and self.failures >= self.threshold:
            self._open()

    def trip(self, cooldown: float | None = None) -> None:
        """Open now (risk control, rejected credentials), for ``cooldown`` seconds if given."""
        if cooldown is not None:
            self.cooldown = max(self.cooldown, cooldown)
        self._open()

    def _open(self) -> None:
        self.opened_at = self.clock()
        self.probing = False
        self.trips += 1
