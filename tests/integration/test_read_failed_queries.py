"""A query that fails after producing output leaves nothing behind for the next reader.

chDB keeps the blocks a failed query had already written and hands them to
the next query on the same engine session: the next reader got another
query's rows, and a query with a setting got ``'int' object is not
subscriptable`` (clickhouse-connect read the leftover ``0`` lines as the
settings it snapshots). One reader thread, so that every query shares it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.store import make_store_settings, running_read_endpoint
from tracker.store.store import Store

pytestmark = pytest.mark.integration

FAILS_AFTER_ONE_BLOCK = "SELECT throwIf(number = 70000) FROM numbers(100000)"  # one block written, then 395


def test_the_next_query_gets_its_own_rows_only(store: Store, engine_url: str, tmp_path: Path) -> None:
    settings = make_store_settings(engine_url, str(store.database), tmp_path / "data", read_threads=1)
    with running_read_endpoint(settings) as endpoint:
        for params in ({"max_execution_time": "30"}, {}, {"max_execution_time": "20"}):
            failed = httpx.get(endpoint.url, params={"query": FAILS_AFTER_ONE_BLOCK})
            assert failed.headers["X-ClickHouse-Exception-Code"] == "395", failed.text
            after = httpx.get(endpoint.url, params={"query": "SELECT 1", **params})
            assert (after.status_code, after.text) == (200, "1\n"), after.text[:200]
        overflow = httpx.get(endpoint.url, params={"query": "SELECT number FROM numbers(2000000)"})
        assert overflow.headers["X-ClickHouse-Exception-Code"] == "396", overflow.text  # TOO_MANY_ROWS_OR_BYTES
        assert httpx.get(endpoint.url, params={"query": "SELECT 2"}).text == "2\n"


def test_a_store_query_after_a_failed_one_gets_its_own_rows(store: Store) -> None:
    """The same on any store of the process (the worker's, a command's), not only the endpoint's."""
    from tracker.store.errors import QueryError

    one = Store(store.url, store.database, settings=store.settings, threads=1)
    try:
        for _ in range(2):
            with pytest.raises(QueryError):
                one.query_sync(FAILS_AFTER_ONE_BLOCK)
            assert one.query_sync("SELECT 1 AS x").rows == [(1,)]
            assert one.query_sync("SELECT 2 AS y SETTINGS max_threads = 1").rows == [(2,)]
    finally:
        one.close()
