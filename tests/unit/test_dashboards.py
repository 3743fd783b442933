"""Dashboards as code: unique uids, existing metrics and variables, provisioning per
settings, generated files current, and the plugin's macro expansion."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tracker.cli.dashboards import dashboards, render
from tracker.ops import dashboards as d
from tracker.ops.macros import (
    ALL,
    TimeRange,
    expand_promql,
    expand_sql,
    interpolate,
    macros,
    seconds,
)
from tracker.settings import Settings

BOARDS = [b.to_json() for b in d.boards()]
REPO_GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
"""The repository's generated files, committed (``tracker dashboards generate --out deploy/grafana``)."""
GRAFANA_BUILTINS = {"__data", "__url_time_range", "__rate_interval", "__interval", "__range", "__from", "__to"}


def clean_settings(monkeypatch: pytest.MonkeyPatch, **values: object) -> Settings:
    for name in list(__import__("os").environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_five_dashboards_with_unique_uids_and_titles() -> None:
    titles = {b["title"] for b in BOARDS}
    assert titles == {"tracker / Campaign ROI", "tracker / Post pulse curves", "tracker / Decaying posts",
                      "tracker / Creators and tiers", "tracker / Pipeline health"}
    uids = [b["uid"] for b in BOARDS] + [r["uid"] for g in d.alerting_provisioning()["groups"] for r in g["rules"]]
    assert len(uids) == len(set(uids))
    assert all(len(uid) <= 40 and re.fullmatch(r"[a-z0-9-]+", uid) for uid in uids)


def test_panels_have_unique_ids_and_fit_the_grid() -> None:
    for board in BOARDS:
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), board["uid"]
        for p in board["panels"]:
            pos = p["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, (board["uid"], p["title"])
            refs = [t["refId"] for t in p.get("targets", [])]
            assert len(refs) == len(set(refs)), (board["uid"], p["title"])


def test_every_metric_name_exists_in_tracker_metrics() -> None:
    exposed = d.exposed_metric_names()
    seen = set()
    for board in BOARDS:
        for q in d.queries(board):
            if q.kind == "promql":
                names = d.metric_names(q.text)
                assert names, q.where
                assert names <= exposed, f"{q.where}: unknown metrics {names - exposed}"
                seen |= names
    assert {"tracker_collector_requests_total", "tracker_consumer_lag", "tracker_sink_rows_total",
            "tracker_notifications_total", "tracker_collect_scheduled_posts"} <= seen


def test_every_variable_used_is_defined_and_every_datasource_provisioned(monkeypatch) -> None:
    provisioned = {ds["uid"] for ds in d.datasources_provisioning(clean_settings(monkeypatch))["datasources"]}
    for board in BOARDS:
        defined = {v["name"] for v in board["templating"]["list"]} | GRAFANA_BUILTINS
        for q in d.queries(board):
            used = set(re.findall(r"\$\{?(\w+)", q.text)) - {"__conditionalAll", "__timeFilter", "__timeInterval",
                                                             "__fromTime", "__toTime", "__interval_s"}
            assert used <= defined, f"{q.where}: undefined variables {used - defined}"
        for p in board["panels"]:
            for t in p.get("targets", []):
                assert t["datasource"]["uid"] in provisioned
    for rule in d.alerting_provisioning()["groups"][0]["rules"]:
        assert {x["datasourceUid"] for x in rule["data"]} <= provisioned | {"__expr__"}


def test_post_pulses_shows_heating_windows_as_region_annotations() -> None:
    board = d.post_pulses().to_json()
    names = [a["name"] for a in board["annotations"]["list"]]
    assert {"Heating windows", "Pulse onsets", "Alerts"} <= set(names)
    heating = next(a for a in board["annotations"]["list"] if a["name"] == "Heating windows")
    assert "AS timeEnd" in heating["target"]["rawSql"]  # a region: start to end of delivery


# -- numbers that match their titles ---------------------------------------------------------------

HOURLY_TIME = re.compile(r"toStartOfHour\(.+\)|(\w+\.)?hour")  # a fixed UTC hour, or the curves' hourly grid
MEAN_PER_HOUR = re.compile(r"/\s*uniqExact\((\w+\.)?hour\)")  # a bucket's total over the hours it holds


def time_expression(text: str) -> str:
    match = re.search(r"SELECT\s+(.+?)\s+AS time\b", text, re.S)
    assert match, text
    return " ".join(match.group(1).split())


def sql_targets(board: dict) -> list[tuple[dict, str]]:
    return [(p, t["rawSql"]) for p in board["panels"] for t in p.get("targets", []) if "rawSql" in t]


def test_panels_titled_per_hour_show_a_number_per_hour() -> None:
    """"Per hour" is an hour, not Grafana's interval (10 min at 7 days, 20 s at 6 h): such a panel
    buckets by the hour, or averages over the hours of a longer bucket."""
    titles = set()
    for board in BOARDS:
        for panel, text in sql_targets(board):
            if "per hour" not in panel["title"].lower():
                continue
            titles.add(panel["title"])
            time = time_expression(text)
            assert "$__timeInterval" not in time, (panel["title"], time)
            if not HOURLY_TIME.fullmatch(time):  # buckets of 1 h or more, whole hours or days in the zone
                assert time in {" ".join(d.zone_bucket(c).split()) for c in ("hour", "c.hour")}, (panel["title"], time)
                assert MEAN_PER_HOUR.search(text), f"{panel['title']}: a bucket's total is not divided by its hours"
    assert titles >= {"Engagements gained per hour, by platform", "Alerts started per hour",
                      "Snapshots stored per hour by platform", "Velocity per hour (${metric})"}


DAY_FUNCTIONS = ("toStartOfInterval", "toStartOfDay", "toDate", "toStartOfWeek", "toMonday", "toStartOfMonth",
                 "toYYYYMMDD", "formatDateTime")
UTC_MACROS = ("$__timeInterval", "$__timeGroup", "$__dateFilter", "$__dateTimeFilter", "$__dt(")


def call_arguments(text: str, name: str) -> list[str]:
    """The argument text of every ``name(...)`` call in ``text`` (balanced parentheses)."""
    out = []
    for m in re.finditer(rf"\b{name}\(", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append(text[m.end():i - 1])
    return out


def test_points_of_a_day_or_of_grafanas_interval_follow_the_campaign_zone() -> None:
    """Ops read a campaign's days in its time zone (Asia/Shanghai by default): every day-level or
    interval-level grouping of a panel takes the board's zone variable. ClickHouse aligns an interval
    in seconds on the UTC epoch and takes the UTC day without a zone argument, and so do the plugin's
    $__timeInterval, $__timeGroup and $__dateFilter: a Shanghai day ran from 08:00 to 08:00."""
    zoned = set()
    for board in BOARDS:
        for panel, text in sql_targets(board):
            for macro in UTC_MACROS:
                assert macro not in text, (board["uid"], panel["title"], macro)
            for name in DAY_FUNCTIONS:
                for args in call_arguments(text, name):
                    assert "${zone:singlequote}" in args, (board["uid"], panel["title"], f"{name}({args})")
                    zoned.add(panel["title"])
    assert "Engagements gained per hour, by platform" in zoned
    (roi,) = [b for b in BOARDS if b["uid"] == "tracker-campaign-roi"]
    (zone,) = [v for v in roi["templating"]["list"] if v["name"] == "zone"]
    assert zone["hide"] == 2  # hidden: set from the selected campaigns, not picked


def test_hourly_velocities_are_never_summed_over_a_bucket() -> None:
    summed = 0
    for board in BOARDS:
        for panel, text in sql_targets(board):
            if re.search(r"sum\((\w+\.)?velocity\)", text):
                summed += 1
                assert HOURLY_TIME.fullmatch(time_expression(text)) or MEAN_PER_HOUR.search(text), panel["title"]
    assert summed


def test_decaying_posts_board_tells_the_alert_from_the_pulse_status() -> None:
    """PostDecaying fires once a pulse has run its course (status settled); status decaying is a
    pulse past its peak and still falling. Every "decaying" title says which it means."""
    panels = {p["title"]: p for p in d.decaying_posts().to_json()["panels"]}
    alerted = panels["Alerted as decaying (PostDecaying firing): re-heat candidates"]
    text = alerted["targets"][0]["rawSql"]
    assert re.search(r"FROM alerts FINAL WHERE .*alert = 'PostDecaying' AND state = 'firing'", text)
    assert "pulses" not in text and "status settled" in alerted["description"]
    falling = panels["Pulses past their peak, still falling (status decaying)"]
    text = falling["targets"][0]["rawSql"]
    assert "FROM pulses FINAL" in text and "status = 'decaying'" in text and "peak_at IS NOT NULL" in text
    assert "PostDecaying" in falling["description"] and "status settled" in falling["description"]
    for board in BOARDS:
        for panel, text in sql_targets(board):
            title = panel["title"]
            if "status = 'decaying'" in text:
                assert "(status decaying)" in title, title
            if "decaying" in title.lower():
                assert ("(status decaying)" in title and "status = 'decaying'" in text) or (
                    "PostDecaying" in title and "alert = 'PostDecaying'" in text), title


def test_metric_variable_lists_the_selected_posts_curves() -> None:
    """Only metrics the post has curves for (searches only where the platform exposes it, EMV where
    unit values price it: v_curves)."""
    variables = d.post_pulses().to_json()["templating"]["list"]
    (metric,) = [v for v in variables if v["name"] == "metric"]
    assert metric["type"] == "query" and metric["datasource"] == d.CLICKHOUSE
    assert re.search(r"SELECT DISTINCT metric FROM v_curves\s+WHERE .*post_id = '\$\{post\}'", metric["query"])
    names = [v["name"] for v in variables]
    assert names.index("post") < names.index("metric")  # chained: recomputed when the post changes
    assert metric["sort"] == 0  # the query's order: engagements first, the default


def test_generated_files_are_current(monkeypatch) -> None:
    clean_settings(monkeypatch)
    result = CliRunner().invoke(dashboards, ["generate", "--check", "--out", str(REPO_GRAFANA)])
    assert result.exit_code == 0, (result.output + "\nrun `tracker dashboards generate --out deploy/grafana` "
                                   "and commit deploy/grafana")


def test_generate_writes_into_grafana_under_the_current_directory_by_default(monkeypatch, tmp_path: Path) -> None:
    """Not into the folder beside the package's source (deploy/grafana of a checkout, nothing useful
    once installed with pip)."""
    clean_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in REPO_GRAFANA.rglob("*")}
    result = CliRunner().invoke(dashboards, ["generate"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "grafana" / "dashboards").iterdir()) == sorted(
        f"{b['uid']}.json" for b in BOARDS)
    assert "wrote grafana/provisioning/datasources/tracker.yaml" in result.output
    assert {p: p.stat().st_mtime_ns for p in REPO_GRAFANA.rglob("*")} == before
    assert CliRunner().invoke(dashboards, ["generate", "--check"]).exit_code == 0
    help_text = " ".join(CliRunner().invoke(dashboards, ["generate", "--help"]).output.split())
    assert "./grafana" in help_text and "deploy/grafana" not in help_text


def test_generate_writes_json_and_yaml(monkeypatch, tmp_path: Path) -> None:
    clean_settings(monkeypatch)
    result = CliRunner().invoke(dashboards, ["generate", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "dashboards").iterdir()) == sorted(f"{b['uid']}.json" for b in BOARDS)
    loaded = yaml.safe_load((tmp_path / "provisioning/alerting/tracker.yaml").read_text())
    assert loaded == d.alerting_provisioning()
    (tmp_path / "dashboards/tracker-pipeline.json").write_text("{}")
    (tmp_path / "dashboards/tracker-campaign-roi.json").unlink()
    stale = CliRunner().invoke(dashboards, ["generate", "--check", "--out", str(tmp_path)])
    assert stale.exit_code == 1
    assert "missing (run" in stale.output and "dashboards/tracker-campaign-roi.json" in stale.output.split("missing")[1]
    assert "out of date (run" in stale.output and "tracker-pipeline.json" in stale.output.split("out of date")[1]
    nowhere = CliRunner().invoke(dashboards, ["generate", "--check", "--out", str(tmp_path / "absent")])
    assert nowhere.exit_code == 1 and "absent does not exist: nothing generated there yet" in nowhere.output
    assert "out of date" not in nowhere.output


def test_datasource_points_at_read_endpoint_or_server_without_the_password(monkeypatch) -> None:
    embedded = clean_settings(monkeypatch, read_host="10.0.0.5", read_port=18123, read_password="s3cret")
    ch = d.datasources_provisioning(embedded)["datasources"][0]
    assert ch["type"] == "grafana-clickhouse-datasource"
    js = ch["jsonData"]
    assert (js["host"], js["port"], js["protocol"], js["secure"], js["defaultDatabase"]) == (
        "10.0.0.5", 18123, "http", False, "tracker")
    text = render("provisioning/datasources/tracker.yaml", d.datasources_provisioning(embedded))
    assert "s3cret" not in text and "${TRACKER_READ_PASSWORD}" in text
    server = clean_settings(monkeypatch, clickhouse_url="https://ch.example.net:8443", clickhouse_user="grafana")
    js = d.datasources_provisioning(server)["datasources"][0]["jsonData"]
    assert (js["host"], js["port"], js["secure"], js["username"]) == ("ch.example.net", 8443, True, "grafana")


def test_committed_datasource_file_is_what_defaults_generate(monkeypatch) -> None:
    text = (REPO_GRAFANA / "provisioning/datasources/tracker.yaml").read_text()
    assert text == render("provisioning/datasources/tracker.yaml",
                          d.datasources_provisioning(clean_settings(monkeypatch)))


# -- macros (PLATFORMS.md §12) -------------------------------------------------------------------

TR = TimeRange(datetime(2024, 11, 11, 0, 0, tzinfo=UTC), datetime(2024, 11, 12, 6, 0, tzinfo=UTC), interval_s=300)
F, T = 1731283200, 1731391200  # 2024-11-11T00:00Z, 2024-11-12T06:00Z


@pytest.mark.parametrize(("text", "expected"), [
    ("$__timeFilter(ts)", f"ts >= toDateTime({F}) AND ts <= toDateTime({T})"),
    ("$__timeFilter_ms(ts)", f"ts >= fromUnixTimestamp64Milli({F}000) AND ts <= fromUnixTimestamp64Milli({T}000)"),
    ("$__dateFilter(d)", "d >= toDate('2024-11-11') AND d <= toDate('2024-11-12')"),
    ("$__dateTimeFilter(d, t)",
     f"(d >= toDate('2024-11-11') AND d <= toDate('2024-11-12')) AND (t >= toDateTime({F}) AND t <= toDateTime({T}))"),
    ("$__dt(d, t)",
     f"(d >= toDate('2024-11-11') AND d <= toDate('2024-11-12')) AND (t >= toDateTime({F}) AND t <= toDateTime({T}))"),
    ("$__fromTime AND $__toTime", f"toDateTime({F}) AND toDateTime({T})"),
    ("$__fromTime_ms, $__toTime_ms", f"fromUnixTimestamp64Milli({F}000), fromUnixTimestamp64Milli({T}000)"),
    ("$__interval_s", "300"),
    ("$__timeInterval(ts)", "toStartOfInterval(toDateTime(ts), INTERVAL 300 second)"),
    ("$__timeInterval_ms(ts)", "toStartOfInterval(toDateTime64(ts, 3), INTERVAL 300000 millisecond)"),
    ("$__timeFrom(ts) AND $__timeTo(ts)", f"ts >= toDateTime({F}) AND ts <= toDateTime({T})"),
    ("$__timeGroup(ts, 5m)", "toStartOfInterval(toDateTime(ts), INTERVAL 300 second)"),
    ("$__timeGroup(ts, '1h')", "toStartOfInterval(toDateTime(ts), INTERVAL 3600 second)"),
    ("$__timeFilter(toDateTime(a, 'UTC'))",
     f"toDateTime(a, 'UTC') >= toDateTime({F}) AND toDateTime(a, 'UTC') <= toDateTime({T})"),
    ("$__unknownMacro(x)", "$__unknownMacro(x)"),
])
def test_macro_expands_as_the_plugin_does(text: str, expected: str) -> None:
    assert macros(text, TR) == expected


def test_conditional_all_and_variables() -> None:
    sql = "WHERE t = '${tenant}' AND $__conditionalAll(c IN (${campaign:singlequote}), $campaign)"
    assert expand_sql(sql, TR, {"tenant": "acme", "campaign": ALL}) == "WHERE t = 'acme' AND 1=1"
    assert (expand_sql(sql, TR, {"tenant": "acme", "campaign": ["c1", "o'k"]})
            == "WHERE t = 'acme' AND c IN ('c1','o\\'k')")
    assert interpolate("$a ${b:csv} [[a]] $missing", {"a": "x", "b": ["1", "2"]}) == "x 1,2 x $missing"
    assert interpolate("${c:singlequote}", {"c": ALL}, {"c": ["p", "q"]}) == "'p','q'"


def test_promql_variables_become_regexes() -> None:
    expr = 'rate(x{job=~"$job", instance=~"$instance"}[$__rate_interval])'
    assert (expand_promql(expr, {"job": ["tracker"], "instance": ALL}, rate_interval="2m")
            == 'rate(x{job=~"tracker", instance=~".*"}[2m])')
    assert expand_promql('x{job=~"$job"}', {"job": ["a.b", "c"]}) == 'x{job=~"(a\\.b|c)"}'


def test_bad_macro_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unbalanced"):
        macros("$__timeFilter(ts", TR)
    with pytest.raises(ValueError, match="one column"):
        macros("$__timeFilter()", TR)
    with pytest.raises(ValueError, match="duration"):
        seconds("five minutes")


def test_decaying_pulses_without_an_observed_peak_have_their_own_table() -> None:
    """A pulse with no snapshot within 6 h of its onset has no peak (peak_at NULL): it is not listed
    as "past its peak", and not hidden either."""
    panels = {p["title"]: p for p in d.decaying_posts().to_json()["panels"]}
    unseen = panels["Pulses falling with no observed peak (status decaying)"]
    text = unseen["targets"][0]["rawSql"]
    assert "status = 'decaying'" in text and "peak_at IS NULL" in text and "fit_note" in text
    assert "not observed" in unseen["description"]


# -- the pipeline board reads what every run has ------------------------------------------------


def test_post_alerts_firing_on_the_pipeline_board_come_from_the_store() -> None:
    """tracker_alerts_firing is set by the optional notifier only; the alerts table always holds
    each episode's latest state."""
    (panel,) = [p for p in d.pipeline_health().to_json()["panels"] if p["title"] == "Post alerts firing"]
    (target,) = panel["targets"]
    assert target["datasource"] == d.CLICKHOUSE and panel["datasource"] == d.CLICKHOUSE
    assert re.search(r"FROM alerts FINAL\s+WHERE state = 'firing' AND [^\n]*deleted = 1\)\s+GROUP BY alert",
                     target["rawSql"])
    assert panel["fieldConfig"]["defaults"]["noValue"] == "0"


# -- one kind of number per panel -------------------------------------------------------------------


def promql_kind(expr: str) -> str:
    """rate (per second), count (increase over a window), or level (a gauge or a quantile)."""
    if "histogram_quantile" in expr:
        return "level"
    if re.search(r"\bincrease\(", expr):
        return "count"
    if re.search(r"\brate\(", expr):
        return "rate"
    return "level"


def test_every_prometheus_panel_shows_one_kind_of_number_under_its_unit() -> None:
    """Per-second rates and counts per window differ by the window's length: never under one axis.
    A rate of seconds is a share of time (percentunit); a rate of events is not; "per second"
    panels show rates."""
    checked = 0
    for board in BOARDS:
        for panel in board["panels"]:
            exprs = [t["expr"] for t in panel.get("targets", []) if "expr" in t]
            if not exprs:
                continue
            checked += 1
            kinds = {promql_kind(e) for e in exprs}
            assert len(kinds) == 1, (panel["title"], kinds)
            unit = panel["fieldConfig"]["defaults"].get("unit")
            for expr in exprs:
                if promql_kind(expr) == "rate" and "histogram_quantile" not in expr:
                    of_seconds = bool(re.search(r"rate\(\w+_seconds_total", expr))
                    assert (unit == "percentunit") == of_seconds, (panel["title"], unit, expr)
            if "per second" in panel["title"].lower():
                assert kinds == {"rate"}, panel["title"]
    assert checked >= 20


def test_quota_remaining_leaves_out_platforms_without_a_quota() -> None:
    (panel,) = [p for p in d.pipeline_health().to_json()["panels"] if p["title"] == "Quota remaining"]
    (target,) = panel["targets"]
    assert re.search(r"tracker_collector_quota_remaining\{[^}]*\}\s*>=\s*0", target["expr"])


# -- variables apply to every panel, or the panel says they do not ------------------------------------

FILTERS = {"campaign": "Campaign", "platform": "Platform"}


def variables_used(text: str, variables: dict[str, dict]) -> set[str]:
    """The board variables a query depends on, through chained variables (``post`` on ``campaign``)."""
    used = set(re.findall(r"\$\{?(\w+)", text)) & set(variables)
    todo = list(used)
    while todo:
        for name in set(re.findall(r"\$\{?(\w+)", variables[todo.pop()]["definition"])) & set(variables):
            if name not in used:
                used.add(name)
                todo.append(name)
    return used


def test_campaign_and_platform_variables_filter_every_panel_or_the_panel_says_they_do_not() -> None:
    for board in BOARDS:
        variables = {v["name"]: v for v in board["templating"]["list"]}
        for panel in board["panels"]:
            texts = [t["rawSql"] for t in panel.get("targets", []) if "rawSql" in t]
            if not texts:
                continue
            used = set().union(*(variables_used(t, variables) for t in texts))
            for name, label in FILTERS.items():
                if name in variables and name not in used:
                    assert f"The {label} variable does not apply" in panel["description"], (
                        board["uid"], panel["title"], name)


def test_tier_columns_say_what_they_are_per() -> None:
    """CPM is per 1,000 views and CPE per engagement; only the outcome columns are per 1,000 of spend."""
    (panel,) = [p for p in d.creators_tiers().to_json()["panels"] if p["title"].startswith("Tiers:")]
    assert "cost and outcomes per 1,000 of spend" not in panel["title"]
    assert "CPM" in panel["title"] and "CPE" in panel["title"]
    shown = {o["matcher"]["options"]: o["properties"][0]["value"] for o in panel["fieldConfig"]["overrides"]
             if o["properties"][0]["id"] == "displayName"}
    columns = re.findall(r"\bAS (\w+)", panel["targets"][0]["rawSql"])
    for column in columns:
        if column.startswith("cpm_"):
            assert "1,000 views" in shown[column], column
        elif column.startswith("cpe_"):
            assert "engagement" in shown[column], column
        elif "_per_1k_" in column:
            assert "1,000 spent" in shown[column], column
    assert {c for c in columns if c.startswith(("cpm_", "cpe_")) or "_per_1k_" in c} <= shown.keys()
