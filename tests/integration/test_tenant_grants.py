"""``tracker tenants grant --print``: SQL a ClickHouse server takes, for a user Grafana can use.

The embedded engine cannot create users, so the statements are checked with
the engine's parser (``formatQuery``) rather than run.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

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
