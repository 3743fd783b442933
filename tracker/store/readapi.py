"""The read endpoint: the part of ClickHouse's HTTP interface readers use.

The process that owns the embedded store serves it read-only, so Grafana's
ClickHouse plugin, clickhouse-connect, curl and ``tracker sql`` can query it:

- ``GET|HEAD /ping`` (and ``GET /`` without a query) answer ``Ok.``;
- ``GET /?query=…``; ``POST /`` with the query in the body, or in ``query``
  with the body appended on a new line; multipart forms with a ``query`` field;
- ``database``, ``default_format`` (default TabSeparated; a format's name and
  nothing more) and ``param_<name>`` parameters; every other parameter is a
  ClickHouse setting for this query;
- one statement per query (a trailing ``;`` is fine), as the engine parses it;
- the engine writes the output bytes in whatever FORMAT is asked;
- errors carry ClickHouse's HTTP status, ``X-ClickHouse-Exception-Code`` and
  the engine's message;
- basic auth, ``X-ClickHouse-User``/``X-ClickHouse-Key`` headers or
  ``user``/``password`` parameters, checked against ``read_password`` when set.

Every query runs through a dedicated readonly store (``ReaderStore``:
``readonly=1`` after limits on time, memory, threads and result size), so
writes, DDL and setting changes are refused by the engine itself, never by
inspecting SQL here. A client's ``max_execution_time`` (Grafana's ClickHouse
plugin sends its query timeout + 5 with every query) is not a change: the
query runs within it, at most ``read_max_execution_time``.

A password that is one of ``read_tenant_tokens`` reads as that tenant only:
its queries run on the tenant's own engine session (``tracker.store.tenancy``).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from aiohttp import web

from tracker.errors import ConfigError, StoreUnavailable
from tracker.settings import Settings
from tracker.store.errors import QueryError, error_code
from tracker.store.lock import StoreLock
from tracker.store.sqltext import with_default_format
from tracker.store.tenancy import ReaderStore, TenantReaders

log = logging.getLogger(__name__)

READER_KEY = web.AppKey("reader", ReaderStore)
SETTINGS_KEY = web.AppKey("settings", Settings)
TENANTS_KEY = web.AppKey("tenants", TenantReaders)

# Parameters the HTTP layer consumes; they never reach the engine as settings.
TRANSPORT_PARAMS = frozenset(
    {
        "query", "database", "default_format", "user", "password", "quota_key", "query_id",
        "session_id", "session_timeout", "session_check", "compress", "decompress", "buffer_size",
        "wait_end_of_query", "client_protocol_version", "role", "stacktrace",
        "send_progress_in_http_headers", "http_headers_progress_interval_ms",
        "enable_http_compression", "http_zlib_compression_level",
        "cancel_http_readonly_queries_on_client_close", "add_http_cors_header",
    }
)  # fmt: skip

# ClickHouse error code -> HTTP status, as ClickHouse's HTTP handler answers.
STATUS_BY_CODE = {
    194: 401,  # REQUIRED_PASSWORD
    192: 403, 193: 403, 516: 403,  # UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED
    164: 403, 497: 403, 291: 403,  # READONLY, ACCESS_DENIED, DATABASE_ACCESS_DENIED
    6: 400, 26: 400, 27: 400, 38: 400, 41: 400, 72: 400,  # CANNOT_PARSE_*
    36: 400, 53: 400, 62: 400, 117: 400, 167: 400, 168: 400, 321: 400,  # BAD_ARGUMENTS, TYPE_MISMATCH, SYNTAX_ERROR, ...
    16: 404, 46: 404, 47: 404, 50: 404, 56: 404, 60: 404, 63: 404, 73: 404, 81: 404, 115: 404,  # UNKNOWN_*
    48: 501,  # NOT_IMPLEMENTED
    202: 503, 209: 503,  # TOO_MANY_SIMULTANEOUS_QUERIES, SOCKET_TIMEOUT
}  # fmt: skip


@dataclass(frozen=True)
class ReadEndpoint:
    """A running read endpoint."""

    runner: web.AppRunner
    host: str
    port: int
    lock: StoreLock | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop serving (closes the readonly store the app opened); withdraws the advertisement."""
        if self.lock is not None:
            self.lock.advertise(None)
        await self.runner.cleanup()


