"""The Campaign ROI board's points of several hours or days start at midnight in the campaign's
time zone, not in UTC: a Shanghai team's day is 00:00-24:00 Shanghai (16:00-16:00 UTC), where a
bucket of Grafana's interval in seconds, aligned on the UTC epoch, ran from 08:00 to 08:00 Shanghai
and split their day in two. Hourly curves are inserted across a campaign's midnight and read through
the panel's query (read endpoint, macros and variables expanded as Grafana does, the hidden zone
variable set from the store as Grafana sets it).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from tests.integration import test_dashboards_queries as board_test
from tests.integration.test_dashboards_queries import (
    ALL_VALUES,
    NOW,
    TENANT,
    campaign_rows,
    ts,
    with_hidden_variables,
)
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, TimeRange, expand_sql
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

campaign_store = board_test.campaign_store
grafana_client = board_test.own_grafana_client  # on this test's own campaign_store, which it writes to

PANEL = "Engagements gained per hour, by platform"
DAY = (NOW - timedelta(days=3)).date()  # a day inside the fixture's range, hours before it and after
ZONES = {"c-sh": "Asia/Shanghai", "c-ny": "America/New_York", "c-unset": ""}  # '' = the default zone
BEFORE, AFTER = 10.0, 30.0  # the posts' engagements per hour before their campaign's midnight and after


def midnight(zone: str) -> datetime:
    """The start of DAY in ``zone`` (Asia/Shanghai when empty), in UTC."""
    return datetime.combine(DAY, time(), ZoneInfo(zone or "Asia/Shanghai")).astimezone(UTC)


def insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    assert insert_json_rows(store, table, b"".join(orjson.dumps(r) + b"\n" for r in rows), None) == len(rows), table


@pytest.fixture
def zoned_store(campaign_store: Store) -> Store:
    """One post per campaign above, with an hourly curve from 4 h before its campaign's midnight
    to 4 h after: BEFORE per hour, then AFTER."""
    (template,) = campaign_rows()["posts"][:1]
    campaigns, posts, curves = [], [], []
    for cid, zone in ZONES.items():
        campaigns.append({"tenant": TENANT, "campaign_id": cid, "name": cid, "time_zone": zone,
                          "reporting_currency": "CNY", "starts_at": ts(midnight(zone) - timedelta(days=1)),
                          "brand_terms": [], "version": 1})
        post = f"douyin:zone-{cid}"
        posts.append({**template, "post_id": post, "platform_post_id": f"zone-{cid}", "campaign_id": cid,
                      "published_at": ts(midnight(zone) - timedelta(hours=4))})
        for h in range(-4, 4):
            hour = midnight(zone) + timedelta(hours=h)
            curves.append({"tenant": TENANT, "post_id": post, "metric": "engagements", "hour": ts(hour)[:19],
                           "cumulative": 100.0 + h, "velocity": BEFORE if h < 0 else AFTER, "observed": 1,
                           "version": 1})
    insert(campaign_store, "campaigns", campaigns)
    insert(campaign_store, "posts", posts)
    insert(campaign_store, "curves", curves)
    return campaign_store


def points(client: Any, campaigns: Any, interval_s: int) -> dict[datetime, float]:
    """The panel's douyin series, time (UTC) → engagements per hour, for the selected campaigns."""
    board = d.campaign_roi().to_json()
    (panel,) = [p for p in board["panels"] if p["title"] == PANEL]
    time_range = TimeRange(datetime.combine(DAY, time(), UTC) - timedelta(days=2),
                           datetime.combine(DAY, time(), UTC) + timedelta(days=2), interval_s=interval_s)
    variables = with_hidden_variables(client, board, {"tenant": TENANT, "campaign": campaigns, "platform": ALL},
                                      time_range)
    result = client.query(expand_sql(panel["targets"][0]["rawSql"], time_range, variables, ALL_VALUES))
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    return {r["time"].replace(tzinfo=UTC): r["engagements"] for r in rows if r["platform"] == "douyin"}


def test_a_shanghai_day_starts_at_16_utc(zoned_store: Store, grafana_client: Any) -> None:
    """At a one-day interval a Shanghai campaign's point starts at 00:00 Shanghai, 16:00 UTC the day
    before, and holds that day's hours only: the evening before midnight is the day before's point."""
    start = datetime.combine(DAY, time(16), UTC) - timedelta(days=1)
    assert points(grafana_client, ["c-sh"], 86400) == {start - timedelta(days=1): BEFORE, start: AFTER}


@pytest.mark.parametrize("campaign", ["c-ny", "c-unset"])
def test_a_daily_point_is_the_campaigns_day(zoned_store: Store, grafana_client: Any, campaign: str) -> None:
    """New York's day starts at 05:00 UTC (04:00 in summer time); a campaign without a zone has
    Shanghai's."""
    start = midnight(ZONES[campaign])
    assert points(grafana_client, [campaign], 86400) == {start - timedelta(days=1): BEFORE, start: AFTER}


def test_a_point_of_several_hours_starts_from_the_campaigns_midnight(zoned_store: Store,
                                                                     grafana_client: Any) -> None:
    """Six-hour points run 00-06, 06-12… in the campaign's zone (16-22, 22-04… UTC for Shanghai)."""
    start = midnight("Asia/Shanghai")
    assert points(grafana_client, ["c-sh"], 6 * 3600) == {start - timedelta(hours=6): BEFORE, start: AFTER}


@pytest.mark.parametrize("campaign", ["c-sh", "c-ny"])
def test_a_weekly_point_starts_on_monday_and_a_monthly_one_on_the_first(
        zoned_store: Store, grafana_client: Any, campaign: str) -> None:
    """A week runs from Monday 00:00 in the campaign's zone (ClickHouse's 7-day blocks from the UTC
    epoch ran from Thursday, at 08:00 in Shanghai), a month of Grafana's from the first of the month."""
    zone = ZoneInfo(ZONES[campaign])
    week = DAY - timedelta(days=DAY.weekday())
    starts = [datetime.combine(week, time(), zone).astimezone(UTC)]
    if DAY.weekday() == 0:  # the evening before midnight was the week before
        starts.insert(0, datetime.combine(week - timedelta(days=7), time(), zone).astimezone(UTC))
    assert list(points(grafana_client, [campaign], 7 * 86400)) == starts
    months = [datetime.combine(DAY.replace(day=1), time(), zone).astimezone(UTC)]
    if DAY.day == 1:
        months.insert(0, datetime.combine((DAY - timedelta(days=1)).replace(day=1), time(), zone).astimezone(UTC))
    assert list(points(grafana_client, [campaign], 30 * 86400)) == months


def test_the_zone_is_the_selected_campaigns_or_the_default(zoned_store: Store, grafana_client: Any) -> None:
    """The hidden zone variable: the selected campaigns' zone when they share one (named or by
    default), Asia/Shanghai when they have several or none is selected."""
    board = d.campaign_roi().to_json()
    cases = [(["c-ny"], "America/New_York"), (["c-sh"], "Asia/Shanghai"), (["c-unset"], "Asia/Shanghai"),
             (["c-sh", "c-unset"], "Asia/Shanghai"), (["c-sh", "c-ny"], "Asia/Shanghai"), (ALL, "Asia/Shanghai"),
             (["no-such-campaign"], "Asia/Shanghai")]
    got = [(campaigns, with_hidden_variables(grafana_client, board,
                                             {"tenant": TENANT, "campaign": campaigns, "platform": ALL})["zone"])
           for campaigns, _ in cases]
    assert got == cases
