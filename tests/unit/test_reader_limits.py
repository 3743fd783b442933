"""A reader's time limit: what the read endpoint grants, and what a scoped server user may set."""

from __future__ import annotations

import pytest

from tracker.store.errors import QueryError
from tracker.store.tenancy import reader_time_limit, server_grants, time_limit_constraint


@pytest.mark.parametrize(
    ("asked", "limit", "granted"),
    [(None, 30, 30), ("35", 30, 30), ("34", 30, 30), ("30", 30, 30), ("12", 30, 12), ("0.5", 30, 0.5),
     ("0", 30, 30), (35, 30, 30), ("35", 0, 35), ("0", 0, 0)],  # fmt: skip
)
def test_a_readers_time_limit_is_at_most_the_read_limit(asked: object, limit: float, granted: float) -> None:
    assert reader_time_limit(asked, limit) == granted


@pytest.mark.parametrize("asked", ["-1", "soon", "nan", "inf", ""])
def test_a_time_limit_that_is_no_number_of_seconds_is_refused(asked: str) -> None:
    with pytest.raises(QueryError, match="max_execution_time must be a number of seconds") as refused:
        reader_time_limit(asked, 30)
    assert refused.value.code == 36


def test_a_scoped_server_user_may_change_its_time_limit_within_bounds_only() -> None:
    user = server_grants("tracker", ["posts"], "acme", "s3cret", "default", 30)[0]
    assert user.endswith("SETTINGS readonly = 1 READONLY, max_execution_time = 30 MIN 1 MAX 35 CHANGEABLE_IN_READONLY")
    assert server_grants("tracker", ["posts"], "acme", "s3cret", "default")[0] == user  # the default read limit
    assert time_limit_constraint(0) == "max_execution_time = 0 CHANGEABLE_IN_READONLY"  # no limit to keep
