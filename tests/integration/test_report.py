"""The report commands on the fixture campaign: roi, top, alerts, creators, sales,
curve (PNG), report (XLSX opened with openpyxl, HTML rendered by headless Chromium)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from tests.fixtures.store import cli_on, shared_store
from tests.integration.test_roi import (
    P1_SPEND,
    P2_SPEND,
    P3_SPEND,
    post,
    put,
    seed_campaign,
    totals,
)
from tracker.cli.main import main
from tracker.report import queries as q
from tracker.report.tables import CPE_NOTE, RATIO_NOTE, RATIO_SPEND_COLUMNS
from tracker.report.workbook import SHEETS
from tracker.settings import Settings
from tracker.store.store import Store

pytestmark = pytest.mark.integration

CAMPAIGN_SPEND = P1_SPEND + P2_SPEND + P3_SPEND + 8_000 + 1_000
T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)


def succeeding(run_cli: Callable[..., Result]) -> Callable[..., Result]:
    """``run_cli`` whose every command must succeed."""

    def run(*args: str) -> Result:
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
        return result

    return run


@pytest.fixture
def cli(campaign_cli: Callable[..., Result]) -> Callable[..., Result]:
    """Run ``tracker …`` in-process against the seeded test database; it must succeed."""
    return succeeding(campaign_cli)


@pytest.fixture(scope="module")
def campaign_reader(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The fixture campaign seeded once for the module's tests that only read it (readonly; the
    report commands read only)."""
    with shared_store(engine_url, tmp_path_factory.mktemp("report"), seed_campaign) as reader:
        yield reader


@pytest.fixture
def reading_cli(campaign_reader: Store, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``tracker …`` in-process against ``campaign_reader``'s database (the result is not checked)."""
    return cli_on(campaign_reader.settings, monkeypatch)


@pytest.fixture
def read_cli(reading_cli: Callable[..., Result]) -> Callable[..., Result]:
    """``reading_cli`` whose every command must succeed."""
    return succeeding(reading_cli)


def seed_curve(store: Store) -> None:
    """An engagements curve of douyin:1: an organic burst, then the heated pulse of 03-02 12:00 UTC, decaying."""
    rows, cumulative = [], 0.0
    for h in range(0, 24 * 8):
        burst = 400 * math.exp(-h / 10)
        heat = 260 * (h - 27) ** -0.8 if h >= 28 else 0.0
        velocity = 8 + burst + heat
        cumulative += velocity
        rows.append({"tenant": "acme", "post_id": "douyin:1", "metric": "engagements", "hour": T0 + timedelta(hours=h),
                     "cumulative": cumulative, "velocity": velocity, "observed": int(h % 3 == 0), "version": 1})
    put(store, "curves", rows)
    put(store, "alerts", [{
        "tenant": "acme", "alert_id": "a1", "post_id": "douyin:1", "campaign_id": "c1", "alert": "PostDecaying",
        "state": "firing", "severity": "warning", "starts_at": T0 + timedelta(hours=120), "ends_at": None,
        "summary": "douyin:1 is decaying", "evidence": "{}", "suggestion": "re-heat with 2,000 CNY", "version": 1,
    }])


def test_roi_table_has_currency_separators_na_and_a_totals_row(read_cli: Any) -> None:
    out = read_cli("roi", "--campaign", "c1", "--tenant", "acme").output
    assert "CNY" in out.splitlines()[0]
    lines = out.splitlines()
    total = next(line for line in lines if line.startswith("total"))
    assert f"{CAMPAIGN_SPEND:,.2f}" in total
    # Under the table: why spend ÷ views × 1000 of the total row is not its CPM, and why its CPE is n/a.
    assert lines[lines.index(total) + 1:] == [RATIO_NOTE, CPE_NOTE]
    weibo = next(line for line in lines if line.startswith("weibo"))
    assert "n/a" in weibo  # no views on Weibo: CPM n/a, never 0
    assert "(campaign-level)" in out and "1,000.00" in out
    douyin = next(line for line in lines if line.startswith("douyin"))
    assert f"{P1_SPEND + 8_000:,.2f}" in douyin and "100,000" in douyin


def test_roi_json_and_csv_carry_the_same_figures(read_cli: Any) -> None:
    doc = json.loads(read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "tier", "--format", "json").output)
    assert doc["currency"] == "CNY" and doc["total"]["spend"] == pytest.approx(CAMPAIGN_SPEND)
    nano = next(g for g in doc["groups"] if g["value"] == "nano")
    assert nano["spend"] == 0 and nano["cpm"] is None and nano["roas"] is None
    csv_text = read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "csv").output
    header, *rows = csv_text.strip().splitlines()
    assert header.startswith("value,posts,spend")
    assert rows[-1].startswith("total,5,") and ",," in rows[-1]  # n/a is an empty cell


