"""``tracker top`` says why no post has the metric (for revenue and ROAS, the orders first), and ranks CPE
within one platform only."""

from __future__ import annotations

from datetime import date

import click
import pytest
from click.testing import CliRunner

from tracker.cli.top import refuse_across_platforms, top, why_none
from tracker.report.queries import Window

COVER = {"posts": 3, "with_snapshot": 3, "platforms": ["douyin"]}


def orders(on_posts: int = 0, on_campaign: int = 0, of_tenant: int = 0) -> dict[str, int]:
    return {"on_posts": on_posts, "on_campaign": on_campaign, "of_tenant": of_tenant}


def test_roas_without_orders_says_to_import_them() -> None:
    assert why_none("roas", COVER, Window(), orders()) == "no orders imported for this campaign (tracker sales import FILE)"


def test_orders_elsewhere_or_at_campaign_level_are_told_apart() -> None:
    assert why_none("revenue", COVER, Window(), orders(of_tenant=4)).startswith(
        "none of the orders imported for this tenant (4) is attributed to this campaign")
    assert why_none("roas", COVER, Window(), orders(on_campaign=2, of_tenant=2)).startswith(
        "its orders (2) are attributed to the campaign as a whole, not to a post")


def test_with_orders_on_posts_the_other_reasons_remain() -> None:
    assert why_none("roas", COVER, Window(), orders(on_posts=1, of_tenant=1)).startswith("it is n/a on every post")
    assert why_none("roas", {**COVER, "posts": 0}, Window(since=date(2026, 1, 1)), orders()) == (
        "none was published in this window (--since / --until)")


def test_cpe_over_several_platforms_is_refused_with_the_platforms_to_pass() -> None:
    with pytest.raises(click.UsageError) as refused:
        refuse_across_platforms("cpe", ["douyin", "weibo", "xiaohongshu"])
    assert refused.value.message == ("CPE is compared within one platform (platforms count engagements "
                                     "differently): pass --platform (douyin, weibo, xiaohongshu)")
    refuse_across_platforms("cpe", ["douyin"])  # one platform: a fair ranking
    refuse_across_platforms("cpe", [])


def test_top_filters_on_a_platform() -> None:
    out = CliRunner().invoke(top, ["--help"]).output
    assert "--platform [douyin|xiaohongshu|" in out


def test_on_a_platform_without_posts_top_says_so() -> None:
    assert why_none("cpe", {**COVER, "posts": 0}, Window(), platform="youtube") == "none of its posts is on youtube"
