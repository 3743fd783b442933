"""Content forms of registry files: every documented form and its aliases are read, and a form the
import does not know is stored as 'other' with a note naming its rows, never silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.contracts import encode
from tracker.contracts.topics import POSTS, load_schema
from tracker.registry.importer import parse
from tracker.registry.records import FORMS, Options, form

OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")
HEADER = "creator,followers,platform,post,published_at,content_form,fee\n"


def table(tmp_path: Path, forms: list[str]) -> Path:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "".join(f"cr-{i},12000,douyin,73012345678901234{i:02d},2025-09-10T12:00:00+08:00,"
                                     f"{f},1000\n" for i, f in enumerate(forms)), encoding="utf-8")
    return path


@pytest.mark.parametrize(("given", "stored"), [
    ("video", "video"), ("image_text", "image"), ("Image Text", "image"), ("image-text", "image"),
    ("图文", "image"), ("live", "live"), ("story", "story"), ("Stories", "story"), ("", "video"),
    ("short_video", "video"), ("article", "article"), ("text", "text"),
])
def test_the_documented_forms_and_their_aliases(given: str, stored: str) -> None:
    assert form(given) == stored


def test_every_form_is_one_the_posts_contract_accepts() -> None:
    enum = load_schema(POSTS)["properties"]["content_form"]["enum"]
    assert set(FORMS) == set(enum)


def test_the_posts_table_comment_lists_the_stored_forms() -> None:
    """Migration 0001 documented image_text; the latest word on the column names what is stored."""
    root = Path(__file__).resolve().parents[2] / "schemas" / "clickhouse"
    latest = [p.read_text() for p in sorted(root.glob("*.sql")) if "COMMENT COLUMN content_form" in p.read_text()]
    assert latest and all(f in latest[-1] for f in FORMS) and "image_text" in latest[-1]


def test_image_text_and_story_are_imported_as_such(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, ["image_text", "story", "live"]), OPTS)
    assert not reg.problems
    assert [m["content_form"] for m in reg.posts] == ["image", "story", "live"]
    for message in reg.posts:
        encode(POSTS, message)  # the contract accepts each
    assert not any("content_form" in n for n in reg.notes)


def test_an_unknown_form_is_stored_as_other_and_named_with_its_rows(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, ["video", "podcast", "podcast", "image_text"]), OPTS)
    assert not reg.problems and [m["content_form"] for m in reg.posts] == ["video", "other", "other", "image"]
    (note,) = [n for n in reg.notes if "content_form" in n]
    assert "'podcast'" in note and "line 3" in note and "line 4" in note and "'other'" in note


def test_an_unknown_form_in_a_campaign_document_is_named(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text("""format: tracker.campaign.v1
tenants: [{id: acme}]
campaigns: [{id: launch, tenant: acme, start: '2025-09-01T00:00:00+08:00'}]
creators: [{id: cr-1, tier: mid}]
posts:
- {id: 'douyin:7301234567890123456', campaign: launch, creator: cr-1, content_form: image_text,
   published_at: '2025-09-10T12:00:00+08:00', fee: {amount: 100, currency: CNY}}
- {id: 'douyin:7301234567890123457', campaign: launch, creator: cr-1, content_form: hologram,
   published_at: '2025-09-10T12:00:00+08:00', fee: {amount: 100, currency: CNY}}
""", encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems and [m["content_form"] for m in reg.posts] == ["image", "other"]
    (note,) = [n for n in reg.notes if "content_form" in n]
    assert "'hologram'" in note and "line 8" in note