class _Verbatim:
    """A query parameter handed to the engine exactly as the client sent it
    (ClickHouse's escaped text form), not re-escaped as a Python string."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def content_type(fmt: str | None) -> str:
    """The Content-Type ClickHouse sends for an output format."""
    f = (fmt or "TabSeparated").lower()
    if f.endswith("eachrow") or f in ("jsonlines", "ndjson"):
        return "application/x-ndjson; charset=UTF-8"
    if f.startswith("json"):
        return "application/json; charset=UTF-8"
    if f.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if f.startswith("csv"):
        header = "present" if "withnames" in f else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if f.startswith(("pretty", "vertical", "markdown", "values", "raw", "template", "null")):
        return "text/plain; charset=UTF-8"
    if f == "xml":
        return "application/xml; charset=UTF-8"
    return "application/octet-stream"


FORMAT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
UNKNOWN_FORMAT = 73


def format_name(name: str) -> str:
    """``name`` (``default_format``, ``X-ClickHouse-Format``) when it can be a format's name.

    The query runs with ``FORMAT <name>`` appended, so anything else would be more SQL after
    the checked statement (``TSV; SELECT …`` a second, unchecked one)."""
    if not FORMAT_NAME.fullmatch(name):
        raise QueryError(f"Code: {UNKNOWN_FORMAT}. DB::Exception: Unknown output format {name!r}. (UNKNOWN_FORMAT)",
                         UNKNOWN_FORMAT)
    return name


def error_response(message: str, code: int | None, status: int | None = None) -> web.Response:
    """A ClickHouse-style error: status by code, message body, exception-code header."""
    headers = {"X-ClickHouse-Exception-Code": str(code if code is not None else 1002)}
    status = status or STATUS_BY_CODE.get(code or 0, 500)
    text = message if message.endswith("\n") else message + "\n"
    return web.Response(status=status, text=text, headers=headers, content_type="text/plain")


def _credentials(request: web.Request) -> tuple[str, str | None]:
    user = request.headers.get("X-ClickHouse-User") or request.query.get("user") or "default"
    key = request.headers.get("X-ClickHouse-Key") or request.query.get("password")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
        except ValueError:
            decoded = ""
        basic_user, _, basic_key = decoded.partition(":")
        user, key = basic_user or user, basic_key
    return user, key


def _auth_error(request: web.Request, settings: Settings) -> web.Response | None:
    expected = settings.read_password.get_secret_value()
    if not expected:
        return None
    user, key = _credentials(request)
    if not key:
        return error_response(
            f"Code: 194. DB::Exception: {user}: Password required for user {user}. (REQUIRED_PASSWORD)", 194
        )
    if not hmac.compare_digest(key.encode(), expected.encode()):
        return error_response(
            f"Code: 516. DB::Exception: {user}: Authentication failed: password is incorrect, "
            "or there is no user with such name. (AUTHENTICATION_FAILED)",
            516,
        )
    return None


LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"
ZSTD_FRAME_MAGIC = b"\x28\xb5\x2f\xfd"


def _decoded_body(body: bytes, encoding: str) -> bytes:
    """The request body without its Content-Encoding (aiohttp already undoes gzip, deflate, br)."""
    encoding = encoding.strip().lower()
    if encoding == "lz4" and body.startswith(LZ4_FRAME_MAGIC):
        import lz4.frame

        return lz4.frame.decompress(body)
    if encoding == "zstd" and body.startswith(ZSTD_FRAME_MAGIC):
        if sys.version_info >= (3, 14):
            from compression import zstd
        else:
            from backports import zstd
        return zstd.decompress(body)
    if encoding not in ("", "identity", "gzip", "deflate", "br", "lz4", "zstd"):
        raise QueryError(f"Code: 36. DB::Exception: Unknown Content-Encoding {encoding!r}. (BAD_ARGUMENTS)", 36)
    return body


async def _query_text(request: web.Request, params: dict[str, str]) -> str:
    if request.method != "POST":
        return params.get("query", "")
    if request.content_type == "multipart/form-data":
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, str):
                params.setdefault(name, value)
            elif name != "query":
                raise QueryError("external data tables are not supported by this endpoint", 48)
        return params.get("query", "")
    raw = _decoded_body(await request.read(), request.headers.get("Content-Encoding", ""))
    body = raw.decode("utf-8", errors="replace")
    query = params.get("query", "")
    return f"{query}\n{body}" if query and body else query or body


def _split_params(params: Mapping[str, str]) -> tuple[dict[str, str], dict[str, _Verbatim]]:
    """(engine settings, query parameters) from the request parameters."""
    settings = {k: v for k, v in params.items() if k not in TRANSPORT_PARAMS and not k.startswith("param_")}
    parameters = {k[6:]: _Verbatim(v) for k, v in params.items() if k.startswith("param_")}
    return settings, parameters


async def ping(request: web.Request) -> web.Response:
    """``/ping``: liveness, as ClickHouse answers it."""
    return web.Response(text="Ok.\n")


async def query(request: web.Request) -> web.StreamResponse:
    """``/``: run one query through the readonly store and return the engine's bytes."""
    settings = request.app[SETTINGS_KEY]
    reader = request.app[READER_KEY]
    params = dict(request.query)
    if request.method == "GET" and "query" not in params:
        return web.Response(text="Ok.\n")
    tenant = request.app[TENANTS_KEY].tenant(_credentials(request)[1])
    denied = _auth_error(request, settings) if tenant is None else None
    if denied is not None:
        return denied
    if params.get("decompress") in ("1", "true"):
        return error_response(
            "Code: 48. DB::Exception: ClickHouse-compressed request bodies (decompress=1) are not supported "
            "by this endpoint. (NOT_IMPLEMENTED)",
            48,
        )
    started = time.perf_counter_ns()
    query_id = params.get("query_id") or str(uuid.uuid4())
    try:
        text = await _query_text(request, params)
        if not text.strip():
            return error_response("Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)", 62)
        default_format = format_name(params.get("default_format") or request.headers.get("X-ClickHouse-Format")
                                     or "TabSeparated")
        database = params.get("database") or request.headers.get("X-ClickHouse-Database") or None
        engine_settings, parameters = _split_params(params)
        used = {k: v for k, v in parameters.items() if re.search(r"\{\s*" + re.escape(k) + r"\s*:", text)}
        if tenant is not None:  # the tenant's session, on the tracker database only
            scoped = await request.app[TENANTS_KEY].store(tenant)
            if database not in (None, scoped.database):
                return error_response(f"Code: 291. DB::Exception: tenant token: database {database} is not "
                                      "readable. (DATABASE_ACCESS_DENIED)", 291)
            fmt: str | None
            body, fmt = await scoped.scoped_query(text, used or None, default_format, engine_settings)
        else:
            await reader.statement(text)  # one statement: the engine would run every one of them
            sql, fmt = with_default_format(text, default_format)
            body = await reader.raw_query(sql, used or None, settings=engine_settings or None, database=database)
    except StoreUnavailable as exc:
        return error_response(str(exc), error_code(exc), status=503)
    except QueryError as exc:
        return error_response(str(exc), exc.code if exc.code is not None else 36)
    except Exception as exc:  # a reader gets an answer, never a dropped connection
        log.exception("read endpoint failed on a query")
        return error_response(f"Code: 1001. DB::Exception: {exc}. (STD_EXCEPTION)", 1001)
    summary = {"result_bytes": str(len(body)), "elapsed_ns": str(time.perf_counter_ns() - started)}
    headers = {
        "Content-Type": content_type(fmt),
        "X-ClickHouse-Query-Id": query_id,
        "X-ClickHouse-Summary": json.dumps(summary),
        "X-ClickHouse-Server-Display-Name": "tracker",
    }
    if fmt:
        headers["X-ClickHouse-Format"] = fmt
    response = web.Response(body=body, headers=headers)
    compress = params.get("enable_http_compression") in ("1", "true")
    if compress and any(enc in request.headers.get("Accept-Encoding", "") for enc in ("gzip", "deflate")):
        response.enable_compression()
    return response


