"""The report page's top and bottom posts: ranked by what the posts have, and says so."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.report import queries as q
from tracker.report.content import Report
from tracker.report.page import render_html

CAMPAIGN = q.Campaign("acme", "c1", "Launch", "Asia/Shanghai", "CNY", "CNY", None, None)
POST = {"post_id": "douyin:1", "platform": "douyin", "creator_id": "cr1", "creator_tier": "micro",
        "content_form": "video", "published_at": datetime(2025, 3, 1, tzinfo=UTC), "spend": 1000.0,
        "engagements": 2000, "value": 0.5}


def page(top: list[dict], ranked_by: tuple[str, str, str] | None, note: str) -> str:
    report = Report(CAMPAIGN, datetime(2025, 4, 1, tzinfo=UTC), {}, [], [], [], [], top, top, ranked_by, note,
                    [], [], [])
    return render_html(report)


def test_without_emv_the_posts_are_ranked_by_cost_per_engagement_and_the_page_says_why() -> None:
    html = page([POST], ("cpe", "cost per engagement", "money"), "No post has an EMV (it needs EMV unit values…")
    assert "Top and bottom posts 最佳与最差内容 (by cost per engagement)</h2>" in html
    assert "No post has an EMV" in html and "0.50" in html


def test_with_nothing_to_rank_the_section_says_so_instead_of_empty_tables() -> None:
    html = page([], None, "No post has an EMV or a cost per engagement yet")
    section = html.split("Top and bottom posts")[1].split("<h2>")[0]
    assert "No post has an EMV or a cost per engagement yet" in section and "<table" not in section
