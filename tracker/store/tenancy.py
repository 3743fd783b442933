"""Readers' stores, and tenant scoping: a reader token for one tenant never sees another's rows.

``ReaderStore`` is the store every reader of the read endpoint (and ``tracker
sql``) queries through: engine sessions with the read limits frozen by
``readonly = 1``, one statement per query as the engine parses it, and a
query's ``max_execution_time`` honoured up to the configured limit.

On a ClickHouse server the server enforces it: ``server_grants`` writes one
user per tenant (readonly but for ``max_execution_time`` within bounds, no
table functions), a row policy ``tenant =
'<tenant>'`` on every table that has a ``tenant`` column (``tenant IN ('',
'<tenant>')`` on the global reference tables), and a permissive policy that
keeps tracker's own user seeing everything.

The embedded engine's only user (``default``) may not create users or row
policies (``ACCESS_DENIED``), and every query of one process runs as that
user, so the read endpoint enforces it with what the engine does accept,
on a separate engine session per tenant token:

1. the session (a ``ReaderStore`` one) sets ``additional_table_filters`` —
   ``tenant = '<tenant>'`` on every base table of the tracker database —,
   ``optimize_move_to_prewhere = 0`` (the engine applies the filters after
   PREWHERE: a condition moved there would be evaluated on every tenant's
   rows and name their values in its errors) and then ``readonly = 1``, so
   the engine refuses any query that tries to change or drop a setting (a
   ``SETTINGS`` clause, ``SET``), and every table function that reads
   outside the database (``file``, ``url``, ``remote``, ``executable`` …);
2. before running a query, the engine parses it: ``formatQuery`` (one
   statement, canonical text), ``EXPLAIN AST`` (no table function, no
   function that reads past the tables' rows such as ``file()`` or
   ``dictGet()``, no table or identifier naming another database),
   ``EXPLAIN QUERY TREE run_passes = 0`` (no ``PREWHERE``) and ``EXPLAIN
   QUERY TREE`` (every resolved table is a table or view of the tracker
   database with a ``tenant`` column, or a harmless system table). Objects
   are taken from the engine's own output, never from matching strings in
   the query; the checks that come before the analysis (which runs constant
   expressions and scalar subqueries) are those whose objects it would run.

The filters reach every read of a base table — in joins, subqueries, UNION,
``IN``, CTEs and inside views — and the object check keeps out what they do
not cover (``merge()``, system tables, ``mergeTreeIndex()``, other databases).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import math
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client
from pydantic import SecretStr

from tracker.errors import ConfigError
from tracker.settings import TENANT_ID, Settings, tenant_tokens
from tracker.store.access import Reader
from tracker.store.client import has_store, make_client, reader_limits
from tracker.store.errors import QueryError
from tracker.store.sqltext import PARSE_QUERY, parse_refusal
from tracker.store.store import Store

SHARED_TABLES = frozenset({"fx_rates", "emv_unit_values"})
"""Reference tables whose tenant '' rows are global (FX rates, default EMV unit values)."""
HARMLESS_SYSTEM_TABLES = frozenset({"system.one", "system.settings"})
"""``SELECT 1`` reads system.one; HTTP clients read their session's settings on connect."""
DENIED_FUNCTIONS = frozenset({
    "file",  # any file the process can read: the embedded engine checks no user_files_path
    "joinGet", "joinGetOrNull",  # Join tables, which no tenant filter covers
    "hasColumnInTable",  # other databases' tables
    "getServerSetting", "getMergeTreeSetting", "getMacro", "showCertificate", "getClientHTTPHeader",
    "filesystemAvailable", "filesystemCapacity", "filesystemUnreserved",  # the server's configuration and disks
})  # fmt: skip
"""Functions that read past the rows of a query's tables; a tenant query naming one is refused."""
DENIED_FUNCTION_PREFIX = "dict"
"""``dictGet*``, ``dictHas``, ``dictIsIn`` …: a dictionary reads its source with no tenant filter."""
SCOPED_SESSION = {"optimize_move_to_prewhere": 0, "allow_introspection_functions": 0}
"""Settings of a tenant's session besides the read limits. The engine runs PREWHERE before
``additional_table_filters``, so a condition moved there would see other tenants' rows (and name
their values in its errors); with WHERE kept in place the tenant filter comes first. Introspection
functions read the engine's own binary, nothing a tenant needs."""
ACCESS_DENIED = 497
EXPLAIN_FORMAT = "TSVRaw"

