"""The store on the real engine: migrations, the data-model rules, dedup, errors."""

from __future__ import annotations

import re
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tracker.errors import ConfigError, StoreUnavailable
from tracker.settings import Settings
from tracker.store import migrations
from tracker.store.errors import QueryError
from tracker.store.store import Store, TableRows

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
SNAPSHOT_COLUMNS = ["tenant", "post_id", "observed_at", "platform", "views", "likes", "comments",
                    "shares", "saves", "searches", "status", "source", "rounded", "src_partition",
                    "src_offset", "version"]  # fmt: skip


def snapshot(post: str, hour: int, views: int | None, offset: int) -> tuple[object, ...]:
    return ("acme", post, T0 + timedelta(hours=hour), "douyin", views, 10 * hour, hour, None, None,
            None, "live", "api", [], 0, offset, offset)  # fmt: skip


def schema(store: Store) -> list[tuple[object, ...]]:
    return store.query_sync(
        "SELECT name, engine, create_table_query FROM system.tables "
        "WHERE database = currentDatabase() ORDER BY name"
    ).rows


def test_migrations_applied_twice_change_nothing(store_settings: Settings) -> None:
    with Store.open(store_settings) as store:
        first = migrations.migrate(store)
        assert [m.filename for m in first] == [m.filename for m in migrations.discover()]
        before = schema(store)
        ledger = store.query_sync("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").rows
        assert migrations.migrate(store) == []
        assert schema(store) == before
        assert store.query_sync("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").rows == ledger
        assert {s.state for s in migrations.status(store)} == {"applied"}
        store.command_sync(f"DROP DATABASE `{store.database}` SYNC", use_database=False)


def test_changed_applied_migration_is_refused(store_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.default_directory(), folder)
    with Store.open(store_settings) as store:
        migrations.migrate(store, folder)
        target = folder / "0001_data_model.sql"
        target.write_text(target.read_text() + "\n-- an innocent-looking edit\n")
        (folder / "9999_later.sql").write_text("CREATE TABLE IF NOT EXISTS never (tenant String) ENGINE = Memory;\n")
        with pytest.raises(ConfigError) as refused:
            migrations.migrate(store, folder)
        message = str(refused.value)
        assert "0001_data_model.sql changed after it was applied" in message
        assert "new migration" in message
        assert store.command_sync("EXISTS TABLE never") == 0, "nothing is applied after a refusal"
        states = {s.name: s.state for s in migrations.status(store, folder)}
        assert states["data_model"] == "changed" and states["later"] == "pending"
        assert {state for name, state in states.items() if name not in ("data_model", "later")} <= {"applied"}
        store.command_sync(f"DROP DATABASE `{store.database}` SYNC", use_database=False)


def test_new_migration_applies_alone(store_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.default_directory(), folder)
    with Store.open(store_settings) as store:
        migrations.migrate(store, folder)
        (folder / "0900_extra.sql").write_text(
            "-- a later migration\nCREATE OR REPLACE VIEW v_extra AS SELECT tenant, count() AS n FROM posts FINAL GROUP BY tenant;\n"
        )
        assert [m.filename for m in migrations.migrate(store, folder)] == ["0900_extra.sql"]
        assert migrations.migrate(store, folder) == []
        store.command_sync(f"DROP DATABASE `{store.database}` SYNC", use_database=False)


def test_every_table_is_tenant_first_deduplicating_and_utc(store: Store) -> None:
    tables = store.query_sync(
        "SELECT name, sorting_key, create_table_query FROM system.tables "
        "WHERE database = currentDatabase() AND engine LIKE '%MergeTree%' AND name != 'schema_migrations'"
    ).rows
    assert len(tables) >= 20
    for name, sorting_key, ddl in tables:
        assert sorting_key.split(",")[0].strip() == "tenant", f"{name}: ORDER BY ({sorting_key})"
        window = re.search(r"non_replicated_deduplication_window = (\d+)", ddl)
        assert window and int(window.group(1)) >= 1000, f"{name} has no deduplication window"
        assert "ReplacingMergeTree" in ddl, f"{name} is not a ReplacingMergeTree"
    for table, column, type_ in store.query_sync(
        "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND type LIKE '%DateTime%'"
    ).rows:
        assert "'UTC'" in type_, f"{table}.{column} is {type_}, not UTC"


