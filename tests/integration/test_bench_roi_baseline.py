"""``make bench`` times the campaign ROI query next to the same report on the views as they were
before migration 0005, and first checks that both give the same figures. Nothing else ran those
baseline views: when migration 0024 gave the report's query a column they lack, the bench failed
on its first query. This builds them on the bench's seed and compares the two reports."""

from __future__ import annotations

import pytest

from tests.bench.bench_roi import CAMPAIGN, TENANT, same_figures, seeded_with_baseline
from tracker.report import queries as q
from tracker.store.store import Store

pytestmark = pytest.mark.integration


def test_the_views_before_0005_answer_the_report_as_todays_do(store: Store) -> None:
    reader, before = seeded_with_baseline(store)
    camp = q.campaign(reader, CAMPAIGN, TENANT)
    today = q.roi_report(reader, camp, "platform")
    assert len(today[0]) == 10  # 9 platforms + campaign-level
    assert same_figures(today, q.roi_report(before, camp, "platform"))  # type: ignore[arg-type]
