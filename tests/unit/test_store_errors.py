"""Engine errors land on the right branch of tracker's error tree."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError, ProgrammingError

from tracker.errors import ConfigError, RetryableError, StoreUnavailable
from tracker.store.errors import QueryError, StoreBusy, error_code, translate
from tracker.store.readapi import STATUS_BY_CODE, content_type


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (DatabaseError("Code: 252. DB::Exception: Too many parts. (TOO_MANY_PARTS)", code=252), StoreUnavailable),
        (DatabaseError("Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)", code=241), StoreUnavailable),
        (OperationalError("Error HTTPConnectionPool: connection refused"), StoreUnavailable),
        (ConnectionRefusedError("refused"), StoreUnavailable),
        (DatabaseError("Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)", code=62), QueryError),
        (DatabaseError("Code: 164. DB::Exception: Cannot execute query in readonly mode. (READONLY)", code=164), QueryError),
        (ValueError("bad value for a DateTime64 column"), QueryError),
        (ProgrammingError("Unable to open the chdb engine: Error initializing EmbeddedServer: ."), StoreBusy),
        (ProgrammingError("EmbeddedServer already initialized with path '/a', cannot connect with different path '/b'"), StoreBusy),
    ],
)
def test_translate(exc: Exception, expected: type[Exception]) -> None:
    mapped = translate(exc, "chdb:///x")
    assert isinstance(mapped, expected)
    if expected is QueryError:
        assert str(exc) in str(mapped) and error_code(mapped) == getattr(exc, "code", None)


def test_an_error_the_engine_rethrows_is_said_once() -> None:
    nested = ("Code: 73. DB::Exception: Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format Nonsense. "
              "(UNKNOWN_FORMAT) (version 26.9.2.1). (UNKNOWN_FORMAT) (version 26.9.2.1). (UNKNOWN_FORMAT)")
    mapped = translate(DatabaseError(nested, code=73), "chdb:///x")
    assert isinstance(mapped, QueryError) and mapped.code == 73
    assert str(mapped) == "Code: 73. DB::Exception: Unknown format Nonsense. (UNKNOWN_FORMAT)"
    once = "Code: 62. DB::Exception: Syntax error: failed at position 1 (SELEC). (SYNTAX_ERROR) (version 26.9.2.1)"
    assert str(translate(DatabaseError(once, code=62), "chdb:///x")) == once


def test_families() -> None:
    assert issubclass(StoreUnavailable, RetryableError)
    assert issubclass(StoreBusy, ConfigError)
    assert not issubclass(QueryError, RetryableError)


def test_http_mapping_follows_clickhouse() -> None:
    assert (STATUS_BY_CODE[164], STATUS_BY_CODE[62], STATUS_BY_CODE[60], STATUS_BY_CODE[194]) == (403, 400, 404, 401)
    assert content_type("JSONEachRow").startswith("application/x-ndjson")
    assert content_type("JSON").startswith("application/json")
    assert content_type("CSVWithNames").endswith("header=present")
    assert content_type("Native") == "application/octet-stream"
