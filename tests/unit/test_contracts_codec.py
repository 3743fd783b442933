"""Behaviour of decode/encode beyond the examples: null vs 0, time, types, errors."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.contracts import METRICS, SNAPSHOTS, TOPICS, decode, encode
from tracker.contracts.semantics import RULES
from tracker.contracts.topics import SCHEMA_DIR, validator
from tracker.errors import ConfigError, InvalidInput

EXAMPLES = SCHEMA_DIR / "examples"


def good(topic: str, name: str | None = None) -> dict[str, Any]:
    """A good example of ``topic`` (the first one unless named) as parsed JSON."""
    paths = sorted((EXAMPLES / topic / "good").glob(f"{name or '*'}.json"))
    return orjson.loads(paths[0].read_bytes())


def snapshot(**metrics: Any) -> bytes:
    """A valid snapshot with these metrics and no optional fields."""
    message = good(SNAPSHOTS, "weibo_no_views_missing_keys") | {"metrics": metrics}
    return orjson.dumps(message)


def test_null_metrics_stay_none() -> None:
    decoded = decode(SNAPSHOTS, snapshot(views=None, likes=0, saves=None))
    assert decoded["metrics"]["views"] is None
    assert decoded["metrics"]["saves"] is None
    assert decoded["metrics"]["likes"] == 0


def test_missing_metric_keys_become_none_never_zero() -> None:
    decoded = decode(SNAPSHOTS, snapshot(likes=5))
    assert decoded["metrics"] == {name: (5 if name == "likes" else None) for name in METRICS}


def test_null_metrics_survive_encode() -> None:
    raw = encode(SNAPSHOTS, decode(SNAPSHOTS, snapshot(likes=5)))
    assert orjson.loads(raw)["metrics"]["views"] is None


@pytest.mark.parametrize("topic", TOPICS)
def test_naive_timestamps_are_rejected_in_every_field(topic: str) -> None:
    for field in RULES[topic].timestamps:
        message = good(topic) | {field: "2024-11-11T20:00:00"}
        with pytest.raises(InvalidInput, match=rf"^{field}: naive timestamp"):
            decode(topic, orjson.dumps(message))


@pytest.mark.parametrize("count", [True, False])
@pytest.mark.parametrize("name", METRICS)
def test_bools_are_not_counts(name: str, count: bool) -> None:
    with pytest.raises(InvalidInput, match=rf"^metrics\.{name}: must be an integer >= 0 or null"):
        decode(SNAPSHOTS, snapshot(**{name: count}))


@pytest.mark.parametrize(
    ("topic", "field"),
    [
        ("tracker.comments.v1", "likes"),
        ("tracker.posts.v1", "followers"),
        ("tracker.dlq.v1", "offset"),
    ],
)
def test_bools_are_not_integers_elsewhere(topic: str, field: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^{field}: must be an integer"):
        decode(topic, orjson.dumps(good(topic) | {field: True}))


def test_integral_floats_become_ints() -> None:
    decoded = decode(SNAPSHOTS, snapshot(views=1200.0))
    assert decoded["metrics"]["views"] == 1200
    assert type(decoded["metrics"]["views"]) is int


def test_floats_beyond_exact_range_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="metrics.views: integer too large"):
        decode(SNAPSHOTS, snapshot(views=1e300))


def test_timestamps_become_aware_utc_truncated_to_milliseconds() -> None:
    message = good(SNAPSHOTS) | {
        "observed_at": "2024-11-11T20:00:00.123456789+08:00",
        "collected_at": "2024-11-11t12:00:04z",
    }
    decoded = decode(SNAPSHOTS, orjson.dumps(message))
    assert decoded["observed_at"] == datetime(2024, 11, 11, 12, 0, 0, 123000, tzinfo=UTC)
    assert decoded["observed_at"].tzinfo is UTC
    assert decoded["collected_at"] == datetime(2024, 11, 11, 12, 0, 4, tzinfo=UTC)


def test_encode_writes_utc_z_with_milliseconds() -> None:
    message = decode(SNAPSHOTS, snapshot(views=1))
    message["observed_at"] = datetime(
        2024, 11, 11, 20, 0, 0, 5000, tzinfo=timezone(timedelta(hours=8))
    )
    message["collected_at"] = "2024-11-11T12:00:04+00:00"
    out = orjson.loads(encode(SNAPSHOTS, message))
    assert out["observed_at"] == "2024-11-11T12:00:00.005Z"
    assert out["collected_at"] == "2024-11-11T12:00:04.000Z"


def test_encode_refuses_naive_datetimes_and_invalid_messages() -> None:
    message = decode(SNAPSHOTS, snapshot(views=1))
    with pytest.raises(InvalidInput, match="naive datetime"):
        encode(SNAPSHOTS, message | {"observed_at": datetime(2024, 11, 11, 20, 0)})
    with pytest.raises(InvalidInput, match=r"^metrics\.views: must be an integer"):
        encode(SNAPSHOTS, message | {"metrics": {"views": -1}})
    with pytest.raises(InvalidInput, match="not serialisable"):
        encode(SNAPSHOTS, message | {"seq": object()})


def test_encode_accepts_decimal_amounts_and_leaves_its_input_alone() -> None:
    message = decode("tracker.heating.v1", orjson.dumps(good("tracker.heating.v1")))
    message["spend"] = {"amount": Decimal("2500.50"), "currency": "CNY"}
    before = dict(message)
    out = orjson.loads(encode("tracker.heating.v1", message))
    assert out["spend"] == {"amount": "2500.50", "currency": "CNY"}
    assert message == before


def test_defaults_are_applied() -> None:
    post = decode(
        "tracker.posts.v1", orjson.dumps(good("tracker.posts.v1", "xiaohongshu_minimal_defaults"))
    )
    assert post["deleted"] is False
    assert post["campaign_tz"] == "Asia/Shanghai"
    assert post["tags"] == [] and post["fee"] is None and post["tracking_end"] is None
    snap = decode(SNAPSHOTS, snapshot())
    assert snap["status"] == "ok" and snap["rounded"] == []
    assert snap["seq"] is None and snap["collected_at"] is None


def test_mutable_defaults_are_fresh_per_message() -> None:
    first = decode(SNAPSHOTS, snapshot())
    first["rounded"].append("views")
    assert decode(SNAPSHOTS, snapshot())["rounded"] == []


@pytest.mark.parametrize("raw", [None, b""])
def test_empty_values_are_invalid(raw: bytes | None) -> None:
    with pytest.raises(InvalidInput, match="empty message"):
        decode(SNAPSHOTS, raw)


def test_unknown_topic_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown topic"):
        decode("tracker.snapshots.v0", b"{}")
    with pytest.raises(ConfigError, match="unknown topic"):
        encode("snapshots", {})


def test_validators_are_compiled_once() -> None:
    assert validator(SNAPSHOTS) is validator(SNAPSHOTS)


def test_reasons_stay_short() -> None:
    message = good(SNAPSHOTS) | {f"extra_{i}": i for i in range(1000)}
    with pytest.raises(InvalidInput) as caught:
        decode(SNAPSHOTS, orjson.dumps(message))
    assert "unknown field" in caught.value.reason
    assert len(caught.value.reason) <= 500


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(TOPICS), data=st.data(), value=JSON)
def test_any_field_value_is_decoded_or_rejected_never_crashes(
    topic: str, data: st.DataObject, value: Any
) -> None:
    message = good(topic)
    field = data.draw(st.sampled_from(sorted(message)))
    message[field] = value
    try:
        raw = orjson.dumps(message)
    except orjson.JSONEncodeError:  # NaN / inf and out-of-range ints are not JSON
        return
    try:
        decode(topic, raw)
    except InvalidInput as exc:
        assert exc.reason


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_are_decoded_or_rejected(raw: bytes) -> None:
    try:
        decode(SNAPSHOTS, raw)
    except InvalidInput as exc:
        assert exc.reason
