"""Every ClickHouse query of every dashboard, template variable, annotation and
Grafana alert rule runs — macros expanded as the plugin does — against the
migrated schema holding a simulated campaign, through the read endpoint (the
HTTP interface Grafana's plugin uses), and returns rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import clickhouse_connect
import orjson
import pytest

from tests.fixtures.store import running_read_endpoint, shared_store
from tracker.ops import dashboards as d
from tracker.ops.macros import ALL, TimeRange, expand_sql
from tracker.settings import Settings
from tracker.store.access import insert_json_rows
from tracker.store.store import Store

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
T0 = NOW - timedelta(days=5)
YESTERDAY = NOW.replace(hour=0) - timedelta(days=1)  # 00:00 UTC
DECAYING_SINCE = NOW - timedelta(hours=40)  # p1's PostDecaying evidence; the alert fired 13 h ago
TENANT = "acme"
POSTS = [  # post, platform, campaign, creator, tier
    ("douyin:7301234567890", "douyin", "c1", "cr1", "mid"),
    ("xiaohongshu:64f1a2b3c4d5e6f7", "xiaohongshu", "c1", "cr2", "micro"),
    ("bilibili:BV1xx411c7mD", "bilibili", "c2", "cr3", "nano"),
]
LATE_POST = "douyin:7309999999999"  # cr1's second c1 post, first tracked days after it was published


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000")


def campaign_rows() -> dict[str, list[dict[str, Any]]]:
    """A small simulated campaign: registry, costs, stream facts and analytics rows."""
    v = 1
    rows: dict[str, list[dict[str, Any]]] = {
        "tenants": [{"tenant": TENANT, "name": "Acme Beauty", "reporting_currency": "CNY", "version": v}],
        "campaigns": [
            {"tenant": TENANT, "campaign_id": c, "name": name, "reporting_currency": "CNY",
             "starts_at": ts(T0 - timedelta(days=1)), "brand_terms": ["acme", "精华"], "version": v}
            for c, name in (("c1", "Double 11"), ("c2", "Spring"))],
        "creators": [
            {"tenant": TENANT, "creator_id": cr, "name": f"creator {cr}", "tier": tier, "followers": f,
             "tags": ["beauty", "skincare"], "notes": "", "version": v}
            for (_, _, _, cr, tier), f in zip(POSTS, (420_000, 60_000, 8_000), strict=True)],
        "creator_accounts": [
            {"tenant": TENANT, "creator_id": cr, "platform": pf, "account_id": f"a-{cr}", "handle": f"@{cr}",
             "followers": 1000, "version": v} for (_, pf, _, cr, _) in POSTS],
        "posts": [
            {"tenant": TENANT, "post_id": pid, "platform": pf, "platform_post_id": pid.split(":", 1)[1],
             "url": f"https://example.org/{pid}", "campaign_id": c, "creator_id": cr, "account_id": f"a-{cr}",
             "creator_tier": tier, "content_form": "video", "published_at": ts(T0),
             "tracking_end": ts(NOW + timedelta(days=30)), "bundle_id": "", "tags": [], "deleted": 0, "version": v}
            for pid, pf, c, cr, tier in POSTS]
        + [{"tenant": TENANT, "post_id": LATE_POST, "platform": "douyin", "platform_post_id": LATE_POST.split(":")[1],
            "url": f"https://example.org/{LATE_POST}", "campaign_id": "c1", "creator_id": "cr1", "account_id": "a-cr1",
            "creator_tier": "mid", "content_form": "video", "published_at": ts(T0),
            "tracking_end": ts(NOW + timedelta(days=30)), "bundle_id": "", "tags": [], "deleted": 0, "version": v}],
        "cost_lines": [
            {"tenant": TENANT, "cost_id": f"fee-{pid}", "campaign_id": c, "post_id": pid, "bundle_id": "",
             "kind": "fee", "amount": "8000.00", "currency": "CNY", "cost_date": T0.date().isoformat(),
             "note": "", "version": v} for pid, _, c, _, _ in POSTS]
        + [{"tenant": TENANT, "cost_id": "agency", "campaign_id": "c1", "post_id": "", "bundle_id": "",
            "kind": "extra", "amount": "1500.00", "currency": "CNY", "cost_date": T0.date().isoformat(),
            "note": "agency fee", "version": v}],
        "fx_rates": [{"tenant": "", "base": "USD", "quote": "CNY", "rate_date": (T0 - timedelta(days=3)).date().isoformat(),
                      "rate": "7.1", "source": "test", "version": v}],
        "emv_unit_values": [{"tenant": "", "platform": pf, "metric": "likes", "valid_from": "2020-01-01",
                             "unit_value": "0.5", "currency": "CNY", "version": v} for _, pf, _, _, _ in POSTS],
        "sales": [{"tenant": TENANT, "order_id": "o1", "attribution_key": POSTS[0][0], "key_kind": "post",
                   "revenue": "30000.00", "currency": "CNY", "ordered_at": ts(T0 + timedelta(days=2)), "version": v}],
        "heating_nodes": [
            {"tenant": TENANT, "post_id": POSTS[0][0], "heating_id": "h1", "campaign_id": "c1", "channel": "dou+",
             "start_at": ts(T0 + timedelta(hours=48)), "end_at": ts(T0 + timedelta(hours=72)),
             "spend_amount": "2000.00", "spend_currency": "CNY", "status": "executed", "version": v},
            {"tenant": TENANT, "post_id": POSTS[2][0], "heating_id": "h2", "campaign_id": "c2", "channel": "ads",
             "start_at": ts(NOW - timedelta(days=1)), "end_at": None, "spend_amount": "500.00",
             "spend_currency": "CNY", "status": "executed", "version": v},
            {"tenant": TENANT, "post_id": POSTS[0][0], "heating_id": "h3", "campaign_id": "c1", "channel": "dou+",
             "start_at": ts(NOW + timedelta(days=2)), "end_at": None, "spend_amount": "1000.00",
             "spend_currency": "CNY", "status": "planned", "version": v}],
        "snapshots": [], "curves": [], "post_totals": [], "pulses": [], "long_tail": [], "alerts": [],
        "comments": [], "dlq": [],
    }
    hours = int((NOW - T0).total_seconds() // 3600)
    for i, (pid, pf, c, _, _) in enumerate(POSTS):
        cumulative = 0.0
        for h in range(hours):
            at = T0 + timedelta(hours=h)
            velocity = 400.0 / (1 + h) + (300.0 if 48 <= h < 60 and i == 0 else 0) + 5
            cumulative += velocity
            for metric, scale in (("engagements", 1.0), ("views", 20.0)):
                rows["curves"].append({"tenant": TENANT, "post_id": pid, "metric": metric, "hour": ts(at)[:19],
                                       "cumulative": cumulative * scale, "velocity": velocity * scale,
                                       "observed": int(h % 3 == 0), "version": v})
            if h % 3 == 0:
                views = int(cumulative * 20)
                rows["snapshots"].append({
                    "tenant": TENANT, "post_id": pid, "observed_at": ts(at), "platform": pf, "views": views,
                    "likes": int(cumulative * 0.7), "comments": int(cumulative * 0.1), "shares": int(cumulative * 0.1),
                    "saves": int(cumulative * 0.1), "searches": None, "status": "live", "source": "simulator",
                    "rounded": [], "src_partition": 0, "src_offset": h, "version": h})
        rows["post_totals"].append({
            "tenant": TENANT, "post_id": pid, "platform": pf, "campaign_id": c,
            "as_of": ts(NOW - timedelta(hours=1 + 7 * i)), "status": "live", "views": int(cumulative * 20),
            "likes": int(cumulative * 0.7), "comments": int(cumulative * 0.1), "shares": int(cumulative * 0.1),
            "saves": int(cumulative * 0.1), "searches": None, "engagements": int(cumulative), "version": v})
        rows["long_tail"].append({
            "tenant": TENANT, "post_id": pid, "as_of": ts(NOW), "tail_share": 0.3 + 0.1 * i,
            "organic_tail_share": 0.2, "paid_tail_share": 0.1 + 0.1 * i, "projected_30d": cumulative * 1.4,
            "projected_30d_low": cumulative * 1.2, "projected_30d_high": cumulative * 1.6,
            "projected_90d": cumulative * 1.6, "projected_90d_low": cumulative * 1.3,
            "projected_90d_high": cumulative * 1.9, "loglinear_30d": cumulative * 1.5,
            "loglinear_90d": cumulative * 1.7, "version": v})
        rows["comments"] += [
            {"tenant": TENANT, "post_id": pid, "comment_id": f"{pid}-{k}", "created_at": ts(T0 + timedelta(hours=k)),
             "text": "求链接 acme 精华" if k % 2 else "nice", "likes": k, "author_hash": "ab" * 8,
             "intent": k % 2, "negative": 0, "intent_terms": ["求链接"] if k % 2 else [], "negative_terms": [],
             "version": v} for k in range(6)]
    p1, p2, p3 = (p[0] for p in POSTS)
    pulse = {"tenant": TENANT, "heating_ids": [], "peak_at": None, "peak_velocity": 405.0, "baseline": 5.0,
             "rise_hours": 1.0, "half_life_hours": 6.0, "theta": 0.9, "fit_r2": 0.93, "fit_note": "",
             "incremental_engagements": 4000.0, "spend_amount": None, "spend_currency": "", "version": v}
    rows["pulses"] = [
        {**pulse, "post_id": p1, "pulse_index": 0, "onset": ts(T0), "ends_at": ts(T0 + timedelta(hours=48)),
         "trigger": "organic", "status": "settled", "peak_at": ts(T0 + timedelta(hours=1))},
        {**pulse, "post_id": p1, "pulse_index": 1, "onset": ts(T0 + timedelta(hours=48)), "ends_at": None,
         "trigger": "heating", "heating_ids": ["h1"], "spend_amount": "2000.00", "spend_currency": "CNY",
         "status": "settled", "incremental_engagements": 3600.0,
         "peak_at": ts(T0 + timedelta(hours=49))},  # run its course: PostDecaying fires
        {**pulse, "post_id": p2, "pulse_index": 0, "onset": ts(T0), "ends_at": None, "trigger": "organic",
         "status": "decaying", "peak_at": ts(T0 + timedelta(hours=1))},  # past its peak, still falling: no alert yet
        {**pulse, "post_id": LATE_POST, "pulse_index": 0, "onset": ts(T0), "ends_at": None, "trigger": "organic",
         "status": "decaying", "peak_velocity": None, "rise_hours": None, "half_life_hours": None, "theta": None,
         "fit_r2": None, "incremental_engagements": 900.0,
         "fit_note": "no snapshot within 6 h of the onset: its rise and peak were not observed"},  # falling, peak unseen
        {**pulse, "post_id": p3, "pulse_index": 0, "onset": ts(NOW - timedelta(days=1)), "ends_at": None,
         "trigger": "heating", "heating_ids": ["h2"], "spend_amount": "500.00", "spend_currency": "CNY",
         "status": "no-response", "incremental_engagements": 0.0, "theta": None, "fit_r2": None,
         "fit_note": "no rise after the heating node"},
        {**pulse, "post_id": p1, "pulse_index": 2, "onset": ts(datetime.fromtimestamp(0, UTC)), "ends_at": None,
         "trigger": "", "status": "removed", "fit_note": "superseded by a re-fit", "incremental_engagements": 0.0},
    ]
    suggestion = {"action": "reheat", "channel": "dou+", "spend": {"amount": "2000.00", "currency": "CNY"},
                  "expected_engagements_per_cny": 1.8, "expected_engagements": 3600,
                  "basis": "this post's earlier pulses"}
    alert = {"tenant": TENANT, "severity": "warning", "ends_at": None, "suggestion": "", "version": v}
    rows["alerts"] = [
        {**alert, "alert_id": f"PostDecaying:{p1}:pulse-1", "post_id": p1, "campaign_id": "c1",
         "alert": "PostDecaying", "state": "firing", "starts_at": ts(NOW - timedelta(hours=13)),
         "summary": f"{p1} is decaying", "suggestion": json.dumps(suggestion),
         "evidence": json.dumps({"pulse": 1, "decaying_since_at": DECAYING_SINCE.strftime("%Y-%m-%dT%H:%M:%S.000Z")})},
        {**alert, "alert_id": f"PostUnavailable:{p2}:1", "post_id": p2, "campaign_id": "c1",
         "alert": "PostUnavailable", "state": "resolved", "severity": "critical",
         "starts_at": ts(NOW - timedelta(days=2)), "ends_at": ts(NOW - timedelta(days=1)),
         "summary": "likes regressed by 12%", "evidence": "{}"},
        {**alert, "alert_id": f"PostStalled:{p3}:1", "post_id": p3, "campaign_id": "c2", "alert": "PostStalled",
         "state": "firing", "severity": "info", "starts_at": ts(NOW - timedelta(hours=3)),
         "summary": "no fresh snapshot for 3 h", "evidence": "{}"},
    ] + [  # two in one UTC day, two hours apart: one per hour, two per day
        {**alert, "alert_id": f"PostStalled:{p2}:{k}", "post_id": p2, "campaign_id": "c1", "alert": "PostStalled",
         "state": "resolved", "severity": "info", "starts_at": ts(YESTERDAY + timedelta(hours=h)),
         "ends_at": ts(YESTERDAY + timedelta(hours=h + 1)), "summary": "no fresh snapshot for 3 h",
         "evidence": "{}"} for k, h in ((1, 1), (2, 3))]
    rows["dlq"] = [
        {"tenant": TENANT, "source_topic": "tracker.snapshots.v1", "src_partition": 0, "src_offset": k,
         "rejected_at": ts(datetime.now(UTC) - timedelta(minutes=10)), "reason": "metrics.views: must be >= 0",
         "error_class": "InvalidInput", "payload": "{}"} for k in range(3)]
    return rows


def seed_campaign(store: Store) -> None:
    """Every table's rows of the simulated campaign (campaign_rows), as the worker's JSON inserts."""
    for table, rows in campaign_rows().items():
        body = b"".join(orjson.dumps(row) + b"\n" for row in rows)
        assert insert_json_rows(store, table, body, None) == len(rows), table


@pytest.fixture
def campaign_store(store: Store) -> Store:
    """The simulated campaign in this test's own store (for a test that writes)."""
    seed_campaign(store)
    return store


