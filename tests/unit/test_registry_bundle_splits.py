"""A bundle's split: the registry stored ``equal`` whatever a file said (``split: by_views`` was read and
dropped without a word). The store shares a bundle equally, by views, by engagements or by fee
(v_bundle_shares), so a split it computes is kept and any other value is refused with the splits there
are, never stored as equal in silence. Campaign documents (``split:``) and flat tables (a
``bundle_split`` column) read it alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.registry.importer import parse
from tracker.registry.records import Options, RowError, split

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch", time_zone="Asia/Shanghai")
REFUSED = ("a bundle is split equal, by_views, by_engagements or by_fee over its posts (got {!r}); for other "
           "shares give each post its own fee instead of a bundle")


@pytest.mark.parametrize(("given", "stored"), [
    (None, "equal"), ("", "equal"), ("equal", "equal"), ("by_views", "by_views"), ("By Views", "by_views"),
    ("by-engagements", "by_engagements"), ("BY_FEE", "by_fee"),
])
def test_a_split_the_store_computes_is_kept(given: object, stored: str) -> None:
    assert split(given, "split") == stored


@pytest.mark.parametrize("given", ["by_saves", "60/40", "weighted", "views"])
def test_another_split_is_refused_with_the_splits_there_are(given: str) -> None:
    with pytest.raises(RowError) as caught:
        split(given, "split")
    assert str(caught.value) == "split: " + REFUSED.format(given)


def document(tmp_path: Path, **bundle: object) -> Path:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    doc["bundles"][0].update(bundle)
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def test_a_campaign_documents_split_is_stored_as_given(tmp_path: Path) -> None:
    reg = parse(document(tmp_path, split="by_views"), Options(version=1))
    assert not reg.problems, reg.problems
    splits = {b["bundle_id"]: b["split"] for b in reg.tables["bundles"]}
    assert splits["b-001"] == "by_views" and {splits["b-002"], splits["b-003"]} == {"equal"}


def test_a_campaign_documents_unknown_split_is_refused_not_stored_as_equal(tmp_path: Path) -> None:
    reg = parse(document(tmp_path, split="by_saves"), Options(version=1))
    assert [p.reason for p in reg.problems] == ["split: " + REFUSED.format("by_saves")]
    assert "b-001" not in {b["bundle_id"] for b in reg.tables["bundles"]}


HEADER = "creator,followers,platform,post,published_at,bundle,bundle_fee,bundle_split\n"


def table(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "posts.csv"
    path.write_text(header + "".join(f"cr-{i},12000,douyin,73012345678901234{i:02d},2025-09-10T12:00:00+08:00,{row}\n"
                                     for i, row in enumerate(rows)), encoding="utf-8")
    return path


def test_a_flat_tables_bundle_split_is_stored_from_any_row_of_the_bundle(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, "b-1,3000,", "b-1,,by_views", "b-2,500,", "b-3,,by_fee", "b-3,800,"), OPTS)
    assert not reg.problems, reg.problems
    assert {b["bundle_id"]: b["split"] for b in reg.tables["bundles"]} == {
        "b-1": "by_views", "b-2": "equal", "b-3": "by_fee"}
    assert not any("columns ignored" in n for n in reg.notes)


def test_a_flat_tables_split_column_may_be_called_split(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, "b-1,3000,by_engagements", header=HEADER.replace("bundle_split", "split")), OPTS)
    assert not reg.problems, reg.problems
    assert [b["split"] for b in reg.tables["bundles"]] == ["by_engagements"]


def test_a_flat_tables_unknown_or_contradicting_split_is_refused(tmp_path: Path) -> None:
    reg = parse(table(tmp_path, "b-1,3000,by_saves", "b-2,3000,by_views", "b-2,,equal"), OPTS)
    assert [str(p) for p in reg.problems] == [
        "line 2: bundle_split: " + REFUSED.format("by_saves"),
        "line 4: bundle_split: equal differs from by_views given for bundle 'b-2' on line 3"]
    assert [(b["bundle_id"], b["split"]) for b in reg.tables["bundles"]] == [("b-2", "by_views")]
    assert [m["bundle_id"] for m in reg.posts] == ["b-2"]