def test_every_view_reads_with_the_readers_rights(store_settings: Settings, tmp_path: Path) -> None:
    """A view created as SQL SECURITY DEFINER (a server whose profile defaults to it) reads its tables as
    the user who migrated, past the row policies of `tracker tenants grant`: after migrating, every view
    reads as its reader (INVOKER), those created before 0019 and any a later migration restates."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.default_directory(), folder)
    later = {path: path.read_text() for path in folder.glob("*.sql") if path.name >= "0019_"}
    for path in later:
        path.unlink()
    views = ("SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() "
             "AND engine = 'View' ORDER BY name")
    with Store.open(store_settings) as store:
        migrations.migrate(store, folder)
        for name, _ in store.query_sync(views).rows:  # as a server defaulting to DEFINER created them
            store.command_sync(f"ALTER TABLE `{name}` MODIFY SQL SECURITY DEFINER")
        for path, text in later.items():
            path.write_text(text)
        migrations.migrate(store, folder)
        created = dict(store.query_sync(views).rows)
        assert len(created) >= 20
        assert {name for name, ddl in created.items() if " SQL SECURITY INVOKER " not in ddl} == set()
        store.command_sync(f"DROP DATABASE `{store.database}` SYNC", use_database=False)


def test_every_view_runs_and_survives_a_replay(store: Store) -> None:
    posts = [("acme", f"p{i}", "douyin", f"d{i}", "", "c1", "k1", "a1", "micro", "video", T0, None, "", [], 0, 1)
             for i in range(3)]  # fmt: skip
    post_columns = ["tenant", "post_id", "platform", "platform_post_id", "url", "campaign_id", "creator_id",
                    "account_id", "creator_tier", "content_form", "published_at", "tracking_end", "bundle_id",
                    "tags", "deleted", "version"]  # fmt: skip
    totals = [("acme", "p0", "douyin", "c1", T0 + timedelta(hours=5), "live", 100, 10, 1, None, None, None, 11, 5),
              ("acme", "p1", "douyin", "c1", T0 + timedelta(hours=5), "live", 50, 5, 0, None, None, None, 5, 5)]  # fmt: skip
    total_columns = ["tenant", "post_id", "platform", "campaign_id", "as_of", "status", "views", "likes",
                     "comments", "shares", "saves", "searches", "engagements", "version"]  # fmt: skip
    views = [name for (name,) in store.query_sync(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View' ORDER BY name").rows]
    assert {"v_post_latest", "v_campaign_platform_totals"} <= set(views)

    def results() -> dict[str, list[tuple[object, ...]]]:
        return {v: store.query_sync(f"SELECT * FROM {v} ORDER BY ALL").rows for v in views}

    for token in ("first", "replay"):  # a replay re-emits the same rows under new offsets
        store.insert_sync("posts", posts, post_columns, dedup_token=f"posts-{token}")
        store.insert_sync("post_totals", totals, total_columns, dedup_token=f"totals-{token}")
        if token == "first":
            once = results()
    assert results() == once
    latest = {row["post_id"]: row for row in store.query_sync("SELECT * FROM v_post_latest").named()}
    assert latest["p0"]["views"] == 100 and latest["p0"]["age_hours"] == 5
    assert latest["p2"]["views"] is None and latest["p2"]["as_of"] is None, "no snapshot yet is NULL, not 0"
    (row,) = store.query_sync("SELECT * FROM v_campaign_platform_totals").named()
    assert (row["posts"], row["posts_observed"], row["views"], row["shares"]) == (3, 2, 150, None)


async def test_insert_with_the_same_dedup_token_is_stored_once(store: Store) -> None:
    rows = [snapshot("p1", h, 100 * h, h) for h in range(5)]
    assert await store.insert("snapshots", rows, SNAPSHOT_COLUMNS, dedup_token="snapshots:0:0-4") == 5
    await store.insert("snapshots", rows, SNAPSHOT_COLUMNS, dedup_token="snapshots:0:0-4")
    assert (await store.query("SELECT count() FROM snapshots")).scalar() == 5  # no FINAL: stored once
    await store.insert("snapshots", rows, SNAPSHOT_COLUMNS, dedup_token="snapshots:0:0-4b")
    assert (await store.query("SELECT count() FROM snapshots")).scalar() == 10
    assert (await store.query("SELECT count() FROM snapshots FINAL")).scalar() == 5  # replaced on read
    assert await store.insert("snapshots", [], SNAPSHOT_COLUMNS) == 0


async def test_engine_calls_run_on_the_pool_not_the_loop(store: Store) -> None:
    names = {await store.call(lambda _: threading.current_thread().name) for _ in range(8)}
    assert threading.current_thread().name not in names
    assert all(name.startswith("tracker-store") for name in names)
    assert await store.ping()


async def test_errors_map_onto_the_tree(store: Store, store_settings: Settings) -> None:
    with pytest.raises(QueryError, match="SYNTAX_ERROR") as bad_sql:
        await store.query("SELEC 1")
    assert bad_sql.value.code == 62
    with pytest.raises(QueryError) as unknown:
        await store.query("SELECT * FROM no_such_table")
    assert unknown.value.code == 60
    with pytest.raises(QueryError):
        await store.insert("snapshots", [("acme", "p1", "not a time")], ["tenant", "post_id", "observed_at"])
    closed = Store.open(store_settings)
    closed.close()
    with pytest.raises(StoreUnavailable):
        await closed.query("SELECT 1")


def test_readonly_store_refuses_writes_but_reads(store: Store, store_settings: Settings) -> None:
    with Store.open(store_settings, readonly=True) as reader:
        assert reader.query_sync("SELECT count() FROM posts").scalar() == 0
        for statement in ("INSERT INTO posts (tenant, post_id) VALUES ('a', 'b')", "DROP TABLE posts",
                          "SET max_threads = 64"):  # fmt: skip
            with pytest.raises(QueryError, match="READONLY") as refused:
                reader.command_sync(statement)
            assert refused.value.code == 164
        limits = dict(reader.query_sync(
            "SELECT name, value FROM system.settings WHERE name IN ('readonly', 'max_result_rows', 'result_overflow_mode')"
        ).rows)
        assert limits == {"readonly": "1", "max_result_rows": str(store_settings.read_max_result_rows),
                          "result_overflow_mode": "throw"}  # fmt: skip
    assert store.insert_sync("posts", [("a", "b", 1)], ["tenant", "post_id", "version"]) == 1


async def test_json_inserts_store_exactly_what_native_inserts_store(store: Store) -> None:
    """The worker's per-event tables go in as JSON lines: same values, nulls, times, arrays, dedup."""
    odd = ("acme", "douyin:东方\"\\\n", T0 + timedelta(milliseconds=123), "douyin", 2**63 - 1, 0, None, None, None,
           None, "ok", "api", ["views", "likes"], 3, 2**40, 2**40)  # fmt: skip
    rows = [snapshot("p1", h, 100 * h, h) for h in range(5)] + [odd]
    native = [(f"n{r[0]}", *r[1:]) for r in rows]
    as_json = [(f"j{r[0]}", *r[1:]) for r in rows]
    await store.insert("snapshots", native, SNAPSHOT_COLUMNS, dedup_token="n")
    assert await store.insert("snapshots", as_json, SNAPSHOT_COLUMNS, dedup_token="j", as_json=True) == 6
    await store.insert("snapshots", as_json, SNAPSHOT_COLUMNS, dedup_token="j", as_json=True)  # a replayed batch
    columns = ", ".join(SNAPSHOT_COLUMNS[1:])
    stored = {
        tenant: (await store.query(f"SELECT {columns} FROM snapshots WHERE tenant = %(t)s ORDER BY src_offset",
                                   {"t": tenant})).rows
        for tenant in ("nacme", "jacme")
    }
    assert len(stored["jacme"]) == 6
    assert stored["jacme"] == stored["nacme"]
    with pytest.raises(Exception, match="cannot go into a JSON insert.*Decimal"):
        await store.insert("snapshots", [(*odd[:4], Decimal(1), *odd[5:])], SNAPSHOT_COLUMNS, as_json=True)


