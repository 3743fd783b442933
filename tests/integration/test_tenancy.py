"""A tenant token on the read endpoint reads its own tenant's rows and nothing else.

globex's token is tried with every kind of SQL a reader can send; acme's rows
(and fees) must never come back, whether the query is answered (filtered)
or refused (by the engine's own parse of it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import httpx
import pytest
from pydantic import ValidationError

from tests.fixtures.store import make_store_settings, running_read_endpoint
from tests.integration.test_roi import seed_campaign
from tracker.settings import Settings
from tracker.store.readapi import ReadEndpoint
from tracker.store.store import Store

pytestmark = pytest.mark.integration

ADMIN = "admin-password-0123456789"
GLOBEX = "globex-token-0123456789abcdef"
ACME = "acme-token-0123456789abcdef"
ACME_MARKERS = ("acme", "weibo:4", "instagram", "10000", "ACME10", "Lin")


@pytest.fixture
def scoped(store: Store, engine_url: str, tmp_path: Path) -> Iterator[tuple[ReadEndpoint, Store]]:
    seed_campaign(store)
    other = f"{store.database}_other"
    store.command_sync(f"CREATE DATABASE IF NOT EXISTS `{other}`", use_database=False)
    store.command_sync(f"CREATE TABLE `{other}`.posts (tenant String, fee String) ENGINE = MergeTree ORDER BY tenant",
                       use_database=False)
    store.command_sync(f"INSERT INTO `{other}`.posts VALUES ('acme', '10000')", use_database=False)
    settings = make_store_settings(engine_url, str(store.database), tmp_path / "data", read_password=ADMIN,
                                   read_tenant_tokens=f'{{"{GLOBEX}": "globex", "{ACME}": "acme"}}')
    try:
        with running_read_endpoint(settings) as endpoint:
            yield endpoint, store
    finally:
        store.command_sync(f"DROP DATABASE IF EXISTS `{other}` SYNC", use_database=False)


def ask(endpoint: ReadEndpoint, sql: str, key: str = GLOBEX, **params: str) -> httpx.Response:
    return httpx.post(endpoint.url, params={"default_format": "TSV", **params}, content=sql.encode(),
                      headers={"X-ClickHouse-User": "reader", "X-ClickHouse-Key": key}, timeout=60)


def assert_no_acme(response: httpx.Response, sql: str) -> None:
    leaked = [m for m in ACME_MARKERS if m in response.text]
    assert not leaked, f"{sql!r} leaked {leaked}: {response.text[:400]}"


FEE_IN_ERROR = "toUInt8(if(cost_id = 'douyin:5:fee', concat(tenant, ' ', toString(amount)), '1')) = 1"
"""1 on every row but acme's douyin:5 fee, whose tenant and amount it would name in a parse error."""

ANSWERED = {
    "SELECT tenant, post_id FROM posts": "globex\tdouyin:1\n",
    "SELECT tenant, post_id FROM posts FINAL WHERE tenant = 'acme' OR 1 = 1": "globex\tdouyin:1\n",
    "SELECT count() FROM cost_lines": "1\n",
    "SELECT p.tenant, toString(c.amount) FROM posts AS p JOIN cost_lines AS c ON c.post_id = p.post_id":
        "globex\t1000\n",
    "SELECT p.tenant, c.tenant FROM posts AS p LEFT JOIN (SELECT * FROM sales) AS c ON 1 = 1": "globex\t\n",
    "SELECT count() FROM (SELECT * FROM cost_lines WHERE tenant != 'globex')": "0\n",
    "SELECT (SELECT count() FROM cost_lines WHERE tenant = 'acme')": "0\n",
    "SELECT tenant FROM posts UNION ALL SELECT tenant FROM cost_lines UNION ALL SELECT tenant FROM sales": None,
    "SELECT count() FROM posts WHERE post_id IN (SELECT post_id FROM posts WHERE tenant = 'acme')": "0\n",
    "WITH posts AS (SELECT * FROM cost_lines) SELECT count() FROM posts": "1\n",
    "SELECT count() FROM fx_rates WHERE tenant = 'acme'": "0\n",
    "SELECT count() FROM fx_rates": "3\n",  # the global rates
    "SELECT tenant, round(spend, 4) FROM v_roi_post": "globex\t138.8889\n",
    "SELECT tenant, campaigns FROM v_roi_tenant": "globex\t1\n",
    "SELECT count() FROM v_money WHERE tenant = 'acme'": "0\n",
    "SELECT count() FROM v_creator_scorecard": "1\n",
    "SELECT 1": "1\n",
    "SELECT count() FROM posts AS p CROSS JOIN cost_lines AS c": "1\n",
    "SELECT count() FROM posts AS p, cost_lines AS c WHERE c.post_id = p.post_id": "1\n",
    # the engine would move a WHERE condition to PREWHERE, which it runs before the tenant filter
    f"SELECT count() FROM cost_lines WHERE version = 1 AND {FEE_IN_ERROR}": "1\n",
    f"SELECT count() FROM (SELECT * FROM cost_lines) WHERE version = 1 AND {FEE_IN_ERROR}": "1\n",
}

