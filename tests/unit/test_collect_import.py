"""Registry and export files without services: layouts, line numbers and reasons of bad rows,
stable records for idempotent re-imports, tiers, URLs, export rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tracker.collect.exportrows import RowError, observation_from_row
from tracker.registry.importer import digest, parse
from tracker.registry.records import Options
from tracker.registry.tiers import tier_of
from tracker.registry.urls import UrlError, resolve

ROOT = Path(__file__).resolve().parents[2]
OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")

CSV = """tenant,campaign,creator,creator_name,followers,platform,url,published_at,content_form,fee,currency,service_fee_rate,tracking_days
acme,launch,cr-1,Ann,12000,douyin,https://www.douyin.com/video/7301234567890123456,2025-09-10T12:00:00+08:00,short_video,1200,CNY,0.05,30
acme,launch,cr-2,Bo,,douyin,https://v.douyin.com/abc/,2025-09-10T12:00:00+08:00,short_video,800,CNY,,30
acme,launch,cr-3,Cy,250000,bilibili,BV1xx411c7mD,2025-09-11 20:00,long_video,5000,CNY,,
acme,launch,cr-4,Di,3000,youtube,https://youtu.be/dQw4w9WgXcQ,not a time,short,40,USD,,
acme,launch,cr-5,Ed,900000,weibo,weibo:4900000000000001,2025-09-12T08:00:00Z,post,-3,CNY,,
acme,launch,cr-6,Fa,50000,tiktok,https://www.tiktok.com/@fa/video/7400000000000000001,2025-09-12T08:00:00Z,short_video,300,usd,,7
"""


def test_flat_csv_reports_each_bad_row_with_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(CSV)
    reg = parse(path, OPTS)
    assert [m["post_id"] for m in reg.posts] == ["douyin:7301234567890123456", "bilibili:BV1xx411c7mD",
                                                "tiktok:7400000000000000001"]
    problems = {p.where.split()[1]: p.reason for p in reg.problems}
    assert set(problems) == {"3", "5", "6"}
    assert "short link" in problems["3"]
    assert "published_at" in problems["5"]
    assert "fee" in problems["6"] and "non-negative" in problems["6"]
    first = reg.posts[0]
    assert first["creator_tier"] == "nano" and first["followers"] == 12000
    assert first["service_fee"] == {"amount": "60", "currency": "CNY"}
    assert first["published_at"] == datetime(2025, 9, 10, 4, tzinfo=UTC)
    bili = reg.posts[1]
    assert bili["published_at"] == datetime(2025, 9, 11, 12, tzinfo=UTC)  # read in Asia/Shanghai
    assert bili["content_form"] == "video" and bili["creator_tier"] == "mid"
    assert (bili["tracking_end"] - bili["published_at"]).days == 30
    assert reg.posts[2]["fee"]["currency"] == "USD"
    assert {r["creator_id"] for r in reg.tables["creators"]} == {"cr-1", "cr-3", "cr-6"}


def test_a_broken_csv_line_is_refused_on_its_own_line_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    """An unclosed quote swallowed every line after it into one cell; a row with more cells than
    the header was read as if the extra ones were not there. Both are refused on their line."""
    head, good, _, _, _, _, last = CSV.splitlines()[:7]
    path = tmp_path / "posts.csv"
    path.write_text("\n".join([head, good, good.replace("cr-1,Ann", 'cr-9,"Ann').replace("7301234567890123456",
                                "7301234567890123457"), last + ",surplus", last.replace("cr-6", "cr-7")
                                .replace("7400000000000000001", "7400000000000000002")]) + "\n")
    reg = parse(path, OPTS)
    problems = {p.where.split()[1]: p.reason for p in reg.problems}
    assert problems == {"3": 'a quote (") is not closed on this line', "4": "14 cells, the header has 13"}
    assert [m["post_id"] for m in reg.posts] == ["douyin:7301234567890123456", "tiktok:7400000000000000002"]


def test_same_file_same_records(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(CSV)
    assert digest(parse(path, OPTS)) == digest(parse(path, OPTS))


def test_xingtu_order_export_layout(tmp_path: Path) -> None:
    path = tmp_path / "xingtu.csv"
    path.write_text("订单ID,达人昵称,抖音号,粉丝数,视频链接,发布时间,订单金额,平台服务费\n"
                    "T1,小七,xq123,1.5万,https://www.douyin.com/video/7301234567890000001,2025-09-10 20:00:00,"
                    "3000,150\n"
                    "T2,大白,db456,800000,,2025-09-10 21:00:00,9000,450\n", encoding="utf-8")
    reg = parse(path, OPTS)
    assert reg.layout == "xingtu"
    (post,) = reg.posts
    assert post["platform"] == "douyin" and post["creator_id"] == "douyin:xq123"
    assert post["followers"] == 15000 and post["creator_tier"] == "nano"
    assert post["fee"] == {"amount": "3000", "currency": "CNY"} and post["service_fee"]["amount"] == "150"
    (bad,) = reg.problems
    assert bad.where.startswith("line 3") and "no post id or URL" in bad.reason


def test_pugongying_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["笔记ID", "博主昵称", "小红书号", "粉丝数", "笔记类型", "发布时间", "合作金额", "服务费"])
    sheet.append(["65f0c2a1000000001203abcd", "木子", "mz01", 3500, "图文", datetime(2025, 9, 10, 20, 0), 2000, 200])
    sheet.append(["65f0c2a1000000001203abce", "安安", "aa02", 42000, "视频", None, 5000, 500])
    path = tmp_path / "pgy.xlsx"
    book.save(path)
    reg = parse(path, OPTS)
    assert reg.layout == "pugongying"
    (post,) = reg.posts
    assert post["post_id"] == "xiaohongshu:65f0c2a1000000001203abcd"
    assert post["content_form"] == "image" and post["creator_tier"] == "koc"
    assert post["published_at"] == datetime(2025, 9, 10, 12, tzinfo=UTC)
    (bad,) = reg.problems
    assert bad.where.startswith("line 3") and "published_at" in bad.reason


def test_campaign_document_lines_point_at_the_bad_items(tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "deploy" / "demo" / "campaign.yaml").read_text())
    doc["posts"][3]["campaign"] = "no-such-campaign"
    doc["posts"][5]["fee"] = {"amount": 10, "currency": "yuan"}
    doc["heating"][0]["post"] = "douyin:404"
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    reg = parse(path, OPTS)
    lines = path.read_text().splitlines()
    refused = {doc["posts"][3]["id"], doc["posts"][5]["id"]}
    cascaded = [h for h in doc["heating"][1:] if h["post"] in refused]  # heating of a refused post is refused
    assert len(reg.problems) == 3 + len(cascaded)
    for problem in reg.problems:
        line = int(problem.where.split()[1])
        assert lines[line - 1].lstrip().startswith("- ")
    reasons = " | ".join(p.reason for p in reg.problems)
    assert "no-such-campaign" in reasons and "fee.currency" in reasons and "douyin:404" in reasons
    assert len(reg.posts) == 198 and len(reg.heating) == len(doc["heating"]) - 1 - len(cascaded)


def test_demo_campaign_is_clean() -> None:
    reg = parse(ROOT / "deploy" / "demo" / "campaign.yaml", OPTS)
    assert not reg.problems and len(reg.posts) == 200
    assert {m["content_form"] for m in reg.posts} <= {"video", "image", "text", "live", "article", "other"}
    assert all(m["fee"] is not None or m["bundle_id"] for m in reg.posts)
    assert len(reg.tables["bundles"]) == 20 and reg.tables["fx_rates"][0]["rate"] == "7.2"


def test_emv_unit_values_come_with_the_campaign_document(tmp_path: Path) -> None:
    """EMV = Σ metric × unit value; the unit values are configured in the campaign document's
    ``emv`` list (there was no way to set them): per metric, optionally per platform, tenant and
    start date. A bad line is refused with its reason; the demo's are illustrative."""
    demo = parse(ROOT / "deploy" / "demo" / "campaign.yaml", OPTS).tables["emv_unit_values"]
    assert {r["metric"] for r in demo} == {"views", "likes", "comments", "shares", "saves", "searches"}
    doc = {"format": "tracker.campaign.v1", "emv": [
        {"metric": "saves", "unit_value": 1.5, "currency": "cny"},
        {"metric": "views", "unit_value": "0.012", "currency": "CNY", "platform": "douyin",
         "valid_from": "2025-09-01", "tenant": "acme"},
        {"metric": "follows", "unit_value": 1, "currency": "CNY"},
        {"metric": "likes", "unit_value": -1, "currency": "CNY"},
        {"metric": "likes", "unit_value": 1, "currency": "CNY", "platform": "myspace"}]}
    path = tmp_path / "emv.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    reg = parse(path, OPTS)
    rows = reg.tables["emv_unit_values"]
    assert [(r["tenant"], r["platform"], r["metric"], str(r["valid_from"]), r["unit_value"], r["currency"])
            for r in rows] == [("", "", "saves", "1970-01-01", "1.5", "CNY"),
                               ("acme", "douyin", "views", "2025-09-01", "0.012", "CNY")]
    reasons = [p.reason for p in reg.problems]
    assert len(reasons) == 3 and "metric: one of views" in reasons[0]
    assert "unit_value: must be from 0" in reasons[1] and "platform: unknown 'myspace'" in reasons[2]