async def test_insert_tables_goes_in_order_in_one_call_and_stops_at_a_failure(store: Store) -> None:
    """The worker's batch: several tables in one pool call, in order; a failing table stops it
    (the sink then retries table by table, the tokens deduplicating what went in)."""
    first = TableRows("snapshots", [snapshot("t1", h, h, h) for h in range(3)], SNAPSHOT_COLUMNS, "t:first", True)
    broken = TableRows("snapshots", [("acme", "t2", "not a time")], ["tenant", "post_id", "observed_at"], "t:broken")
    last = TableRows("posts", [("acme", "t3", 1)], ["tenant", "post_id", "version"], "t:last")
    with pytest.raises(QueryError):
        await store.insert_tables([first, broken, last])
    count = "SELECT count() FROM {} WHERE post_id IN ('t1', 't2', 't3')"
    assert (await store.query(count.format("snapshots"))).scalar() == 3
    assert (await store.query(count.format("posts"))).scalar() == 0  # after the failure: not attempted
    seconds = await store.insert_tables([first, last])
    assert len(seconds) == 2 and all(s >= 0 for s in seconds)
    assert (await store.query(count.format("snapshots"))).scalar() == 3  # the retried table: deduplicated
    assert (await store.query(count.format("posts"))).scalar() == 1


