"""The read endpoint on the real engine, spoken to by real ClickHouse HTTP clients."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import clickhouse_connect
import httpx
import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.exceptions import DatabaseError
from pydantic import SecretStr

from tests.fixtures.store import make_store_settings, running_read_endpoint
from tracker.cli.main import main
from tracker.settings import Settings
from tracker.store.lock import acquire_store_lock
from tracker.store.readapi import ReadEndpoint
from tracker.store.store import Store

pytestmark = pytest.mark.integration

PUBLISHED = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
POST_COLUMNS = ["tenant", "post_id", "platform", "campaign_id", "published_at", "tags", "version"]

REFUSED = {
    "insert": "INSERT INTO posts (tenant, post_id, version) VALUES ('acme', 'evil', 99)",
    "insert_select": "INSERT INTO posts (tenant, post_id) SELECT 'acme', 'evil2'",
    "create": "CREATE TABLE evil (tenant String) ENGINE = MergeTree ORDER BY tenant",
    "drop": "DROP TABLE posts",
    "truncate": "TRUNCATE TABLE posts",
    "alter": "ALTER TABLE posts DELETE WHERE 1",
    "set": "SET max_result_rows = 0",
    "settings_clause": "SELECT 1 SETTINGS readonly = 0",
}


def seed(store: Store, *post_ids: str) -> None:
    rows = [("acme", p, "douyin", "c1", PUBLISHED, ["beauty"], 1) for p in post_ids]
    store.insert_sync("posts", rows, POST_COLUMNS)


def http(endpoint: ReadEndpoint, query: str | None = None, *, body: str | bytes | None = None,
         **params: str) -> httpx.Response:  # fmt: skip
    if query is not None:
        params["query"] = query
    if body is None:
        return httpx.get(endpoint.url, params=params, timeout=30)
    return httpx.post(endpoint.url, params=params, content=body, timeout=30)


def assert_untouched(store: Store, expected_posts: int) -> None:
    assert store.query_sync("SELECT count() FROM posts").scalar() == expected_posts
    assert store.command_sync("EXISTS TABLE evil") == 0
    assert store.query_sync("SELECT count() FROM posts WHERE post_id LIKE 'evil%'").scalar() == 0


def test_ping(read_endpoint: ReadEndpoint) -> None:
    for path in ("/ping", "/"):
        response = httpx.get(read_endpoint.url + path)
        assert (response.status_code, response.text) == (200, "Ok.\n")
    assert httpx.head(read_endpoint.url + "/ping").status_code == 200


def test_clickhouse_connect_http_client_queries_a_table(store: Store, read_endpoint: ReadEndpoint) -> None:
    seed(store, "p1", "p2")
    client = clickhouse_connect.get_client(host="127.0.0.1", port=read_endpoint.port, database=store.database)
    try:
        assert client.server_version.startswith("26.")
        result = client.query(
            "SELECT post_id, platform, published_at, tags FROM posts FINAL WHERE tenant = {t:String} ORDER BY post_id",
            parameters={"t": "acme"},
        )
        assert result.column_names == ("post_id", "platform", "published_at", "tags")
        assert result.result_rows == [("p1", "douyin", PUBLISHED.replace(tzinfo=None), ["beauty"]),
                                      ("p2", "douyin", PUBLISHED.replace(tzinfo=None), ["beauty"])]  # fmt: skip
        assert client.command("SELECT count() FROM v_post_latest") == 2
        assert next(client.query("SELECT * FROM v_campaign_platform_totals").named_results())["posts"] == 2
    finally:
        client.close()


@pytest.mark.parametrize("statement", list(REFUSED.values()), ids=list(REFUSED))
def test_writes_ddl_and_settings_are_refused_by_the_engine(
    store: Store, read_endpoint: ReadEndpoint, statement: str
) -> None:
    seed(store, "p1")
    response = http(read_endpoint, body=statement)
    assert response.status_code == 403, response.text
    assert response.headers["X-ClickHouse-Exception-Code"] == "164"
    assert "READONLY" in response.text and "readonly mode" in response.text
    client = clickhouse_connect.get_client(host="127.0.0.1", port=read_endpoint.port, database=store.database)
    try:
        with pytest.raises(DatabaseError, match="readonly mode") as refused:
            client.command(statement)
        assert refused.value.code == 164
    finally:
        client.close()
    assert_untouched(store, 1)
    seed(store, "p2")  # the owner still writes
    assert store.query_sync("SELECT count() FROM posts FINAL").scalar() == 2


def test_clickhouse_connect_insert_and_settings_are_refused(store: Store, read_endpoint: ReadEndpoint) -> None:
    client = clickhouse_connect.get_client(host="127.0.0.1", port=read_endpoint.port, database=store.database)
    try:
        with pytest.raises(DatabaseError, match="readonly mode"):
            client.insert("posts", [["acme", "evil", 1]], column_names=["tenant", "post_id", "version"])
        # the client read system.settings (readonly = 1 everywhere) and refuses to send a change itself
        with pytest.raises(DatabaseError, match="readonly"):
            client.query("SELECT 1", settings={"max_threads": 64})
    finally:
        client.close()
    as_param = http(read_endpoint, "SELECT 1", max_threads="64")  # a client that sends it anyway
    assert (as_param.status_code, as_param.headers["X-ClickHouse-Exception-Code"]) == (403, "164")
    assert "Cannot modify 'max_threads' setting in readonly mode" in as_param.text
    assert_untouched(store, 0)
    seed(store, "p1")
    assert store.query_sync("SELECT count() FROM posts").scalar() == 1


def test_settings_limits_come_from_read_settings(read_endpoint: ReadEndpoint, store_settings: Settings) -> None:
    response = http(read_endpoint, "SELECT name, value FROM system.settings WHERE name IN "
                    "('readonly', 'max_execution_time', 'max_threads', 'max_result_rows') ORDER BY name",
                    default_format="JSONEachRow")  # fmt: skip
    assert response.status_code == 200, response.text
    values = {row["name"]: row["value"] for row in map(json.loads, response.text.splitlines())}
    assert values == {
        "readonly": "1",
        "max_execution_time": str(store_settings.read_max_execution_time),
        "max_threads": str(store_settings.read_max_threads),
        "max_result_rows": str(store_settings.read_max_result_rows),
    }
    assert http(read_endpoint, "SELECT 1", max_threads=str(store_settings.read_max_threads)).text == "1\n"


def test_formats_bodies_and_parameters(store: Store, read_endpoint: ReadEndpoint) -> None:
    seed(store, "p1")
    default = http(read_endpoint, "SELECT post_id, platform FROM posts")
    assert (default.text, default.headers["X-ClickHouse-Format"]) == ("p1\tdouyin\n", "TabSeparated")
    assert default.headers["Content-Type"].startswith("text/tab-separated-values")
    assert "elapsed_ns" in json.loads(default.headers["X-ClickHouse-Summary"])
    as_json = http(read_endpoint, "SELECT post_id FROM posts", default_format="JSONEachRow")
    assert as_json.text == '{"post_id":"p1"}\n'
    named = http(read_endpoint, body="SELECT post_id FROM posts FORMAT CSVWithNames", default_format="JSON")
    assert (named.text, named.headers["X-ClickHouse-Format"]) == ('"post_id"\n"p1"\n', "CSVWithNames")
    split = http(read_endpoint, "SELECT post_id, {n:UInt8} + 1 AS n, {tags:Array(String)} AS tags",
                 body="FROM posts WHERE tenant = {t:String}", param_n="41", param_t="acme",
                 param_tags="['a','b']")  # fmt: skip
    assert split.text == "p1\t42\t['a','b']\n", split.text
    other_db = http(read_endpoint, "SELECT currentDatabase()", database="system")
    assert other_db.text == "system\n"
    parquet = http(read_endpoint, "SELECT post_id FROM posts FORMAT Parquet")
    assert parquet.content.startswith(b"PAR1") and parquet.headers["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [("SELEC 1", 400, "62"), ("SELECT * FROM no_such_table", 404, "60"), ("SELECT no_such_fn()", 404, "46"),
     ("", 400, "62"), ("SELECT throwIf(1, 'boom')", 500, "395")],  # fmt: skip
)
def test_errors_carry_clickhouse_status_and_code(
    read_endpoint: ReadEndpoint, query: str, status: int, code: str
) -> None:
    response = http(read_endpoint, body=query)
    assert (response.status_code, response.headers["X-ClickHouse-Exception-Code"]) == (status, code), response.text
    assert response.text.startswith("Code: ") or code == "62"


def test_result_limits_are_enforced(store: Store, engine_url: str, tmp_path: Path) -> None:
    settings = make_store_settings(engine_url, store.database or "", tmp_path, read_max_result_rows=5)
    with running_read_endpoint(settings) as endpoint:
        assert http(endpoint, "SELECT number FROM numbers(5)").status_code == 200
        response = http(endpoint, "SELECT number FROM numbers(6)")
        assert response.headers["X-ClickHouse-Exception-Code"] == "396", response.text


def test_password_is_checked_when_set(store: Store, engine_url: str, tmp_path: Path) -> None:
    settings = make_store_settings(engine_url, store.database or "", tmp_path, read_password="s3cret")
    with running_read_endpoint(settings) as endpoint:
        missing = http(endpoint, "SELECT 1")
        assert (missing.status_code, missing.headers["X-ClickHouse-Exception-Code"]) == (401, "194")
        wrong = httpx.get(endpoint.url, params={"query": "SELECT 1"}, auth=("default", "nope"))
        assert (wrong.status_code, wrong.headers["X-ClickHouse-Exception-Code"]) == (403, "516")
        assert httpx.get(endpoint.url, params={"query": "SELECT 1"}, auth=("default", "s3cret")).text == "1\n"
        by_headers = httpx.get(endpoint.url, params={"query": "SELECT 2"},
                               headers={"X-ClickHouse-User": "grafana", "X-ClickHouse-Key": "s3cret"})  # fmt: skip
        assert by_headers.text == "2\n"
        assert http(endpoint, "SELECT 3", user="default", password="s3cret").text == "3\n"
        client = clickhouse_connect.get_client(host="127.0.0.1", port=endpoint.port, username="default",
                                               password="s3cret", database=store.database)  # fmt: skip
        assert client.command("SELECT 4") == 4
        client.close()
        with pytest.raises(DatabaseError):
            clickhouse_connect.get_client(host="127.0.0.1", port=endpoint.port, password="nope")


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        "TRACKER_CLICKHOUSE_URL": settings.store_url,
        "TRACKER_CLICKHOUSE_DATABASE": settings.clickhouse_database,
        "TRACKER_DATA_DIR": str(settings.data_dir),
    }
    env.update(extra)
    return env


def test_tracker_sql_opens_the_store_directly_when_nobody_holds_it(store: Store, store_settings: Settings) -> None:
    seed(store, "p1", "p2")
    runner = CliRunner()
    env = cli_env(store_settings)
    result = runner.invoke(main, ["sql", "-f", "TSV", "SELECT post_id FROM posts ORDER BY post_id"], env=env)
    assert (result.exit_code, result.stdout) == (0, "p1\np2\n"), result.output
    for statement in (REFUSED["insert"], REFUSED["create"], REFUSED["drop"], REFUSED["set"]):
        refused = runner.invoke(main, ["sql", statement], env=env)
        assert refused.exit_code == 1
        assert "READONLY" in refused.output, refused.output
    assert_untouched(store, 2)
    seed(store, "p3")
    assert store.query_sync("SELECT count() FROM posts").scalar() == 3


def test_tracker_sql_goes_through_the_advertised_endpoint(store: Store, store_settings: Settings) -> None:
    seed(store, "p1")
    settings = store_settings.model_copy(update={"read_password": SecretStr("s3cret")})
    runner = CliRunner()
    with acquire_store_lock(settings) as lock, running_read_endpoint(settings, lock=lock):
        ok = runner.invoke(main, ["sql", "--format", "JSONEachRow", "SELECT post_id FROM posts"],
                           env=cli_env(settings, TRACKER_READ_PASSWORD="s3cret"))  # fmt: skip
        assert (ok.exit_code, ok.stdout) == (0, '{"post_id":"p1"}\n'), ok.output
        refused = runner.invoke(main, ["sql", REFUSED["insert"]], env=cli_env(settings, TRACKER_READ_PASSWORD="s3cret"))
        assert refused.exit_code == 1 and "READONLY" in refused.output, refused.output
        # a wrong password is refused by the endpoint: proof that the query went through it
        wrong = runner.invoke(main, ["sql", "SELECT 1"], env=cli_env(settings, TRACKER_READ_PASSWORD="nope"))
        assert wrong.exit_code == 1 and "AUTHENTICATION_FAILED" in wrong.output, wrong.output
    assert_untouched(store, 1)
    seed(store, "p2")
    assert store.query_sync("SELECT count() FROM posts").scalar() == 2
