"""Commands given a post or creator id find its tenant on a store of several (the fixture of
tests/integration/test_roi.py: tenants acme and globex; douyin:1 is a post of both, douyin:5
and creator cr1 are acme's, creator gx1 is globex's): the one tenant holding the id, a refusal
naming the tenants when several do, and --tenant always wins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result

from tests.integration.test_roi import T0, post, put
from tracker.store.store import Store

pytestmark = pytest.mark.integration

Run = Callable[..., Result]
HEADER = "order_id,attribution_key,revenue,currency,ordered_at\n"


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(result: Result) -> str:
    """stderr of a command that stopped with a message (exit 1), not with a traceback."""
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    return result.stderr


def seed_curve(store: Store, tenant: str, post_id: str) -> None:
    """A short engagements curve of ``post_id`` for ``tenant`` only."""
    put(store, "curves", [
        {"tenant": tenant, "post_id": post_id, "metric": "engagements", "hour": T0 + timedelta(hours=h),
         "cumulative": 10.0 * (h + 1), "velocity": 10.0, "observed": 1, "version": 1} for h in range(48)])


def test_curve_of_a_post_of_one_tenant_needs_no_tenant(campaign_cli: Run, store: Store, tmp_path: Path) -> None:
    seed_curve(store, "acme", "douyin:5")
    path = tmp_path / "curve.png"
    out = ok(campaign_cli("curve", "douyin:5", "--png", path))
    assert "engagements of douyin:5" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_curve_of_a_post_of_several_tenants_is_refused_until_one_is_named(campaign_cli: Run, store: Store,
                                                                           tmp_path: Path) -> None:
    seed_curve(store, "acme", "douyin:1")
    path = tmp_path / "curve.png"
    err = refused(campaign_cli("curve", "douyin:1", "--png", path))
    assert "post 'douyin:1' exists for several tenants (acme, globex); pass --tenant" in err
    assert not path.exists()
    assert "engagements of douyin:1" in ok(campaign_cli("curve", "douyin:1", "--png", path, "--tenant", "acme"))


def test_curve_of_an_unknown_post_says_how_to_list_posts(campaign_cli: Run, tmp_path: Path) -> None:
    err = refused(campaign_cli("curve", "douyin:404", "--png", tmp_path / "curve.png"))
    assert "no registered post 'douyin:404'" in err
    assert 'tracker sql "SELECT DISTINCT tenant, post_id FROM posts"' in err


def test_creators_show_finds_the_creator_s_tenant(campaign_cli: Run, store: Store) -> None:
    assert ok(campaign_cli("creators", "show", "cr1")).startswith("Lin (cr1)")  # acme's
    assert "gx1" in ok(campaign_cli("creators", "show", "gx1"))  # globex's, with no creator row
    put(store, "posts", [post("globex", "douyin:7", "c1", "cr1", "mid", "video")])  # cr1 works for globex too
    err = refused(campaign_cli("creators", "show", "cr1"))
    assert "creator 'cr1' exists for several tenants (acme, globex); pass --tenant" in err
    assert "douyin:7" in ok(campaign_cli("creators", "show", "cr1", "--tenant", "globex"))
    err = refused(campaign_cli("creators", "show", "cr404"))
    assert "no registered creator 'cr404'" in err
    assert 'tracker sql "SELECT DISTINCT tenant, creator_id FROM posts"' in err


def orders(store: Store) -> dict[str, tuple[str, Decimal]]:
    """order_id → (tenant, revenue), the fixture's own orders left out."""
    rows = store.query_sync("SELECT order_id, tenant, revenue FROM sales FINAL WHERE order_id NOT IN ('o1', 'o2', 'o3')")
    return {r[0]: (r[1], r[2]) for r in rows}


def test_sales_import_takes_each_row_s_tenant_from_its_post_id(campaign_cli: Run, store: Store,
                                                               tmp_path: Path) -> None:
    put(store, "posts", [post("globex", "douyin:8", "c1", "gx1", "macro", "video")])
    file = tmp_path / "orders.csv"
    file.write_text(HEADER + "n1,douyin:5,10,CNY,2025-03-06T10:00:00+08:00\n"
                             "n2,douyin:8,20,CNY,2025-03-06T11:00:00+08:00\n")
    assert "2 rows written" in ok(campaign_cli("sales", "import", file))
    assert orders(store) == {"n1": ("acme", Decimal(10)), "n2": ("globex", Decimal(20))}


@pytest.mark.parametrize(("row", "reason"), [
    ("n3,douyin:1,10,CNY,2025-03-06T10:00:00+08:00", "post 'douyin:1' exists for several tenants (acme, globex); "
                                                     "pass --tenant"),
    ("n3,douyin:404,10,CNY,2025-03-06T10:00:00+08:00", "post 'douyin:404' is not registered yet and the store has "
                                                       "several tenants (acme, globex): pass --tenant"),
    ("n3,NOSUCH10,10,CNY,2025-03-06T10:00:00+08:00", "import its key row first (tracker sales keys), pass --tenant"),
])
def test_sales_import_refuses_a_row_whose_tenant_is_not_certain(campaign_cli: Run, store: Store, tmp_path: Path,
                                                                row: str, reason: str) -> None:
    file = tmp_path / "orders.csv"
    file.write_text(HEADER + "n1,douyin:5,10,CNY,2025-03-06T10:00:00+08:00\n" + row + "\n")
    assert reason in refused(campaign_cli("sales", "import", file))
    assert orders(store) == {}
    assert "2 rows written" in ok(campaign_cli("sales", "import", file, "--tenant", "acme"))
    assert orders(store) == {"n1": ("acme", Decimal(10)), "n3": ("acme", Decimal(10))}


def test_sales_import_rows_with_a_tenant_cell_need_no_tenant(campaign_cli: Run, store: Store, tmp_path: Path) -> None:
    file = tmp_path / "orders.csv"
    file.write_text("tenant," + HEADER + "globex,n1,douyin:1,10,CNY,2025-03-06T10:00:00+08:00\n"
                                         "acme,n2,ACME10,20,CNY,2025-03-06T11:00:00+08:00\n")
    assert "2 rows written" in ok(campaign_cli("sales", "import", file))
    assert orders(store) == {"n1": ("globex", Decimal(10)), "n2": ("acme", Decimal(20))}


def test_sales_keys_take_the_tenant_of_their_post(campaign_cli: Run, store: Store, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\npromo,SPRING10,douyin:5\n")
    assert "1 rows written" in ok(campaign_cli("sales", "keys", keys))
    assert store.query_sync("SELECT tenant FROM attribution_keys FINAL WHERE attribution_key = 'SPRING10'").rows \
        == [("acme",)]