BAD_ARGUMENTS = 36
SESSIONS_PER_THREAD = 4
"""Engine sessions a reader pool thread keeps, one per time limit asked for (the configured one too)."""

_TABLE_NODE = re.compile(r"^\s*(TABLE|TABLE_FUNCTION)\b(?! EXPRESSION$)(.*)$")  # not a join's label line
_TABLE_NAME = re.compile(r"\btable_name: ([^,\s]+)")
_AST_LINE = re.compile(r"^(\s*)(\w+)(?: (\S+))?")


def parse_tokens(secret: SecretStr) -> dict[str, str]:
    """Token → tenant from ``read_tenant_tokens`` (``tracker.settings.tenant_tokens``, which
    refuses a bad value as the settings are read); ConfigError when it is malformed."""
    try:
        return tenant_tokens(secret)
    except ValueError as exc:
        raise ConfigError(f"TRACKER_READ_TENANT_TOKENS: {exc}") from None


def tenant_for_key(tokens: Mapping[str, str], key: str | None) -> str | None:
    """The tenant whose token is ``key`` (constant-time per token), or None."""
    if not key:
        return None
    found = None
    for token, tenant in tokens.items():
        if hmac.compare_digest(token.encode(), key.encode()):
            found = tenant
    return found


def sql_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def tenant_predicate(table: str, tenant: str) -> str:
    """The row filter of ``table`` for ``tenant`` (global rows too on shared reference tables)."""
    if table in SHARED_TABLES:
        return f"tenant IN ('', {sql_string(tenant)})"
    return f"tenant = {sql_string(tenant)}"


def table_filters(database: str, tenant: str, tables: Iterable[str]) -> str:
    """The ``additional_table_filters`` value: ``{'db.table': 'tenant = …', …}``."""
    items = [f"{sql_string(f'{database}.{t}')}: {sql_string(tenant_predicate(t, tenant))}" for t in sorted(tables)]
    return "{" + ", ".join(items) + "}"


@dataclass(frozen=True)
class Catalog:
    """The tracker database's objects with a ``tenant`` column."""

    database: str
    tables: frozenset[str]
    views: frozenset[str]
    databases: frozenset[str]
    functions: frozenset[str] = frozenset()
    """Names that call a denied function, as written (case-insensitive ones lower-cased)."""

    def allowed(self) -> frozenset[str]:
        """Fully qualified names a tenant query may resolve to."""
        names = {f"{self.database}.{n}" for n in self.tables | self.views}
        return frozenset(names | HARMLESS_SYSTEM_TABLES)

    def denies(self, name: str) -> bool:
        """True when ``name``, as a query writes it, calls (an alias of) a denied function."""
        return name in self.functions or name.lower() in self.functions


def denied_function(name: str) -> bool:
    """True for a function that reads past the rows of a query's tables (``DENIED_FUNCTIONS``)."""
    return name in DENIED_FUNCTIONS or name.startswith(DENIED_FUNCTION_PREFIX)


def denied_names(functions: Iterable[tuple[str, str, int]]) -> frozenset[str]:
    """The names that reach a denied function, from (name, alias_to, case_insensitive) rows of
    ``system.functions``: the engine resolves aliases, and some names in any case."""
    names = set()
    for name, alias_to, case_insensitive in functions:
        if denied_function(alias_to or name):
            names.add(name.lower() if case_insensitive else name)
    return frozenset(names)


