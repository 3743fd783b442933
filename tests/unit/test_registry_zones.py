"""Campaign files read times and dates in the campaign's time zone: a start given as a date
is midnight there, and a bundle's fee counts on the date its first post went out there (the
day of its FX rate), not on the UTC date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from tracker.registry.importer import parse
from tracker.registry.records import Options

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000)


def test_a_campaign_start_given_as_a_date_is_midnight_in_the_campaigns_zone(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    doc["campaigns"][0].update(start="2025-09-01", end="2025-12-20 21:00")  # Asia/Shanghai
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, OPTS)
    campaign = next(c for c in reg.tables["campaigns"] if c["campaign_id"] == "lumi-serum-launch")
    assert campaign["starts_at"] == datetime(2025, 8, 31, 16, tzinfo=UTC)
    assert campaign["ends_at"] == datetime(2025, 12, 20, 13, tzinfo=UTC)


def test_a_bundle_fee_counts_on_its_first_posts_date_in_the_campaigns_zone(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    bundle = doc["bundles"][0]
    assert bundle["id"] == "b-001" and bundle["campaign"] == "lumi-serum-launch"
    for i, post in enumerate(p for p in doc["posts"] if p["id"] in bundle["posts"]):
        post["published_at"] = f"2025-09-{20 + i}T23:30:00Z"  # 07:30 the next morning in Shanghai
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, OPTS)
    assert not reg.problems
    assert next(b["cost_date"] for b in reg.tables["bundles"] if b["bundle_id"] == "b-001") == date(2025, 9, 21)


def test_a_flat_files_bundle_fee_counts_on_the_local_date(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("tenant,campaign,creator,followers,platform,post,published_at,bundle,bundle_fee,currency\n"
                    "acme,launch,cr-1,12000,douyin,7301234567890123401,2025-09-10T07:30:00+08:00,b-9,3000,CNY\n",
                    encoding="utf-8")
    reg = parse(path, Options(version=1, time_zone="Asia/Shanghai"))
    assert not reg.problems, reg.problems
    assert [b["cost_date"] for b in reg.tables["bundles"]] == [date(2025, 9, 10)]


def test_a_posts_time_without_an_offset_is_its_campaigns_time(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    zones = {c["id"]: c["time_zone"] for c in doc["campaigns"]}
    shanghai = next(p for p in doc["posts"] if zones[p["campaign"]] == "Asia/Shanghai")
    la = next(p for p in doc["posts"] if zones[p["campaign"]] == "America/Los_Angeles")
    shanghai["published_at"], la["published_at"] = "2025-09-21 07:30", "2025-09-21"
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    posts = {m["post_id"]: m for m in parse(path, OPTS).posts}
    assert posts[shanghai["id"]]["published_at"] == datetime(2025, 9, 20, 23, 30, tzinfo=UTC)
    assert posts[la["id"]]["published_at"] == datetime(2025, 9, 21, 7, tzinfo=UTC)
