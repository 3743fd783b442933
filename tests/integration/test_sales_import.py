"""``tracker sales import`` and ``tracker sales keys`` on the fixture registry (tenants acme and
globex, posts douyin:1 … douyin:6, promo code ACME10): every file format the registry reader
takes, bad lines refused with their line and reason, counts of written rows that are true,
and rows that point at nothing known yet kept with a warning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from tracker.store.store import Store

pytestmark = pytest.mark.integration

HEADER = "order_id,attribution_key,revenue,currency,ordered_at\n"
Run = Callable[..., Result]


@pytest.fixture
def run(campaign_cli: Run) -> Run:
    return campaign_cli


def refused(result: Result) -> str:
    """stderr of a command that stopped with a message (exit 1), not with a traceback."""
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    return result.stderr


def orders(store: Store, tenant: str = "acme") -> dict[str, tuple]:
    """order_id → (attribution_key, revenue, currency) as stored, the fixture's own orders left out."""
    rows = store.query_sync("SELECT order_id, attribution_key, revenue, currency FROM sales FINAL "
                            "WHERE tenant = {t:String} AND order_id NOT IN ('o1', 'o2', 'o3')", {"t": tenant})
    return {r[0]: tuple(r[1:]) for r in rows}


def test_xlsx_and_gb18030_csv_are_imported(run: Run, store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Order_ID", "attribution_key", "revenue", "currency", "ordered_at"])
    sheet.append([10023, "douyin:1", 19.9, "CNY", "2025-03-01T20:00:00+08:00"])
    book.save(tmp_path / "orders.xlsx")
    gbk = tmp_path / "orders-gbk.csv"
    gbk.write_bytes((HEADER + "订单2,ACME10,100,CNY,2025-03-02T20:00:00+08:00\n").encode("gb18030"))

    xlsx = run("sales", "import", tmp_path / "orders.xlsx", "--tenant", "acme")
    assert xlsx.exit_code == 0, xlsx.output
    assert "1 orders read (1 by post id, 0 by link, 0 by promo code), 1 rows written" in xlsx.stdout
    csv = run("sales", "import", gbk, "--tenant", "acme")
    assert csv.exit_code == 0, csv.output
    assert orders(store) == {"10023": ("douyin:1", Decimal("19.9"), "CNY"), "订单2": ("ACME10", Decimal(100), "CNY")}


def test_a_binary_file_is_refused_with_what_to_do(run: Run, store: Store, tmp_path: Path) -> None:
    binary = tmp_path / "orders.csv"
    binary.write_bytes(Path("/bin/ls").read_bytes())
    assert "CSV is neither UTF-8 nor GB18030: save it as UTF-8" in refused(
        run("sales", "import", binary, "--tenant", "acme"))
    assert "save it as UTF-8" in refused(run("sales", "keys", binary, "--tenant", "acme"))
    assert "unsupported file type (none)" in refused(run("sales", "import", "/bin/ls", "--tenant", "acme"))
    assert orders(store) == {}


def test_revenue_must_be_a_number_the_store_can_hold(run: Run, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    for revenue, reason in [("NaN", "line 2: revenue 'NaN' is not a number"),
                            ("Infinity", "line 2: revenue 'Infinity' is not a number"),
                            ("1e30", "line 2: revenue '1e30' is too large"),
                            ("100000000000000", "line 2: revenue '100000000000000' is too large")]:
        path.write_text(HEADER + f"n1,douyin:1,{revenue},CNY,2025-03-06T10:00:00+08:00\n")
        assert reason in refused(run("sales", "import", path, "--tenant", "acme"))
    assert orders(store) == {}
    path.write_text(HEADER + "n1,douyin:1,99999999999999.9999,CNY,2025-03-06T10:00:00+08:00\n")  # Decimal(18, 4)
    assert run("sales", "import", path, "--tenant", "acme").exit_code == 0
    assert orders(store) == {"n1": ("douyin:1", Decimal("99999999999999.9999"), "CNY")}


def test_currency_is_an_iso_4217_code(run: Run, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "n1,douyin:1,10,RMB,2025-03-06T10:00:00+08:00\n"
                             "n2,douyin:1,10,XYZ,2025-03-06T10:00:00+08:00\n")
    stderr = refused(run("sales", "import", path, "--tenant", "acme"))
    assert "line 2: currency: RMB is not an ISO-4217 code; write CNY" in stderr
    assert "line 3: currency: must be an ISO-4217 code such as CNY (got 'XYZ')" in stderr
    path.write_text(HEADER + "n1,douyin:1,10,usd,2025-03-06T10:00:00+08:00\n")
    assert run("sales", "import", path, "--tenant", "acme").exit_code == 0
    assert orders(store) == {"n1": ("douyin:1", Decimal(10), "USD")}


def test_the_written_count_is_true_on_repeats_and_for_another_tenant(run: Run, store: Store,
                                                                     tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(HEADER + "n1,douyin:1,10,CNY,2025-03-06T10:00:00+08:00\nn2,douyin:1,20,CNY,2025-03-06T11:00:00Z\n")
    b.write_text(HEADER + "n1,douyin:1,10,CNY,2025-03-06T10:00:00+08:00\nn2,douyin:1,25,CNY,2025-03-06T11:00:00Z\n")
    assert "2 rows written" in run("sales", "import", a, "--tenant", "acme").stdout
    again = run("sales", "import", a, "--tenant", "acme")
    assert again.exit_code == 0
    assert "2 orders read (2 by post id, 0 by link, 0 by promo code); already imported (same file and options); " \
           "nothing new written" in again.stdout
    other = run("sales", "import", a, "--tenant", "globex")  # the same file for another tenant: other rows
    assert "2 rows written" in other.stdout
    assert orders(store, "globex") == {"n1": ("douyin:1", Decimal(10), "CNY"), "n2": ("douyin:1", Decimal(20), "CNY")}
    assert "1 rows written (1 already stored as they are)" in run("sales", "import", b, "--tenant", "acme").stdout
    assert orders(store)["n2"][1] == Decimal(25)
    back = run("sales", "import", a, "--tenant", "acme")  # the first file again replaces the edit
    assert "1 rows written (1 already stored as they are)" in back.stdout
    assert orders(store)["n2"][1] == Decimal(20)


def test_keys_repeat_and_count_true(run: Run, store: Store, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\npromo,SPRING10,douyin:5\n")
    assert "1 keys read, 1 rows written" in run("sales", "keys", keys, "--tenant", "acme").stdout
    assert "1 keys read; already imported (same file and options); nothing new written" in run(
        "sales", "keys", keys, "--tenant", "acme").stdout
    assert "1 keys read, 1 rows written" in run("sales", "keys", keys, "--tenant", "globex").stdout
    assert store.query_sync("SELECT count() FROM attribution_keys FINAL WHERE attribution_key = 'SPRING10'"
                            ).scalar() == 2


def test_malformed_post_ids_are_refused_by_line(run: Run, store: Store, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\npromo,SPRING10,garbage\nlink,https://t.example/x,douyin:1\n")
    stderr = refused(run("sales", "keys", keys, "--tenant", "acme"))
    assert "keys.csv: 1 bad line(s), nothing imported" in stderr
    assert "keys.csv line 2: post_id 'garbage' is not a post id" in stderr
    assert store.query_sync("SELECT count() FROM attribution_keys WHERE tenant = 'acme'").scalar() == 1  # ACME10
    path = tmp_path / "orders.csv"
    path.write_text("order_id,attribution_key,key_kind,revenue,currency,ordered_at\n"
                    "n1,garbage,post,10,CNY,2025-03-06T10:00:00+08:00\n")
    stderr = refused(run("sales", "import", path, "--tenant", "acme"))
    assert "line 2: attribution_key 'garbage' is not a post id" in stderr
    assert orders(store) == {}


def test_rows_pointing_at_nothing_known_are_kept_with_a_warning(run: Run, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,attribution_key,revenue,currency,ordered_at,tenant\n"
                    "n1,douyin:1,10,CNY,2025-03-06T10:00:00+08:00,acme\n"
                    "n2,douyin:999,10,CNY,2025-03-06T10:00:00+08:00,acme\n"
                    "n3,SPRING10,10,CNY,2025-03-06T10:00:00+08:00,acme\n"
                    "n4,ACME10,10,CNY,2025-03-06T10:00:00+08:00,acme\n"
                    "n5,douyin:1,10,CNY,2025-03-06T10:00:00+08:00,nosuch\n")
    result = run("sales", "import", path)
    assert result.exit_code == 0, result.output
    assert "5 orders read (3 by post id, 0 by link, 2 by promo code), 5 rows written" in result.stdout
    assert ("warning: 1 order(s) point at a post that is not in the registry; attributed once it is imported:\n"
            "  orders.csv line 3: douyin:999\n") in result.stderr
    assert "warning: 1 order(s) use a link or promo code without a key row" in result.stderr
    assert "  orders.csv line 4: promo SPRING10\n" in result.stderr
    assert "warning: 1 order(s) name a tenant that is not in the registry:\n  orders.csv line 6: nosuch\n" \
        in result.stderr
    assert "line 2" not in result.stderr and "line 5" not in result.stderr  # registered post, known code
    assert set(orders(store)) == {"n1", "n2", "n3", "n4"} and set(orders(store, "nosuch")) == {"n5"}

    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\n" + "".join(
        f"promo,CODE{i},douyin:{900 + i}\n" for i in range(7)))
    warned = run("sales", "keys", keys, "--tenant", "acme")
    assert warned.exit_code == 0 and "7 keys read, 7 rows written" in warned.stdout
    assert "warning: 7 key(s) point at a post that is not in the registry" in warned.stderr
    assert "keys.csv line 6: douyin:904\n  … and 2 more\n" in warned.stderr


def test_ordered_at_keeps_milliseconds_and_a_repeat_still_matches(run: Run, store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('[{"order_id": "n1", "attribution_key": "douyin:1", "revenue": 10.5, "currency": "CNY", '
                    '"ordered_at": "2025-03-06T10:00:00.123456+08:00"}]')
    assert "1 rows written" in run("sales", "import", path, "--tenant", "acme").stdout
    assert "already imported" in run("sales", "import", path, "--tenant", "acme").stdout
    stored = store.query_sync("SELECT ordered_at FROM sales FINAL WHERE order_id = 'n1'").scalar()
    assert stored.replace(tzinfo=None) == datetime(2025, 3, 6, 2, 0, 0, 123000)


def test_an_order_counts_on_its_date_in_the_offset_it_is_written_with(run: Run, store: Store,
                                                                       tmp_path: Path) -> None:
    """01:00 on 7 March in Shanghai is 6 March in UTC: the order's revenue converts at 7 March's rate."""
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "n7,douyin:1,10,USD,2025-03-07T01:00:00+08:00\n")
    assert "1 rows written" in run("sales", "import", path, "--tenant", "acme").stdout
    assert store.query_sync("SELECT order_day, toDate(ordered_at) FROM sales FINAL WHERE order_id = 'n7'").rows \
        == [(date(2025, 3, 7), date(2025, 3, 6))]
    assert store.query_sync("SELECT money_date FROM v_money_lines WHERE line_id = 'n7'").rows == [(date(2025, 3, 7),)]


def test_an_order_for_another_tenants_post_says_whose_it_is(run: Run, store: Store, tmp_path: Path) -> None:
    """--tenant globex on an order keyed to acme's douyin:5 said "not in the registry"."""
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "g1,douyin:5,10,CNY,2025-03-06T10:00:00+08:00\n")
    result = run("sales", "import", path, "--tenant", "globex")
    assert result.exit_code == 0, result.output
    assert ("warning: 1 order(s) point at a post of another tenant, not attributed to this one (check --tenant "
            "or the tenant column):\n  orders.csv line 2: douyin:5 is a post of acme, not globex\n") in result.stderr
    assert "not in the registry" not in result.stderr


def test_a_promo_code_order_without_a_tenant_names_its_line(run: Run, store: Store, tmp_path: Path) -> None:
    """Two tenants in the store: an order by post id finds its post's tenant, one by a promo code no key
    row maps cannot, and is listed with its line (the whole file failed with "several tenants", no line)."""
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "p1,douyin:5,10,CNY,2025-03-06T10:00:00+08:00\n"
                             "p2,NOSUCH10,20,CNY,2025-03-06T11:00:00+08:00\n")
    stderr = refused(run("sales", "import", path))
    assert "orders.csv: 1 bad line(s), nothing imported" in stderr
    assert ("orders.csv line 3: tenant: promo 'NOSUCH10' has no key row yet and the store has several tenants "
            "(acme, globex): import its key row first (tracker sales keys), pass --tenant, or give the file a "
            "tenant column") in stderr
    assert orders(store) == {}


def test_link_and_promo_code_orders_take_their_key_rows_tenant(run: Run, store: Store, tmp_path: Path) -> None:
    """The walkthrough: keys imported with `tracker sales keys` (the tenant from each key's post), then an
    order file without a tenant column was refused whole ("a link or promo code names no post… pass
    --tenant"). Each order now takes the tenant of its key row, as `keys` took it from the post."""
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\nlink,https://t.example/g,douyin:6\n"
                    "promo,GLOBEX5,douyin:6\n")
    assert run("sales", "keys", keys, "--tenant", "globex").exit_code == 0
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "k1,ACME10,10,CNY,2025-03-06T10:00:00+08:00\n"  # the fixture's key row: acme
                             "k2,https://t.example/g,20,CNY,2025-03-06T11:00:00+08:00\n"
                             "k3,GLOBEX5,30,CNY,2025-03-06T12:00:00+08:00\n"
                             "k4,douyin:5,40,CNY,2025-03-06T13:00:00+08:00\n")
    result = run("sales", "import", path)
    assert result.exit_code == 0, result.output
    assert "4 orders read (1 by post id, 1 by link, 2 by promo code), 4 rows written" in result.stdout
    assert not result.stderr, result.stderr  # every key is known: no warning either
    assert orders(store) == {"k1": ("ACME10", Decimal(10), "CNY"), "k4": ("douyin:5", Decimal(40), "CNY")}
    assert orders(store, "globex") == {"k2": ("https://t.example/g", Decimal(20), "CNY"),
                                       "k3": ("GLOBEX5", Decimal(30), "CNY")}


def test_a_code_whose_key_rows_are_of_two_tenants_names_them(run: Run, store: Store, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\npromo,SPRING10,douyin:1\n")  # douyin:1: acme's and globex's
    for tenant in ("acme", "globex"):
        assert run("sales", "keys", keys, "--tenant", tenant).exit_code == 0
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "s1,SPRING10,10,CNY,2025-03-06T10:00:00+08:00\n"
                             "s2,ACME10,10,CNY,2025-03-06T10:00:00+08:00\n")
    stderr = refused(run("sales", "import", path))
    assert "orders.csv: 1 bad line(s), nothing imported" in stderr
    assert ("orders.csv line 2: tenant: promo 'SPRING10' has key rows of several tenants (acme, globex): pass "
            "--tenant, or give the file a tenant column") in stderr
    assert orders(store) == {} and orders(store, "globex") == {}
