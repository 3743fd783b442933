"""``tracker top --metric engagements`` (or views, or spend) shows the ranked figure once: the
table had its own column and the value column, both named after it. The CSV keeps its columns
(each named by its key: engagements, value), the same whatever the metric."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from click.testing import Result

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("metric", ["engagements", "views", "spend"])
def test_the_ranked_figure_has_one_column(campaign_cli: Callable[..., Result], metric: str) -> None:
    args = ("top", "--campaign", "c1", "--tenant", "acme", "--metric", metric)
    table = campaign_cli(*args)
    assert table.exit_code == 0, table.output
    header = table.output.splitlines()[1].split()
    assert header.count(metric) == 1, table.output
    assert header[-2:] == [metric, "CNY"] if metric == "spend" else header[-1] == metric, table.output
    out = campaign_cli(*args, "--format", "csv")
    assert out.exit_code == 0, out.output
    head = next(csv.reader(io.StringIO(out.stdout)))
    assert head[-5:] == ["creator_tier", "spend", "views", "engagements", "value"], head


def test_other_metrics_keep_the_spend_views_and_engagements_columns(campaign_cli: Callable[..., Result]) -> None:
    table = campaign_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "saves")
    header = table.output.splitlines()[1].split()
    assert {"spend", "views", "engagements"} <= set(header) and header[-1] == "saves", table.output
