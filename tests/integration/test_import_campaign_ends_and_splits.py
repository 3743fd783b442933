"""``tracker posts import`` into the store: a campaign ending on a date ends at the last millisecond of
that day in the campaign's zone (a re-import of the same file writes nothing: the stored DateTime64(3)
equals what the file reads), and a bundle's split reaches the bundles table and the shares the ROI
views compute from it, instead of ``equal`` whatever the file said."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from tests.integration.test_roi import post, put, totals
from tracker.store.store import Store

pytestmark = pytest.mark.integration

Run = Callable[..., Result]
HEADER = ("tenant,campaign,creator,followers,platform,post,published_at,fee,bundle,bundle_fee,bundle_split,"
          "time_zone,campaign_start,campaign_end\n")


@pytest.fixture
def cli(cli_on_broker: Run) -> Run:
    return cli_on_broker


def test_a_date_only_end_is_stored_as_the_end_of_that_day_and_reimports_as_unchanged(cli: Run, store: Store,
                                                                                      tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "acme,fall,cr-1,12000,douyin,7301234567890123401,2025-09-02T12:00:00+08:00,100,,,,"
                             "Asia/Shanghai,2025-09-01,2025-09-08\n", encoding="utf-8")
    result = cli("posts", "import", path)
    assert result.exit_code == 0, result.output
    stored = store.query_sync("SELECT starts_at, ends_at FROM campaigns FINAL WHERE campaign_id = 'fall'").rows
    assert [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in stored] == [
        (datetime(2025, 8, 31, 16, tzinfo=UTC), datetime(2025, 9, 8, 15, 59, 59, 999_000, tzinfo=UTC))]
    again = cli("posts", "import", path)
    assert again.exit_code == 0 and "campaigns" not in again.output, again.output


def test_a_bundles_split_reaches_the_store_and_its_shares(cli: Run, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "".join(
        f"acme,fall,cr-1,12000,douyin,73012345678901234{i},2025-09-02T12:00:00+08:00,,b-1,{fee},{split},,,\n"
        for i, fee, split in ((1, "\"3,000\"", "by_views"), (2, "", ""))), encoding="utf-8")
    result = cli("posts", "import", path)
    assert result.exit_code == 0, result.output
    assert store.query_sync("SELECT bundle_id, toString(split), amount FROM bundles FINAL").rows == [
        ("b-1", "by_views", 3000)]
    # once the worker has written the posts and their totals: the shares follow the views, 3 : 1
    ids = ("douyin:7301234567890123401", "douyin:7301234567890123402")
    put(store, "posts", [post("acme", pid, "fall", "cr-1", "micro", "video", bundle="b-1") for pid in ids])
    put(store, "post_totals", [totals("acme", pid, "fall", views, 0, 0, 0, 0, None)
                               for pid, views in zip(ids, (30_000, 10_000), strict=True)])
    shares = dict(store.query_sync("SELECT post_id, share FROM v_bundle_shares WHERE bundle_id = 'b-1'").rows)
    assert shares == {ids[0]: pytest.approx(0.75), ids[1]: pytest.approx(0.25)}


def test_a_split_the_store_does_not_compute_is_refused_and_nothing_is_written(cli: Run, store: Store,
                                                                              tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "acme,fall,cr-1,12000,douyin,7301234567890123401,2025-09-02T12:00:00+08:00,,b-1,3000,"
                             "60/40,,,\n", encoding="utf-8")
    result = cli("posts", "import", path)
    assert result.exit_code != 0
    assert ("line 2: bundle_split: a bundle is split equal, by_views, by_engagements or by_fee over its posts "
            "(got '60/40'); for other shares give each post its own fee instead of a bundle") in result.output
    assert store.query_sync("SELECT count() FROM bundles").scalar() == 0
