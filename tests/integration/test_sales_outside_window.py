"""Orders dated before their post's publish time or after their campaign's end count in ROAS all the
same (attribution windows are the client's call), but no longer without a word: `tracker sales import`
names them by line and `tracker roi` counts those it includes (JSON fields; ``outside_note`` is the line
under its table). The fixture campaign c1 (tests/integration/test_roi.py) is given an end here: 20 March
2025 in Shanghai, inclusive; its posts were published on 1 March at 16:00 Shanghai time."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from click.testing import Result
from openpyxl import load_workbook

from tests.integration.test_roi import T0, put
from tracker.report import queries as q
from tracker.store.store import Store

pytestmark = pytest.mark.integration

END = datetime(2025, 3, 20, 15, 59, 59, 999_000, tzinfo=UTC)  # 2025-03-20 23:59:59.999 in Shanghai
ORDERS = ("order_id,attribution_key,revenue,currency,ordered_at\n"
          "n1,douyin:1,100,CNY,2025-03-01T10:00:00+08:00\n"  # six hours before douyin:1 was published
          "n2,douyin:1,100,CNY,2025-03-05T10:00:00+08:00\n"
          "n3,ACME10,10,USD,2025-03-21T00:30:00+08:00\n"  # douyin:1's promo code, after the end
          "n4,SPRING,10,CNY,2025-03-25T00:00:00+08:00\n"  # the campaign's own code, after the end
          "n5,douyin:99,10,CNY,2025-01-01T00:00:00+08:00\n")  # no such post: a warning, no date note


@pytest.fixture
def ended(store: Store, campaign_cli: Callable[..., Result], tmp_path: Path) -> Callable[..., Result]:
    put(store, "campaigns", [
        {"tenant": "acme", "campaign_id": "c1", "name": "Spring launch", "time_zone": "Asia/Shanghai",
         "reporting_currency": "", "starts_at": T0, "ends_at": END, "brand_terms": ["Acme"], "version": 2}])
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id,campaign_id\npromo,SPRING,,c1\n")
    assert campaign_cli("sales", "keys", keys, "--tenant", "acme").exit_code == 0
    return campaign_cli


def roi_total(cli: Callable[..., Result], *options: str) -> dict:
    result = cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["total"]


def test_import_names_orders_outside_their_dates_by_line(ended: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    result = ended("sales", "import", path, "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert "5 orders read (3 by post id, 0 by link, 2 by promo code), 5 rows written" in result.stdout
    err = result.stderr
    assert "note: 1 order(s) dated before their post's publish time (counted in its ROAS all the same):\n" \
           "  orders.csv line 2: order n1 at 2025-03-01 10:00, douyin:1 published 2025-03-01 16:00 " \
           "(Asia/Shanghai)\n" in err
    assert "note: 2 order(s) dated after their campaign's end (counted in its ROAS all the same):\n" \
           "  orders.csv line 4: order n3 at 2025-03-21 00:30, campaign ended 2025-03-20 23:59 (Asia/Shanghai)\n" \
           "  orders.csv line 5: order n4 at 2025-03-25 00:00, campaign ended 2025-03-20 23:59 (Asia/Shanghai)\n" \
           in err
    notes = err[err.index("note:"):]  # after the warning that line 6's post is not registered
    assert "line 6: douyin:99" in err[:err.index("note:")] and "line 3" not in notes and "line 6" not in notes
    again = ended("sales", "import", path, "--tenant", "acme")  # nothing new written: the file's orders still are
    assert "already imported" in again.stdout and "note: 1 order(s) dated before" in again.stderr


def test_roi_counts_the_orders_it_includes_outside_their_dates(ended: Callable[..., Result],
                                                               tmp_path: Path) -> None:
    counts = ("orders_before_publish", "orders_after_campaign_end", "orders_outside_dates")
    total = roi_total(ended)
    assert [total[k] for k in counts] == [0, 0, 0]  # the fixture's orders o1, o2 are inside
    assert q.outside_note(total) == ""
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    ended("sales", "import", path, "--tenant", "acme")
    total = roi_total(ended)
    assert [total[k] for k in counts] == [1, 2, 3]
    assert q.outside_note(total) == (
        "note: 3 order(s) counted in the revenue and ROAS are dated outside their post's or campaign's dates "
        "(1 before their post's publish time; 2 after the campaign's end); they count all the same")
    table = ended("roi", "--campaign", "c1", "--tenant", "acme")
    assert q.outside_note(total) in table.output  # under the table
    # a window without the posts: only the campaign's own order dated in it counts
    later = roi_total(ended, "--since", "2025-03-02")
    assert [later[k] for k in counts] == [0, 1, 1]


def test_the_report_notes_the_orders_it_counts_outside_their_dates(ended: Callable[..., Result],
                                                                   tmp_path: Path) -> None:
    """The client's report counts the same orders as ``tracker roi`` and says so as roi does, on the
    page and in the workbook's summary (it said nothing)."""
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    ended("sales", "import", path, "--tenant", "acme")
    xlsx, html = tmp_path / "r.xlsx", tmp_path / "r.html"
    assert ended("report", "--campaign", "c1", "--tenant", "acme", "--xlsx", xlsx, "--html", html).exit_code == 0
    line = q.outside_note(roi_total(ended)).removeprefix("note: ")
    assert line.startswith("3 order(s) counted in the revenue and ROAS are dated outside")
    assert f'<p class="note" id="orders-outside">{line}</p>' in unescape(html.read_text(encoding="utf-8"))
    summary = load_workbook(xlsx)["Summary"]
    assert ["note", line] in [[c.value for c in row[:2]] for row in summary.iter_rows()]
