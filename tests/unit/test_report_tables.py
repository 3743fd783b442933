"""Report formatting, sales files and tenant-scoping helpers (no services)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from tracker.errors import ConfigError, InvalidInput
from tracker.report.queries import Window
from tracker.report.salesfile import key_kind, read_keys, read_orders
from tracker.report.tables import NA, cell, likes_hidden_note, render, to_csv, to_json
from tracker.store.tenancy import (
    Catalog,
    QueryError,
    check_ast,
    check_clauses,
    check_query_tree,
    denied_names,
    parse_tokens,
    server_grants,
    strip_format,
    table_filters,
    tenant_for_key,
    tenant_predicate,
)


@pytest.mark.parametrize(("value", "kind", "text"), [
    (1234567, "count", "1,234,567"), (14630.0, "money", "14,630.00"), (0.25, "rate", "25.0%"),
    (0.0, "money", "0.00"), (None, "money", NA), (float("nan"), "ratio", NA), (None, "count", NA),
    (Decimal("1234.5"), "money", "1,234.50"), (["a", "b"], "text", "a, b"),
    (199 / 744_581, "ratio", "0.00027"), (0.0055, "ratio", "0.0055"), (0.004, "money", "0.004"),
    (0.0003, "rate", "0.03%"), (2e-7, "ratio", "2.0e-07"), (0.25, "ratio", "0.25"), (0.05, "money", "0.05"),
])  # fmt: skip
def test_cells_show_separators_and_na_never_zero(value: object, kind: str, text: str) -> None:
    assert cell(value, kind) == text


def test_table_aligns_numbers_and_ends_with_the_totals_row() -> None:
    columns = [("value", "{by}", "text"), ("spend", "spend {cur}", "money"), ("cpm", "CPM", "money")]
    text = render(columns, [{"value": "douyin", "spend": 1000.0, "cpm": 12.5}, {"value": "weibo", "spend": 0.0,
                                                                               "cpm": None}],
                  {"value": "total", "spend": 1000.0, "cpm": 12.5}, by="platform", cur="CNY")
    lines = text.splitlines()
    assert lines[0].split() == ["platform", "spend", "CNY", "CPM"]
    assert lines[3].endswith("n/a") and lines[3].startswith("weibo")
    assert lines[-2].startswith("=") and lines[-1].startswith("total")
    assert len({len(line) for line in lines[1:2] + lines[-2:-1]}) == 1


def test_chinese_names_keep_the_columns_aligned() -> None:
    """A CJK character takes two terminal columns: the numbers after a Chinese name line up."""
    columns = [("value", "creator", "text"), ("spend", "spend", "money")]
    text = render(columns, [{"value": "小红", "spend": 1.0}, {"value": "ab", "spend": 1000.0}])
    assert text.splitlines()[2:4] == ["小红" + " " * 3 + "  " + " " * 4 + "1.00", "ab" + " " * 5 + "  " + "1,000.00"]


def test_csv_and_json_write_missing_as_empty_and_null() -> None:
    columns = [("value", "v", "text"), ("cpm", "CPM", "money")]
    assert to_csv(columns, [{"value": "weibo", "cpm": None}]) == "value,cpm\nweibo,\n"
    doc = json.loads(to_json({"rows": [{"cpm": None, "spend": Decimal("1.5"), "at": date(2025, 1, 2)}]}))
    assert doc == {"rows": [{"cpm": None, "spend": 1.5, "at": "2025-01-02"}]}


def test_csv_and_json_write_sums_of_converted_amounts_without_float_noise() -> None:
    spend = 730767.4 + 0.3 + 0.3  # 730768.0000000001 as summed in floating point
    assert spend != 730768.0
    columns = [("spend", "spend {cur}", "money"), ("cpe", "CPE {cur}", "money")]
    rows = [{"spend": spend, "cpe": Decimal("0.012345678901234")}]
    assert to_csv(columns, rows).splitlines()[1] == "730768.0,0.0123456789012"
    assert json.loads(to_json(rows)) == [{"spend": 730768.0, "cpe": 0.0123456789012}]


def test_csv_and_json_times_carry_their_utc_offset() -> None:
    """The store's times come back without a zone; `top --format json` wrote
    "2025-09-07T04:00:00" for a UTC time a Shanghai reader would take for 04:00 local."""
    from datetime import UTC, datetime

    stored = datetime(2025, 9, 7, 4)
    doc = json.loads(to_json({"rows": [{"published_at": stored, "aware": stored.replace(tzinfo=UTC)}]}))
    assert doc["rows"][0] == {"published_at": "2025-09-07T04:00:00+00:00", "aware": "2025-09-07T04:00:00+00:00"}
    assert to_csv([("published_at", "published", "text")], [{"published_at": stored}]).splitlines()[1] \
        == "2025-09-07T04:00:00+00:00"


def test_window_is_read_in_the_campaign_time_zone() -> None:
    lo, hi = Window(date(2025, 3, 5), date(2025, 3, 6)).bounds("Asia/Shanghai")
    assert lo == datetime(2025, 3, 4, 16, tzinfo=UTC) and hi == datetime(2025, 3, 5, 16, tzinfo=UTC)


def test_sales_file_infers_key_kinds_and_refuses_bad_lines(tmp_path: Path) -> None:
    assert [key_kind(k) for k in ("douyin:73012", "https://t.cn/x", "SPRING10")] == ["post", "link", "promo"]
    good = tmp_path / "orders.csv"
    good.write_text("order_id,attribution_key,revenue,currency,ordered_at\n"
                    "o1,douyin:1,\"1,200.50\",CNY,2025-03-01T20:00:00+08:00\n")
    [row] = read_orders(good, "acme", 7).rows
    assert row["revenue"] == Decimal("1200.50") and row["ordered_at"] == datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert row["key_kind"] == "post" and row["tenant"] == "acme"
    for line, reason in [("o1,x,12,RMB,2025-03-01T00:00:00Z", "ISO-4217"), ("o1,x,abc,CNY,2025-03-01T00:00:00Z",
                         "not a number"), ("o1,x,1,CNY,2025-03-01 00:00", "UTC offset")]:  # fmt: skip
        bad = tmp_path / "bad.csv"
        bad.write_text("order_id,attribution_key,revenue,currency,ordered_at\n" + line + "\n")
        with pytest.raises(InvalidInput, match=reason):
            read_orders(bad, "acme", 7)
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\npost,douyin:1,douyin:1\n")
    with pytest.raises(InvalidInput, match="link or promo"):
        read_keys(keys, "acme", 7)


def test_tenant_tokens_parse_and_match() -> None:
    tokens = parse_tokens(SecretStr('{"aaaaaaaaaaaaaaaa1": "acme", "bbbbbbbbbbbbbbbb2": "globex"}'))
    assert tenant_for_key(tokens, "bbbbbbbbbbbbbbbb2") == "globex"
    assert tenant_for_key(tokens, "bbbbbbbbbbbbbbbb") is None and tenant_for_key(tokens, None) is None
    assert parse_tokens(SecretStr("cccccccccccccccc3=acme, dddddddddddddddd4=globex")) == {
        "cccccccccccccccc3": "acme", "dddddddddddddddd4": "globex"}
    for bad in ("short=acme", "aaaaaaaaaaaaaaaa1=bad tenant", "{not json", "novalue"):
        with pytest.raises(ConfigError):
            parse_tokens(SecretStr(bad))


def test_filters_keep_global_reference_rows_and_quote_the_tenant() -> None:
    assert tenant_predicate("posts", "o'neil") == "tenant = 'o\\'neil'"
    assert tenant_predicate("fx_rates", "acme") == "tenant IN ('', 'acme')"
    assert table_filters("tracker", "acme", ["posts", "fx_rates"]) == (
        "{'tracker.fx_rates': 'tenant IN (\\'\\', \\'acme\\')', 'tracker.posts': 'tenant = \\'acme\\''}")


CATALOG = Catalog("tracker", frozenset({"posts"}), frozenset({"v_roi_post"}), frozenset({"tracker", "system", "other"}))


def test_engine_dumps_decide_what_a_tenant_may_read() -> None:
    check_query_tree("QUERY id: 0\n  JOIN TREE\n    TABLE id: 3, alias: __table1, table_name: tracker.posts\n", CATALOG)
    check_query_tree("    TABLE id: 7, table_name: system.one\n", CATALOG)
    for dump in ("    TABLE id: 3, table_name: system.parts", "    TABLE_FUNCTION id: 6, table_function_name: merge",
                 "    TABLE id: 3, table_name: other.posts", "    TABLE id: 3"):
        with pytest.raises(QueryError, match="ACCESS_DENIED"):
            check_query_tree(dump, CATALOG)
    ast = ("SelectWithUnionQuery (children 2)\n ExpressionList (children 1)\n  SelectQuery (children 2)\n"
           "   TablesInSelectQuery (children 1)\n    TableExpression (children 1)\n")
    check_ast(ast + "     TableIdentifier posts\n Identifier TSVRaw\n", CATALOG)
    for line in ("     Function merge (children 1)", "     TableIdentifier other.posts",
                 "     TableIdentifier system.parts"):
        with pytest.raises(QueryError):
            check_ast(ast + line + "\n", CATALOG)
    with pytest.raises(QueryError):
        check_ast("SelectWithUnionQuery (children 1)\n Function in (children 1)\n  ExpressionList (children 2)\n"
                  "   Identifier system.parts\n", CATALOG)
    with pytest.raises(QueryError, match="OUTFILE"):
        check_ast("SelectWithUnionQuery (children 3)\n ExpressionList (children 1)\n Literal \'/tmp/x\'\n"
                  " Identifier TSVRaw\n", CATALOG)


def test_a_tenant_query_names_no_function_reading_past_its_rows_and_no_prewhere() -> None:
    names = denied_names([("file", "", 0), ("dictGetString", "", 0), ("dictHas", "", 0), ("joinGet", "", 0),
                          ("lower", "", 1), ("lcase", "lower", 1), ("FILE_ALIAS", "file", 1), ("concat", "", 0)])
    assert names == {"file", "dictGetString", "dictHas", "joinGet", "file_alias"}
    catalog = Catalog("tracker", frozenset({"posts"}), frozenset(), frozenset({"tracker"}), names)
    select = "SelectWithUnionQuery (children 2)\n ExpressionList (children 1)\n  SelectQuery (children 1)\n"
    check_ast(select + "   Function concat (children 1)\n    Identifier dict_terms\n Identifier TSVRaw\n", catalog)
    for node in ("Function file", "Function File_Alias", "Function dictGetString", "Function dictHas",
                 "Function joinGet", "Identifier file"):  # the last one as in arrayMap(file, […])
        with pytest.raises(QueryError, match=f"function {node.split()[1]}\\(\\) is not allowed"):
            check_ast(select + f"   {node} (children 1)\n Identifier TSVRaw\n", catalog)
    check_clauses("QUERY id: 0\n  JOIN TREE\n    IDENTIFIER id: 1, identifier: posts\n  WHERE\n")
    with pytest.raises(QueryError, match="PREWHERE"):
        check_clauses("QUERY id: 0\n  JOIN TREE\n    QUERY id: 2, is_subquery: 1\n      PREWHERE\n")
    check_query_tree("    CROSS JOIN id: 3\n      TABLE EXPRESSION\n        TABLE id: 4, table_name: tracker.posts\n",
                     CATALOG)  # a join's label, not a table


def test_strip_format_takes_the_engines_last_line() -> None:
    assert strip_format("SELECT 1\nSETTINGS a = 1\nFORMAT JSON") == ("SELECT 1\nSETTINGS a = 1", "JSON")
    assert strip_format("SELECT 'FORMAT JSON'") == ("SELECT 'FORMAT JSON'", None)


def test_server_grants_create_a_readonly_user_with_row_policies() -> None:
    sql = server_grants("tracker", ["posts", "fx_rates"], "acme", "s3cret", "default")
    assert sql[0].startswith("CREATE USER IF NOT EXISTS tracker_acme") and "readonly = 1" in sql[0]
    assert "CREATE ROW POLICY OR REPLACE tracker_tracker_acme ON `tracker`.`posts` FOR SELECT USING tenant = 'acme'" \
        in "\n".join(sql)
    assert "USING tenant IN ('', 'acme')" in "\n".join(sql)
    assert any("tracker_all ON `tracker`.`posts`" in s and "TO `default`" in s for s in sql)
    with pytest.raises(ConfigError):
        server_grants("tracker", [], "bad tenant", "x", "default")


def test_likes_hidden_note_counts_the_posts_cpe_leaves_out() -> None:
    assert likes_hidden_note(0) == likes_hidden_note(None) == ""
    assert likes_hidden_note(1).startswith("CPE leaves out 1 post whose likes are hidden: its engagements lack its")
    two = likes_hidden_note(2)
    assert two.startswith("CPE leaves out 2 posts whose likes are hidden: their engagements lack their likes")
    assert "they count in no CPE above them" in two
