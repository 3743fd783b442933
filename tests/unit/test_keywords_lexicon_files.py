"""The lexicon files as people edit them: an indented "#" line is a comment, not the term "# …"; a
line with nothing a comment could match ("🔗", "？？") is refused naming its file and line (it was
left out without a word, so the terms a brand manager added never counted); a byte-order mark
written by an editor is no part of the first term (it was reported as "\ufeff求链接")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.analytics import keywords
from tracker.analytics.keywords import load_lexicon
from tracker.errors import ConfigError

NEGATIVE = "踩雷\nscam\n"


@pytest.fixture
def lexicons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lexicons folder read in place of the packaged one."""
    (tmp_path / "lexicons").mkdir()
    monkeypatch.setattr(keywords.resources, "files", lambda package: tmp_path)
    return tmp_path / "lexicons"


def test_an_indented_comment_line_is_no_term(lexicons: Path) -> None:
    (lexicons / "intent.txt").write_text("# purchase intent\n求链接\n  # added for the autumn campaign\nlink\n",
                                         encoding="utf-8")
    (lexicons / "negative.txt").write_text(NEGATIVE, encoding="utf-8")
    lexicon = load_lexicon()
    assert lexicon.intent == ("求链接", "link")


def test_a_line_without_a_word_is_refused_naming_its_file_and_line(lexicons: Path) -> None:
    (lexicons / "intent.txt").write_text("求链接\n多少钱\n🔗\n", encoding="utf-8")
    (lexicons / "negative.txt").write_text(NEGATIVE, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_lexicon()
    message = str(caught.value)
    assert "intent.txt line 3: '🔗'" in message and "write the term in words or remove the line" in message


def test_a_byte_order_mark_is_not_read_into_the_first_term(lexicons: Path) -> None:
    (lexicons / "intent.txt").write_text("求链接\nlink\n", encoding="utf-8-sig")
    (lexicons / "negative.txt").write_text("\ufeff" + NEGATIVE, encoding="utf-8")
    lexicon = load_lexicon()
    assert lexicon.intent == ("求链接", "link") and lexicon.negative == ("踩雷", "scam")


def test_the_packaged_lexicons_load() -> None:
    lexicon = load_lexicon()
    assert "求链接" in lexicon.intent and "scam" in lexicon.negative
