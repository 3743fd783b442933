"""Faults on demand: what to break, for which requests, and the record of each break.

A ``FaultSpec`` names a platform ("*" = all), a kind, one trigger and optional
filters. Triggers (exactly one):

- ``count=N``: the next N matching requests;
- ``probability=p`` (with ``seed``): each matching request, drawn from the
  spec's own ``random.Random(seed)``, so a fixed request sequence faults the
  same requests every run;
- ``start``/``end``: every matching request whose *simulated* time is in
  [start, end) (either bound may be open).

Filters: ``path`` (a substring of the request path, e.g. "comment"). The first
spec, in configuration order, whose filters match and whose trigger fires
decides the response. Every injected fault is appended to ``FaultBook.log``.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from tracker.simulate.clock import iso, parse_time

KINDS = ("rate_limit", "server_error", "slow", "truncated", "html", "expired_token", "risk_control", "quota")
DEFAULT_STATUS = {"rate_limit": 429, "html": 502}  # server_error: each platform's own 5xx


@dataclass
class FaultSpec:
    """One configured fault. Kind parameters: ``retry_after`` (s, rate_limit), ``status``
    (rate_limit, server_error, html), ``delay`` (real seconds, slow), ``code`` (variant of
    risk_control: Bilibili -352/-412, Xiaohongshu 300012/461)."""

    platform: str
    kind: str
    count: int | None = None
    probability: float | None = None
    seed: int = 0
    start: datetime | None = None
    end: datetime | None = None
    path: str | None = None
    retry_after: int = 30
    status: int | None = None
    delay: float = 2.0
    code: int | None = None
    id: str = ""
    remaining: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        windowed = self.start is not None or self.end is not None
        if sum((self.count is not None, self.probability is not None, windowed)) != 1:
            raise ValueError("a fault needs exactly one trigger: count, probability, or start/end")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise ValueError("probability must be in [0, 1]")
        self.start = _moment(self.start, "start")
        self.end = _moment(self.end, "end")
        self.remaining = self.count
        self._rng = random.Random(self.seed)

    @property
    def http_status(self) -> int | None:
        """The status this fault answers with, when the kind fixes one."""
        return self.status or DEFAULT_STATUS.get(self.kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO text)."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        for key in ("start", "end"):
            if key in out:
                out[key] = iso(out[key])
        return out

    def fires(self, platform: str, path: str, now: datetime) -> bool:
        """Whether this spec faults this request (consumes count or a random draw)."""
        if self.platform not in ("*", platform) or (self.path and self.path not in path):
            return False
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True
        if self.probability is not None:
            return self._rng.random() < self.probability
        return (self.start is None or now >= self.start) and (self.end is None or now < self.end)


@dataclass(frozen=True)
class FaultRecord:
    """One faulted request."""

    fault_id: str
    platform: str
    kind: str
    path: str
    sim_time: str
    seq: int  # request number on the simulator (all platforms), from 1
    status: int


class FaultBook:
    """Configured faults and the log of every injection; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.specs: list[FaultSpec] = []
        self.log: list[FaultRecord] = []
        self.requests = 0
        self._added = 0

    def add(self, spec: FaultSpec) -> FaultSpec:
        """Configure one more fault; assigns its id (f1, f2… never reused)."""
        with self._lock:
            self._added += 1
            spec.id = spec.id or f"f{self._added}"
            self.specs.append(spec)
            return spec

    def clear(self) -> None:
        """Remove every configured fault (the log stays)."""
        with self._lock:
            self.specs.clear()

    def match(self, platform: str, path: str, now: datetime,
              kinds: frozenset[str] | None = None) -> tuple[FaultSpec | None, int]:
        """The fault for this request, if any, and the request's sequence number.

        ``kinds``: the kinds this endpoint can express; other specs are not consulted
        (and consume nothing), e.g. a risk-control spec never fires on an export.
        """
        with self._lock:
            self.requests += 1
            for spec in self.specs:
                if kinds is not None and spec.kind not in kinds:
                    continue
                if spec.fires(platform, path, now):
                    return spec, self.requests
            return None, self.requests

    def record(self, spec: FaultSpec, platform: str, path: str, now: datetime, seq: int, status: int) -> None:
        """Log one injected fault."""
        with self._lock:
            self.log.append(FaultRecord(spec.id, platform, spec.kind, path, iso(now), seq, status))

    def export(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(configured specs, injection log) as JSON-ready lists."""
        with self._lock:
            return [s.to_dict() for s in self.specs], [asdict(r) for r in self.log]


def parse_fault(text: str) -> FaultSpec:
    """A spec from the CLI form ``platform:kind[:key=value,...]``.

    Example: ``bilibili:risk_control:count=3,code=-412``.
    """
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise ValueError(f"fault {text!r}: expected platform:kind[:key=value,...]")
    kwargs: dict[str, Any] = {}
    if len(parts) == 3 and parts[2]:
        for item in parts[2].split(","):
            key, _, value = item.partition("=")
            kwargs[key.strip()] = value.strip()
    return spec_from_dict({"platform": parts[0], "kind": parts[1], **kwargs})


NUMBERS: dict[str, type] = {"count": int, "probability": float, "seed": int, "retry_after": int, "status": int,
                            "delay": float, "code": int}
"""The numeric fault fields and their type; text such as "3" is coerced."""


def spec_from_dict(data: dict[str, Any]) -> FaultSpec:
    """A spec from JSON/YAML data, coercing numbers given as text; ValueError names the bad field."""
    unknown = set(data) - set(NUMBERS) - {"platform", "kind", "start", "end", "path", "id"}
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    missing = [k for k in ("platform", "kind") if not data.get(k)]
    if missing:
        raise ValueError(f"a fault needs {' and '.join(missing)}")
    clean: dict[str, Any] = {k: (_number(k, v) if k in NUMBERS and v is not None else v) for k, v in data.items()}
    return FaultSpec(**clean)


def _number(key: str, value: Any) -> int | float:
    kind = NUMBERS[key]
    try:
        if isinstance(value, bool):
            raise TypeError
        number = kind(value)
        if not math.isfinite(number):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        expected = "a whole number" if kind is int else "a finite number"
        raise ValueError(f"fault {key}: expected {expected} (got {value!r:.30})") from None
    return number


def _moment(value: Any, key: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"fault {key}: expected an ISO time such as 2025-09-10T00:00:00Z (got {value!r:.40})") from None
