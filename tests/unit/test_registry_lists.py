"""A campaign's brand terms (品牌词) and a creator's tags (达人标签) written as one cell are split at
the enumeration comma Chinese lists are written with, as at commas: "花西子、同心锁口红、Florasis" was
stored as one brand term that no comment contains, so the campaign's brand comments stayed 0."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracker.registry.importer import parse
from tracker.registry.records import Options, tags

OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")


@pytest.mark.parametrize("given", ["花西子、同心锁口红、Florasis", "花西子，同心锁口红，Florasis", "花西子, 同心锁口红; Florasis",
                                   "花西子 、 同心锁口红、、Florasis"])
def test_a_written_list_is_split_at_any_of_its_separators(given: str) -> None:
    assert tags(given) == ["花西子", "同心锁口红", "Florasis"]


def test_a_flat_tables_brand_terms_and_tags_are_split_at_the_enumeration_comma(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("creator,followers,达人标签,platform,post,published_at,fee,品牌词\n"
                    "cr-1,12000,美妆、护肤,douyin,7301234567890123401,2025-09-02T12:00:00+08:00,100,花西子、同心锁口红\n",
                    encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    (update,) = reg.campaigns
    assert update.given["brand_terms"] == ["花西子", "同心锁口红"]
    assert [c["tags"] for c in reg.tables["creators"]] == [["美妆", "护肤"]]


def test_a_campaign_documents_brand_terms_as_one_text_are_split_too(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump({
        "tenants": [{"id": "acme", "reporting_currency": "CNY"}],
        "campaigns": [{"id": "launch", "tenant": "acme", "start": "2025-09-01T00:00:00+08:00",
                       "brand_terms": "花西子、Florasis"}],
    }, allow_unicode=True), encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems, reg.problems
    assert [c["brand_terms"] for c in reg.tables["campaigns"]] == [["花西子", "Florasis"]]
