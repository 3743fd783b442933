"""A fee corrected in the registry (fee 300 USD → none, service fee rate 5 % → 0) leaves no stale fee in
the ROI: the worker writes the line again as 0 with the newer version, and a 0 never reads as an amount
without an FX rate. The worker's rows are stored as its sink stores them, beside the fixture campaign of
tests/integration/test_roi.py (acme reports in CNY; its campaign c2 in USD)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_roi import seed_campaign
from tracker.broker import topics as t
from tracker.store.store import Store
from tracker.stream import rows as r
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState

pytestmark = pytest.mark.integration

UPDATED = datetime(2025, 3, 1, tzinfo=UTC)


def registered(post_id: str, campaign: str, version: int, fee: tuple[str, str] | None = None,
               service_fee: str | None = None, reporting_currency: str | None = None) -> dict[str, Any]:
    """A decoded registry message of ``post_id`` (acme), published 2025-03-03 08:00 UTC."""
    amount, currency = fee or ("0", "")
    return {
        "tenant": "acme", "post_id": post_id, "platform": "douyin", "platform_post_id": post_id.split(":")[1],
        "url": None, "title": None, "campaign_id": campaign, "creator_id": "cr9", "creator_tier": "mid",
        "followers": None, "published_at": datetime(2025, 3, 3, 8, tzinfo=UTC), "content_form": "video",
        "tracking_end": None, "bundle_id": None, "tags": [], "campaign_tz": "Asia/Shanghai",
        "reporting_currency": reporting_currency, "deleted": False,
        "fee": {"amount": amount, "currency": currency} if fee else None,
        "service_fee": {"amount": service_fee, "currency": currency} if service_fee else None,
        "updated_at": UPDATED + timedelta(hours=version),
    }


def work(store: Store, *messages: dict[str, Any]) -> None:
    """Apply ``messages`` in order (one state per post) and store the posts and cost lines they write."""
    states: dict[str, PostState] = {}
    proc = Processor()
    for offset, m in enumerate(messages):
        out = Output()
        proc.apply(Source(t.POSTS, 0, offset, m["post_id"].encode()), m, states.setdefault(m["post_id"], PostState()),
                   out)
        for table in (r.POSTS, r.COST_LINES):
            if out.rows.get(table):
                store.insert_sync(table, out.rows[table], r.COLUMNS[table])


def money(store: Store, post_id: str) -> dict[str, Any]:
    (row,) = store.query_sync("SELECT fee, service_fee, spend, spend_tenant, fx_missing FROM v_roi_post "
                              "WHERE tenant = 'acme' AND post_id = {p:String}", {"p": post_id}).named()
    return row


def test_corrected_fees_leave_no_old_line_counted(store: Store) -> None:
    seed_campaign(store)
    work(store,
         registered("douyin:91", "c1", 1, ("300", "USD")),  # fee 300 USD → none (no campaign currency named)
         registered("douyin:92", "c1", 1, ("10000", "CNY"), "500", "CNY"),  # service fee 5 % → 0
         registered("douyin:93", "c2", 1, ("1000", "CNY"), reporting_currency="USD"),  # CNY fee, USD campaign
         registered("douyin:94", "c1", 1, ("50", "GBP"), reporting_currency="CNY"))  # GBP: no rate at all
    before = {p: money(store, p) for p in ("douyin:91", "douyin:92", "douyin:93", "douyin:94")}
    assert before["douyin:91"]["fee"] == pytest.approx(300 * 7.1)
    assert before["douyin:92"]["service_fee"] == pytest.approx(500)
    assert before["douyin:94"]["fx_missing"] == 1 and before["douyin:94"]["spend"] is None

    work(store,
         registered("douyin:91", "c1", 1, ("300", "USD")), registered("douyin:91", "c1", 2),
         registered("douyin:92", "c1", 1, ("10000", "CNY"), "500", "CNY"),
         registered("douyin:92", "c1", 2, ("10000", "CNY"), reporting_currency="CNY"),
         registered("douyin:93", "c2", 1, ("1000", "CNY"), reporting_currency="USD"),
         registered("douyin:93", "c2", 2, reporting_currency="USD"),
         registered("douyin:94", "c1", 1, ("50", "GBP"), reporting_currency="CNY"),
         registered("douyin:94", "c1", 2, reporting_currency="CNY"))
    after = {p: money(store, p) for p in before}
    assert after["douyin:91"] == {"fee": 0, "service_fee": 0, "spend": 0, "spend_tenant": 0, "fx_missing": 0}
    assert after["douyin:92"] == {"fee": 10_000, "service_fee": 0, "spend": 10_000, "spend_tenant": 10_000,
                                  "fx_missing": 0}
    assert after["douyin:93"] == {"fee": 0, "service_fee": 0, "spend": 0, "spend_tenant": 0, "fx_missing": 0}
    # the stale GBP fee had no rate: its 0, in the campaign's currency, needs none
    assert after["douyin:94"] == {"fee": 0, "service_fee": 0, "spend": 0, "spend_tenant": 0, "fx_missing": 0}
    stale = store.query_sync("SELECT count() FROM cost_lines FINAL WHERE tenant = 'acme' AND amount != 0 "
                             "AND post_id IN ('douyin:91', 'douyin:93', 'douyin:94')").rows
    assert stale == [(0,)]
