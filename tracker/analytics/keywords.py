"""Comment keywords: segmentation, lexicon matching, per-hour counts, intent rate.

Chinese text is segmented with jieba (lexicon terms are added to the
tokenizer's dictionary so that "求链接" stays one token); Latin words are
lower-cased tokens. Text and terms are read alike first: full-width letters
as ASCII (NFKC), "n't" as "not", the traditional characters of the
lexicons as simplified ones ("怎麼買" reads "怎么买", "連結" "链接"), and a
Latin plural as its singular ("links?" asks for the "link"). A lexicon
term matches when its own token sequence appears in the comment's, unless a
negation stands right before it ("不想买", "没过敏", "not a scam"). Lexicons
are data files in ``lexicons/``; brand and product terms come per campaign.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from tracker.errors import ConfigError

_LATIN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_CJK = re.compile(r"[\u3400-\u9fff]")
_NOT = re.compile(r"(?<=[a-z])n['’]t\b")
_lock = threading.Lock()
_TRADITIONAL = str.maketrans(
    "鏈連結麼買裡裏兒賣錢價購單種黃車稅貨騙難評過爛臉虛傳廣飯貴嗎會沒別無這個薦還從絕並慮準備",
    "链连结么买里里儿卖钱价购单种黄车税货骗难评过烂脸虚传广饭贵吗会没别无这个荐还从绝并虑准备",
)
"""Traditional characters of the lexicon terms (and of the negations) → simplified."""
_WORDS = (("连结", "链接"),)
"""Words written otherwise in Taiwan and Hong Kong (連結, after the character fold) → the lexicon's."""
NEGATIONS = {
    "intent": frozenset({"不", "不想", "不会", "不要", "不用", "别", "不再", "再也不", "绝不", "不打算", "不准备",
                         "不考虑", "not", "never"}),
    "negative": frozenset({"不", "不是", "没", "没有", "无", "零", "从不", "从没", "并不", "并没有", "毫不", "绝不",
                           "不会", "不算", "not", "never"}),
}
"""Per category, the tokens that turn a term right after them around ("不想买", "没过敏", "零差评",
"not a scam"). "没" does not negate intent: "怎么没有链接" still asks for the link."""
_WHOLE_NEGATIONS = tuple(sorted({w for words in NEGATIONS.values() for w in words if len(w) > 1 and _CJK.search(w)}))
"""The Chinese negations of several characters, kept whole by the segmenter: jieba cuts "不打算入手"
into "不 打算 入手", and the term after "打算" was read as asked for."""
FIRM = frozenset({"退货", "退款", "refund"})
"""Terms no negation turns around: "不退款", "no refund" are complaints too."""
_BRIDGE = frozenset({"再", "会", "要", "是", "都", "也", "想", "敢", "去", "a", "an", "the", "to", "be", "really",
                     "even", "ever", "going", "gonna", "want", "wanna"})
"""Tokens that may stand between a negation and its term ("不会再入手", "not a scam")."""


def _read_lexicon(name: str) -> tuple[str, ...]:
    """The terms of ``lexicons/<name>.txt``: one a line, lower-cased; blank lines and lines starting
    with "#" (indented or not) are left out. A term with nothing the matcher reads (no Chinese
    character, Latin letter or digit: "🔗", "？？") is refused naming its line, as it would never count."""
    path = resources.files("tracker.analytics").joinpath("lexicons").joinpath(f"{name}.txt")
    return _lexicon_terms(path.read_text("utf-8-sig"), str(path))


def _lexicon_terms(text: str, source: str) -> tuple[str, ...]:
    """The terms of a lexicon file's ``text`` (``source`` names it in errors); see ``_read_lexicon``."""
    terms: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        term = line.strip().lower()
        if not term or term.startswith("#"):
            continue
        normal = _normal(term)
        if not (_CJK.search(normal) or _LATIN.search(normal)):
            raise ConfigError(f"{source} line {number}: {line.strip()!r} holds no word a comment could match (Chinese "
                              "characters, Latin letters or digits); write the term in words or remove the line")
        terms.append(term)
    return tuple(terms)


