"""The hourly keyword views count a campaign's brand terms as words, within their tenant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.store.store import Store

pytestmark = pytest.mark.integration

AT = datetime(2025, 3, 1, 10, tzinfo=UTC)


def seed(store: Store, texts: list[str]) -> None:
    def put(table: str, rows: list[dict]) -> None:
        columns = list(rows[0])
        store.insert_sync(table, [tuple(r[c] for c in columns) for r in rows], columns)

    put("campaigns", [{"tenant": tenant, "campaign_id": "c1", "name": "spring", "starts_at": AT,
                       "brand_terms": terms, "version": 1}
                      for tenant, terms in (("acme", ["MAC", "SK-II", "兰蔻"]), ("globex", []))])
    put("posts", [{"tenant": tenant, "post_id": "douyin:1", "platform": "douyin", "platform_post_id": "1",
                   "campaign_id": "c1", "published_at": AT, "version": 1} for tenant in ("acme", "globex")])
    comment = {"post_id": "douyin:1", "created_at": AT, "likes": None, "author_hash": "", "intent": 0,
               "negative": 0, "intent_terms": [], "negative_terms": [], "version": 1}
    put("comments", [{**comment, "tenant": "acme", "comment_id": f"a{i}", "text": text} for i, text in enumerate(texts)]
        + [{**comment, "tenant": "globex", "comment_id": "g1", "text": "MAC的口红"}])


def test_brand_terms_count_as_words_not_substrings(store: Store) -> None:
    seed(store, ["MAC的这支口红好看", "I love my mac!", "machine learning", "stomach ache", "macbook 真香",
                 "SK-II神仙水", "兰蔻小黑瓶", "sk-ii2"])
    terms = dict(store.query_sync(
        "SELECT term, sum(count) FROM keyword_hours WHERE tenant = 'acme' AND kind = 'brand' GROUP BY term").rows)
    assert terms == {"MAC": 2, "SK-II": 1, "兰蔻": 1}
    hours = store.query_sync("SELECT tenant, comments, brand_comments FROM comment_hours ORDER BY tenant").rows
    assert [tuple(h) for h in hours] == [("acme", 8, 4), ("globex", 1, None)]  # no brand terms: not looked for
