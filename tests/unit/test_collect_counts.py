"""Counter texts capped with a "+" are lower bounds, like the rounded ones."""

from __future__ import annotations

import pytest

from tracker.collect.counts import count


@pytest.mark.parametrize(("text", "value", "rounded"), [
    ("999+", 999, True), ("99+", 99, True), ("10万+", 100_000, True), ("1.2万+", 12_000, True),
    ("999", 999, False), ("1,000", 1000, False), (999, 999, False),
])
def test_a_capped_count_is_a_lower_bound(text: object, value: int, rounded: bool) -> None:
    assert count(text, "likes", "xiaohongshu") == (value, rounded)


@pytest.mark.parametrize(("text", "value"), [("1.2千", 1_200), ("3千", 3_000), ("5.6千+", 5_600)])
def test_a_count_in_thousands_written_in_chinese_is_read_as_rounded(text: str, value: int) -> None:
    """"1.2千" (a display count some exports and providers give) was refused: the post's snapshot was lost."""
    assert count(text, "likes", "export") == (value, True)