@pytest.mark.parametrize(("followers", "tier"), [(0, "koc"), (4999, "koc"), (5000, "nano"), (99_999, "micro"),
                                                 (100_000, "mid"), (1_999_999, "macro"), (2_000_000, "top")])
def test_tiers(followers: int, tier: str) -> None:
    assert tier_of(followers) == tier


@pytest.mark.parametrize(("value", "expected"), [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", ("youtube", "dQw4w9WgXcQ")),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", ("youtube", "dQw4w9WgXcQ")),
    ("https://www.xiaohongshu.com/explore/65f0c2a1000000001203abcd?xsec=1", ("xiaohongshu", "65f0c2a1000000001203abcd")),
    ("https://www.bilibili.com/video/BV1xx411c7mD/?p=1", ("bilibili", "BV1xx411c7mD")),
    ("https://www.instagram.com/reel/17850000000000001/", ("instagram", "17850000000000001")),
    ("kuaishou:3xabc", ("kuaishou", "3xabc")),
])
def test_urls(value: str, expected: tuple[str, str]) -> None:
    assert resolve(value) == expected


@pytest.mark.parametrize("value", ["https://b23.tv/xyz", "https://example.com/v/1", "12345"])
def test_urls_refused(value: str) -> None:
    with pytest.raises(UrlError):
        resolve(value)


