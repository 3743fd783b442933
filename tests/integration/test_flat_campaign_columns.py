"""A flat posts table's campaign-level columns (time_zone, reporting_currency, campaign_name, …) create or
update the campaign's record, so that ``tracker roi`` reports in the currency and time zone the table gives
(the user's posts_us2.csv read "CNY, times in Asia/Shanghai" and left campaigns and tenants empty)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.integration.test_roi import post, put
from tracker.registry.importer import prepare
from tracker.registry.records import Options
from tracker.settings import Settings
from tracker.store.store import Store

pytestmark = pytest.mark.integration

HEADER = "tenant,campaign,creator,creator_name,followers,platform,post,published_at,content_form,fee,currency"
US2 = (f"{HEADER},time_zone,reporting_currency\n"
       "usclient,us-fall2,c-zed,Zed,50000,youtube,dQw4w9WgXcQ2,2025-09-01T10:00:00-04:00,video,1000,USD,"
       "America/New_York,USD\n")


@pytest.fixture
def cli(cli_on_broker: Callable[..., Result]) -> Callable[..., Result]:
    return cli_on_broker


def campaigns(store: Store) -> list[dict]:
    return store.query_sync("SELECT tenant, campaign_id, name, time_zone, reporting_currency, "
                            "toString(starts_at) AS starts_at, brand_terms FROM campaigns FINAL "
                            "ORDER BY tenant, campaign_id").named()


def test_time_zone_and_reporting_currency_make_the_campaign_record(cli: Callable[..., Result], store: Store,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "posts_us2.csv"
    path.write_text(US2)
    result = cli("posts", "import", path)
    assert result.exit_code == 0, result.output
    assert "1 campaigns" in result.output and "1 tenants" in result.output
    assert "columns ignored" not in result.output
    assert campaigns(store) == [{"tenant": "usclient", "campaign_id": "us-fall2", "name": "us-fall2",
                                 "time_zone": "America/New_York", "reporting_currency": "USD",
                                 "starts_at": "2025-09-01 14:00:00.000", "brand_terms": []}]
    assert store.query_sync("SELECT tenant, reporting_currency FROM tenants FINAL").rows == [("usclient", "USD")]
    # the report's context (what `tracker roi` prints in its header), once the worker has written the post
    put(store, "posts", [post("usclient", "youtube:dQw4w9WgXcQ2", "us-fall2", "c-zed", "micro", "video")])
    context = store.query_sync("SELECT DISTINCT time_zone, reporting_currency FROM v_post_context").rows
    assert context == [("America/New_York", "USD")]

    again = cli("posts", "import", path)  # unchanged: nothing new is written
    assert again.exit_code == 0 and "campaigns" not in again.output and "tenants" not in again.output, again.output


def test_a_later_table_updates_only_the_columns_it_gives(cli: Callable[..., Result], store: Store,
                                                         tmp_path: Path) -> None:
    store.insert_sync("tenants", [("usclient", "US client", "EUR", 1)], ["tenant", "name", "reporting_currency",
                                                                         "version"])
    doc = tmp_path / "campaign.yaml"
    doc.write_text("""format: tracker.campaign.v1
tenants: [{id: usclient, name: US client, reporting_currency: EUR}]
campaigns: [{id: us-fall2, tenant: usclient, name: Fall seeding, start: '2025-08-25T00:00:00Z', brand_terms: [Zed]}]
creators: [{id: c-zed, tier: micro}]
posts:
- {id: 'youtube:dQw4w9WgXcQ2', campaign: us-fall2, creator: c-zed, published_at: '2025-09-01T14:00:00Z',
   fee: {amount: 1000, currency: USD}}
""")
    assert cli("posts", "import", doc, "--version", "5000").exit_code == 0
    path = tmp_path / "more.csv"
    path.write_text(f"{HEADER},reporting_currency,campaign_name\n"
                    "usclient,us-fall2,c-zed,Zed,50000,youtube,dQw4w9WgXcQ3,2025-09-02T10:00:00-04:00,video,800,USD,"
                    "USD,Fall seeding US\n")
    result = cli("posts", "import", path, "--version", "10")  # an older file still updates what it gives
    assert result.exit_code == 0, result.output
    assert campaigns(store) == [{"tenant": "usclient", "campaign_id": "us-fall2", "name": "Fall seeding US",
                                 "time_zone": "Asia/Shanghai", "reporting_currency": "USD",
                                 "starts_at": "2025-08-25 00:00:00.000", "brand_terms": ["Zed"]}]
    # the tenant had a record: it is left as it was
    assert store.query_sync("SELECT reporting_currency FROM tenants FINAL").rows == [("EUR",)]


def test_rows_that_contradict_their_campaign_are_refused(cli: Callable[..., Result], store: Store,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(f"{HEADER},time_zone\n"
                    "usclient,us-fall2,c-zed,Zed,50000,youtube,dQw4w9WgXcQ2,2025-09-01T10:00:00-04:00,video,1,USD,"
                    "America/New_York\n"
                    "usclient,us-fall2,c-amy,Amy,50000,youtube,dQw4w9WgXcQ4,2025-09-01T10:00:00-04:00,video,1,USD,"
                    "America/Chicago\n")
    result = cli("posts", "import", path)
    assert result.exit_code == 2
    assert "line 3: time_zone: 'America/Chicago' differs from 'America/New_York' given for campaign " \
           "'us-fall2' on line 2" in result.output
    assert [c["time_zone"] for c in campaigns(store)] == ["America/New_York"]


@pytest.mark.parametrize("option", ["--time-zone", "--tz"])
def test_either_spelling_of_the_zone_reads_times_without_an_offset(cli: Callable[..., Result], store: Store,
                                                                   tmp_path: Path, option: str) -> None:
    """`tracker posts import` took --time-zone and `tracker snapshots import` --tz for the same idea: both take
    both. The zone reads a published_at written without an offset and is the new campaign's time zone."""
    path = tmp_path / "posts.csv"
    path.write_text(f"{HEADER}\nparis,fall,c-amy,Amy,9000,youtube,aBcDeFgHiJ1,2025-09-01 12:00,video,900,EUR\n")
    result = cli("posts", "import", path, option, "Europe/Paris")
    assert result.exit_code == 0, result.output
    (campaign,) = campaigns(store)
    assert (campaign["time_zone"], campaign["starts_at"]) == ("Europe/Paris", "2025-09-01 10:00:00.000")