REFUSED = [
    "SELECT * FROM merge(currentDatabase(), '^posts$')",
    "SELECT count() FROM merge('.*', '.*')",
    "SELECT * FROM mergeTreeIndex(currentDatabase(), posts)",
    "SELECT * FROM view(SELECT * FROM posts)",
    "SELECT * FROM remote('127.0.0.1', currentDatabase(), 'posts')",
    "SELECT * FROM file('/etc/hostname', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')",
    "SELECT * FROM numbers(3)",
    "SELECT toUInt8((SELECT any(tenant) FROM merge(currentDatabase(), '^posts$') WHERE tenant = 'acme'))",
    "SELECT count() FROM posts WHERE (SELECT count() FROM system.parts) > 0",
    "SELECT name, engine FROM system.tables",
    "SELECT * FROM system.parts",
    "SELECT * FROM system.columns",
    "SELECT query FROM system.query_log",
    "SELECT * FROM INFORMATION_SCHEMA.tables",
    "SELECT * FROM schema_migrations",
    "SELECT * FROM {other}.posts",
    "SELECT p.tenant FROM posts AS p JOIN {other}.posts AS o ON 1 = 1",
    "SELECT 1 WHERE ('acme', '10000') IN {other}.posts",
    "SELECT * FROM posts SETTINGS additional_table_filters = {{}}",
    "SELECT * FROM posts SETTINGS readonly = 0",
    "SET additional_table_filters = {{}}",
    "SELECT 1; SELECT * FROM system.tables",
    "DESCRIBE TABLE posts",
    "SHOW TABLES",
    "INSERT INTO cost_lines (tenant, cost_id) VALUES ('globex', 'x')",
    "SELECT * FROM posts INTO OUTFILE '{outfile}'",
    f"SELECT count() FROM cost_lines PREWHERE {FEE_IN_ERROR}",
    f"SELECT (SELECT count() FROM cost_lines PREWHERE {FEE_IN_ERROR})",
    "SELECT file('{secret}')",
    "SELECT toUInt8(file('{secret}'))",  # an error of the engine's analysis would name the contents
    "SELECT count() FROM posts WHERE startsWith(file('{secret}'), 'TRACKER')",
    "SELECT arrayMap(file, ['{secret}'])",
    "SELECT dictGet('{other}.fees', 'fee', 1)",
    "SELECT hasColumnInTable('{other_name}', 'posts', 'fee')",
]


def test_tenant_token_reads_only_its_own_rows(scoped: tuple[ReadEndpoint, Store]) -> None:
    endpoint, _ = scoped
    for sql, expected in ANSWERED.items():
        response = ask(endpoint, sql)
        assert response.status_code == 200, f"{sql!r}: {response.text}"
        assert_no_acme(response, sql)
        if expected is not None:
            assert response.text == expected, sql
    union = ask(endpoint, "SELECT DISTINCT tenant FROM (SELECT tenant FROM posts UNION ALL "
                          "SELECT tenant FROM cost_lines UNION ALL SELECT tenant FROM sales)")
    assert union.text == "globex\n"


def test_tenant_token_cannot_reach_other_rows_by_any_sql(scoped: tuple[ReadEndpoint, Store], tmp_path: Path) -> None:
    endpoint, store = scoped
    other = f"`{store.database}_other`"
    outfile = tmp_path / "written-by-a-reader.tsv"
    secret = tmp_path / "tracker.env"  # a file of the process's, e.g. its settings
    secret.write_text("TRACKER_READ_TENANT_TOKENS=acme-token ACME10\n")
    for template in REFUSED:
        sql = template.format(other=other, other_name=f"{store.database}_other", outfile=outfile, secret=secret)
        response = ask(endpoint, sql)
        assert response.status_code != 200, f"{sql!r} was answered: {response.text[:300]}"
        assert_no_acme(response, sql)
    assert ask(endpoint, "SELECT * FROM posts", database="system").status_code == 403
    assert store.query_sync("SELECT count() FROM cost_lines WHERE cost_id = 'x'").scalar() == 0
    assert not outfile.exists()


def test_each_token_sees_its_own_tenant_and_the_password_sees_all(scoped: tuple[ReadEndpoint, Store]) -> None:
    endpoint, _ = scoped
    assert ask(endpoint, "SELECT count() FROM posts", key=ACME).text == "6\n"
    assert ask(endpoint, "SELECT count() FROM posts", key=GLOBEX).text == "1\n"
    assert ask(endpoint, "SELECT count() FROM posts", key=ADMIN).text == "7\n"
    assert ask(endpoint, "SELECT count() FROM posts", key="not-a-token-0123456789").status_code == 403


def test_clickhouse_http_client_with_a_tenant_token(scoped: tuple[ReadEndpoint, Store]) -> None:
    endpoint, store = scoped
    client = clickhouse_connect.get_client(host="127.0.0.1", port=endpoint.port, username="globex",
                                           password=GLOBEX, database=str(store.database))
    try:
        rows = client.query("SELECT tenant, campaign_id FROM v_roi_campaign").result_rows
        assert rows == [("globex", "c1")]
        assert client.query("SELECT count() FROM posts WHERE tenant = {t:String}",
                            parameters={"t": "acme"}).result_rows == [(0,)]
    finally:
        client.close()


def test_tenant_tokens_need_a_read_password(tmp_path: Path) -> None:
    """Refused as the settings are read, before any endpoint starts without one (every reader would
    see every tenant)."""
    with pytest.raises(ValidationError, match="TRACKER_READ_TENANT_TOKENS needs TRACKER_READ_PASSWORD"):
        Settings(_env_file=None, data_dir=tmp_path, read_tenant_tokens=f"{GLOBEX}=globex")  # type: ignore[call-arg]