def test_money_dates_of_rows_stored_before_0011_stay_their_utc_dates(store_settings: Settings,
                                                                      tmp_path: Path) -> None:
    """A store upgraded to 0011 keeps every row; those written before it have no local date and
    count on their UTC date as before, until the worker or an import writes them again."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.default_directory(), folder)
    later = sorted(p for p in folder.glob("*.sql") if p.name >= "0011_")  # 0011 and the ones that build on it
    held = {path: path.read_text() for path in later}
    for path in held:
        path.unlink()
    with Store.open(store_settings) as store:
        migrations.migrate(store, folder)
        store.command_sync(
            "INSERT INTO heating_nodes (tenant, post_id, heating_id, campaign_id, channel, start_at, spend_amount, "
            "spend_currency, status, version) VALUES ('acme', 'douyin:1', 'h1', 'c1', 'dou+', "
            "'2025-03-01 20:00:00', 100, 'CNY', 'executed', 1)")
        store.command_sync(
            "INSERT INTO sales (tenant, order_id, attribution_key, key_kind, revenue, currency, ordered_at, version) "
            "VALUES ('acme', 'o1', 'douyin:1', 'post', 50, 'CNY', '2025-03-01 17:00:00', 1)")
        for path, text in held.items():
            path.write_text(text)
        assert [m.filename for m in migrations.migrate(store, folder)] == [p.name for p in later]
        assert store.query_sync("SELECT component, money_date FROM v_money_lines WHERE post_id = 'douyin:1' "
                                "ORDER BY component").rows == [("heating", date(2025, 3, 1)),
                                                               ("revenue", date(2025, 3, 1))]
        store.command_sync(
            "INSERT INTO heating_nodes (tenant, post_id, heating_id, campaign_id, channel, start_at, start_day, "
            "spend_amount, spend_currency, status, version) VALUES ('acme', 'douyin:1', 'h1', 'c1', 'dou+', "
            "'2025-03-01 20:00:00', '2025-03-02', 100, 'CNY', 'executed', 2)")
        assert store.query_sync("SELECT money_date FROM v_money_lines WHERE line_id = 'h1'").rows \
            == [(date(2025, 3, 2),)]
        store.command_sync(f"DROP DATABASE `{store.database}` SYNC", use_database=False)
