"""The report's top and bottom posts say whom their ranking leaves out, in the page and the workbook:
EMV unit values for one platform only must not turn "the campaign's top posts" into that platform's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from tests.integration.test_roi import cost, post, put, totals
from tracker.store.store import Store

pytestmark = pytest.mark.integration

T = datetime(2025, 6, 1, 2, tzinfo=UTC)


def seed(store: Store) -> None:
    """Two Douyin posts priced by a Douyin-only EMV unit value, two Xiaohongshu posts (no unit value
    applies: no EMV) and a Douyin post paid in JPY, for which no rate is recorded (spend n/a)."""
    put(store, "tenants", [{"tenant": "brandx", "name": "Brand X", "reporting_currency": "CNY", "version": 1}])
    put(store, "campaigns", [{"tenant": "brandx", "campaign_id": "c618", "name": "618 种草计划",
                              "time_zone": "Asia/Shanghai", "reporting_currency": "", "starts_at": T,
                              "ends_at": None, "brand_terms": [], "version": 1}])
    posts = [("douyin:d1", "mid"), ("douyin:d2", "mid"), ("xiaohongshu:a1", "micro"), ("xiaohongshu:a2", "koc"),
             ("douyin:d3", "micro")]
    put(store, "posts", [post("brandx", pid, "c618", f"cr-{pid}", tier, "video", published=T + timedelta(days=i))
                         for i, (pid, tier) in enumerate(posts)])
    fees = {"douyin:d1": ("20000", "CNY"), "douyin:d2": ("20000", "CNY"), "xiaohongshu:a1": ("5000", "CNY"),
            "xiaohongshu:a2": ("1500", "CNY"), "douyin:d3": ("300000", "JPY")}
    put(store, "cost_lines", [cost("brandx", f"{pid}:fee", "c618", pid, "fee", amount, currency, date(2025, 6, 5))
                              for pid, (amount, currency) in fees.items()])
    put(store, "post_totals", [
        totals("brandx", "douyin:d1", "c618", 500_000, 12_000, 800, 600, None, None),
        totals("brandx", "douyin:d2", "c618", 300_000, 3_000, 100, 50, None, None),
        totals("brandx", "xiaohongshu:a1", "c618", 80_000, 6_000, 500, 300, 4_000, 900),
        totals("brandx", "xiaohongshu:a2", "c618", 9_000, 300, 20, 5, 150, None),
        totals("brandx", "douyin:d3", "c618", 200_000, 9_000, 300, 100, None, None),
    ])
    put(store, "emv_unit_values", [{"tenant": "brandx", "platform": "douyin", "metric": "views",
                                    "valid_from": date(2025, 1, 1), "unit_value": Decimal("0.05"), "currency": "CNY",
                                    "version": 1}])


def test_top_posts_ranked_by_emv_return_say_which_posts_have_none(store: Store, cli_on_store: Callable[..., Result],
                                                                   tmp_path: Path) -> None:  # fmt: skip
    seed(store)
    xlsx, html = tmp_path / "r.xlsx", tmp_path / "r.html"
    result = cli_on_store("report", "--campaign", "c618", "--xlsx", xlsx, "--html", html)
    assert result.exit_code == 0, result.output
    note = ("3 posts are not ranked (no (EMV − spend) ÷ spend): 2 with no EMV, no EMV unit value applying to their "
            "platform (on xiaohongshu); 1 with a spend of n/a, for want of an FX rate (on douyin).")
    part = html.read_text(encoding="utf-8").split("Top and bottom posts")[1].split("<h2>")[0]
    assert note in part
    assert "douyin:d1" in part and "douyin:d2" in part and "xiaohongshu" not in part.split(note)[1]
    rows = list(openpyxl.load_workbook(xlsx)["Top and bottom"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:3]] == ["douyin:d1", "douyin:d2"]
    assert ("note", note) in [r[:2] for r in rows]


def test_without_any_ranking_figure_the_note_says_why(store: Store, cli_on_store: Callable[..., Result],
                                                      tmp_path: Path) -> None:  # fmt: skip
    """Every fee in JPY without a rate: the posts have an EMV but no spend, so neither an EMV return nor a
    CPE; the page says it is the FX rate, not "no EMV"."""
    seed(store)
    put(store, "cost_lines", [cost("brandx", f"{pid}:fee", "c618", pid, "fee", "1000", "JPY", date(2025, 6, 5))
                              for pid in ("douyin:d1", "douyin:d2", "xiaohongshu:a1", "xiaohongshu:a2")])
    html = tmp_path / "r.html"
    assert cli_on_store("report", "--campaign", "c618", "--html", html).exit_code == 0
    part = html.read_text(encoding="utf-8").split("Top and bottom posts")[1].split("<h2>")[0]
    assert "No post has an (EMV − spend) ÷ spend or a cost per engagement yet, so none is ranked." in part
    assert "5 posts are not ranked (no CPE ÷ platform median CPE): 5 with a spend of n/a, for want of an FX rate" in part


def test_top_and_bottom_lists_turned_off_say_so(store: Store, cli_on_store: Callable[..., Result], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    seed(store)
    monkeypatch.setenv("TRACKER_REPORT_TOP_POSTS", "0")
    html = tmp_path / "r.html"
    assert cli_on_store("report", "--campaign", "c618", "--html", html).exit_code == 0
    part = html.read_text(encoding="utf-8").split("Top and bottom posts")[1].split("<h2>")[0]
    assert "turned off (TRACKER_REPORT_TOP_POSTS=0)" in part and "No post has" not in part
