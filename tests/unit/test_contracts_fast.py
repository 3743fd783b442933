"""The snapshot fast path gives exactly what ``decode`` gives: same message, same refusal."""

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.contracts import SNAPSHOTS, decode
from tracker.contracts.fast import decode_snapshot
from tracker.contracts.topics import SCHEMA_DIR
from tracker.errors import InvalidInput

EXAMPLES = sorted((SCHEMA_DIR / "examples" / SNAPSHOTS).glob("*/*.json"))
BASE = orjson.loads((SCHEMA_DIR / "examples" / SNAPSHOTS / "good" / "xiaohongshu_rounded_export.json").read_bytes())


def dumps(message: Any) -> bytes:
    """JSON with integers of any size (as a producer outside tracker may write)."""
    return json.dumps(message, allow_nan=False, ensure_ascii=False).encode()


def outcome(fn: Any, raw: bytes | None) -> tuple[str, Any]:
    try:
        return "ok", fn(raw)
    except InvalidInput as exc:
        return "rejected", exc.reason


def assert_same(raw: bytes | None) -> None:
    assert outcome(decode_snapshot, raw) == outcome(lambda r: decode(SNAPSHOTS, r), raw)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_example_decodes_or_is_refused_as_decode_does(path: Any) -> None:
    assert_same(path.read_bytes())


TIMESTAMPS = [
    "2026-11-01T00:00:00Z", "2026-11-01T00:00:00.123Z", "2026-11-01T00:00:00.123456Z",
    "2026-11-01T00:00:00.1234567Z", "2026-11-01t00:00:00z", "2026-11-01 00:00:00Z", "2026-11-01T00:00:00",
    "2026-11-01T00:00Z", "2026-11-01T00:00:60Z", "2026-11-01T24:00:00Z", "2026-02-30T00:00:00Z",
    "2026-11-01T00:00:00+08:00", "2026-11-01T00:00:00+0800", "2026-11-01T00:00:00-00:00",
    "2026-11-01T00:00:00+24:00", "2026-11-01T00:00:00+05:60", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "2026-11-01T00:00:00.999999+14:00", "",
]


@pytest.mark.parametrize("value", TIMESTAMPS)
@pytest.mark.parametrize("field", ["observed_at", "collected_at"])
def test_timestamps_parse_or_fail_as_decode_does(field: str, value: str) -> None:
    assert_same(dumps(BASE | {field: value}))


@pytest.mark.parametrize("change", [
    {"rounded": ["views", "views"]}, {"rounded": ["views"], "metrics": {"views": None}}, {"rounded": ["bogus"]},
    {"post_id": "weibo:1", "platform": "douyin"}, {"metrics": {"views": 5.0}}, {"metrics": {"views": -1}},
    {"metrics": {"views": True}}, {"metrics": {"views": 2**70}}, {"metrics": {"bogus": 1}}, {"extra": 1},
    {"seq": 5.0}, {"tenant": "a\n"}, {"tenant": ""}, {"status": "gone"}, {"metrics": {}},
])
def test_edge_cases_match_decode(change: dict[str, Any]) -> None:
    assert_same(dumps(BASE | change))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**65, 2**65) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), value=JSON)
def test_any_field_value_gives_what_decode_gives(data: st.DataObject, value: Any) -> None:
    message = orjson.loads(orjson.dumps(BASE))
    if data.draw(st.booleans()):
        message["metrics"][data.draw(st.sampled_from(sorted(message["metrics"])))] = value
    else:
        message[data.draw(st.sampled_from(sorted(message)))] = value
    try:
        raw = dumps(message)
    except ValueError:
        return
    assert_same(raw)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=120))
def test_arbitrary_bytes_give_what_decode_gives(raw: bytes) -> None:
    assert_same(raw)
