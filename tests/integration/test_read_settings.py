"""A reader's ``max_execution_time`` on the read endpoint, as Grafana's ClickHouse plugin sends it.

clickhouse-go adds ``max_execution_time`` (the datasource's query timeout + 5)
to every query's URL parameters. The endpoint runs the query within it, at most
``read_max_execution_time``; every other setting change stays refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.store import make_store_settings, running_read_endpoint
from tests.integration.test_roi import seed_campaign
from tracker.settings import Settings
from tracker.store.readapi import ReadEndpoint
from tracker.store.store import Store

pytestmark = pytest.mark.integration

ADMIN = "admin-password-0123456789"
GLOBEX = "globex-token-0123456789abcdef"
SESSION = "SELECT getSetting('max_execution_time'), getSetting('readonly')"


def ask(endpoint: ReadEndpoint, sql: str, key: str | None = None, **params: str) -> httpx.Response:
    headers = {"X-ClickHouse-User": "grafana", "X-ClickHouse-Key": key} if key else {}
    return httpx.post(endpoint.url, params=params, content=sql.encode(), headers=headers, timeout=60)


@pytest.mark.parametrize(("asked", "runs_within"), [("35", "30"), ("34", "30"), ("30", "30"), ("12", "12"),
                                                    ("2.5", "2.5"), ("0", "30")])  # fmt: skip
def test_a_readers_time_limit_is_honoured_up_to_the_read_limit(
    read_endpoint: ReadEndpoint, store_settings: Settings, asked: str, runs_within: str
) -> None:
    assert store_settings.read_max_execution_time == 30
    response = ask(read_endpoint, SESSION, max_execution_time=asked)
    assert response.status_code == 200, response.text
    assert response.text == f"{runs_within}\t1\n"  # and still readonly
    again = ask(read_endpoint, SESSION)  # the next query without one runs within the read limit
    assert again.text == "30\t1\n"


def test_the_engine_enforces_a_smaller_time_limit(read_endpoint: ReadEndpoint) -> None:
    response = ask(read_endpoint, "SELECT count() FROM numbers(100000000000)", max_execution_time="1")
    assert response.headers["X-ClickHouse-Exception-Code"] == "159", response.text  # TIMEOUT_EXCEEDED
    assert "maximum: 1000.000 ms" in response.text
    # the query's own limit, as a server answers it (500), not the store "unavailable" (503) with its path
    assert response.status_code == 500 and "unavailable" not in response.text and "chdb://" not in response.text


def test_a_clickhouse_go_request_from_grafana(store: Store, read_endpoint: ReadEndpoint) -> None:
    """What the plugin sends over HTTP: its settings as URL parameters, the query as the body."""
    params = {"database": str(store.database), "default_format": "Native", "client_protocol_version": "54460",
              "max_execution_time": "34", "query_id": "grafana-1"}  # fmt: skip
    response = httpx.post(read_endpoint.url, params=params, content=b"SELECT displayName(), version(), timezone()",
                          headers={"User-Agent": "clickhouse-go/2.40 (database/sql; lv:go/1.24) grafana/12"},
                          timeout=60)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["X-ClickHouse-Format"] == "Native" and response.content


def test_other_setting_changes_and_bad_time_limits_are_still_refused(read_endpoint: ReadEndpoint) -> None:
    for setting, value in (("max_threads", "64"), ("max_result_rows", "0"), ("readonly", "0")):
        refused = ask(read_endpoint, "SELECT 1", max_execution_time="35", **{setting: value})
        assert (refused.status_code, refused.headers["X-ClickHouse-Exception-Code"]) == (403, "164"), refused.text
    in_sql = ask(read_endpoint, "SELECT 1 SETTINGS max_execution_time = 35")
    assert in_sql.headers["X-ClickHouse-Exception-Code"] == "164", in_sql.text
    for bad in ("-1", "soon", "inf"):
        response = ask(read_endpoint, "SELECT 1", max_execution_time=bad)
        assert (response.status_code, response.headers["X-ClickHouse-Exception-Code"]) == (400, "36"), response.text
        assert "max_execution_time must be a number of seconds" in response.text


@pytest.fixture
def tenant_endpoint(store: Store, engine_url: str, tmp_path: Path) -> Iterator[ReadEndpoint]:
    seed_campaign(store)
    settings = make_store_settings(engine_url, str(store.database), tmp_path / "data", read_password=ADMIN,
                                   read_tenant_tokens=f"{GLOBEX}=globex")  # fmt: skip
    with running_read_endpoint(settings) as endpoint:
        yield endpoint


def test_a_tenant_readers_time_limit_is_honoured_up_to_the_read_limit(tenant_endpoint: ReadEndpoint) -> None:
    for asked, runs_within in (("35", "30"), ("20", "20"), (None, "30")):
        params = {"max_execution_time": asked} if asked else {}
        response = ask(tenant_endpoint, SESSION, key=GLOBEX, **params)
        assert (response.status_code, response.text) == (200, f"{runs_within}\t1\n"), response.text
        scoped = ask(tenant_endpoint, "SELECT DISTINCT tenant FROM posts", key=GLOBEX, **params)
        assert scoped.text == "globex\n"  # the session within that limit still carries the tenant's filters
    refused = ask(tenant_endpoint, "SELECT 1", key=GLOBEX, max_execution_time="35", max_threads="64")
    assert refused.headers["X-ClickHouse-Exception-Code"] == "164", refused.text
    filters = ask(tenant_endpoint, "SELECT 1", key=GLOBEX, max_execution_time="20", additional_table_filters="{}")
    assert filters.headers["X-ClickHouse-Exception-Code"] == "164", filters.text