def read_catalog(store: Store | Reader, database: str | None = None) -> Catalog:
    """Tables and views of tracker's database (``store.database``, else ``database``) that carry
    a ``tenant`` column; ``store`` may be a reader (through a running process's endpoint)."""
    query = store.query_sync if isinstance(store, Store) else store.query
    db = str(store.database if isinstance(store, Store) else database)
    rows = query(
        "SELECT t.name, t.engine IN ('View', 'MaterializedView', 'LiveView') FROM system.tables AS t "
        "WHERE t.database = {db:String} AND t.name IN "
        "(SELECT table FROM system.columns WHERE database = {db:String} AND name = 'tenant')",
        {"db": db},
    ).rows
    databases = query("SELECT name FROM system.databases", None).rows
    functions = query("SELECT name, alias_to, case_insensitive FROM system.functions", None).rows
    return Catalog(
        database=db,
        tables=frozenset(str(n) for n, is_view in rows if not is_view),
        views=frozenset(str(n) for n, is_view in rows if is_view),
        databases=frozenset(str(r[0]) for r in databases),
        functions=denied_names((str(n), str(a), int(ci)) for n, a, ci in functions),
    )


def refuse(message: str) -> QueryError:
    return QueryError(f"Code: {ACCESS_DENIED}. DB::Exception: tenant token: {message}. (ACCESS_DENIED)", ACCESS_DENIED)


def check_ast(explain_ast: str, catalog: Catalog) -> None:
    """Refuse table functions, denied functions, names of other databases and output files in the
    engine's AST dump (taken before the engine analyses the query, which runs constant
    expressions and scalar subqueries and reports their errors)."""
    lines = explain_ast.strip("\n").splitlines()
    top = [line.strip() for line in lines[1:] if re.match(r"^ \S", line)]  # children of the root
    if not lines or not lines[0].startswith("SelectWithUnionQuery") or any(
            not (c.startswith("ExpressionList") or c == f"Identifier {EXPLAIN_FORMAT}") for c in top):
        raise refuse("only a plain SELECT is allowed (no INTO OUTFILE)")  # a Literal child is an output file
    stack: list[tuple[int, str]] = []
    others = catalog.databases - {catalog.database}
    for line in explain_ast.splitlines():
        match = _AST_LINE.match(line)
        if match is None:
            continue
        depth, kind, name = len(match.group(1)), match.group(2), match.group(3) or ""
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else ""
        stack.append((depth, kind))
        if kind == "Function" and parent == "TableExpression":
            raise refuse(f"table function {name}() is not allowed")
        if kind in ("Function", "Identifier") and catalog.denies(name):  # arrayMap(file, …) calls file too
            raise refuse(f"function {name}() is not allowed")
        if kind == "TableIdentifier" and name in HARMLESS_SYSTEM_TABLES:
            continue
        if kind in ("TableIdentifier", "Identifier") and "." in name:
            head = name.split(".", 1)[0].strip("`\"")
            if head in others or (kind == "TableIdentifier" and head != catalog.database):
                raise refuse(f"{name} is outside the tracker database")


def check_clauses(explain_tree: str) -> None:
    """Refuse a PREWHERE clause anywhere in the engine's query tree, taken before analysis
    (``run_passes = 0``): the engine evaluates PREWHERE before ``additional_table_filters``,
    on every tenant's rows."""
    if any(line.strip() == "PREWHERE" for line in explain_tree.splitlines()):
        raise refuse("PREWHERE is not allowed (write the condition in WHERE)")


