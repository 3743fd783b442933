"""The report page's top and bottom posts: ranked by what the posts have, and says so; its header
says what the figures cover; creators read by name."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.report import queries as q
from tracker.report.content import CPE_INDEX_NOTE, Report
from tracker.report.page import render_html
from tracker.report.tables import RATIO_NOTE

CAMPAIGN = q.Campaign("acme", "c1", "Launch", "Asia/Shanghai", "CNY", "CNY", datetime(2025, 9, 1, tzinfo=UTC),
                      datetime(2025, 12, 20, 13, tzinfo=UTC))
POST = {"post_id": "douyin:1", "platform": "douyin", "creator_id": "cr-0035", "creator_name": "橙子种草机",
        "creator_tier": "micro", "content_form": "video", "published_at": datetime(2025, 3, 1, tzinfo=UTC),
        "spend": 1000.0, "engagements": 2000, "cpe": 0.5, "value": 0.5}


def page(top: list[dict], ranked_by: tuple[str, str, str] | None, note: str,
         as_of: datetime | None = None) -> str:  # fmt: skip
    report = Report(CAMPAIGN, datetime(2025, 10, 1, tzinfo=UTC), {}, [], [], [], [], top, top, ranked_by, note,
                    [], [], [], data_as_of=as_of)
    return render_html(report)


def section(html: str, title: str) -> str:
    return html.split(title)[1].split("<h2>")[0]


def test_without_emv_the_posts_are_ranked_by_cpe_within_their_platform_and_the_page_says_why() -> None:
    html = page([{**POST, "value": 0.8}], ("cpe_index", "CPE ÷ platform median CPE", "ratio"),
                f"No post has an EMV (…), so posts are ranked by cost per engagement. {CPE_INDEX_NOTE}")
    assert "Top and bottom posts 最佳与最差内容 (by CPE ÷ platform median CPE)</h2>" in html
    part = section(html, "Top and bottom posts")
    assert "median CPE of this campaign&#39;s posts on the same platform" in part
    assert "<th>CPE CNY</th><th>CPE ÷ platform median CPE</th>" in part and "0.80" in part and "0.50" in part


def test_with_nothing_to_rank_the_section_says_so_instead_of_empty_tables() -> None:
    html = page([], None, "No post has an EMV or a cost per engagement yet")
    part = section(html, "Top and bottom posts")
    assert "No post has an EMV or a cost per engagement yet" in part and "<table" not in part


def test_top_posts_name_their_creator_beside_the_id() -> None:
    html = page([POST, {**POST, "post_id": "douyin:2", "creator_id": "cr9", "creator_name": None}],
                ("emv_return", "(EMV − spend) ÷ spend", "rate"), "")
    part = section(html, "Top and bottom posts")
    assert '<td class="text">橙子种草机 (cr-0035)</td>' in part and '<td class="text">cr9</td>' in part


def test_the_header_says_when_the_data_were_seen_and_that_the_campaign_runs_on() -> None:
    html = page([], None, "", as_of=datetime(2025, 9, 11, 4, 48, tzinfo=UTC))
    header = html.split("<h2>")[0]
    assert "data as of 2025-09-11 12:48 · campaign in progress (ends 2025-12-20)" in header


def test_the_notes_beside_the_cpe_rule_say_which_spend_each_ratio_divides() -> None:
    report = Report(CAMPAIGN, datetime(2025, 10, 1, tzinfo=UTC), {"platforms": 2}, [], [], [], [], [], [], None,
                    "", [], [], [])
    note = section(render_html(report), "Spend and outcomes by platform")
    assert "CPE is n/a where a row mixes platforms" in note and RATIO_NOTE in note.replace("&#39;", "'")


def test_a_one_platform_campaign_is_not_told_that_cpe_is_n_a_for_mixing_platforms() -> None:
    report = Report(CAMPAIGN, datetime(2025, 10, 1, tzinfo=UTC), {"platforms": 1},
                    [{"value": "douyin", "platforms": 1}], [{"value": "micro", "platforms": 1}], [], [], [], [],
                    None, "", [], [], [])
    note = section(render_html(report), "Spend and outcomes by platform")
    assert "mixes platforms" not in note and RATIO_NOTE in note.replace("&#39;", "'")
    assert report.cpe_line() is None
    mixed_tier = Report(CAMPAIGN, datetime(2025, 10, 1, tzinfo=UTC), {"platforms": 1}, [],
                        [{"value": "micro", "platforms": 2}], [], [], [], [], None, "", [], [], [])
    assert mixed_tier.cpe_line() is not None


def test_under_the_summary_cards_the_page_says_which_spend_the_cpm_divides() -> None:
    """Spend 2,438,827 and views 6,688,609 with a CPM of 133.37: the CPM divides 892,064 (posts with views)."""
    report = Report(CAMPAIGN, datetime(2025, 10, 1, tzinfo=UTC),
                    {"spend": 2_438_827.0, "views": 6_688_609, "cpm": 133.37, "cpm_spend": 892_064.0},
                    [], [], [], [], [], [], None, "", [], [], [])
    cards = render_html(report).split("Summary 概览")[1].split("<h2>")[0]
    assert "CPM divides the 892,064.00 CNY spent on posts with views, not all 2,438,827.00 CNY" in cards


def test_the_top_and_bottom_tables_say_which_is_which() -> None:
    part = section(page([POST], ("emv_return", "(EMV − spend) ÷ spend", "rate"), ""), "Top and bottom posts")
    assert part.index("Top 1, best first") < part.index("<table") < part.index("Bottom 1, worst first")
