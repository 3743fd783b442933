"""``tracker roi --since/--until`` names only the missing FX rates of the amounts its window counts.

The warning's count (fx_missing) was the window's, but the rates it listed, with the commands to
record them, were those of every amount of the campaign: a post published outside the window, or
a cost of no post dated outside it, asked for a rate that would change no figure shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from click.testing import Result

from tests.integration.test_roi import cost, post, put
from tracker.store.store import Store

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(campaign_cli: Callable[..., Result], store: Store) -> Callable[..., Result]:
    """Campaign c1 of acme with three amounts without a rate to CNY: a JPY extra of douyin:5 (published
    2025-03-01), the GBP fee of douyin:9 (published 2025-04-01) and a KRW cost of no post dated 2025-04-02."""
    put(store, "posts", [post("acme", "douyin:9", "c1", "cr1", "mid", "video",
                              published=datetime(2025, 4, 1, 8, tzinfo=UTC))])
    put(store, "cost_lines", [
        cost("acme", "x-jpy", "c1", "douyin:5", "extra", "1000", "JPY", date(2025, 3, 2)),
        cost("acme", "douyin:9:fee", "c1", "douyin:9", "fee", "300", "GBP", date(2025, 3, 1)),
        cost("acme", "x-krw", "c1", "", "extra", "50000", "KRW", date(2025, 4, 2)),
    ])
    return campaign_cli


def warned(cli: Callable[..., Result], *window: str) -> tuple[str, list[str]]:
    """The warning's first line and the currencies it asks a rate for."""
    result = cli("roi", "--campaign", "c1", "--tenant", "acme", *window)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    first = next(line for line in lines if line.startswith("warning:"))
    return first, [line.split()[0] for line in lines if "tracker costs fx --base" in line]


def test_until_lists_only_the_rates_of_the_posts_and_costs_before_it(cli: Callable[..., Result]) -> None:
    first, pairs = warned(cli, "--until", "2025-03-10")
    assert first.startswith("warning: 1 amount(s) have no FX rate to CNY"), first
    assert pairs == ["JPY"]


def test_since_lists_only_the_rates_of_the_posts_and_costs_from_it(cli: Callable[..., Result]) -> None:
    first, pairs = warned(cli, "--since", "2025-03-15")
    assert first.startswith("warning: 2 amount(s) have no FX rate to CNY"), first
    assert pairs == ["GBP", "KRW"]  # douyin:9's fee is counted whatever its date (the post is in the window)


def test_without_a_window_every_missing_rate_is_listed(cli: Callable[..., Result]) -> None:
    first, pairs = warned(cli)
    assert first.startswith("warning: 3 amount(s) have no FX rate to CNY"), first
    assert pairs == ["GBP", "JPY", "KRW"]