def test_roi_json_and_csv_show_the_spend_each_ratio_divides(read_cli: Any) -> None:
    """The campaign's CPM divides the spend of the posts with views only: weibo:4 and douyin:5 (no
    snapshot) have none, and the agency's campaign-level 1,000 belongs to no post."""
    doc = json.loads(read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json").output)
    total = doc["total"]
    with_views = P1_SPEND + P2_SPEND + P3_SPEND
    assert total["spend"] == pytest.approx(CAMPAIGN_SPEND) and total["views"] == 120_000
    assert total["cpm_spend"] == pytest.approx(with_views)
    assert total["cpm"] == pytest.approx(total["cpm_spend"] / total["views"] * 1000)
    assert total["cpe_spend"] is None and total["cpe"] is None  # several platforms
    douyin = next(g for g in doc["groups"] if g["value"] == "douyin")
    assert douyin["spend"] == pytest.approx(P1_SPEND + 8_000)  # douyin:5 has no snapshot yet
    assert douyin["cpe_spend"] == pytest.approx(P1_SPEND) and douyin["cpe"] == pytest.approx(P1_SPEND / 6_900)
    header, *rows = read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "csv").output.strip().splitlines()
    columns = header.split(",")
    first = columns.index(RATIO_SPEND_COLUMNS[0][0])
    assert columns[first:first + len(RATIO_SPEND_COLUMNS)] == [k for k, _, _ in RATIO_SPEND_COLUMNS]
    douyin_csv = dict(zip(columns, next(r for r in rows if r.startswith("douyin,")).split(","), strict=True))
    assert float(douyin_csv["cpe_spend"]) == pytest.approx(P1_SPEND)


def test_roi_by_creator_and_top_name_the_creators(read_cli: Any) -> None:
    doc = json.loads(read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "creator", "--format", "json").output)
    names = {g["value"]: g.get("creator_name") for g in doc["groups"]}
    assert names == {"cr1": "Lin", "cr2": "Anna", "cr3": None, q.CAMPAIGN_LEVEL: None}  # cr3: not in creators
    assert doc["total"]["creator_name"] is None
    table = read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "creator").output.splitlines()
    assert any(line.startswith("Lin (cr1) ") for line in table) and any(line.startswith("cr3 ") for line in table)
    csv_header = read_cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "creator", "--format", "csv").output
    assert csv_header.startswith("value,creator_name,posts,")

    top = read_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "saves").output
    assert "Lin (cr1)" in top and "Anna (cr2)" in top
    rows = json.loads(read_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "saves", "--format",
                          "json").output)["posts"]
    assert [(p["creator_id"], p["creator_name"]) for p in rows] == [("cr1", "Lin"), ("cr2", "Anna"), ("cr2", "Anna")]