@dataclass(frozen=True)
class Lexicon:
    """Terms per category (lower-case); ``brand`` holds the campaign's brand and product terms."""

    intent: tuple[str, ...]
    negative: tuple[str, ...]
    brand: tuple[str, ...] = ()
    _phrases: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def phrases(self, category: str) -> tuple[tuple[str, ...], ...]:
        """Token sequences of a category's terms."""
        return tuple(p for _, p in self.entries(category))

    def entries(self, category: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """A category's terms as written, each with its token sequence (one term per sequence)."""
        cached = self._phrases.get(category)
        if cached is None:
            terms = getattr(self, category)
            tok = _tokenizer(self.all_terms())
            seen: dict[tuple[str, ...], str] = {}
            for term in terms:
                seen.setdefault(tuple(_words(tok, term)), term)
            cached = tuple((term, p) for p, term in seen.items() if p)
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
                tok.add_word(_normal(term), freq=10**6)
        for word in _WHOLE_NEGATIONS:  # below the terms: "不会回购" stays one term
            tok.add_word(word, freq=10**5)
    return tok


def _normal(text: str) -> str:
    """The text as the lexicons read it: NFKC, lower case, "n't" → " not", simplified characters."""
    text = _NOT.sub(" not", unicodedata.normalize("NFKC", text).lower()).translate(_TRADITIONAL)
    for variant, word in _WORDS:
        text = text.replace(variant, word)
    return text


def _tokens(tok, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    for piece in tok.cut(_normal(text), HMM=False):
        piece = piece.strip()
        if not piece:
            continue
        if _CJK.search(piece):
            out.append(piece)
        else:
            out.extend(_LATIN.findall(piece))
    return out


def _singular(token: str) -> str:
    """A Latin word without its plural "s" ("links" → "link", "scams" → "scam"), read alike in terms
    and comments; "ss", "us", "is" endings and words of three letters or fewer stay ("less", "bonus",
    "this", "yes")."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")) and token.isascii() \
            and token.isalpha():
        return token[:-1]
    return token


def _words(tok, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The tokens terms and comments are matched on: ``_tokens`` with Latin plurals singular."""
    return [_singular(t) for t in _tokens(tok, text)]


def tokenize(text: str, lexicon: Lexicon | None = None) -> list[str]:
    """Lower-cased tokens of a comment: jieba words for Chinese, words for Latin script."""
    terms = lexicon.all_terms() if lexicon is not None else ()
    return _tokens(_tokenizer(terms), text)


def _contains(tokens: list[str], phrase: tuple[str, ...], negations: frozenset[str] = frozenset()) -> bool:
    """Whether ``phrase`` appears in ``tokens`` once at least without one of ``negations`` before it."""
    n = len(phrase)
    first = phrase[0]
    return any(t == first and tuple(tokens[i : i + n]) == phrase and not _negated(tokens, i, negations)
               for i, t in enumerate(tokens))


def _negated(tokens: list[str], i: int, negations: frozenset[str]) -> bool:
    j = i - 1
    while j >= 0 and tokens[j] in _BRIDGE:
        j -= 1
    return j >= 0 and tokens[j] in negations


@dataclass(frozen=True, slots=True)
class CommentClass:
    """Categories one comment falls in, and the terms that matched."""

    intent: bool
    negative: bool
    brand: bool
    terms: tuple[str, ...]


def classify(text: str, lexicon: Lexicon) -> CommentClass:
    """Which lexicon categories a comment matches."""
    tokens = _words(_tokenizer(lexicon.all_terms()), text)
    hits: dict[str, list[str]] = {"intent": [], "negative": [], "brand": []}
    for category in hits:
        negations = NEGATIONS.get(category, frozenset())
        for term, phrase in lexicon.entries(category):
            if _contains(tokens, phrase, frozenset() if term in FIRM else negations):
                hits[category].append(term)
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