def check_query_tree(explain_tree: str, catalog: Catalog) -> None:
    """Refuse any resolved table outside the tenant's allowed objects (engine's QUERY TREE dump)."""
    allowed = catalog.allowed()
    for line in explain_tree.splitlines():
        node = _TABLE_NODE.match(line)
        if node is None:
            continue
        if node.group(1) == "TABLE_FUNCTION":
            raise refuse("table functions are not allowed")
        name = _TABLE_NAME.search(node.group(2))
        if name is None or name.group(1) not in allowed:
            raise refuse(f"{name.group(1) if name else 'this table'} is not readable with a tenant token")


def strip_format(canonical: str) -> tuple[str, str | None]:
    """The engine-formatted statement without its final ``FORMAT`` line, and that format."""
    head, _, last = canonical.rstrip().rpartition("\n")
    match = re.fullmatch(r"FORMAT (\w+)", last.strip())
    if head and match:
        return head, match.group(1)
    return canonical.rstrip(), None


def reader_time_limit(asked: object, limit: float) -> float:
    """Seconds a reader's query may run: the ``max_execution_time`` it asked for (seconds;
    Grafana's ClickHouse plugin asks for its query timeout + 5), at most ``limit``; 0 is no
    limit, so asking for 0 gets ``limit``. Refuses what is not a number of seconds."""
    if asked is None:
        return limit
    try:
        seconds = float(str(asked))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise QueryError(f"Code: {BAD_ARGUMENTS}. DB::Exception: max_execution_time must be a number of seconds, "
                         f"not {asked!r}. (BAD_ARGUMENTS)", BAD_ARGUMENTS)
    if not limit:
        return seconds
    return min(seconds, limit) if seconds else limit


class ReaderStore(Store):
    """A readonly store for readers: the engine enforces the read limits and refuses the rest.

    - Each engine session sets ``session`` (the read limits), the query's time limit, and then
      ``readonly = 1``, which freezes them all: writes, DDL and setting changes are refused.
    - ``max_execution_time`` among a query's settings is a wish, not a setting change: the query
      runs on a session whose time limit is that wish, at most ``read_max_execution_time``
      (``reader_time_limit``). A pool thread keeps a few such sessions.
    - ``statement`` is the engine's parse of a query text: one statement, or refused.
    - After a failed call the thread's sessions are closed: chDB hands the output a failed
      query had produced (its first blocks) to the next query on the same session.
    """

    def __init__(self, settings: Settings, session: Mapping[str, Any] | None = None, *,
                 threads: int | None = None) -> None:  # fmt: skip
        super().__init__(settings.store_url, settings.clickhouse_database, readonly=True, settings=settings,
                         threads=threads)
        limits = dict(session if session is not None else reader_limits(settings))
        self.session = {k: v for k, v in limits.items() if k not in ("max_execution_time", "readonly")}
        self.time_limit = float(settings.read_max_execution_time)

    # -- sessions (on the pool thread that runs the call) ----------------------

    def _open_session(self, seconds: float) -> Client:
        if self.embedded and not has_store(self.url):  # chDB would start an empty store at a mistyped path:
            make_client(self.url, self.database, readonly=True, settings=self.settings).close()  # says why not
        client = make_client(self.url, self.database, readonly=False, settings=self.settings)
        limit = int(seconds) if seconds.is_integer() else seconds
        for key, value in {**self.session, "max_execution_time": limit, "readonly": 1}.items():
            client.set_client_setting(key, value)  # readonly last: it freezes every setting before it
        return client

    def _session(self, seconds: float) -> Client:
        """This thread's session whose time limit is ``seconds`` (opened on first use)."""
        sessions: OrderedDict[float, Client] | None = getattr(self._local, "sessions", None)
        if sessions is None:
            sessions = self._local.sessions = OrderedDict()
        client = sessions.get(seconds)
        if client is None:
            client = sessions[seconds] = self._open_session(seconds)
            with self._clients_lock:
                self._clients.append(client)
            while len(sessions) > SESSIONS_PER_THREAD:
                self._close_client(sessions.popitem(last=False)[1])
        sessions.move_to_end(seconds)
        return client

    def _client(self) -> Client:
        return self._session(self.time_limit)

    def _discard_sessions(self) -> None:
        """Close every session of this thread after a failed call (``Store._discard_sessions``)."""
        sessions, self._local.sessions = getattr(self._local, "sessions", None) or {}, None
        for client in sessions.values():
            with contextlib.suppress(Exception):
                self._close_client(client)

    def _within(self, settings: Mapping[str, Any] | None) -> tuple[float, dict[str, Any] | None]:
        """(the query's time limit, its other settings)."""
        rest = dict(settings or {})
        seconds = reader_time_limit(rest.pop("max_execution_time", None), self.time_limit)
        return seconds, rest or None

    # -- API -------------------------------------------------------------------

    async def raw_query(self, sql: str, parameters: Any = None, *, settings: dict[str, Any] | None = None,
                        database: str | None = None) -> bytes:  # fmt: skip
        """``Store.raw_query`` within the time limit ``settings`` asks for (see the class)."""
        seconds, rest = self._within(settings)
        return await self.call(lambda _: self._raw_query(self._session(seconds), sql, parameters, rest, database))

    def raw_query_sync(self, sql: str, parameters: Any = None, *, settings: dict[str, Any] | None = None,
                       database: str | None = None) -> bytes:  # fmt: skip
        """Blocking ``raw_query``."""
        seconds, rest = self._within(settings)
        return self.call_sync(lambda _: self._raw_query(self._session(seconds), sql, parameters, rest, database))

    async def statement(self, text: str) -> str:
        """``text`` as the engine parses it (``PARSE_QUERY``); several statements, or none, are
        refused with the engine's syntax error."""
        try:
            return str((await self.query(PARSE_QUERY, {"q": text})).scalar())
        except QueryError as exc:
            raise QueryError(parse_refusal(str(exc)), exc.code) from exc

    def statement_sync(self, text: str) -> str:
        """Blocking ``statement``."""
        try:
            return str(self.query_sync(PARSE_QUERY, {"q": text}).scalar())
        except QueryError as exc:
            raise QueryError(parse_refusal(str(exc)), exc.code) from exc