def test_rows_added_to_a_stored_campaign_take_its_zone(cli: Callable[..., Result], store: Store, kafka: str,
                                                       tracker_topics: str, tmp_path: Path) -> None:
    """A table without a time_zone column adds a post to a Los Angeles campaign stored before: its
    times without an offset are LA times, its message carries the campaign's zone (the date its fee
    converts at) and its bundle's fee counts on the LA date — not Asia/Shanghai, the default."""
    import asyncio
    from datetime import date

    from tests.fixtures.worker import json_records
    from tests.integration.test_roi import T0
    from tracker.broker import topics as t

    put(store, "campaigns", [{"tenant": "northpeak", "campaign_id": "trail", "name": "TrailLite",
                              "time_zone": "America/Los_Angeles", "reporting_currency": "USD", "starts_at": T0,
                              "ends_at": None, "brand_terms": [], "version": 1}])
    path = tmp_path / "more.csv"
    path.write_text(f"{HEADER},bundle,bundle_fee\nnorthpeak,trail,c-amy,Amy,9000,youtube,aBcDeFgHiJ2,"
                    "2025-09-01 20:00,video,,USD,b-la,640\n")
    result = cli("posts", "import", path)
    assert result.exit_code == 0, result.output
    (message,) = asyncio.run(json_records(kafka, tracker_topics + t.POSTS, 1))
    assert (message["campaign_tz"], message["published_at"]) == ("America/Los_Angeles", "2025-09-02T03:00:00.000Z")
    assert store.query_sync("SELECT cost_date FROM bundles FINAL WHERE bundle_id = 'b-la'").rows \
        == [(date(2025, 9, 1),)]
    assert [c["time_zone"] for c in campaigns(store)] == ["America/Los_Angeles"]


def test_a_heating_table_for_stored_posts_reads_times_in_their_campaigns_zone(
        cli: Callable[..., Result], store: Store, kafka: str, tracker_topics: str, tmp_path: Path) -> None:
    """A heating table for a post of a stored Los Angeles campaign: 23:00 is 23:00 in Los Angeles,
    not in Asia/Shanghai (the default), so the node's spend and its id are on the right day."""
    import asyncio

    from tests.fixtures.worker import json_records
    from tests.integration.test_roi import T0
    from tracker.broker import topics as t

    put(store, "campaigns", [{"tenant": "northpeak", "campaign_id": "trail", "name": "TrailLite",
                              "time_zone": "America/Los_Angeles", "reporting_currency": "USD", "starts_at": T0,
                              "ends_at": None, "brand_terms": [], "version": 1}])
    put(store, "posts", [post("northpeak", "youtube:aBcDeFgHiJ3", "trail", "c-amy", "micro", "video")])
    path = tmp_path / "heat.csv"
    path.write_text("post,channel,start,spend,currency,status\n"
                    "youtube:aBcDeFgHiJ3,google_ads,2025-09-22 23:00:00,50,USD,executed\n")
    result = cli("posts", "import", path, "--tenant", "northpeak")
    assert result.exit_code == 0, result.output
    (message,) = asyncio.run(json_records(kafka, tracker_topics + t.HEATING, 1))
    assert message["start"] == "2025-09-23T06:00:00.000Z"


def test_a_later_tables_posts_carry_the_stored_campaigns_name(cli: Callable[..., Result], store: Store,
                                                              store_settings: Settings, tmp_path: Path) -> None:
    """Alerts name the campaign by the post message's campaign_name: a table without the column gives
    its posts the name the campaign's stored record has."""
    named = tmp_path / "named.csv"
    named.write_text(f"{HEADER},campaign_name\n"
                     "usclient,us-fall2,c-zed,Zed,50000,youtube,dQw4w9WgXcQ2,2025-09-01T10:00:00-04:00,video,1000,USD,"
                     "Fall seeding\n")
    assert cli("posts", "import", named).exit_code == 0
    later = tmp_path / "later.csv"
    later.write_text(f"{HEADER}\n"
                     "usclient,us-fall2,c-amy,Amy,50000,youtube,dQw4w9WgXcQ5,2025-09-03T10:00:00-04:00,video,500,USD\n")
    (message,) = prepare(later, store_settings, Options(version=2)).posts
    assert (message["campaign_name"], message["creator_name"]) == ("Fall seeding", "Amy")