def test_roi_by_post_gives_each_post_its_title(cli: Any, store: Store) -> None:
    title = "春季新品 | 开箱实测 · 三款精华液的真实对比与长期使用感受"
    put(store, "posts", [{**post("acme", "douyin:1", "c1", "cr1", "mid", "video"), "title": title, "version": 2}])
    doc = json.loads(cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "post", "--format", "json").output)
    titles = {g["value"]: g.get("title") for g in doc["groups"]}
    assert titles["douyin:1"] == title and titles["instagram:2"] is None  # a post without one: null
    assert doc["total"]["title"] is None
    table = cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "post").output.splitlines()
    header = next(line for line in table if line.startswith("post "))
    assert header.split()[:3] == ["post", "title", "posts"]
    row = next(line for line in table if line.startswith("douyin:1 "))
    assert f"{title[:23]}…" in row and title not in row  # its first 24 characters
    csv_out = cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "post", "--format", "csv").output
    header, *rows = csv_out.strip().splitlines()
    assert header.startswith("value,title,posts,")
    assert any(r.startswith(f"douyin:1,{title},") for r in rows)  # whole in CSV


def test_top_ranks_cpe_within_one_platform_only(reading_cli: Callable[..., Result], read_cli: Any) -> None:
    refused = reading_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "cpe")
    assert refused.exit_code == 2, refused.output
    assert ("CPE is compared within one platform (platforms count engagements differently): "
            "pass --platform (douyin, instagram, weibo)") in refused.output
    doc = json.loads(read_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "cpe", "--platform", "instagram",
                         "--format", "json").output)
    assert doc["platform"] == "instagram" and [p["post_id"] for p in doc["posts"]] == ["instagram:2"]
    out = read_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "cpe", "--platform", "youtube").output
    assert out == "no post of Spring launch (acme/c1) on youtube has cpe: none of its posts is on youtube\n"
    # Other figures still rank across platforms.
    assert read_cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "cost_per_save").exit_code == 0


def test_cpe_index_compares_each_post_with_its_own_platform(store: Store, cli: Any) -> None:
    """douyin:5 (8,000 for 1,000 engagements) and douyin:1 (14,630 for 6,900) share the douyin median;
    instagram:2 is its platform's only post; weibo:4 cost nothing, so its platform median is 0: n/a."""
    put(store, "post_totals", [totals("acme", "douyin:5", "c1", 50_000, 1_000, 0, 0, 0, None)])
    from tracker.store.access import _StoreReader

    reader = _StoreReader(store)
    camp = q.campaign(reader, "c1", "acme")
    cpe1, cpe5 = P1_SPEND / 6_900, 8_000 / 1_000
    median = (cpe1 + cpe5) / 2
    ranked = [(p["post_id"], p["value"]) for p in q.top_posts(reader, camp, "cpe_index")]
    assert [p for p, _ in ranked] == ["douyin:1", "instagram:2", "douyin:5"]
    assert [v for _, v in ranked] == pytest.approx([cpe1 / median, 1.0, cpe5 / median])
    assert [p["post_id"] for p in q.top_posts(reader, camp, "cpe_index", bottom=True)] == [
        "douyin:5", "instagram:2", "douyin:1"]


def test_roi_window_selects_posts_by_publish_date_in_campaign_time_zone(cli: Any, store: Store) -> None:
    late = datetime(2025, 3, 4, 17, 30, tzinfo=UTC)  # 2025-03-05 01:30 in Asia/Shanghai
    row = {"tenant": "acme", "post_id": "douyin:9", "platform": "douyin", "platform_post_id": "9", "url": "",
           "campaign_id": "c1", "creator_id": "cr1", "account_id": "cr1", "creator_tier": "mid",
           "content_form": "video", "published_at": late, "tracking_end": None, "bundle_id": "", "tags": [],
           "deleted": 0, "version": 1}
    put(store, "posts", [row])
    put(store, "cost_lines", [{"tenant": "acme", "cost_id": "douyin:9:fee", "campaign_id": "c1", "post_id": "douyin:9",
                               "bundle_id": "", "kind": "fee", "amount": 777, "currency": "CNY",
                               "cost_date": late.date(), "note": "", "version": 1}])
    doc = json.loads(cli("roi", "--campaign", "c1", "--tenant", "acme", "--by", "post", "--since", "2025-03-05",
                         "--format", "json").output)
    assert [g["value"] for g in doc["groups"] if g["value"] != q.CAMPAIGN_LEVEL] == ["douyin:9"]
    assert doc["total"]["spend"] == pytest.approx(777 + 1_000)  # the agency cost is dated 03-10