class ScopedStore(ReaderStore):
    """A reader store whose engine sessions carry one tenant's row filters."""

    def __init__(self, settings: Settings, tenant: str, catalog: Catalog) -> None:
        filters = table_filters(catalog.database, tenant, catalog.tables)
        session = {**reader_limits(settings), **SCOPED_SESSION, "additional_table_filters": filters}
        super().__init__(settings, session, threads=1)
        self.tenant = tenant
        self.catalog = catalog

    async def scoped_query(self, text: str, parameters: Any, default_format: str,
                           engine_settings: Mapping[str, str] | None = None) -> tuple[bytes, str]:  # fmt: skip
        """Check ``text`` with the engine's parse, then run it; returns (bytes, output format)."""
        statement, fmt = strip_format(await self.statement(text))
        ast = await self.raw_query(f"EXPLAIN AST {statement}\nFORMAT {EXPLAIN_FORMAT}", parameters)
        check_ast(ast.decode(), self.catalog)
        parsed = await self.raw_query(f"EXPLAIN QUERY TREE run_passes = 0 {statement}\nFORMAT {EXPLAIN_FORMAT}",
                                      parameters)
        check_clauses(parsed.decode())
        try:
            tree = await self.raw_query(f"EXPLAIN QUERY TREE {statement}\nFORMAT {EXPLAIN_FORMAT}", parameters)
        except QueryError as exc:
            if exc.code in (48, 62):  # not a SELECT: EXPLAIN QUERY TREE covers SELECT queries only
                raise refuse("only SELECT queries are allowed") from exc
            raise
        check_query_tree(tree.decode(), self.catalog)
        fmt = fmt or default_format
        body = await self.raw_query(f"{statement}\nFORMAT {fmt}", parameters, settings=dict(engine_settings or {}))
        return body, fmt


