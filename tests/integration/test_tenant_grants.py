"""``tracker tenants grant --print``: SQL a ClickHouse server takes, for a user Grafana can use.

The embedded engine cannot create users, so the statements are checked with
the engine's parser (``formatQuery``) rather than run.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.fixtures.worker import WorkerProcess
from tracker.store.sqltext import PARSE_QUERY
from tracker.store.store import Store

pytestmark = pytest.mark.integration


def test_the_printed_user_may_set_its_time_limit_within_bounds_only(
    store: Store, cli_on_store: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_READ_MAX_EXECUTION_TIME", "20")
    result = cli_on_store("tenants", "grant", "acme", "--print")
    assert result.exit_code == 0, result.output
    statements = [s.strip() for s in result.output.strip().rstrip(";").split(";\n")]
    user = statements[0]
    assert user.startswith("CREATE USER IF NOT EXISTS tracker_acme") and "<password>" in user
    # readonly itself cannot change; max_execution_time can, within 1 s .. the read limit + Grafana's 5 s
    assert user.endswith("SETTINGS readonly = 1 READONLY, max_execution_time = 20 MIN 1 MAX 25 CHANGEABLE_IN_READONLY")
    for statement in statements:
        formatted = store.query_sync(PARSE_QUERY, {"q": statement}).scalar()
        assert formatted, statement
    assert "MAX 25 CHANGEABLE_IN_READONLY" in store.query_sync(PARSE_QUERY, {"q": user}).scalar()


def test_print_reads_through_the_process_that_holds_the_store(kafka: str, tracker_topics: str,
                                                              tmp_path: Path) -> None:
    """While a worker holds the embedded store, --print opened it directly, failed, and said to give
    it the process's TRACKER_DATA_DIR, which it was using: it now reads through the endpoint."""
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        database = worker.scalar("SELECT currentDatabase()")  # serving: it holds the store
        result = subprocess.run([sys.executable, "-m", "tracker", "tenants", "grant", "acme", "--print"],
                                env=worker.env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    finally:
        worker.stop()
    assert result.returncode == 0, result.stderr
    assert (f"CREATE ROW POLICY OR REPLACE tracker_tracker_acme ON `{database}`.`posts` FOR SELECT "
            "USING tenant = 'acme'") in result.stdout, result.stdout