def test_query_builder_matches_the_documented_view(campaign_reader: Store) -> None:
    from tracker.store.access import _StoreReader

    reader = _StoreReader(campaign_reader)
    camp = q.campaign(reader, "c1", "acme")
    for by in q.DIMENSIONS:
        built = {r["value"]: r for r in q.roi_groups(reader, camp, by)[0]}
        view = {r["value"]: r for r in campaign_reader.query_sync(
            "SELECT * FROM v_roi_by WHERE tenant = 'acme' AND campaign_id = 'c1' AND dimension = {d:String}",
            {"d": by}).named()}
        assert built.keys() == view.keys(), by
        extra = {k for k, _, _ in RATIO_SPEND_COLUMNS} | {"creator_name", "title"}  # beside the view's figures
        for value, row in built.items():
            for key, got in row.items():
                if key in extra:
                    continue
                want = view[value][key]
                assert (got is None and want is None) or got == pytest.approx(want), (by, value, key)


def test_top_alerts_and_creators(cli: Any, store: Store) -> None:
    out = cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "saves").output
    rows = [line.split()[0] for line in out.splitlines()[3:]]
    assert rows == ["douyin:1", "instagram:2", "instagram:3"]  # weibo:4 and douyin:5 have no saves: left out
    cheapest = json.loads(cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "cpm",
                              "--format", "json").output)["posts"]
    assert [p["post_id"] for p in cheapest] == ["douyin:1", "instagram:2"]

    seed_curve(store)
    assert "PostDecaying" in cli("alerts", "--campaign", "c1").output
    assert "no resolved alerts" in cli("alerts", "--state", "resolved").output

    ranked = json.loads(cli("creators", "rank", "--tenant", "acme", "--by", "cpe", "--format", "json").output)
    assert [c["creator_id"] for c in ranked] == ["cr1"]  # the only creator with douyin posts
    cli("creators", "tag", "cr1", "--tenant", "acme", "--add", "audience:gen-z", "--remove", "tone:warm")
    shown = cli("creators", "show", "cr1", "--tenant", "acme").output
    assert "tags: beauty, audience:gen-z" in shown and "douyin: median CPE" in shown


def test_sales_import_attributes_orders_by_post_link_and_promo(cli: Any, store: Store, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("key_kind,attribution_key,post_id\nlink,https://t.example/x,instagram:2\n")
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,attribution_key,revenue,currency,ordered_at\n"
                      "n1,instagram:2,450.5,CNY,2025-03-06T10:00:00+08:00\n"
                      "n2,https://t.example/x,100,EUR,2025-03-07T10:00:00+08:00\n"
                      "n3,SPRING,10,CNY,2025-03-07T10:00:00+08:00\n")
    assert "1 keys read" in cli("sales", "keys", str(keys), "--tenant", "acme").output
    out = cli("sales", "import", str(orders), "--tenant", "acme").output
    assert "3 orders read (1 by post id, 1 by link, 1 by promo code)" in out
    cli("sales", "import", str(orders), "--tenant", "acme")  # again: nothing doubles
    row = store.query_sync("SELECT revenue, roas FROM v_roi_post WHERE tenant = 'acme' AND post_id = 'instagram:2'"
                           ).named()[0]
    assert row["revenue"] == pytest.approx(450.5 + 100 * 8.0)
    assert row["roas"] == pytest.approx((450.5 + 800) / P2_SPEND)


def chart_pixels(png: Path, rgb: tuple[int, int, int], tolerance: int = 40) -> list[tuple[int, int]]:
    image = Image.open(png).convert("RGB")
    w, h = image.size
    data = image.load()
    return [(x, y) for y in range(0, h, 2) for x in range(0, w, 2)
            if all(abs(data[x, y][i] - rgb[i]) <= tolerance for i in range(3))]


