"""One statement per query, everywhere a reader sends SQL: the engine's parse says how many.

chDB runs every statement of a text it is given (the first one's output in
the default format); a ClickHouse server refuses several over HTTP. The read
endpoint (full access and tenant tokens) and ``tracker sql`` refuse them.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from tests.fixtures.store import make_store_settings, running_read_endpoint
from tests.integration.test_read_endpoint import cli_env, seed
from tracker.cli.main import main
from tracker.settings import Settings
from tracker.store.lock import acquire_store_lock
from tracker.store.readapi import ReadEndpoint
from tracker.store.store import Store

pytestmark = pytest.mark.integration

SEVERAL = ["SELECT 'a'; SELECT 'b'", "SELECT 'a' FORMAT JSON; SELECT 'b'", "SELECT 1;\nSELECT * FROM posts -- x"]
GLOBEX = "globex-token-0123456789abcdef"


def assert_refused_as_several(status: int, code: str | None, text: str) -> None:
    assert (status, code) == (400, "62"), text
    assert "Multi-statements are not allowed" in text and "one statement per query" in text, text
    assert "formatQuery" not in text  # the engine's parse is worded as the reader's own query


@pytest.mark.parametrize("sql", SEVERAL)
def test_the_read_endpoint_refuses_several_statements(store: Store, read_endpoint: ReadEndpoint, sql: str) -> None:
    seed(store, "p1")
    for response in (httpx.get(read_endpoint.url, params={"query": sql, "default_format": "JSONEachRow"}),
                     httpx.post(read_endpoint.url, params={"default_format": "JSONEachRow"}, content=sql.encode())):
        assert_refused_as_several(response.status_code, response.headers.get("X-ClickHouse-Exception-Code"),
                                  response.text)  # fmt: skip


def test_a_trailing_semicolon_is_one_statement(store: Store, read_endpoint: ReadEndpoint) -> None:
    seed(store, "p1")
    for sql in ("SELECT post_id FROM posts;", "SELECT post_id FROM posts ; -- end\n", "SELECT post_id FROM posts;;"):
        response = httpx.post(read_endpoint.url, params={"default_format": "JSONEachRow"}, content=sql.encode())
        assert (response.status_code, response.text) == (200, '{"post_id":"p1"}\n'), sql


def test_a_tenant_token_is_refused_several_statements_in_the_same_words(
    store: Store, engine_url: str, tmp_path: Path
) -> None:
    settings = make_store_settings(engine_url, str(store.database), tmp_path / "data", read_password="admin-pw",
                                   read_tenant_tokens=f"{GLOBEX}=globex")  # fmt: skip
    with running_read_endpoint(settings) as endpoint:
        response = httpx.post(endpoint.url, content=b"SELECT 1; SELECT 2", headers={"X-ClickHouse-Key": GLOBEX})
        assert_refused_as_several(response.status_code, response.headers.get("X-ClickHouse-Exception-Code"),
                                  response.text)  # fmt: skip
        one = httpx.post(endpoint.url, content=b"SELECT 1;", headers={"X-ClickHouse-Key": GLOBEX})
        assert (one.status_code, one.text) == (200, "1\n")


def test_tracker_sql_refuses_several_statements_directly(store: Store, store_settings: Settings) -> None:
    seed(store, "p1")
    runner = CliRunner()
    refused = runner.invoke(main, ["sql", "-f", "JSONEachRow", SEVERAL[0]], env=cli_env(store_settings))
    assert refused.exit_code == 1, refused.output
    assert "Multi-statements are not allowed" in refused.output and "one statement per query" in refused.output
    one = runner.invoke(main, ["sql", "-f", "JSONEachRow", "SELECT post_id FROM posts;"], env=cli_env(store_settings))
    assert (one.exit_code, one.stdout) == (0, '{"post_id":"p1"}\n'), one.output


def test_tracker_sql_refuses_several_statements_through_the_endpoint(store: Store, store_settings: Settings) -> None:
    seed(store, "p1")
    settings = store_settings.model_copy(update={"read_password": SecretStr("s3cret")})
    env = cli_env(settings, TRACKER_READ_PASSWORD="s3cret")
    runner = CliRunner()
    with acquire_store_lock(settings) as lock, running_read_endpoint(settings, lock=lock):
        refused = runner.invoke(main, ["sql", "-f", "JSONEachRow", SEVERAL[0]], env=env)
        assert refused.exit_code == 1, refused.output
        assert "Multi-statements are not allowed" in refused.output and "one statement per query" in refused.output
        one = runner.invoke(main, ["sql", "-f", "JSONEachRow", "SELECT post_id FROM posts;"], env=env)
        assert (one.exit_code, one.stdout) == (0, '{"post_id":"p1"}\n'), one.output


def test_a_default_format_carries_no_second_statement(store: Store, engine_url: str, tmp_path: Path) -> None:
    """The endpoint appends ``FORMAT <default_format>`` to the checked statement: a format that is
    not a name (``TSV; SELECT …``) would run a second statement nothing checked — for a tenant
    token, one that reads another database or another tenant's rows."""
    seed(store, "p1")
    settings = make_store_settings(engine_url, str(store.database), tmp_path / "data", read_password="admin-pw",
                                   read_tenant_tokens=f"{GLOBEX}=globex")  # fmt: skip
    smuggled = "TSV; SELECT name FROM system.databases"
    with running_read_endpoint(settings) as endpoint:
        for key in (GLOBEX, "admin-pw"):
            for response in (
                httpx.get(endpoint.url, params={"query": "SELECT 1", "default_format": smuggled},
                          headers={"X-ClickHouse-Key": key}),
                httpx.post(endpoint.url, content=b"SELECT 1",
                           headers={"X-ClickHouse-Key": key, "X-ClickHouse-Format": smuggled}),
            ):  # fmt: skip
                assert response.status_code == 404, response.text
                assert response.headers.get("X-ClickHouse-Exception-Code") == "73"
                assert "system" not in response.text.replace("system.databases", "")
            named = httpx.get(endpoint.url, params={"query": "SELECT 1", "default_format": "JSONEachRow"},
                              headers={"X-ClickHouse-Key": key})
            assert (named.status_code, named.text) == (200, '{"1":1}\n')
