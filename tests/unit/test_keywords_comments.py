"""Comment keywords on comments as people write them: negations, traditional characters,
full-width letters, apostrophes, English plurals ("Links?" asked for the link, and was no intent),
and terms reported as the lexicons write them."""

from __future__ import annotations

import pytest

from tracker.analytics.keywords import Lexicon, classify, load_lexicon
from tracker.stream.insights import Insights

LEXICON = load_lexicon(["花西子"])
INTENT = Lexicon(LEXICON.intent, ())
NEGATIVE = Lexicon((), LEXICON.negative)


@pytest.mark.parametrize("text", ["不想买", "不想下单", "劝大家别入手", "不会再入手了", "I don't want to buy this"])
def test_a_negated_intent_term_is_no_intent(text: str) -> None:
    assert not classify(text, INTENT).intent


@pytest.mark.parametrize("text", ["不知道怎么买", "怎么没有链接", "没有链接吗", "好想买", "not sure where to buy"])
def test_an_intent_term_after_other_words_stays_intent(text: str) -> None:
    assert classify(text, INTENT).intent


@pytest.mark.parametrize("text", ["敏感肌用了不过敏", "用了一个月都没过敏", "价格不太贵", "这次没翻车", "一点都不踩雷",
                                  "这不是智商税", "零差评", "not a scam, works great", "never disappointed"])
def test_a_negated_negative_term_is_not_negative(text: str) -> None:
    assert not classify(text, NEGATIVE).negative


@pytest.mark.parametrize("text", ["踩雷了，过敏", "太贵了", "不好用", "不退款", "no refund", "不会再买了", "再也不买了",
                                  "won't buy again", "this is a scam"])
def test_negative_comments_stay_negative(text: str) -> None:
    assert classify(text, NEGATIVE).negative


@pytest.mark.parametrize(("text", "term"), [("求連結", "求链接"), ("怎麼買", "怎么买"), ("這個多少錢", "多少钱"),
                                            ("哪裡買", "哪里买"), ("已下單", "已下单")])
def test_traditional_characters_read_as_the_lexicon(text: str, term: str) -> None:
    c = classify(text, INTENT)
    assert c.intent and c.terms == (term,)


def test_traditional_negative_terms_and_full_width_letters() -> None:
    assert classify("智商稅，騙人的", NEGATIVE).terms == ("智商税", "骗人")
    assert classify("ｗｈｅｒｅ ｔｏ ｂｕｙ", INTENT).terms == ("where to buy",)


def test_english_asking_for_the_link() -> None:
    for text in ("link?", "ok but link?", "link plz"):
        assert classify(text, INTENT).terms == ("link",), text


def test_terms_are_reported_as_the_lexicon_writes_them() -> None:
    """Curly or straight apostrophe, "does not" or "doesn't": one term, spelt as in the lexicon."""
    assert classify("what’s the price?", INTENT).terms == ("what's the price",)
    for text in ("doesn’t work for me", "doesn't work", "it does not work"):
        assert classify(text, NEGATIVE).terms == ("doesn't work",), text


def test_comment_rows_carry_the_lexicon_terms() -> None:
    row = Insights().comment_row({"tenant": "acme", "post_id": "youtube:abc", "comment_id": "1",
                                  "created_at": None, "text": "What’s the price? Mine doesn’t work"}, 7)
    assert row[7:11] == (1, 1, ["what's the price"], ["doesn't work"])


@pytest.mark.parametrize(("text", "category", "term"), [
    ("Links?", "intent", "link"), ("any links pls", "intent", "link"),
    ("scams everywhere", "negative", "scam"), ("refunds take forever", "negative", "refund"),
    ("they are fakes", "negative", "fake"),
])
def test_an_english_plural_counts_as_its_term(text: str, category: str, term: str) -> None:
    c = classify(text, INTENT if category == "intent" else NEGATIVE)
    assert getattr(c, category) and c.terms == (term,)


@pytest.mark.parametrize("text", ["is this good?", "no less than great", "bonus content", "not scams, works great"])
def test_words_ending_in_s_are_no_term_by_it(text: str) -> None:
    assert not classify(text, INTENT).intent and not classify(text, NEGATIVE).negative


@pytest.mark.parametrize("text", ["不打算入手", "不考虑入手了", "不准备下单", "不考慮入手", "不準備下單"])
def test_a_negation_of_several_characters_turns_the_intent_after_it_around(text: str) -> None:
    """jieba cut "不打算" into "不 打算": the term after "打算" was read as asked for."""
    assert not classify(text, INTENT).intent


@pytest.mark.parametrize("text", ["打算入手", "考虑入手", "准备下单", "不是想买吗"])
def test_intent_without_a_negation_before_it_stays_intent(text: str) -> None:
    assert classify(text, INTENT).intent