def test_export_rows_map_aliases_null_and_rounding() -> None:
    obs = observation_from_row({"作品ID": "7301", "数据时间": "2025-09-20T12:00:00+08:00", "播放量": "1.2万",
                                "点赞数": "340", "收藏数": "-", "看后搜": "12"}, "douyin")
    assert obs.post_id == "douyin:7301" and obs.observed_at == datetime(2025, 9, 20, 4, tzinfo=UTC)
    assert obs.metrics["views"] == 12000 and obs.rounded == ("views",)
    assert obs.metrics["saves"] is None and obs.metrics["searches"] == 12 and obs.metrics["shares"] is None
    with pytest.raises(RowError, match="as_of"):
        observation_from_row({"post_id": "douyin:1", "views": 3}, None)
    with pytest.raises(RowError, match="views"):
        observation_from_row({"post_id": "douyin:1", "as_of": "2025-09-20", "views": "many"}, None)
    with pytest.raises(RowError, match="platform"):
        observation_from_row({"platform_post_id": "1", "as_of": "2025-09-20", "views": 3}, None)


@pytest.mark.parametrize(("written", "says"), [
    ("RMB", "RMB is not an ISO-4217 code; write CNY"),
    ("yuan", "YUAN is not an ISO-4217 code; write CNY"),
    ("ABC", "must be an ISO-4217 code such as CNY (got 'ABC')"),
    ("", "must be an ISO-4217 code"),
])
def test_a_currency_that_is_not_iso_4217_is_refused_with_the_code_to_write(written: str, says: str) -> None:
    from tracker.registry import records

    with pytest.raises(records.RowError, match=re.escape(says)):
        records.currency(written, "fee.currency")
    assert records.currency(" usd ", "fee.currency") == "USD" and records.currency("CNY", "c") == "CNY"


@pytest.mark.parametrize("written", ["1e30", "100000000000000", "99999999999999.99996", "Infinity", "NaN", "-5"])
def test_an_amount_the_store_cannot_hold_is_refused(written: str) -> None:
    from tracker.registry import records

    with pytest.raises(records.RowError, match="fee.amount"):
        records.amount(written, "fee.amount")
    assert records.amount("99999999999999.99994", "fee.amount") == "99999999999999.9999"
    assert records.amount("¥1,200.50", "fee.amount") == "1200.5"


def test_post_messages_carry_the_creators_and_campaigns_names(tmp_path: Path) -> None:
    """Alerts name the creator and the campaign by the names the team uses: the post message carries
    them, and leaves them out when the file gives only an id (the id is what alerts show then)."""
    path = tmp_path / "posts.csv"
    path.write_text(CSV.replace("service_fee_rate,tracking_days", "service_fee_rate,tracking_days,campaign_name")
                    .replace(",0.05,30\n", ",0.05,30,双11 大促\n"))
    bare = tmp_path / "bare.csv"
    bare.write_text(CSV.replace(",creator_name,", ",").replace("cr-1,Ann,", "cr-1,"))
    first = parse(path, OPTS).posts[0]
    assert (first["creator_name"], first["campaign_name"]) == ("Ann", "双11 大促")
    unnamed = parse(bare, OPTS).posts[0]
    assert unnamed["creator_id"] == "cr-1" and unnamed["creator_name"] is None and unnamed["campaign_name"] is None