def test_curve_png_draws_pulses_heating_and_decay_alerts(cli: Any, store: Store, tmp_path: Path) -> None:
    seed_curve(store)
    path = tmp_path / "curve.png"
    out = cli("curve", "douyin:1", "--png", str(path), "--tenant", "acme").output
    assert "2 pulses, 2 heating nodes, 1 decay alerts" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(chart_pixels(path, (0xDB, 0xEA, 0xFE), 6)) > 2_000  # the first pulse's shaded interval
    assert len(chart_pixels(path, (0xFE, 0xF3, 0xC7), 6)) > 2_000  # the second's
    assert len(chart_pixels(path, (0xDC, 0x26, 0x26), 30)) > 10  # the decay alert marker


def test_curve_leaves_out_a_pulse_a_later_reading_removed(cli: Any, store: Store, tmp_path: Path) -> None:
    """The worker keeps a pulse it reported and a later reading dropped (the live view's pulse the
    checkpoint did not confirm) as a row marked removed, its onset 1970-01-01: the curve shaded it from
    1970 to the post's last hour and failed on a 9-million-pixel-wide picture."""
    seed_curve(store)
    removed = {"tenant": "acme", "post_id": "douyin:1", "pulse_index": 2, "onset": datetime.fromtimestamp(0, tz=UTC),
               "onset_day": None, "ends_at": None, "trigger": "", "heating_ids": [], "peak_at": None,
               "peak_velocity": None, "baseline": None, "rise_hours": None, "half_life_hours": None, "theta": None,
               "fit_r2": None, "fit_note": "superseded by a re-fit", "incremental_engagements": 0.0,
               "spend_amount": None, "spend_currency": "", "status": "removed", "response_shape": [], "version": 9}
    put(store, "pulses", [removed])
    path = tmp_path / "curve.png"
    out = cli("curve", "douyin:1", "--png", str(path), "--tenant", "acme").output
    assert "2 pulses, 2 heating nodes, 1 decay alerts" in out
    assert Image.open(path).size[0] < 2_000  # the week of the curve, not the years since 1970
    assert len(chart_pixels(path, (0xFE, 0xF3, 0xC7), 6)) > 2_000  # the second pulse's shaded interval