def build_read_app(settings: Settings, reader: ReaderStore | None = None) -> web.Application:
    """The aiohttp application of the read endpoint.

    Without ``reader`` the app opens its own (``ReaderStore(settings)``) on
    startup and closes it on cleanup.
    """
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SETTINGS_KEY] = settings

    async def reader_context(app: web.Application) -> AsyncIterator[None]:
        tenants = TenantReaders(settings)  # checks the tenant tokens before anything opens
        serving = reader if reader is not None else ReaderStore(settings)
        app[READER_KEY] = serving
        app[TENANTS_KEY] = tenants.serving(serving)
        yield
        await app[TENANTS_KEY].aclose()
        if reader is None:
            await serving.aclose()

    app.cleanup_ctx.append(reader_context)
    app.router.add_get("/ping", ping)
    app.router.add_get("/", query)
    app.router.add_post("/", query)
    return app


async def serve_read_endpoint(
    settings: Settings,
    reader: ReaderStore | None = None,
    *,
    lock: StoreLock | None = None,
    host: str | None = None,
    port: int | None = None,
) -> ReadEndpoint:
    """Start the read endpoint on ``read_host:read_port`` (port 0 = any free port).

    With ``lock`` (the store owner's lock), the endpoint's URL is advertised so
    that ``tracker sql`` and other commands query through it.
    """
    app = build_read_app(settings, reader)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    bind_host = host or settings.read_host
    site = web.TCPSite(runner, bind_host, settings.read_port if port is None else port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"read endpoint cannot listen on {bind_host}:{settings.read_port}: {exc.strerror}; "
            "set TRACKER_READ_PORT to a free port"
        ) from exc
    bound_port = int(runner.addresses[0][1])  # the real port when port 0 was asked
    endpoint = ReadEndpoint(runner, bind_host, bound_port, lock)
    if lock is not None:
        lock.advertise(endpoint.url)
    log.info("read endpoint listening on %s", endpoint.url)
    return endpoint
