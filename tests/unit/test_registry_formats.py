"""A campaign document's ``format``: an unknown one (a later version, another tool's) is refused
naming it and the formats tracker reads, before its sections are looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.errors import InvalidInput
from tracker.registry.importer import parse
from tracker.registry.records import Options

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000)


@pytest.mark.parametrize("given", ["tracker.campaign.v2", "xingtu.order.v1", 2])
def test_an_unknown_format_is_named_with_the_supported_one(tmp_path: Path, given: object) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump({"format": given, "tenants": [], "posts": []}))
    with pytest.raises(InvalidInput) as caught:
        parse(path, OPTS)
    assert caught.value.reason == (f"format {given!r} is not one tracker reads (supported: tracker.campaign.v1, "
                                   "or no format line)")


@pytest.mark.parametrize("given", ["tracker.campaign.v1", None])
def test_the_supported_format_or_none_reads_the_document(tmp_path: Path, given: str | None) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    doc["format"] = given
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, OPTS)
    assert reg.posts and not reg.problems and not any("format" in n for n in reg.notes)
