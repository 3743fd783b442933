"""A post deleted from the registry leaves the ROI figures, and v_money (the audit trail of every amount
they count) with them: its lines stayed listed under their campaign, so the campaign's money summed to
more than its spend, and `tracker roi` asked for a rate only the deleted post's amounts lacked. Beside
the fixture campaign of tests/integration/test_roi.py (acme reports in CNY)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from click.testing import Result

from tests.integration.test_roi import cost, post, put
from tracker.store.store import Store

pytestmark = pytest.mark.integration

SPEND = "('fee', 'service_fee', 'bundle', 'extra', 'heating')"


def delete_a_post_with_costs(store: Store, currency: str) -> None:
    """bilibili:7 of campaign c1, its fee 2,000 and an extra cost of 30 in ``currency``, then deleted
    from the registry (a newer version of its entry)."""
    put(store, "posts", [post("acme", "bilibili:7", "c1", "cr1", "mid", "video")])
    put(store, "cost_lines", [cost("acme", "bilibili:7:fee", "c1", "bilibili:7", "fee", "2000", "CNY", date(2025, 3, 1)),
                              cost("acme", "x7", "c1", "bilibili:7", "extra", "30", currency, date(2025, 3, 2))])
    put(store, "posts", [{**post("acme", "bilibili:7", "c1", "cr1", "mid", "video"), "deleted": 1, "version": 2}])


def test_the_campaigns_money_sums_to_its_spend_without_a_deleted_post(campaign_cli: Callable[..., Result],
                                                                      store: Store) -> None:
    spend = store.query_sync("SELECT spend FROM v_roi_campaign WHERE tenant = 'acme' AND campaign_id = 'c1'").scalar()
    delete_a_post_with_costs(store, "USD")
    assert store.query_sync("SELECT spend FROM v_roi_campaign WHERE tenant = 'acme' "
                            "AND campaign_id = 'c1'").scalar() == pytest.approx(spend)  # it counts in no figure
    money = store.query_sync(f"SELECT sum(converted) FROM v_money WHERE tenant = 'acme' AND campaign_id = 'c1' "
                             f"AND scope != 'tenant' AND component IN {SPEND}").scalar()
    assert money == pytest.approx(spend)
    assert store.query_sync("SELECT count() FROM v_money WHERE post_id = 'bilibili:7'").scalar() == 0


def test_roi_asks_for_no_rate_only_a_deleted_posts_amounts_lack(campaign_cli: Callable[..., Result],
                                                              store: Store) -> None:
    delete_a_post_with_costs(store, "GBP")
    put(store, "cost_lines", [cost("acme", "x-jpy", "c1", "douyin:5", "extra", "1000", "JPY", date(2025, 3, 2))])
    roi = campaign_cli("roi", "--campaign", "c1", "--tenant", "acme")
    assert roi.exit_code == 0, roi.output
    assert "warning: 1 amount(s) have no FX rate to CNY" in roi.stderr
    assert "JPY → CNY needed from 2025-03-02" in roi.stderr
    assert "GBP" not in roi.stderr, roi.stderr
