"""The demo campaign's EMV unit values are its tenants' own, not every tenant's.

deploy/demo/campaign.yaml (imported by ``tracker run --demo`` and ``make run``) listed them
without a tenant, which the registry stores as tenant '' (global): every tenant's posts took
them, and a user's own campaign, imported after the demo with no unit values of its own, read
an EMV in CNY where the README says it is n/a.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.test_roi import post, put, totals
from tracker.registry.importer import parse, write_tables
from tracker.registry.records import Options
from tracker.settings import Settings
from tracker.store.store import Store

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "campaign.yaml"


def test_after_the_demo_another_tenants_post_has_no_emv(store: Store, store_settings: Settings) -> None:
    registry = parse(DEMO, Options(version=1))
    assert not registry.problems
    assert {row["tenant"] for row in registry.tables["emv_unit_values"]} == {"lumi-beauty", "northpeak"}
    write_tables(store_settings, registry.tables)  # as `tracker posts import` writes them
    published = datetime(2025, 10, 1, tzinfo=UTC)
    put(store, "tenants", [{"tenant": "own-brand", "name": "Own", "reporting_currency": "CNY", "version": 1}])
    put(store, "posts", [post("lumi-beauty", "douyin:71", "lumi-serum-launch", "cr-0001", "mid", "video",
                              published=published),
                         post("own-brand", "douyin:72", "own-launch", "cr-9", "mid", "video", published=published)])
    put(store, "post_totals", [totals("lumi-beauty", "douyin:71", "lumi-serum-launch", 10_000, 500, 40, 10, 60, None),
                               totals("own-brand", "douyin:72", "own-launch", 10_000, 500, 40, 10, 60, None)])
    emv = dict(store.query_sync("SELECT tenant, emv FROM v_roi_post WHERE post_id IN ('douyin:71', 'douyin:72')").rows)
    assert emv["lumi-beauty"] == pytest.approx(10_000 * 0.02 + 500 * 0.3 + 40 * 1.0 + 10 * 0.8 + 60 * 1.2)
    assert emv["own-brand"] is None  # n/a: no unit value of its own, and none global
