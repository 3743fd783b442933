"""The hourly keyword views count a campaign's brand terms as words, within their tenant, in the text
as the comment lexicons read it (full-width letters as ASCII, traditional characters as simplified)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tracker.analytics import keywords
from tracker.broker import topics as t
from tracker.contracts import decode
from tracker.store.store import Store
from tracker.stream import rows as r
from tracker.stream.insights import Insights
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState

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


def test_brand_terms_match_full_width_and_traditional_writing(store: Store) -> None:
    """The worker reads intent and negative terms after NFKC and traditional → simplified; brand terms
    were matched in the raw text, so "ＭＡＣ" and "Ｓｋ－ＩＩ" named no brand (brand_comments 1 of 3)."""
    seed(store, ["ＭＡＣ的口红", "Ｓｋ－ＩＩ神仙水", "plain MAC", "ＭＡＣＨＩＮＥ learning"])
    terms = dict(store.query_sync(
        "SELECT term, sum(count) FROM keyword_hours WHERE tenant = 'acme' AND kind = 'brand' GROUP BY term").rows)
    assert terms == {"MAC": 2, "SK-II": 1}  # hand count; reported as the campaign writes them
    hours = store.query_sync("SELECT tenant, comments, brand_comments FROM comment_hours ORDER BY tenant").rows
    assert [tuple(h) for h in hours] == [("acme", 4, 3), ("globex", 1, None)]


def test_a_traditional_brand_term_matches_simplified_text(store: Store) -> None:
    """A campaign whose brand terms write 還原液 counts the comments that write 还原液, and the other way round."""
    seed(store, ["还原液好用吗", "還原液多少钱"])
    store.insert_sync("campaigns", [("acme", "c1", "spring", AT, ["還原液"], 2)],
                      ["tenant", "campaign_id", "name", "starts_at", "brand_terms", "version"])
    terms = store.query_sync("SELECT term, sum(count) FROM keyword_hours WHERE tenant = 'acme' AND kind = 'brand' "
                             "GROUP BY term").rows
    assert [tuple(t) for t in terms] == [("還原液", 2)]


def test_the_views_read_traditional_characters_with_the_workers_table(store: Store) -> None:
    """Every pair of the worker's traditional → simplified characters (keywords._TRADITIONAL): a comment
    written in the traditional ones names a brand term written in the simplified ones, as the worker's
    lexicons read them."""
    table = keywords._TRADITIONAL
    traditional = "".join(map(chr, table))
    simplified = "".join(map(chr, table.values()))
    assert all(keywords._normal(chr(old)) == chr(new) for old, new in table.items())
    seed(store, [traditional])
    store.insert_sync("campaigns", [("acme", "c1", "spring", AT, [simplified], 2)],
                      ["tenant", "campaign_id", "name", "starts_at", "brand_terms", "version"])
    hits = store.query_sync("SELECT brand_comments FROM comment_hours WHERE tenant = 'acme'").rows
    assert [tuple(h) for h in hits] == [(1,)]


def test_a_reply_is_stored_with_the_comment_it_answers_and_counted_once(store: Store) -> None:
    """A purchase question asked in a reply ("同问链接") reaches the intent counts with the comment it
    answers; read again on a later poll it is the same comment, counted once."""
    seed(store, [])
    top = {"tenant": "acme", "post_id": "douyin:1", "platform": "douyin", "comment_id": "c1", "text": "这支多少钱",
           "created_at": AT.isoformat()}
    reply = {**top, "comment_id": "c2", "parent_id": "c1", "text": "同问链接"}
    out = Output()
    processor = Processor(6, Insights())
    for offset, message in enumerate((top, reply, reply)):  # the reply answered again by a later poll
        processor.apply(Source(t.COMMENTS, 0, offset, b"douyin:1"), decode(t.COMMENTS, orjson.dumps(message)),
                        PostState(), out)
    store.insert_sync("comments", out.rows[r.COMMENTS], list(r.COLUMNS[r.COMMENTS]))
    stored = store.query_sync("SELECT comment_id, parent_id, intent FROM comments FINAL WHERE tenant = 'acme' "
                              "ORDER BY comment_id").rows
    assert [tuple(c) for c in stored] == [("c1", "", 1), ("c2", "c1", 1)]
    hours = store.query_sync("SELECT comments, intent_comments FROM comment_hours WHERE tenant = 'acme'").rows
    assert [tuple(h) for h in hours] == [(2, 2)]