@contextmanager
def http_client(settings: Settings) -> Iterator[Any]:
    """A ClickHouse HTTP client on a read endpoint serving ``settings``' database, as Grafana's plugin
    (protocol http) reaches it."""
    with running_read_endpoint(settings) as endpoint:
        client = clickhouse_connect.get_client(host=endpoint.host, port=endpoint.port,
                                               database=settings.clickhouse_database)
        try:
            yield client
        finally:
            client.close()


@pytest.fixture(scope="module")
def grafana_client(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``http_client`` on the simulated campaign seeded once for the module's tests that only read it
    (the store readonly: the engine refuses a write)."""
    with shared_store(engine_url, tmp_path_factory.mktemp("boards"), seed_campaign) as reader, \
            http_client(reader.settings) as client:
        yield client


@pytest.fixture
def own_grafana_client(campaign_store: Store, store_settings: Settings) -> Iterator[Any]:
    """``http_client`` on this test's own ``campaign_store``."""
    with http_client(store_settings) as client:
        yield client


RANGE = TimeRange(T0 - timedelta(days=1), datetime.now(UTC), interval_s=3600)
ALL_VALUES = {"campaign": ["c1", "c2"], "platform": [p[1] for p in POSTS]}
SELECTIONS = {
    "all campaigns": {"tenant": TENANT, "campaign": ALL, "platform": ALL, "post": POSTS[0][0],
                      "metric": "engagements"},
    "one campaign": {"tenant": TENANT, "campaign": ["c1"], "platform": ["douyin"], "post": POSTS[0][0],
                     "metric": "views"},
}


def with_hidden_variables(client: Any, board: dict[str, Any], variables: dict[str, Any],
                          time_range: TimeRange = RANGE) -> dict[str, Any]:
    """``variables`` and the board's hidden ClickHouse variables (``zone``…), each the first cell of its
    query on this selection, as Grafana sets them (in the board's order: a variable reads those before it)."""
    out = dict(variables)
    for var in board["templating"]["list"]:
        if var["type"] == "query" and var.get("hide") == 2 and var["datasource"] == d.CLICKHOUSE:
            result = client.query(expand_sql(var["query"], time_range, out, ALL_VALUES))
            out[var["name"]] = result.result_rows[0][0]
    return out


def all_sql(client: Any, variables: dict[str, Any]) -> list[tuple[d.Query, dict[str, Any]]]:
    """Every ClickHouse query, with the variables it is expanded with (its board's hidden ones added)."""
    out = [(q, with_hidden_variables(client, board, variables)) for board in (b.to_json() for b in d.boards())
           for q in d.queries(board) if q.kind == "sql"]
    return out + [(q, variables) for q in d.alert_queries(d.alerting_provisioning())]


@pytest.mark.parametrize("selection", list(SELECTIONS))
def test_every_clickhouse_query_returns_rows(grafana_client: Any, selection: str) -> None:
    empty, failed = [], []
    queries = all_sql(grafana_client, SELECTIONS[selection])
    assert len(queries) >= 25
    for query, variables in queries:
        text = expand_sql(query.text, RANGE, variables, ALL_VALUES)
        assert "$" not in text, f"{query.where}: unexpanded macro or variable in\n{text}"
        try:
            result = grafana_client.query(text)
        except Exception as exc:  # noqa: BLE001 - report every failing query at once
            failed.append(f"{query.where}: {str(exc)[:400]}\n{text}")
            continue
        if not result.result_rows:
            empty.append(f"{query.where}:\n{text}")
    assert not failed, "queries failed:\n\n" + "\n\n".join(failed)
    assert not empty, "queries returned no row:\n\n" + "\n\n".join(empty)


def test_time_series_queries_return_time_first_and_in_range(grafana_client: Any) -> None:
    """The plugin's time series format: the DateTime column aliased `time`, first; rows inside the range."""
    boards = [board.to_json() for board in d.boards()]
    series = [(t, with_hidden_variables(grafana_client, board, SELECTIONS["all campaigns"]))
              for board in boards for p in board["panels"] for t in p.get("targets", [])
              if t.get("queryType") == "timeseries"]
    assert series
    for target, variables in series:
        result = grafana_client.query(expand_sql(target["rawSql"], RANGE, variables, ALL_VALUES))
        assert result.column_names[0] == "time", target["rawSql"]
        times = [row[0].replace(tzinfo=UTC) if row[0].tzinfo is None else row[0] for row in result.result_rows]
        assert min(times) >= RANGE.start - timedelta(hours=1) and max(times) <= RANGE.end, target["rawSql"]


def test_heating_windows_annotation_spans_the_delivery_window(grafana_client: Any) -> None:
    board = d.post_pulses().to_json()
    (heating,) = [a for a in board["annotations"]["list"] if a["name"] == "Heating windows"]
    text = expand_sql(heating["target"]["rawSql"], RANGE, SELECTIONS["all campaigns"], ALL_VALUES)
    result = grafana_client.query(text)
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    # h1 (48 h → 72 h) is in range; the planned h3 starts after the range ends
    assert [(r["time"].replace(tzinfo=UTC), r["timeEnd"].replace(tzinfo=UTC)) for r in rows] == [
        (T0 + timedelta(hours=48), T0 + timedelta(hours=72))]
    assert rows[0]["text"].startswith("dou+ · executed · 2000")


def test_one_campaign_filter_excludes_the_other_campaign(grafana_client: Any) -> None:
    """$__conditionalAll keeps the IN filter when a campaign is chosen and drops it for All."""
    query = d.campaign_roi().to_json()["panels"][1]["targets"][0]["rawSql"]
    picked = grafana_client.query(expand_sql(query, RANGE, SELECTIONS["one campaign"], ALL_VALUES))
    every = grafana_client.query(expand_sql(query, RANGE, SELECTIONS["all campaigns"], ALL_VALUES))
    assert sorted(r[0] for r in picked.result_rows) == ["c1"]
    assert sorted(r[0] for r in every.result_rows) == ["c1", "c2"]


def test_reheat_candidates_show_the_suggestion(grafana_client: Any) -> None:
    """The decaying-posts table reads the alert's suggested re-heat: channel, spend, the engagements
    to expect per unit of spend (what tells the candidates apart) and at that spend, and what the
    expectation rests on."""
    panels = d.decaying_posts().to_json()["panels"]
    (panel,) = [p for p in panels if p["title"] == "Alerted as decaying (PostDecaying firing): re-heat candidates"]
    text = expand_sql(panel["targets"][0]["rawSql"], RANGE, SELECTIONS["all campaigns"], ALL_VALUES)
    result = grafana_client.query(text)
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    assert [(r["post_id"], r["suggested_channel"], r["suggested_spend"], r["currency"],
             r["expected_engagements_per_unit"], r["expected_engagements"], r["basis"]) for r in rows] == [
        (POSTS[0][0], "dou+", "2000.00", "CNY", 1.8, 3600.0, "this post's earlier pulses")]


def test_the_pulses_table_shows_cost_per_incremental_and_no_superseded_pulse(grafana_client: Any) -> None:
    (panel,) = [p for p in d.post_pulses().to_json()["panels"] if p["title"] == "Pulses"]
    text = expand_sql(panel["targets"][0]["rawSql"], RANGE, SELECTIONS["all campaigns"], ALL_VALUES)
    result = grafana_client.query(text)
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    assert [r["pulse_index"] for r in rows] == [0, 1]  # pulse 2 was superseded by a re-fit
    assert rows[0]["cost_per_incremental"] is None  # organic: no spend
    assert rows[1]["cost_per_incremental"] == pytest.approx(2000 / 3600)


def panel_rows(grafana_client: Any, board: d.Board, title: str, interval_s: int = 3600,
               selection: str = "all campaigns") -> list[dict[str, Any]]:
    shown = board.to_json()
    (panel,) = [p for p in shown["panels"] if p["title"] == title]
    time_range = TimeRange(RANGE.start, RANGE.end, interval_s=interval_s)
    variables = with_hidden_variables(grafana_client, shown, SELECTIONS[selection], time_range)
    result = grafana_client.query(expand_sql(panel["targets"][0]["rawSql"], time_range, variables, ALL_VALUES))
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


PER_HOUR = [(board, p["title"]) for board in d.boards() for p in board.to_json()["panels"]
            if "per hour" in p["title"].lower() and "rawSql" in p["targets"][0]]


@pytest.mark.parametrize(("board", "title"), PER_HOUR, ids=[title for _, title in PER_HOUR])
def test_per_hour_numbers_do_not_grow_with_grafanas_interval(grafana_client: Any, board: d.Board,
                                                            title: str) -> None:
    """Whatever interval Grafana picks (1 min on a short range, a day on a long one), no point of a
    "per hour" series exceeds the series' largest hourly figure: counting per bucket would."""

    def peaks(interval_s: int) -> dict[tuple[Any, ...], float]:
        out: dict[tuple[Any, ...], float] = {}
        for row in panel_rows(grafana_client, board, title, interval_s):
            key = tuple(v for k, v in row.items() if isinstance(v, str))
            for column, value in row.items():
                if column != "time" and isinstance(value, int | float) and value is not None:
                    out[(*key, column)] = max(out.get((*key, column), value), value)
        return out

    hourly = peaks(3600)
    assert hourly, title
    for interval_s in (60, 6 * 3600, 86400):
        coarse = peaks(interval_s)
        assert coarse.keys() <= hourly.keys(), (title, interval_s)
        grown = {k: (v, hourly[k]) for k, v in coarse.items() if v > hourly[k] * (1 + 1e-9)}
        assert not grown, f"{title} at {interval_s} s: {grown}"


def test_engagements_per_hour_is_the_mean_hourly_gain_over_a_long_interval(grafana_client: Any) -> None:
    """At a one-day interval each point is the mean of the platform's hourly gains that day, a day in
    the campaigns' time zone (Asia/Shanghai, the default: 16:00 to 16:00 UTC)."""
    platform = {pid: pf for pid, pf, _, _, _ in POSTS}
    shanghai = ZoneInfo("Asia/Shanghai")
    days: dict[tuple[str, datetime], list[float]] = {}
    for row in campaign_rows()["curves"]:
        hour = datetime.fromisoformat(row["hour"]).replace(tzinfo=UTC)
        if row["metric"] == "engagements" and RANGE.start <= hour <= RANGE.end:
            day = hour.astimezone(shanghai).replace(hour=0).astimezone(UTC)
            days.setdefault((platform[row["post_id"]], day), []).append(row["velocity"])  # one post per platform
    rows = panel_rows(grafana_client, d.campaign_roi(), "Engagements gained per hour, by platform", 86400)
    got = {(r["platform"], r["time"].replace(tzinfo=UTC)): r["engagements"] for r in rows}
    assert got.keys() == days.keys()
    for key, velocities in days.items():
        assert got[key] == pytest.approx(sum(velocities) / len(velocities)), key


def test_alerted_posts_come_from_the_alert_and_falling_pulses_from_their_status(grafana_client: Any) -> None:
    """PostDecaying is on p1, whose current pulse has settled; p2's pulse is past its peak and still
    falling (status decaying) and is not alerted: each table lists its own posts."""
    board = d.decaying_posts()
    alerted = panel_rows(grafana_client, board, "Alerted as decaying (PostDecaying firing): re-heat candidates")
    falling = panel_rows(grafana_client, board, "Pulses past their peak, still falling (status decaying)")
    assert [r["post_id"] for r in alerted] == [POSTS[0][0]]
    assert [(r["post_id"], r["pulse"]) for r in falling] == [(POSTS[1][0], 0)]


def test_metric_variable_offers_the_posts_metrics_engagements_first(grafana_client: Any) -> None:
    (metric,) = [v for v in d.post_pulses().to_json()["templating"]["list"] if v["name"] == "metric"]
    result = grafana_client.query(expand_sql(metric["query"], RANGE, SELECTIONS["all campaigns"], ALL_VALUES))
    assert [row[0] for row in result.result_rows] == ["engagements", "views"]  # no searches, no emv curves here


def test_snapshots_per_hour_counts_a_snapshot_stored_twice_once(campaign_store: Store,
                                                               own_grafana_client: Any) -> None:
    """A snapshot collected again (an export re-read, an import repeated) is a second row of the
    ReplacingMergeTree until a merge: the pipeline panel counts it once either way."""
    first = campaign_rows()["snapshots"][0]
    campaign_store.command_sync("SYSTEM STOP MERGES snapshots")  # keep the two rows apart, as before a merge
    try:
        again = {**first, "src_offset": 10_000, "version": 10_000}
        assert insert_json_rows(campaign_store, "snapshots", orjson.dumps(again) + b"\n", None) == 1
        rows = panel_rows(own_grafana_client, d.pipeline_health(), "Snapshots stored per hour by platform")
    finally:
        campaign_store.command_sync("SYSTEM START MERGES snapshots")
    hour = datetime.fromisoformat(first["observed_at"]).replace(minute=0, tzinfo=UTC)
    counted = {(r["platform"], r["time"].replace(tzinfo=UTC)): r["snapshots"] for r in rows}
    assert counted[(first["platform"], hour)] == 1  # one snapshot per post every 3 h in the fixture
    assert sum(counted.values()) == len(campaign_rows()["snapshots"])


def test_reheat_candidates_tell_when_the_alert_fired_from_when_the_decay_began(grafana_client: Any) -> None:
    """The alert's message says "decaying since" the time in its evidence; the board's column of that
    name shows the same time, and when the alert fired in a column of its own."""
    (row,) = panel_rows(grafana_client, d.decaying_posts(),
                        "Alerted as decaying (PostDecaying firing): re-heat candidates")
    assert row["decaying_since"].replace(tzinfo=UTC) == DECAYING_SINCE
    assert row["alerted_at"].replace(tzinfo=UTC) == NOW - timedelta(hours=13)


def test_the_long_tail_shows_the_interval_and_the_log_linear_projection(grafana_client: Any) -> None:
    """The fit's projection is empty for the first 72 h of each pulse: the board showed nothing
    then, and never the interval or the log-linear baseline the store keeps beside it."""
    rows = panel_rows(grafana_client, d.post_pulses(), "Long tail")
    assert rows and all(r["loglinear_30d"] is not None and r["loglinear_90d"] is not None for r in rows)
    assert all(r["projected_30d_low"] <= r["projected_30d"] <= r["projected_30d_high"] for r in rows)
