"""Fault specs fire exactly as configured and every firing is recorded."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tracker.simulate.control import validate
from tracker.simulate.faults import FaultBook, FaultSpec, parse_fault, spec_from_dict

T0 = datetime(2025, 9, 8, tzinfo=UTC)


def _fired(book: FaultBook, n: int, platform: str = "youtube", path: str = "/youtube/v3/videos",
           now: datetime = T0, step: timedelta = timedelta(0)) -> list[int]:
    out = []
    for i in range(n):
        spec, _ = book.match(platform, path, now + i * step)
        if spec is not None:
            out.append(i)
    return out


def test_count_fires_on_the_next_n_matching_requests() -> None:
    book = FaultBook()
    book.add(FaultSpec("youtube", "quota", count=3))
    assert _fired(book, 2, platform="bilibili", path="/bilibili/x") == []
    assert _fired(book, 10) == [0, 1, 2]


def test_probability_is_reproducible_from_its_seed() -> None:
    book = FaultBook()
    book.add(FaultSpec("youtube", "server_error", probability=0.3, seed=42))
    rng = random.Random(42)
    expected = [i for i in range(200) if rng.random() < 0.3]
    assert _fired(book, 200) == expected and 30 < len(expected) < 90


def test_window_uses_simulated_time() -> None:
    book = FaultBook()
    book.add(FaultSpec("*", "html", start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=5)))
    assert _fired(book, 8, step=timedelta(hours=1)) == [2, 3, 4]


def test_path_filter_and_first_match_wins() -> None:
    book = FaultBook()
    book.add(FaultSpec("youtube", "rate_limit", count=1, path="commentThreads"))
    book.add(FaultSpec("youtube", "slow", count=1))
    spec, _ = book.match("youtube", "/youtube/v3/videos", T0)
    assert spec is not None and spec.kind == "slow"
    spec, _ = book.match("youtube", "/youtube/v3/commentThreads", T0)
    assert spec is not None and spec.kind == "rate_limit"


def test_kinds_an_endpoint_cannot_express_consume_nothing() -> None:
    book = FaultBook()
    book.add(FaultSpec("bilibili", "risk_control", count=1))
    assert book.match("bilibili", "/bilibili/export", T0, frozenset({"html"}))[0] is None
    assert book.match("bilibili", "/bilibili/x/v2/reply", T0, frozenset({"risk_control"}))[0] is not None


def test_records_and_export() -> None:
    book = FaultBook()
    spec = book.add(FaultSpec("tiktok", "expired_token", count=1))
    got, seq = book.match("tiktok", "/tiktok/v2/video/query/", T0)
    assert got is spec
    book.record(spec, "tiktok", "/tiktok/v2/video/query/", T0, seq, 401)
    specs, log = book.export()
    assert specs[0]["id"] == "f1" and specs[0]["remaining"] == 0
    assert log == [{"fault_id": "f1", "platform": "tiktok", "kind": "expired_token",
                    "path": "/tiktok/v2/video/query/", "sim_time": "2025-09-08T00:00:00Z", "seq": 1, "status": 401}]


def test_specs_are_validated() -> None:
    with pytest.raises(ValueError, match="exactly one trigger"):
        FaultSpec("youtube", "quota")
    with pytest.raises(ValueError, match="exactly one trigger"):
        FaultSpec("youtube", "quota", count=1, probability=0.5)
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultSpec("youtube", "meteor", count=1)
    with pytest.raises(ValueError, match="cannot express"):
        validate(FaultSpec("youtube", "risk_control", count=1))
    with pytest.raises(ValueError, match="unknown platform"):
        validate(FaultSpec("myspace", "html", count=1))
    with pytest.raises(ValueError, match="unknown fault fields"):
        spec_from_dict({"platform": "youtube", "kind": "quota", "count": 1, "colour": "red"})


def test_cli_form() -> None:
    spec = parse_fault("bilibili:risk_control:count=3,code=-412")
    assert (spec.platform, spec.kind, spec.count, spec.code) == ("bilibili", "risk_control", 3, -412)
    spec = parse_fault("youtube:quota:start=2025-09-10T00:00:00Z")
    assert spec.start == datetime(2025, 9, 10, tzinfo=UTC) and spec.end is None
