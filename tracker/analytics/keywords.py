"""Comment keywords: segmentation, lexicon matching, per-hour counts, intent rate.

Chinese text is segmented with jieba (lexicon terms are added to the
tokenizer's dictionary so that "求链接" stays one token); Latin words are
lower-cased tokens. A lexicon term matches when its own token sequence
appears in the comment's. Lexicons are data files in ``lexicons/``; brand and
product terms come per campaign.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

_LATIN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_CJK = re.compile(r"[\u3400-\u9fff]")
_lock = threading.Lock()


def _read_lexicon(name: str) -> tuple[str, ...]:
    text = (
        resources.files("tracker.analytics")
        .joinpath("lexicons")
        .joinpath(f"{name}.txt")
        .read_text("utf-8")
    )
    return tuple(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


@dataclass(frozen=True)
class Lexicon:
    """Terms per category (lower-case); ``brand`` holds the campaign's brand and product terms."""

    intent: tuple[str, ...]
    negative: tuple[str, ...]
    brand: tuple[str, ...] = ()
    _phrases: dict[str, tuple[tuple[str, ...], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def phrases(self, category: str) -> tuple[tuple[str, ...], ...]:
        """Token sequences of a category's terms."""
        cached = self._phrases.get(category)
        if cached is None:
            terms = getattr(self, category)
            tok = _tokenizer(self.all_terms())
            cached = tuple(p for p in (tuple(_tokens(tok, t)) for t in terms) if p)
            self._phrases[category] = cached
        return cached

    def all_terms(self) -> tuple[str, ...]:
        """Every term, sorted (the tokenizer's extra dictionary)."""
        return tuple(sorted(set(self.intent) | set(self.negative) | set(self.brand)))


def load_lexicon(brand_terms: Iterable[str] = ()) -> Lexicon:
    """The packaged intent and negative lexicons plus a campaign's brand/product terms."""
    brand = tuple(sorted({b.strip().lower() for b in brand_terms if b.strip()}))
    return Lexicon(_read_lexicon("intent"), _read_lexicon("negative"), brand)


@lru_cache(maxsize=64)
def _tokenizer(terms: tuple[str, ...]):  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _lock:
        tok = jieba.Tokenizer()
        tok.initialize()
        for term in terms:
            if _CJK.search(term):
                tok.add_word(term, freq=10**6)
    return tok


def _tokens(tok, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for piece in tok.cut(text.lower(), HMM=False):
        piece = piece.strip()
        if not piece:
            continue
        if _CJK.search(piece):
            out.append(piece)
        else:
            out.extend(_LATIN.findall(piece))
    return out


def tokenize(text: str, lexicon: Lexicon | None = None) -> list[str]:
    """Lower-cased tokens of a comment: jieba words for Chinese, words for Latin script."""
    terms = lexicon.all_terms() if lexicon is not None else ()
    return _tokens(_tokenizer(terms), text)


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    first = phrase[0]
    return any(t == first and tuple(tokens[i : i + n]) == phrase for i, t in enumerate(tokens))


@dataclass(frozen=True, slots=True)
class CommentClass:
    """Categories one comment falls in, and the terms that matched."""

    intent: bool
    negative: bool
    brand: bool
    terms: tuple[str, ...]


def classify(text: str, lexicon: Lexicon) -> CommentClass:
    """Which lexicon categories a comment matches."""
    tokens = tokenize(text, lexicon)
    hits: dict[str, list[str]] = {"intent": [], "negative": [], "brand": []}
    for category in hits:
        for phrase in lexicon.phrases(category):
            if _contains(tokens, phrase):
                hits[category].append(
                    "".join(phrase) if _CJK.search(phrase[0]) else " ".join(phrase)
                )
    terms = tuple(dict.fromkeys(t for c in hits.values() for t in c))
    return CommentClass(bool(hits["intent"]), bool(hits["negative"]), bool(hits["brand"]), terms)


@dataclass
class KeywordCounts:
    """Comment counts of one post in one hour, and term frequencies."""

    comments: int = 0
    intent: int = 0
    negative: int = 0
    brand: int = 0
    terms: dict[str, int] = field(default_factory=dict)

    def add(self, c: CommentClass) -> None:
        """Count one classified comment."""
        self.comments += 1
        self.intent += c.intent
        self.negative += c.negative
        self.brand += c.brand
        for t in c.terms:
            self.terms[t] = self.terms.get(t, 0) + 1


def hourly_counts(
    comments: Iterable[tuple[float, str]], lexicon: Lexicon
) -> dict[int, KeywordCounts]:
    """Counts per hour (hours since the epoch) from (time in hours, text) pairs."""
    out: dict[int, KeywordCounts] = {}
    for t, text in comments:
        out.setdefault(math.floor(t), KeywordCounts()).add(classify(text, lexicon))
    return out


def intent_rate(counts: Iterable[KeywordCounts]) -> float | None:
    """Comments with purchase intent ÷ comments (None when there are no comments)."""
    total = intent = 0
    for c in counts:
        total += c.comments
        intent += c.intent
    return intent / total if total else None
