"""schemas/events is the contract: every example runs through decode (and encode).

Good examples must decode and round-trip; bad ones must raise InvalidInput with
a reason that mentions the violation the file is named after.
"""

import re
from pathlib import Path

import fastjsonschema
import orjson
import pytest

from tracker.contracts import METRICS, PLATFORMS, TOPICS, decode, encode, schema_path
from tracker.contracts.topics import SCHEMA_DIR, load_schema
from tracker.contracts.vocab import ALERT_TYPES
from tracker.errors import InvalidInput

EXAMPLES = SCHEMA_DIR / "examples"
DATA_TOPICS = (
    "tracker.posts.v1",
    "tracker.heating.v1",
    "tracker.snapshots.v1",
    "tracker.comments.v1",
)
# Words of a bad example's name that say nothing about the violation.
FILLER = {"as", "id", "an", "not", "before", "with", "no", "too"}


def _examples(kind: str) -> list[tuple[str, Path]]:
    return [
        (topic, path)
        for topic in TOPICS
        for path in sorted((EXAMPLES / topic / kind).glob("*.json"))
    ]


def _ids(cases: list[tuple[str, Path]]) -> list[str]:
    return [f"{topic.split('.')[1]}/{path.stem}" for topic, path in cases]


GOOD = _examples("good")
BAD = _examples("bad")


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_a_schema_and_examples(topic: str) -> None:
    assert schema_path(topic).is_file()
    assert list((EXAMPLES / topic / "good").glob("*.json")), f"{topic}: no good example"
    assert list((EXAMPLES / topic / "bad").glob("*.json")), f"{topic}: no bad example"


@pytest.mark.parametrize("topic", DATA_TOPICS)
def test_data_topics_have_enough_examples(topic: str) -> None:
    assert len(list((EXAMPLES / topic / "good").glob("*.json"))) >= 3
    assert len(list((EXAMPLES / topic / "bad").glob("*.json"))) >= 6


@pytest.mark.parametrize(("topic", "path"), GOOD, ids=_ids(GOOD))
def test_good_example_decodes_and_round_trips(topic: str, path: Path) -> None:
    message = decode(topic, path.read_bytes())
    raw = encode(topic, message)
    assert decode(topic, raw) == message
    assert encode(topic, decode(topic, raw)) == raw


@pytest.mark.parametrize(("topic", "path"), BAD, ids=_ids(BAD))
def test_bad_example_is_rejected_with_its_reason(topic: str, path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode(topic, path.read_bytes())
    reason = caught.value.reason
    assert reason.strip()
    words = {word for word in path.stem.split("_") if word not in FILLER}
    assert any(word in reason.lower() for word in words), f"{path.name}: {reason!r}"


@pytest.mark.parametrize("topic", TOPICS)
def test_schema_is_draft07_closed_and_compiles(topic: str) -> None:
    schema = load_schema(topic)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == topic
    assert schema["additionalProperties"] is False
    fastjsonschema.compile(schema)


def test_shared_definitions_are_identical_in_every_schema() -> None:
    seen: dict[str, tuple[str, object]] = {}
    for topic in TOPICS:
        for name, definition in load_schema(topic).get("definitions", {}).items():
            first_topic, first = seen.setdefault(name, (topic, definition))
            assert definition == first, f"definitions.{name} differs in {topic} and {first_topic}"


def test_vocabularies_match_the_schemas() -> None:
    snapshots = load_schema("tracker.snapshots.v1")
    assert tuple(snapshots["definitions"]["platform"]["enum"]) == PLATFORMS
    assert tuple(snapshots["properties"]["metrics"]["properties"]) == METRICS
    assert tuple(snapshots["properties"]["rounded"]["items"]["enum"]) == METRICS
    prefix = re.match(r"\^\((.*?)\)", snapshots["definitions"]["post_id"]["pattern"])
    assert prefix is not None
    assert tuple(prefix.group(1).split("|")) == PLATFORMS
    alerts = load_schema("tracker.alerts.v1")
    assert tuple(alerts["properties"]["alert"]["enum"]) == ALERT_TYPES


@pytest.mark.parametrize(("topic", "path"), GOOD, ids=_ids(GOOD))
def test_good_examples_are_utf8_json_objects(topic: str, path: Path) -> None:
    """Examples stay readable: UTF-8 text (Chinese unescaped), one object per file."""
    assert isinstance(orjson.loads(path.read_text(encoding="utf-8")), dict)