def test_report_writes_a_workbook_and_a_page_chromium_renders_with_charts(cli: Any, store: Store,
                                                                           tmp_path: Path) -> None:  # fmt: skip
    seed_curve(store)
    put(store, "campaigns", [{  # the campaign now ends after its latest snapshot (2025-03-20 00:00 UTC), before today
        "tenant": "acme", "campaign_id": "c1", "name": "Spring launch", "time_zone": "Asia/Shanghai",
        "reporting_currency": "", "starts_at": T0, "ends_at": datetime(2025, 4, 30, 16, tzinfo=UTC),
        "brand_terms": ["Acme"], "version": 2}])
    titled = {"douyin:1": "春季新品 | 开箱实测", "instagram:2": "Spring launch unboxing"}
    put(store, "posts", [{**post("acme", pid, "c1", creator, tier, "video", bundle=bundle), "title": title,
                          "version": 2}
                         for (pid, creator, tier, bundle), title in zip(
                             (("douyin:1", "cr1", "mid", ""), ("instagram:2", "cr2", "micro", "B1")),
                             titled.values(), strict=True)])
    put(store, "post_totals", [{**totals("acme", "instagram:3", "c1", 0, 0, 0, 0, 0, None), "status": "deleted",
                                "as_of": datetime(2025, 3, 12, tzinfo=UTC), "version": 8}])  # taken down
    xlsx, html = tmp_path / "report.xlsx", tmp_path / "report.html"
    cli("report", "--campaign", "c1", "--tenant", "acme", "--xlsx", str(xlsx), "--html", str(html))

    wb = openpyxl.load_workbook(xlsx)
    assert tuple(wb.sheetnames) == SHEETS
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["spend CNY"] == pytest.approx(CAMPAIGN_SPEND) and summary["CPE CNY"] == "n/a"
    assert summary["data as of"] == datetime(2025, 3, 20, 8, 0)  # the latest snapshot, in Asia/Shanghai
    assert summary["campaign status"] == "campaign ended 2025-05-01 · no snapshot in its last 41 days"
    assert (summary["campaign from"], summary["campaign to"]) == (datetime(2025, 3, 1, 16), datetime(2025, 5, 1, 0))
    posts = list(wb["Posts"].iter_rows(values_only=True))
    assert len(posts) == 1 + 5 and posts[0][:6] == ("post", "title", "platform", "creator id", "creator", "tier")
    assert {(p[3], p[4]) for p in posts[1:]} == {("cr1", "Lin"), ("cr2", "Anna"), ("cr3", None)}
    assert {p[0]: p[1] for p in posts[1:] if p[1] is not None} == titled  # a post without one: empty
    assert wb["Posts"]["H2"].value == datetime(2025, 3, 1, 16, 0)  # 08:00 UTC in Asia/Shanghai
    seen = {p[0]: (p[8], p[9]) for p in posts[1:]}  # a post taken down keeps its last counters: it says so
    assert posts[0][8:10] == ("last snapshot", "status")
    assert seen["instagram:3"] == (datetime(2025, 3, 12, 8, 0), "deleted") and seen["douyin:1"][1] == "live"
    ranked = list(wb["Top and bottom"].iter_rows(values_only=True))
    assert ranked[0][:6] == ("rank", "post", "title", "platform", "creator id", "creator")
    assert ranked[1][5] in ("Lin", "Anna") and all(r[2] == titled.get(r[1]) for r in ranked[1:])
    assert len(wb["Charts"]._images) == 4

    page = html.read_text(encoding="utf-8")
    assert ("data as of 2025-03-20 08:00 · campaign ended 2025-05-01 · no snapshot in its last 41 days"
            in page.split("<h2>")[0])
    assert "<td class=\"text\">Lin (cr1)</td>" in page.split("Top and bottom posts")[1]
    assert "<td class=\"text\">春季新品 | 开箱实测</td>" in page.split("Top and bottom posts")[1]

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless Chromium is missing: run deploy/scripts/sysdeps.sh (Debian package chromium)"
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={shot}", "--window-size=1400,2200",
                    html.as_uri()], check=True, capture_output=True, timeout=120)
    # Chart colours appear only inside the embedded PNGs: blue bars / lines and amber bars, in several places.
    blue = chart_pixels(shot, (0x25, 0x63, 0xEB), 30)
    amber = chart_pixels(shot, (0xF5, 0x9E, 0x0B), 30)
    assert len(blue) > 1_000 and len(amber) > 200, (len(blue), len(amber))
    cells = {(x // 350, y // 300) for x, y in blue}
    assert len(cells) >= 3, f"chart pixels sit in one spot only: {sorted(cells)}"


def test_report_commands_read_through_the_process_holding_the_store(cli: Any, store_settings: Settings,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import SecretStr

    from tests.fixtures.store import running_read_endpoint
    from tracker.store.lock import acquire_store_lock

    settings = store_settings.model_copy(update={"read_password": SecretStr("s3cret")})
    with acquire_store_lock(settings) as lock, running_read_endpoint(settings, lock=lock):
        monkeypatch.setenv("TRACKER_READ_PASSWORD", "s3cret")
        doc = json.loads(cli("roi", "--campaign", "c1", "--tenant", "acme", "--format", "json").output)
        assert doc["total"]["spend"] == pytest.approx(CAMPAIGN_SPEND)
        monkeypatch.setenv("TRACKER_READ_PASSWORD", "wrong")  # proof that the query went through the endpoint
        refused = CliRunner().invoke(main, ["roi", "--campaign", "c1", "--tenant", "acme"])
        assert refused.exit_code != 0 and "AUTHENTICATION_FAILED" in refused.output, refused.output