class TenantReaders:
    """One ScopedStore per tenant, opened on first use, closed with the endpoint."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.admin: Store | None = None
        self.tokens = parse_tokens(settings.read_tenant_tokens)
        if self.tokens and not settings.read_password.get_secret_value():
            raise ConfigError("TRACKER_READ_TENANT_TOKENS needs TRACKER_READ_PASSWORD: without a password "
                              "every reader of the endpoint sees every tenant")
        self._stores: dict[str, ScopedStore] = {}
        self._lock = asyncio.Lock()

    def serving(self, admin: Store) -> TenantReaders:
        """Use ``admin`` (the endpoint's readonly store) to read the catalog."""
        self.admin = admin
        return self

    def tenant(self, key: str | None) -> str | None:
        return tenant_for_key(self.tokens, key)

    async def store(self, tenant: str) -> ScopedStore:
        async with self._lock:
            scoped = self._stores.get(tenant)
            if scoped is None:
                assert self.admin is not None, "TenantReaders.serving() was not called"
                catalog = await asyncio.to_thread(read_catalog, self.admin)
                scoped = self._stores[tenant] = ScopedStore(self.settings, tenant, catalog)
            return scoped

    async def aclose(self) -> None:
        for scoped in self._stores.values():
            await scoped.aclose()
        self._stores.clear()


def time_limit_constraint(seconds: int) -> str:
    """The ``max_execution_time`` a scoped server user starts with and may change although
    readonly: between 1 s and ``seconds`` + 5 (Grafana's ClickHouse plugin sends its query timeout,
    ``read_max_execution_time`` in tracker's datasource, + 5 with every query). Never 0, which is
    no limit. ``seconds`` 0 (no limit) leaves it free."""
    if not seconds:
        return "max_execution_time = 0 CHANGEABLE_IN_READONLY"
    return f"max_execution_time = {seconds} MIN 1 MAX {seconds + 5} CHANGEABLE_IN_READONLY"


def server_grants(database: str, tables: Iterable[str], tenant: str, password: str, admin_user: str,
                  max_execution_time: int = 30) -> list[str]:  # fmt: skip
    """SQL that scopes a ClickHouse server user ``tracker_<tenant>`` to one tenant.

    Run as a user with access management (``tracker tenants grant``). The
    permissive ``tracker_all`` policy keeps ``admin_user`` (the worker,
    analysts) seeing every row once row policies exist on a table. The user is
    readonly (``readonly = 1``, itself unchangeable) except for
    ``max_execution_time``, within ``time_limit_constraint(max_execution_time)``
    (a ``CHANGEABLE_IN_READONLY`` constraint: the server's default
    ``settings_constraints_replace_previous`` must be on).
    """
    if not TENANT_ID.match(tenant):
        raise ConfigError(f"{tenant!r} is not a tenant id")
    user = "tracker_" + re.sub(r"[^A-Za-z0-9_]", "_", tenant)
    db = f"`{database}`"
    statements = [
        f"CREATE USER IF NOT EXISTS {user} IDENTIFIED WITH sha256_password BY {sql_string(password)} "
        f"DEFAULT DATABASE {db} SETTINGS readonly = 1 READONLY, {time_limit_constraint(max_execution_time)}",
        f"GRANT SELECT ON {db}.* TO {user}",
        f"GRANT SELECT ON system.one TO {user}",
    ]
    for table in sorted(tables):
        statements.append(
            f"CREATE ROW POLICY OR REPLACE tracker_{user} ON {db}.`{table}` FOR SELECT "
            f"USING {tenant_predicate(table, tenant)} AS PERMISSIVE TO {user}"
        )
        statements.append(
            f"CREATE ROW POLICY IF NOT EXISTS tracker_all ON {db}.`{table}` FOR SELECT USING 1 "
            f"AS PERMISSIVE TO `{admin_user}`"
        )
    return statements
