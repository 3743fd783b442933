"""The hourly comment views leave out the comments of a post deleted from the registry, as every ROI
figure does: comment_hours and keyword_hours still counted them, so an analyst's intent comments or
brand mentions of a tenant or campaign (summed over them) were more than v_roi_campaign's for the same
posts. A post imported again counts again; comments of a post not registered yet stay as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.store.store import Store

pytestmark = pytest.mark.integration

AT = datetime(2025, 3, 1, 10, tzinfo=UTC)
KEPT, DELETED, UNREGISTERED = "douyin:1", "douyin:2", "douyin:3"


def put(store: Store, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    store.insert_sync(table, [tuple(r[c] for c in columns) for r in rows], columns)


def registered(post_id: str, deleted: int, version: int) -> dict:
    return {"tenant": "acme", "post_id": post_id, "platform": "douyin", "platform_post_id": post_id[-1:],
            "campaign_id": "c1", "published_at": AT, "deleted": deleted, "version": version}


def seed(store: Store) -> None:
    put(store, "campaigns", [{"tenant": "acme", "campaign_id": "c1", "name": "spring", "starts_at": AT,
                              "brand_terms": ["MAC"], "version": 1}])
    put(store, "posts", [registered(KEPT, 0, 1), registered(DELETED, 0, 1)])
    put(store, "comments", [
        {"tenant": "acme", "post_id": post_id, "comment_id": f"{post_id}:{i}", "created_at": AT, "text": "MAC 求链接",
         "likes": None, "author_hash": "", "intent": 1, "negative": 0, "intent_terms": ["求链接"],
         "negative_terms": [], "version": 1}
        for post_id in (KEPT, DELETED, UNREGISTERED) for i in range(2)])
    put(store, "posts", [registered(DELETED, 1, 2)])  # its tombstone, read by the worker


def hourly(store: Store) -> dict[str, tuple]:
    rows = store.query_sync("SELECT post_id, sum(comments), sum(intent_comments), sum(brand_comments) "
                            "FROM comment_hours GROUP BY post_id").rows
    return {str(r[0]): tuple(r[1:]) for r in rows}


def terms(store: Store) -> dict[tuple[str, str], int]:
    rows = store.query_sync("SELECT post_id, term, sum(count) FROM keyword_hours GROUP BY post_id, term").rows
    return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}


def test_the_comment_views_leave_out_a_deleted_posts_comments(store: Store) -> None:
    seed(store)
    assert hourly(store) == {KEPT: (2, 2, 2), UNREGISTERED: (2, 2, None)}  # no campaign: no brand looked for
    assert terms(store) == {(KEPT, "MAC"): 2, (KEPT, "求链接"): 2, (UNREGISTERED, "求链接"): 2}
    campaign = store.query_sync("SELECT sum(c.intent_comments) FROM comment_hours AS c INNER JOIN "
                                "(SELECT tenant, post_id, campaign_id FROM posts FINAL) AS p "
                                "ON p.tenant = c.tenant AND p.post_id = c.post_id WHERE p.campaign_id = 'c1'").scalar()
    roi = store.query_sync("SELECT intent_comments FROM v_roi_campaign WHERE campaign_id = 'c1'").scalar()
    assert campaign == roi == 2

    put(store, "posts", [registered(DELETED, 0, 3)])  # imported again
    assert hourly(store)[DELETED] == (2, 2, 2)
    assert terms(store)[(DELETED, "MAC")] == 2
