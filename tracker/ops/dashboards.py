"""Grafana as code: tracker's dashboards, datasources and Grafana alert rules.

``tracker dashboards generate`` writes them into ``./grafana`` or ``--out`` (the repository keeps
them for the default settings in ``deploy/grafana/``):

- ``dashboards/*.json`` — Campaign ROI, Post pulse curves (heating windows as
  annotations), Decaying posts, Creators and tiers, Pipeline health;
- ``provisioning/datasources/tracker.yaml`` — the ClickHouse plugin over HTTP
  (to the embedded read endpoint or a server) and Prometheus;
- ``provisioning/dashboards/tracker.yaml`` — the file provider;
- ``provisioning/alerting/tracker.yaml`` — alert rules on the ClickHouse views.

ClickHouse panels query FINAL rows of tracker's tables and the ROI views;
Prometheus panels use the metrics of ``tracker.ops.metrics``. Every query is
run in the tests with Grafana's macros expanded (``tracker.ops.macros``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tracker.analytics.params import DEFAULT_PARAMS
from tracker.collect.cadence import Cadence
from tracker.errors import ConfigError
from tracker.settings import Settings

CLICKHOUSE = {"type": "grafana-clickhouse-datasource", "uid": "tracker-clickhouse"}
PROMETHEUS = {"type": "prometheus", "uid": "tracker-prometheus"}
TAGS = ["tracker"]
FOLDER = "tracker"

# -- query and panel builders -------------------------------------------------------------------


def sql(text: str, *, series: bool = False, ref: str = "A") -> dict[str, Any]:
    """A ClickHouse plugin target: time series (``time`` column first) or table."""
    return {"refId": ref, "datasource": CLICKHOUSE, "editorType": "sql",
            "queryType": "timeseries" if series else "table", "format": 0 if series else 1,
            "rawSql": _dedent(text)}


def promql(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False) -> dict[str, Any]:
    """A Prometheus target."""
    return {"refId": ref, "datasource": PROMETHEUS, "expr": _dedent(expr), "legendFormat": legend or "__auto",
            "range": not instant, "instant": instant}


def _dedent(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


@dataclass
class Board:
    """One dashboard; panels flow left to right on Grafana's 24-column grid."""

    uid: str
    title: str
    description: str
    variables: list[dict[str, Any]] = field(default_factory=list)
    time_from: str = "now-7d"
    panels: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    _x: int = 0
    _y: int = 0
    _row_h: int = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append({"id": len(self.panels) + 1, "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y}, "panels": []})
        self._y += 1

    def panel(self, kind: str, title: str, targets: list[dict[str, Any]], *, w: int = 12, h: int = 8,
              unit: str | None = None, description: str = "", options: dict[str, Any] | None = None,
              overrides: list[dict[str, Any]] | None = None, links: list[dict[str, Any]] | None = None,
              decimals: int | None = None, no_value: str | None = None, counts: tuple[str, ...] = ()) -> None:
        """``decimals`` applies to every number of the panel but the ``counts`` columns (posts, views,
        a pulse's index…), which show whole."""
        if self._x + w > 24:
            self._newline()
        defaults: dict[str, Any] = {}
        if unit:
            defaults["unit"] = unit
        if decimals is not None:
            defaults["decimals"] = decimals
        if links:
            defaults["links"] = links
        if no_value is not None:
            defaults["noValue"] = no_value
        datasource = targets[0]["datasource"]
        self.panels.append({
            "id": len(self.panels) + 1, "type": kind, "title": title, "description": description,
            "datasource": datasource, "gridPos": {"h": h, "w": w, "x": self._x, "y": self._y},
            "targets": targets, "fieldConfig": {"defaults": defaults, "overrides": [*(overrides or []), *(
                {"matcher": {"id": "byName", "options": column}, "properties": [{"id": "decimals", "value": 0}]}
                for column in counts)]},
            "options": options or {},
        })
        self._x += w
        self._row_h = max(self._row_h, h)

    def annotation(self, name: str, query: dict[str, Any], color: str) -> None:
        self.annotations.append({"name": name, "datasource": query["datasource"], "enable": True,
                                 "iconColor": color, "target": query})

    def _newline(self) -> None:
        self._y += self._row_h
        self._x = self._row_h = 0

    def to_json(self) -> dict[str, Any]:
        builtin = {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                   "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
                   "type": "dashboard"}
        return {
            "uid": self.uid, "title": self.title, "description": self.description, "tags": TAGS,
            "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1, "timezone": "browser",
            "time": {"from": self.time_from, "to": "now"}, "refresh": "5m",
            "templating": {"list": self.variables},
            "annotations": {"list": [builtin, *self.annotations]},
            "links": self.links or [{"title": "tracker", "type": "dashboards", "tags": TAGS, "asDropdown": True}],
            "panels": self.panels,
        }


def ch_variable(name: str, label: str, query: str, *, multi: bool = False, include_all: bool = False,
                hide: int = 0, sort: int = 1) -> dict[str, Any]:
    """A ClickHouse query variable, refreshed on load; ``sort=0`` keeps the query's order (the first
    value is the default), 1 sorts alphabetically."""
    return {"name": name, "label": label, "type": "query", "datasource": CLICKHOUSE, "query": _dedent(query),
            "definition": _dedent(query), "refresh": 1, "sort": sort, "multi": multi, "includeAll": include_all,
            "hide": hide, "current": {}, "options": []}


def prom_variable(name: str, label: str, query: str, *, include_all: bool = True) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "query", "datasource": PROMETHEUS,
            "query": {"query": query, "refId": f"{name}-query"}, "definition": query, "refresh": 2, "sort": 1,
            "multi": True, "includeAll": include_all, "current": {}, "options": []}


TENANT = ch_variable("tenant", "Tenant", "SELECT DISTINCT tenant FROM posts FINAL WHERE deleted = 0 ORDER BY tenant")
CAMPAIGN = ch_variable("campaign", "Campaign", """
    SELECT DISTINCT campaign_id FROM posts FINAL
    WHERE tenant = '${tenant}' AND deleted = 0 ORDER BY campaign_id""", multi=True, include_all=True)
PLATFORM = ch_variable("platform", "Platform", """
    SELECT DISTINCT platform FROM posts FINAL
    WHERE tenant = '${tenant}' AND deleted = 0 ORDER BY platform""", multi=True, include_all=True)

IN_CAMPAIGN = "$__conditionalAll(campaign_id IN (${campaign:singlequote}), $campaign)"
DEFAULT_ZONE = "Asia/Shanghai"  # a campaign's time zone when none is given (the campaigns table's default, 0001)
# hidden: the selected campaigns' time zone, the default when they have several (or there is none), so that
# daily points start at the campaign's midnight; Grafana interpolates it before ClickHouse, which wants a constant
ZONE = ch_variable("zone", "Time zone", f"""
    SELECT if(uniqExact(campaign_zone) = 1, any(campaign_zone), '{DEFAULT_ZONE}') AS zone
    FROM (SELECT if(time_zone = '', '{DEFAULT_ZONE}', toString(time_zone)) AS campaign_zone FROM campaigns FINAL
          WHERE tenant = '${{tenant}}' AND {IN_CAMPAIGN})""", hide=2)
IN_ZONE = (f"Points of several hours or days run from midnight in the campaign's time zone ({DEFAULT_ZONE} when "
           "the selected campaigns have different zones), not from UTC's; weeks from Monday, months from the first.")
ON_PLATFORM = "$__conditionalAll(platform IN (${platform:singlequote}), $platform)"
# alerts, pulses: the worker keeps a post's rows when the post leaves the registry (deleted = 1), firing
# alerts included; the boards and alert rules leave them out, as the ROI views leave out its costs
NOT_DELETED = "post_id NOT IN (SELECT post_id FROM posts FINAL WHERE tenant = '${tenant}' AND deleted = 1)"
NOT_DELETED_ANY_TENANT = "(tenant, post_id) NOT IN (SELECT tenant, post_id FROM posts FINAL WHERE deleted = 1)"
COUNTS = "Counts over Grafana's rate interval ending at each point (increase), not per-second rates."
NO_PLATFORM_IN_CAMPAIGN = ("The Platform variable does not apply: v_roi_campaign totals a campaign over all its "
                           "platforms, with campaign-level spend no platform owns (per platform: ROI by platform).")
POST_LINK = [{"title": "Pulse curve of ${__data.fields.post_id}",
              "url": "/d/tracker-post-pulses/?var-tenant=${tenant}&var-post=${__data.fields.post_id}&${__url_time_range}"}]


def zone_bucket(column: str, indent: int = 0) -> str:
    """SQL: the start (UTC) of the point of Grafana's interval, one hour at least, that holds ``column``:
    calendar months in ``$zone`` for an interval of 30 days or more, weeks from Monday 00:00 there for one of
    7 days or more, whole days from midnight there for one of a day or more, whole hours from that midnight
    for one of several hours, the hour itself below. An interval in seconds would not do: ClickHouse aligns
    those on the UTC epoch whatever the zone, so a Shanghai day ran from 08:00 to 08:00 and a week from
    Thursday. ``indent``: the column the expression starts at in its query, for the lines after the first."""
    zone = "${zone:singlequote}"

    def calendar(seconds: int, unit: str) -> str:  # months and weeks are dates: their midnight in the zone
        return (f"    toDateTime(toStartOfInterval({column}, INTERVAL greatest(intDiv($__interval_s, {seconds}), 1) "
                f"{unit}, {zone}), {zone}),")

    lines = ["toTimeZone(multiIf(",
             "    $__interval_s >= 2592000,", calendar(2592000, "MONTH"),
             "    $__interval_s >= 604800,", calendar(604800, "WEEK"),
             "    $__interval_s >= 86400,",
             f"    toStartOfInterval({column}, INTERVAL greatest(intDiv($__interval_s, 86400), 1) DAY, {zone}),",
             "    $__interval_s >= 7200,",
             f"    toStartOfInterval({column}, INTERVAL greatest(intDiv($__interval_s, 3600), 1) HOUR, {zone}),",
             f"    toStartOfHour({column})), 'UTC')"]
    return ("\n" + " " * indent).join(lines)


def display_names(names: dict[str, str]) -> list[dict[str, Any]]:
    """Field overrides that show a column under a name that says its unit."""
    return [{"matcher": {"id": "byName", "options": column}, "properties": [{"id": "displayName", "value": shown}]}
            for column, shown in names.items()]


TIER_COLUMNS = display_names({
    **{f"cpm_{q}": f"CPM {q} (cost / 1,000 views)" for q in ("p25", "p50", "p75")},
    **{f"cpe_{q}": f"CPE {q} (cost / engagement)" for q in ("p25", "p50", "p75")},
    "engagements_per_1k_p50": "engagements / 1,000 spent (p50)",
    "saves_per_1k_p50": "saves / 1,000 spent (p50)",
})


def table_options(sort_by: str | None = None, desc: bool = True) -> dict[str, Any]:
    opts: dict[str, Any] = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    if sort_by:
        opts["sortBy"] = [{"displayName": sort_by, "desc": desc}]
    return opts


# -- the dashboards -------------------------------------------------------------------------------


def campaign_roi() -> Board:
    b = Board("tracker-campaign-roi", "tracker / Campaign ROI",
              "What each campaign returned, in its reporting currency: spend by component, outcomes, "
              "cost per result, EMV, ROAS, tail contribution and heating efficiency (views v_roi_*).",
              [TENANT, CAMPAIGN, PLATFORM, ZONE], time_from="now-30d")
    scope = f"tenant = '${{tenant}}' AND {IN_CAMPAIGN}"
    b.row("Campaigns")
    b.panel("table", "Campaigns: spend, outcomes, ratios", [sql(f"""
        SELECT campaign_id, campaign_name, currency, posts, creators, spend, views, engagements, saves, searches,
               cpm, cpe, cost_per_save, cost_per_search, emv, emv_return, revenue, roas,
               tail_contribution, heating_efficiency, fx_missing, likes_hidden_posts
        FROM v_roi_campaign
        WHERE {scope}
        ORDER BY spend DESC""")], w=24, h=8, decimals=2, options=table_options("spend"),
            counts=("posts", "creators", "views", "engagements", "saves", "searches", "fx_missing",
                    "likes_hidden_posts"),
            description="NULL (n/a) where a metric is not exposed by the platforms or an FX rate is missing "
                        "(fx_missing counts the unconverted lines). CPE is n/a when a campaign mixes platforms, "
                        "and leaves out the posts whose likes are hidden (likes_hidden_posts; their CPE is n/a). "
                        + NO_PLATFORM_IN_CAMPAIGN)
    b.panel("barchart", "Spend by component", [sql(f"""
        SELECT concat(campaign_id, ' (', currency, ')') AS campaign, fee, service_fee, bundle_share, extra, heating,
               campaign_level_spend
        FROM v_roi_campaign
        WHERE {scope}
        ORDER BY campaign_id""")], w=12, h=8,
            options={"stacking": "normal", "orientation": "horizontal", "xField": "campaign"},
            description="Each campaign's spend by component, in its reporting currency (named beside the campaign: "
                        "campaigns in different currencies share the axis). " + NO_PLATFORM_IN_CAMPAIGN)
    b.panel("timeseries", "Engagements gained per hour, by platform", [sql(f"""
        SELECT {zone_bucket("c.hour", indent=15)} AS time,
               p.platform AS platform, sum(c.velocity) / uniqExact(c.hour) AS engagements
        FROM (SELECT * FROM curves FINAL WHERE tenant = '${{tenant}}' AND metric = 'engagements'
              AND $__timeFilter(hour)) AS c
        INNER JOIN (SELECT post_id, platform FROM posts FINAL
                    WHERE {scope} AND {ON_PLATFORM} AND deleted = 0) AS p ON p.post_id = c.post_id
        GROUP BY time, platform
        ORDER BY time""", series=True)], w=12, h=8, unit="short",
            description="Engagements the platform's posts gained per hour (hourly velocities summed over posts), "
                        "averaged over the hours of each point's interval (one hour or Grafana's interval if "
                        "longer) that have curves: a long range shows the mean hourly gain, never the sum of the "
                        "hours, and a day still in progress is not diluted by its hours to come. " + IN_ZONE)
    b.row("By platform and tier")
    by_platform = "$__conditionalAll(value IN (${platform:singlequote}), $platform)"
    for dimension, title, only, note in (
            ("platform", "ROI by platform", f" AND {by_platform}", ""),
            ("tier", "ROI by creator tier", "",
             "The Platform variable does not apply: v_roi_by groups each tier's posts over all platforms "
             "(tiers per platform: tracker / Creators and tiers).")):
        b.panel("table", title, [sql(f"""
            SELECT campaign_id, value AS {dimension}, currency, posts, spend, views, engagements,
                   cpm, cpe, cost_per_save, cost_per_search, cost_per_intent_comment, emv_return, roas,
                   tail_contribution, heating_efficiency
            FROM v_roi_by
            WHERE {scope} AND dimension = '{dimension}'{only}
            ORDER BY campaign_id, spend DESC""")], w=12, h=9, decimals=2, description=note,
            counts=("posts", "views", "engagements"))
    b.row("Posts")
    b.panel("table", "Posts by spend", [sql(f"""
        SELECT post_id, platform, creator_id, creator_tier, currency, spend, heating, views, engagements, saves,
               cpm, cpe, tail_contribution, heating_efficiency, roas
        FROM v_roi_post
        WHERE {scope} AND {ON_PLATFORM}
        ORDER BY spend DESC
        LIMIT 200""")], w=24, h=10, decimals=2, links=POST_LINK, options=table_options("spend"),
            counts=("views", "engagements", "saves"))
    return b


def post_pulses() -> Board:
    post = ch_variable("post", "Post", f"""
        SELECT post_id FROM posts FINAL
        WHERE tenant = '${{tenant}}' AND {IN_CAMPAIGN} AND deleted = 0 ORDER BY post_id""")
    # the metrics this post has curves for: searches only where the platform exposes it, EMV where unit
    # values price it (v_curves, in the campaign's currency); engagements first
    metric = ch_variable("metric", "Metric", """
        SELECT DISTINCT metric FROM v_curves
        WHERE tenant = '${tenant}' AND post_id = '${post}'
        ORDER BY metric != 'engagements', metric""", sort=0)
    b = Board("tracker-post-pulses", "tracker / Post pulse curves",
              "One post's hourly velocity and cumulative curve with its pulses; heating windows, pulse "
              "onsets and alerts are annotations. Only observed hours drive onset and decay decisions.",
              [TENANT, CAMPAIGN, post, metric], time_from="now-14d")
    one = "tenant = '${tenant}' AND post_id = '${post}'"
    b.annotation("Heating windows", sql(f"""
        SELECT start_at AS time, ifNull(end_at, start_at + INTERVAL 24 HOUR) AS timeEnd,
               concat(channel, ' · ', status, ' · ', ifNull(toString(spend_amount), 'n/a'), ' ', spend_currency) AS text,
               ['heating', toString(status)] AS tags
        FROM heating_nodes FINAL
        WHERE {one} AND start_at <= $__toTime AND ifNull(end_at, start_at + INTERVAL 24 HOUR) >= $__fromTime
        ORDER BY time"""), "orange")
    b.annotation("Pulse onsets", sql(f"""
        SELECT onset AS time, concat('pulse ', toString(pulse_index), ' (', toString(trigger), ', ', toString(status), ')') AS text,
               ['pulse', toString(trigger)] AS tags
        FROM pulses FINAL
        WHERE {one} AND $__timeFilter(onset)
        ORDER BY time"""), "purple")
    b.annotation("Alerts", sql(f"""
        SELECT starts_at AS time, ends_at AS timeEnd, concat(toString(alert), ': ', summary) AS text,
               ['alert', toString(alert), toString(state)] AS tags
        FROM alerts FINAL
        WHERE {one} AND starts_at <= $__toTime AND ifNull(ends_at, $__toTime) >= $__fromTime
        ORDER BY time"""), "red")
    b.panel("timeseries", "Velocity per hour (${metric})", [sql(f"""
        SELECT hour AS time, velocity AS `${{metric}} per hour`
        FROM v_curves
        WHERE {one} AND metric = '${{metric}}' AND $__timeFilter(hour)
        ORDER BY time""", series=True)], w=16, h=10, unit="short",
            description="Velocity per hour on the hourly grid (running maximum: a counter never goes back).")
    b.panel("stat", "Long tail", [sql(f"""
        SELECT tail_share, organic_tail_share, paid_tail_share,
               projected_30d, projected_30d_low, projected_30d_high, loglinear_30d,
               projected_90d, projected_90d_low, projected_90d_high, loglinear_90d
        FROM long_tail FINAL
        WHERE {one}""")], w=8, h=10, decimals=2,
            description="Tail share = engagements after the 72 h burst window ÷ total. Projected engagements at "
                        "30 and 90 days from the current pulse's fitted decay, with their 80 % interval (empty "
                        "until 72 h of the pulse are in), beside the log-linear baseline's (always there).")
    b.panel("timeseries", "Cumulative (${metric}), observed vs interpolated", [sql(f"""
        SELECT hour AS time, cumulative AS `${{metric}}`, if(observed = 1, cumulative, NULL) AS observed
        FROM v_curves
        WHERE {one} AND metric = '${{metric}}' AND $__timeFilter(hour)
        ORDER BY time""", series=True)], w=24, h=8, unit="short")
    b.panel("table", "Pulses", [sql(f"""
        SELECT p.pulse_index AS pulse_index, p.trigger AS trigger, p.status AS status, p.onset AS onset,
               p.peak_at AS peak_at, p.peak_velocity AS peak_velocity, p.baseline AS baseline,
               p.rise_hours AS rise_hours, p.half_life_hours AS half_life_hours, p.theta AS theta,
               p.fit_r2 AS fit_r2, p.fit_note AS fit_note, p.incremental_engagements AS incremental_engagements,
               e.spend AS spend, if(p.trigger = 'heating', e.currency, '') AS currency,
               e.efficiency AS engagements_per_spend,
               if(e.spend > 0 AND p.incremental_engagements >= 1, e.spend / p.incremental_engagements, NULL)
                   AS cost_per_incremental
        FROM (SELECT * FROM pulses FINAL WHERE {one} AND status != 'removed') AS p
        LEFT JOIN (SELECT pulse_index, currency, spend, efficiency FROM v_heating_efficiency WHERE {one}) AS e
            ON e.pulse_index = p.pulse_index
        ORDER BY pulse_index""")], w=24, h=7, decimals=2, counts=("pulse_index",),
            description="status: rising (before its peak), decaying (past its peak, still falling), settled "
                        "(run its course: what PostDecaying alerts on while a re-heat can still pay), "
                        "no-response (a heating node with no detectable rise). spend: the pulse's heating "
                        "nodes, each converted to the campaign's currency at its own date (n/a without a "
                        "rate); cost per incremental engagement is n/a until the pulse has earned one.")
    b.panel("table", "Heating nodes", [sql(f"""
        SELECT heating_id, channel, status, start_at, end_at, spend_amount, spend_currency
        FROM heating_nodes FINAL
        WHERE {one}
        ORDER BY start_at""")], w=24, h=6)
    return b


def decaying_posts() -> Board:
    b = Board("tracker-decaying-posts", "tracker / Decaying posts",
              "Posts alerted as decaying (PostDecaying: the current pulse has run its course, pulse status "
              "settled, while a re-heat can still pay) with the suggested re-heat; pulses past their peak and "
              "still falling (pulse status decaying, not alerted yet), apart from falling pulses whose peak was "
              "not observed; and the other post alerts.",
              [TENANT, CAMPAIGN], time_from="now-7d")
    scope = f"tenant = '${{tenant}}' AND {IN_CAMPAIGN}"
    b.panel("stat", "Post alerts firing", [sql(f"""
        SELECT alert, count() AS firing
        FROM alerts FINAL
        WHERE {scope} AND state = 'firing' AND {NOT_DELETED}
        GROUP BY alert
        ORDER BY alert""")], w=24, h=4, options={"reduceOptions": {"values": True, "calcs": ["lastNotNull"]},
                                                  "textMode": "value_and_name"})
    b.panel("table", "Alerted as decaying (PostDecaying firing): re-heat candidates", [sql(f"""
        SELECT a.post_id AS post_id, p.platform AS platform, p.creator_id AS creator_id, p.creator_tier AS tier,
               a.campaign_id AS campaign_id, a.starts_at AS alerted_at,
               parseDateTime64BestEffortOrNull(JSONExtractString(a.evidence, 'decaying_since_at'), 3, 'UTC')
                   AS decaying_since,
               a.summary AS summary,
               JSONExtractString(a.suggestion, 'channel') AS suggested_channel,
               JSONExtractString(a.suggestion, 'spend', 'amount') AS suggested_spend,
               JSONExtractString(a.suggestion, 'spend', 'currency') AS currency,
               if(JSONHas(a.suggestion, 'expected_engagements'),
                  arrayFirst(kv -> startsWith(kv.1, 'expected_engagements_per_'),
                             JSONExtractKeysAndValues(a.suggestion, 'Float64')).2, NULL)
                   AS expected_engagements_per_unit,
               if(JSONHas(a.suggestion, 'expected_engagements'),
                  JSONExtractFloat(a.suggestion, 'expected_engagements'), NULL) AS expected_engagements,
               JSONExtractString(a.suggestion, 'basis') AS basis,
               t.views AS views, t.engagements AS engagements
        FROM (SELECT * FROM alerts FINAL WHERE {scope} AND alert = 'PostDecaying' AND state = 'firing'
                AND {NOT_DELETED}) AS a
        LEFT JOIN (SELECT post_id, platform, creator_id, creator_tier FROM posts FINAL
                   WHERE tenant = '${{tenant}}') AS p ON p.post_id = a.post_id
        LEFT JOIN (SELECT post_id, views, engagements FROM post_totals FINAL
                   WHERE tenant = '${{tenant}}') AS t ON t.post_id = a.post_id
        ORDER BY alerted_at""")], w=24, h=10, links=POST_LINK, options=table_options(),
            description="Posts whose PostDecaying alert is firing (alerts table): the current pulse has run its "
                        "course (its velocity has stayed within decay_fraction, 25 %, of the way from baseline to "
                        "peak for decay_hours, 3 h, and the gain projected over the next 72 h is at most "
                        "decay_gain_ratio, 10 %, of the pulse's lift so far; the pulses table records it as "
                        "status settled), no heating is planned in the next 24 h and the post is still tracked. "
                        "A re-heat can still pay: the suggestion gives channel, spend, the engagements to expect "
                        "per unit of that currency (expected_engagements_per_unit) and in all. The alert "
                        "resolves when a new pulse starts or tracking ends. alerted_at is "
                        "when the alert fired; decaying_since when the pulse's velocity fell under the decay "
                        "line, as the alert's message says (the two differ while the projected gain is still "
                        "above 10 % of the lift).")
    b.panel("timeseries", "Alerts started per hour", [sql(f"""
        SELECT toStartOfHour(starts_at) AS time, alert, count() AS started
        FROM alerts FINAL
        WHERE {scope} AND {NOT_DELETED} AND $__timeFilter(starts_at)
        GROUP BY time, alert
        ORDER BY time""", series=True)], w=12, h=8, unit="short",
            description="Post alerts by the hour they started (UTC hours, whatever the time range).")

    def falling(columns: str, peak: str) -> str:
        """Current pulses with status decaying, with an observed peak (``NOT NULL``) or without (``NULL``)."""
        return f"""
            SELECT {columns}
            FROM (SELECT * FROM pulses FINAL WHERE tenant = '${{tenant}}' AND ends_at IS NULL
                  AND status = 'decaying' AND peak_at IS {peak}) AS u
            INNER JOIN (SELECT post_id, platform FROM posts FINAL WHERE {scope} AND deleted = 0) AS p
                ON p.post_id = u.post_id
            ORDER BY onset"""

    b.panel("table", "Pulses past their peak, still falling (status decaying)", [sql(falling(
        "u.post_id AS post_id, p.platform AS platform, u.pulse_index AS pulse, u.trigger AS trigger, "
        "u.onset AS onset, u.peak_at AS peak_at, u.peak_velocity AS peak_velocity, u.baseline AS baseline, "
        "u.half_life_hours AS half_life_hours, u.incremental_engagements AS incremental", "NOT NULL"))],
        w=12, h=8, decimals=1, links=POST_LINK, counts=("pulse",),
        description="Current pulses with status decaying and an observed peak: past their peak and still "
                    "falling, so not (yet) what PostDecaying alerts on. The alert fires once a pulse has run "
                    "its course (status settled: back near its baseline with little gain left) while it can "
                    "still be re-heated; those posts are in the re-heat candidates table above. Falling pulses "
                    "whose peak was not observed are in the table below.")
    b.panel("table", "Pulses falling with no observed peak (status decaying)", [sql(falling(
        "u.post_id AS post_id, p.platform AS platform, u.pulse_index AS pulse, u.trigger AS trigger, "
        "u.onset AS onset, u.baseline AS baseline, u.incremental_engagements AS incremental, "
        "u.fit_note AS why_no_peak", "NULL"))],
        w=24, h=6, decimals=1, links=POST_LINK, counts=("pulse",),
        description="Current pulses with status decaying whose rise and peak were not observed (no snapshot "
                    "within 6 h of the onset: a post first tracked late, a collection gap), so they have no "
                    "peak, half-life nor decay exponent to show; they are falling all the same.")
    b.panel("table", "Other post alerts (firing and resolved in range)", [sql(f"""
        SELECT alert, state, severity, post_id, campaign_id, starts_at, ends_at, summary
        FROM alerts FINAL
        WHERE {scope} AND alert != 'PostDecaying' AND {NOT_DELETED}
          AND starts_at <= $__toTime AND ifNull(ends_at, $__toTime) >= $__fromTime
        ORDER BY starts_at DESC
        LIMIT 500""")], w=24, h=8, links=POST_LINK)
    return b


def creators_tiers() -> Board:
    b = Board("tracker-creators", "tracker / Creators and tiers",
              "The creator pool across campaigns (scorecard in the tenant's reporting currency) and tier "
              "comparisons per platform as distributions (p25 / p50 / p75): cost per 1,000 views (CPM), cost per "
              "engagement (CPE) and outcomes per 1,000 of spend.",
              [TENANT, CAMPAIGN, PLATFORM], time_from="now-90d")
    b.panel("table", "Creator scorecard", [sql(f"""
        SELECT creator_id, name, tier, followers, campaigns, posts, currency, spend, save_rate, search_rate,
               intent_rate, tail_share, heating_response, heating_pulses, arrayStringConcat(tags, ', ') AS tags
        FROM v_creator_scorecard
        WHERE tenant = '${{tenant}}'
          AND creator_id IN (SELECT creator_id FROM posts FINAL
                             WHERE tenant = '${{tenant}}' AND deleted = 0 AND {IN_CAMPAIGN} AND {ON_PLATFORM})
        ORDER BY spend DESC
        LIMIT 500""")], w=24, h=10, decimals=3, options=table_options("spend"),
            counts=("followers", "campaigns", "posts", "heating_pulses"),
            description="The creators with posts in the selected campaigns and on the selected platforms. Their "
                        "figures are the scorecard's (v_creator_scorecard): over all their campaigns and "
                        "platforms, in the tenant's reporting currency, whatever the selection.")
    b.panel("table", "Tiers: CPM, CPE (p25 / p50 / p75) and outcomes per 1,000 of spend (p50)", [sql(f"""
        SELECT campaign_id, platform, creator_tier, currency, posts, total_spend,
               cpm_q[1] AS cpm_p25, cpm_q[2] AS cpm_p50, cpm_q[3] AS cpm_p75,
               cpe_q[1] AS cpe_p25, cpe_q[2] AS cpe_p50, cpe_q[3] AS cpe_p75,
               engagements_per_1k_q[2] AS engagements_per_1k_p50, saves_per_1k_q[2] AS saves_per_1k_p50
        FROM v_tier_distribution
        WHERE tenant = '${{tenant}}' AND {IN_CAMPAIGN} AND {ON_PLATFORM}
        ORDER BY campaign_id, platform, creator_tier""")], w=24, h=9, decimals=2, overrides=TIER_COLUMNS,
            counts=("posts",),
            description="Quartiles over each tier's posts, in the row's currency: CPM is the cost per 1,000 views, "
                        "CPE the cost per engagement (it compares posts within one platform only); engagements "
                        "and saves per 1,000 of spend are the median post's outcomes for every 1,000 spent.")
    b.panel("barchart", "Posts per tier and platform", [sql(f"""
        SELECT creator_tier, countIf(platform = 'douyin') AS douyin, countIf(platform = 'xiaohongshu') AS xiaohongshu,
               countIf(platform = 'weibo') AS weibo, countIf(platform = 'kuaishou') AS kuaishou,
               countIf(platform = 'bilibili') AS bilibili, countIf(platform = 'wechat_channels') AS wechat_channels,
               countIf(platform = 'tiktok') AS tiktok, countIf(platform = 'instagram') AS instagram,
               countIf(platform = 'youtube') AS youtube
        FROM posts FINAL
        WHERE tenant = '${{tenant}}' AND deleted = 0 AND {IN_CAMPAIGN} AND {ON_PLATFORM}
        GROUP BY creator_tier
        ORDER BY creator_tier""")], w=12, h=8, options={"stacking": "normal", "xField": "creator_tier"})
    b.panel("table", "Accounts in the pool", [sql(f"""
        SELECT c.creator_id AS creator_id, c.name AS name, c.tier AS tier, a.platform AS platform,
               a.handle AS handle, a.followers AS followers
        FROM (SELECT * FROM creators FINAL WHERE tenant = '${{tenant}}'
              AND $__conditionalAll(creator_id IN (SELECT creator_id FROM posts FINAL
                                                   WHERE tenant = '${{tenant}}' AND deleted = 0
                                                     AND campaign_id IN (${{campaign:singlequote}})), $campaign)) AS c
        INNER JOIN (SELECT * FROM creator_accounts FINAL WHERE tenant = '${{tenant}}' AND {ON_PLATFORM}) AS a
            ON a.creator_id = c.creator_id
        ORDER BY followers DESC
        LIMIT 500""")], w=12, h=8,
            description="The pool's accounts on the selected platforms; with campaigns selected, only the "
                        "accounts of creators with posts in them (All: every creator, posted or not).")
    return b


def pipeline_health() -> Board:
    job = prom_variable("job", "Job", 'label_values(up{job=~"tracker.*"}, job)')
    instance = prom_variable("instance", "Instance", 'label_values(up{job=~"$job"}, instance)')
    b = Board("tracker-pipeline", "tracker / Pipeline health",
              "Every tracker process: collectors, stream worker, sink, notifications (Prometheus), and what "
              "reached the store (ClickHouse). Alerts: deploy/prometheus/rules, runbook: docs/runbook.md.",
              [job, instance], time_from="now-6h")
    sel = 'job=~"$job", instance=~"$instance"'
    b.row("Processes")
    b.panel("stat", "Up", [promql(f"up{{{sel}}}", "{{instance}}")], w=6, h=4)
    b.panel("stat", "Tracked posts", [promql(f"sum(tracker_tracked_posts{{{sel}}})", "posts")], w=6, h=4)
    b.panel("stat", "State size", [promql(f"sum(tracker_state_bytes{{{sel}}})", "bytes")], w=6, h=4, unit="bytes")
    b.panel("stat", "Post alerts firing", [sql(f"""
        SELECT alert, count() AS firing
        FROM alerts FINAL
        WHERE state = 'firing' AND {NOT_DELETED_ANY_TENANT}
        GROUP BY alert
        ORDER BY alert""")], w=6, h=4, no_value="0",
            options={"reduceOptions": {"values": True, "calcs": ["lastNotNull"]}, "textMode": "value_and_name"},
            description="Post alert episodes whose latest row in the store (alerts FINAL: one row per alert and "
                        "start, the newest version) is firing, per alert type, over every tenant (posts deleted from "
                        "the registry left out): what the worker decided, whether or not a notifier runs.")
    b.row("Collectors")
    b.panel("timeseries", "Requests per second by platform and outcome", [promql(
        f"sum by (platform, outcome) (rate(tracker_collector_requests_total{{{sel}}}[$__rate_interval]))",
        "{{platform}} {{outcome}}")], w=12, unit="reqps")
    b.panel("timeseries", "Request latency p95 by platform", [promql(
        "histogram_quantile(0.95, sum by (platform, le) "
        f"(rate(tracker_collector_request_duration_seconds_bucket{{{sel}}}[$__rate_interval])))",
        "{{platform}}")], w=12, unit="s")
    b.panel("timeseries", "Quota remaining", [promql(
        f"min by (platform) (tracker_collector_quota_remaining{{{sel}}} >= 0)", "{{platform}}")], w=8, unit="short",
            description="Requests (or quota units) left in each platform's current quota period. Platforms "
                        "without a daily quota (the collector reports -1) are not plotted.")
    b.panel("state-timeline", "Quota exhausted / breaker open", [
        promql(f"max by (platform) (tracker_collector_quota_exhausted{{{sel}}})", "quota {{platform}}"),
        promql(f"max by (platform) (tracker_collector_breaker_open{{{sel}}})", "breaker {{platform}}", ref="B")],
        w=8)
    b.panel("timeseries", "Share of time waiting for rate limits", [promql(
        f"sum by (platform) (rate(tracker_collector_rate_limit_wait_seconds_total{{{sel}}}[$__rate_interval]))",
        "{{platform}}")], w=8, unit="percentunit")
    b.panel("timeseries", "Snapshots produced per second", [promql(
        f"sum by (platform) (rate(tracker_snapshots_produced_total{{{sel}}}[$__rate_interval]))", "{{platform}}")],
        w=12, unit="short")
    b.panel("timeseries", "Produce errors per second", [promql(
        f"sum by (topic) (rate(tracker_produce_errors_total{{{sel}}}[$__rate_interval]))", "{{topic}}")],
        w=12, unit="short")
    b.panel("timeseries", "Refreshes behind schedule (seconds, event time)", [promql(
        f"max by (platform) (tracker_collect_lag_seconds{{{sel}}})", "{{platform}}")], w=8, unit="s")
    b.panel("timeseries", "Posts scheduled", [promql(
        f"sum by (platform) (tracker_collect_scheduled_posts{{{sel}}})", "{{platform}}")], w=8, unit="short")
    b.panel("timeseries", "Refreshes deferred to save quota", [promql(
        f"sum by (platform, priority) (increase(tracker_collect_deferred_total{{{sel}}}[$__rate_interval]))",
        "{{platform}} {{priority}}")], w=8, unit="short")
    b.panel("timeseries", "Retries, failed refreshes, risk-control answers", [
        promql(f"sum by (platform, reason) (increase(tracker_collect_retries_total{{{sel}}}[$__rate_interval]))",
               "retry {{platform}} {{reason}}"),
        promql(f"sum by (platform, reason) "
               f"(increase(tracker_collect_refresh_failures_total{{{sel}}}[$__rate_interval]))",
               "failed {{platform}} {{reason}}", ref="B"),
        promql(f"sum by (platform) (increase(tracker_collect_risk_control_total{{{sel}}}[$__rate_interval]))",
               "risk control {{platform}}", ref="C")], w=8, unit="short", description=COUNTS)
    b.panel("timeseries", "Share of time held back (backoff, Retry-After, risk control, usage)", [
        promql(f"sum by (platform, reason) (rate(tracker_collect_backoff_seconds_total{{{sel}}}[$__rate_interval]))",
               "{{platform}} {{reason}}")], w=8, unit="percentunit",
            description="Seconds requests were held back per second, by platform and reason. Requests held at the "
                        "same time add up, so it can pass 100 %; a risk-control pause counts in full when it "
                        "starts. The risk-control answers themselves are counted beside retries.")
    b.panel("timeseries", "Comments, unavailable posts, registry messages", [
        promql(f"sum by (platform) (increase(tracker_collect_comments_total{{{sel}}}[$__rate_interval]))",
               "comments {{platform}}"),
        promql(f"sum by (platform) (increase(tracker_collect_unavailable_total{{{sel}}}[$__rate_interval]))",
               "unavailable {{platform}}", ref="B"),
        promql(f"sum by (topic, result) (increase(tracker_collect_registry_messages_total{{{sel}}}[$__rate_interval]))",
               "registry {{topic}} {{result}}", ref="C")], w=8, unit="short", description=COUNTS)
    b.row("Stream")
    b.panel("timeseries", "Events processed per second", [promql(
        f"sum by (topic) (rate(tracker_events_processed_total{{{sel}}}[$__rate_interval]))", "{{topic}}")],
        w=8, unit="short")
    b.panel("timeseries", "DLQ per second by reason", [promql(
        f"sum by (topic, reason) (rate(tracker_dlq_messages_total{{{sel}}}[$__rate_interval]))",
        "{{topic}} {{reason}}")], w=8, unit="short")
    b.panel("timeseries", "Consumer lag (messages)", [promql(
        f"max by (topic) (tracker_consumer_lag{{{sel}}})", "{{topic}}")], w=8, unit="short")
    b.panel("timeseries", "Late snapshots per second", [promql(
        f"sum(rate(tracker_late_snapshots_total{{{sel}}}[$__rate_interval]))", "late")], w=8, unit="short")
    b.panel("timeseries", "Batch duration p95", [promql(
        "histogram_quantile(0.95, sum by (le) "
        f"(rate(tracker_worker_batch_duration_seconds_bucket{{{sel}}}[$__rate_interval])))", "p95")],
        w=8, unit="s")
    b.panel("timeseries", "Seconds since the last stored batch", [promql(
        f"time() - max by (instance) (tracker_sink_last_success_timestamp_seconds{{{sel}}})", "{{instance}}")],
        w=8, unit="s")
    b.row("Sink")
    b.panel("timeseries", "Rows stored per second by table", [promql(
        f"sum by (table) (rate(tracker_sink_rows_total{{{sel}}}[$__rate_interval]))", "{{table}}")],
        w=8, unit="short")
    b.panel("timeseries", "Rows per insert (p50) by table", [promql(
        "histogram_quantile(0.5, sum by (table, le) "
        f"(rate(tracker_sink_batch_rows_bucket{{{sel}}}[$__rate_interval])))", "{{table}}")], w=8, unit="short")
    b.panel("timeseries", "Insert duration p99 by table", [promql(
        "histogram_quantile(0.99, sum by (table, le) "
        f"(rate(tracker_sink_insert_duration_seconds_bucket{{{sel}}}[$__rate_interval])))", "{{table}}")],
        w=8, unit="s")
    b.panel("timeseries", "Insert retries per second", [
        promql(f"sum by (table) (rate(tracker_sink_insert_retries_total{{{sel}}}[$__rate_interval]))", "{{table}}")],
        w=8, unit="short")
    b.panel("timeseries", "Fatal insert errors", [
        promql(f"sum by (instance) (increase(tracker_sink_fatal_errors_total{{{sel}}}[$__rate_interval]))",
               "{{instance}}")], w=8, unit="short",
            description="Unrecoverable insert errors (the process stops). " + COUNTS)
    b.panel("state-timeline", "Sink paused (store unavailable)", [promql(
        f"max by (instance) (tracker_sink_paused{{{sel}}})", "{{instance}}")], w=8)
    b.row("Notifications")
    b.panel("timeseries", "Notifications by channel and outcome", [promql(
        f"sum by (channel, outcome) (increase(tracker_notifications_total{{{sel}}}[$__rate_interval]))",
        "{{channel}} {{outcome}}")], w=8, unit="short")
    b.panel("timeseries", "Post alert changes emitted", [promql(
        f"sum by (alert, state) (increase(tracker_post_alerts_total{{{sel}}}[$__rate_interval]))",
        "{{alert}} {{state}}")], w=8, unit="short")
    b.panel("timeseries", "Alert messages read by outcome", [promql(
        f"sum by (outcome) (increase(tracker_notifier_messages_total{{{sel}}}[$__rate_interval]))",
        "{{outcome}}")], w=8, unit="short")
    b.panel("timeseries", "Alert changes per digest (p50)", [promql(
        "histogram_quantile(0.5, sum by (le) "
        f"(rate(tracker_notifier_digest_alerts_bucket{{{sel}}}[$__rate_interval])))", "p50")], w=8, unit="short")
    b.row("Store (ClickHouse)")
    b.panel("timeseries", "Snapshots stored per hour by platform", [sql("""
        SELECT toStartOfHour(observed_at) AS time, platform, count() AS snapshots
        FROM snapshots FINAL
        WHERE $__timeFilter(observed_at)
        GROUP BY time, platform
        ORDER BY time""", series=True)], w=12, unit="short",
            description="Snapshots stored, by the UTC hour they were observed: one per post and observation "
                        "time (FINAL), so a snapshot collected or imported twice counts once, before and after "
                        "the table's merges.")
    b.panel("table", "DLQ reasons in range", [sql("""
        SELECT source_topic, error_class, reason, count() AS messages, max(rejected_at) AS last_seen
        FROM dlq FINAL
        WHERE $__timeFilter(rejected_at)
        GROUP BY source_topic, error_class, reason
        ORDER BY messages DESC
        LIMIT 100""")], w=12)
    return b


def boards() -> list[Board]:
    """Every dashboard tracker provisions."""
    return [campaign_roi(), post_pulses(), decaying_posts(), creators_tiers(), pipeline_health()]


# -- Grafana alert rules on the ClickHouse views --------------------------------------------------


@dataclass(frozen=True)
class SqlAlert:
    """A Grafana-managed alert: a table query (string columns = labels, ``value``), reduced and compared."""

    uid: str
    title: str
    query: str
    threshold: float
    summary: str
    description: str
    severity: str = "warning"
    pending: str = "10m"
    window_s: int = 6 * 3600
    dashboard: str = "tracker-decaying-posts"


def refresh_hours(cadence: Cadence, age: str) -> str:
    """SQL: the hours between two refreshes of a post ``age`` hours old, as the collector schedules
    them (heating windows aside)."""
    arms = "".join(f"{age} < {below:g}, {every / 60:g}, " for below, every in sorted(cadence.steps))
    return f"multiIf({arms}{cadence.old_minutes / 60:g})"


def sql_alerts(settings: Settings | None = None) -> tuple[SqlAlert, ...]:
    """The Grafana alert rules for this configuration's collector cadence (the defaults without one)."""
    cadence = Cadence() if settings is None else Cadence.from_settings(settings)
    missed = (DEFAULT_PARAMS if settings is None else settings.analytics_params()).stalled_cadence_multiple
    return (
        SqlAlert(
            "tracker-decaying-unhandled", "Decaying posts waiting for a decision",
            f"""
            SELECT tenant, campaign_id, toFloat64(count()) AS value
            FROM alerts FINAL
            WHERE alert = 'PostDecaying' AND state = 'firing' AND starts_at <= now() - INTERVAL 12 HOUR
              AND {NOT_DELETED_ANY_TENANT}
            GROUP BY tenant, campaign_id""",
            0, "{{ $labels.tenant }} / {{ $labels.campaign_id }}: decaying posts unhandled for 12 h",
            "{{ $values.B }} posts have been decaying for more than 12 hours without a new pulse: re-heat them "
            "or accept the decay (docs/runbook.md#postdecaying)."),
        SqlAlert(
            "tracker-campaign-stale", "Campaign without fresh snapshots",
            f"""
            SELECT p.tenant AS tenant, p.campaign_id AS campaign_id,
                   toFloat64(dateDiff('minute', max(t.as_of), now())) / 60 AS value
            FROM (SELECT tenant, post_id, campaign_id, dateDiff('second', published_at, now()) / 3600 AS age_hours,
                         {refresh_hours(cadence, "age_hours")} AS refresh_hours
                  FROM posts FINAL
                  WHERE deleted = 0 AND (tracking_end IS NULL OR tracking_end > now())) AS p
            INNER JOIN (SELECT tenant, post_id, as_of FROM post_totals FINAL) AS t
                ON t.tenant = p.tenant AND t.post_id = p.post_id
            GROUP BY tenant, campaign_id
            HAVING value > {missed:g} * min(p.refresh_hours)""",
            6, "{{ $labels.tenant }} / {{ $labels.campaign_id }}: no fresh snapshot for {{ $values.B }} h",
            "The newest snapshot of the campaign's posts still inside their tracking window is over 6 hours old, "
            f"and {missed:g} refreshes late for the most often refreshed of them (the collector refreshes a post "
            f"every {cadence.old_minutes / 60:g} h after its first {max(b for b, _ in cadence.steps) / 24:g} days) "
            "(docs/runbook.md#trackernosnapshots).", dashboard="tracker-pipeline"),
        SqlAlert(
            "tracker-dlq-rows", "Messages rejected to the DLQ",
            """
            SELECT source_topic, toFloat64(count()) AS value
            FROM dlq FINAL
            WHERE $__timeFilter(rejected_at)
            GROUP BY source_topic""",
            100, "{{ $labels.source_topic }}: {{ $values.B }} messages rejected in 1 h",
            "Validation rejected over 100 messages in the last hour; the dlq table says why "
            "(docs/runbook.md#trackerdlqratehigh).", window_s=3600, dashboard="tracker-pipeline"),
        SqlAlert(
            "tracker-heating-no-response", "Heating with no response",
            f"""
            SELECT tenant, post_id, toFloat64(count()) AS value
            FROM pulses FINAL
            WHERE trigger = 'heating' AND status = 'no-response' AND $__timeFilter(onset)
              AND {NOT_DELETED_ANY_TENANT}
            GROUP BY tenant, post_id""",
            0, "{{ $labels.post_id }}: heating with no detectable response",
            "A heating node of {{ $labels.post_id }} produced no detectable rise in 3 days: check the delivery with "
            "the ad platform before the next spend.", severity="info", pending="0s", window_s=3 * 86400,
            dashboard="tracker-post-pulses"),
    )


SQL_ALERTS = sql_alerts()


def alert_rule(rule: SqlAlert) -> dict[str, Any]:
    query = {**sql(rule.query), "refId": "A"}
    return {
        "uid": rule.uid, "title": rule.title, "condition": "C",
        "data": [
            {"refId": "A", "relativeTimeRange": {"from": rule.window_s, "to": 0},
             "datasourceUid": CLICKHOUSE["uid"], "model": {**query, "intervalMs": 60000, "maxDataPoints": 43200}},
            {"refId": "B", "datasourceUid": "__expr__",
             "model": {"refId": "B", "type": "reduce", "expression": "A", "reducer": "last",
                       "settings": {"mode": "dropNN"}}},
            {"refId": "C", "datasourceUid": "__expr__",
             "model": {"refId": "C", "type": "threshold", "expression": "B",
                       "conditions": [{"evaluator": {"type": "gt", "params": [rule.threshold]}}]}},
        ],
        "noDataState": "OK", "execErrState": "Error", "for": rule.pending,
        "annotations": {"summary": rule.summary, "description": rule.description,
                        "__dashboardUid__": rule.dashboard},
        "labels": {"severity": rule.severity, "system": "tracker"},
        "isPaused": False,
    }


def alerting_provisioning(settings: Settings | None = None) -> dict[str, Any]:
    return {"apiVersion": 1, "groups": [{
        "orgId": 1, "name": "tracker-clickhouse", "folder": FOLDER, "interval": "5m",
        "rules": [alert_rule(rule) for rule in sql_alerts(settings)]}]}


# -- provisioning --------------------------------------------------------------------------------


def clickhouse_endpoint(settings: Settings) -> tuple[str, int, bool, str]:
    """(host, port, TLS, path) Grafana's plugin reaches over HTTP: the ClickHouse server of
    ``clickhouse_url``, or the embedded store's read endpoint."""
    url = settings.store_url
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        return parts.hostname or "127.0.0.1", parts.port or (8443 if secure else 8123), secure, parts.path.strip("/")
    if not url.startswith("chdb:"):
        scheme = urlsplit(url).scheme  # the scheme only: the URL may carry a password
        raise ConfigError(f"TRACKER_CLICKHOUSE_URL has {f'scheme {scheme!r}' if scheme else 'no scheme'}: "
                          "give http(s)://host:port for a ClickHouse server or chdb:///<path> for the embedded "
                          "store (Grafana then reads it through TRACKER_READ_HOST:TRACKER_READ_PORT)")
    return settings.read_host, settings.read_port, False, ""


def datasources_provisioning(settings: Settings) -> dict[str, Any]:
    host, port, secure, path = clickhouse_endpoint(settings)
    server = settings.store_url.startswith(("http://", "https://"))
    json_data: dict[str, Any] = {
        "host": host, "port": port, "protocol": "http", "secure": secure,
        "username": settings.clickhouse_user if server else "default",
        "defaultDatabase": settings.clickhouse_database, "queryTimeout": str(settings.read_max_execution_time),
        "dialTimeout": "10",
    }
    if path:
        json_data["path"] = path
    return {"apiVersion": 1, "datasources": [
        {"name": "tracker ClickHouse", "type": CLICKHOUSE["type"], "uid": CLICKHOUSE["uid"], "isDefault": True,
         "editable": False, "jsonData": json_data,
         # the password is read from Grafana's environment, never written here
         "secureJsonData": {"password": "${TRACKER_READ_PASSWORD}"}},
        {"name": "tracker Prometheus", "type": PROMETHEUS["type"], "uid": PROMETHEUS["uid"], "access": "proxy",
         "url": settings.prometheus_url, "editable": False, "jsonData": {"timeInterval": "15s"}},
    ]}


def dashboards_provisioning() -> dict[str, Any]:
    return {"apiVersion": 1, "providers": [{
        "name": "tracker", "folder": FOLDER, "type": "file", "disableDeletion": False, "allowUiUpdates": False,
        "updateIntervalSeconds": 60,
        # copy deploy/grafana/dashboards here (or mount it): Grafana needs an absolute path
        "options": {"path": "/var/lib/grafana/dashboards/tracker", "foldersFromFilesStructure": False}}]}


def files(settings: Settings) -> dict[str, Any]:
    """Every generated file, by path under deploy/grafana/, as a JSON-able value."""
    out: dict[str, Any] = {f"dashboards/{b.uid}.json": b.to_json() for b in boards()}
    out["provisioning/datasources/tracker.yaml"] = datasources_provisioning(settings)
    out["provisioning/dashboards/tracker.yaml"] = dashboards_provisioning()
    out["provisioning/alerting/tracker.yaml"] = alerting_provisioning(settings)
    return out


# -- introspection used by the tests and `tracker dashboards check` -------------------------------


@dataclass(frozen=True)
class Query:
    """One query of a dashboard, variable or alert rule, and where it lives."""

    where: str
    kind: str  # "sql" or "promql"
    text: str


def queries(board: dict[str, Any]) -> Iterator[Query]:
    """Every query of a dashboard's JSON: panels, template variables, annotations."""
    uid = board["uid"]
    for var in board["templating"]["list"]:
        if var["type"] != "query":
            continue
        if var["datasource"]["type"] == CLICKHOUSE["type"]:
            yield Query(f"{uid} variable {var['name']}", "sql", var["query"])
        else:
            yield Query(f"{uid} variable {var['name']}", "promql", var["query"]["query"])
    for ann in board["annotations"]["list"]:
        if "target" in ann:
            yield Query(f"{uid} annotation {ann['name']}", "sql", ann["target"]["rawSql"])
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            where = f"{uid} panel {panel['id']} {panel['title']!r} {target['refId']}"
            if "rawSql" in target:
                yield Query(where, "sql", target["rawSql"])
            else:
                yield Query(where, "promql", target["expr"])


def alert_queries(provisioning: dict[str, Any]) -> Iterator[Query]:
    for group in provisioning["groups"]:
        for rule in group["rules"]:
            for data in rule["data"]:
                if data["datasourceUid"] == CLICKHOUSE["uid"]:
                    yield Query(f"alert rule {rule['uid']}", "sql", data["model"]["rawSql"])


_METRIC = re.compile(r"\b(tracker_[a-z0-9_]+|up)\b")


def metric_names(expr: str) -> set[str]:
    """Metric names an expression (or label_values query) selects."""
    return set(_METRIC.findall(expr))


def exposed_metric_names() -> set[str]:
    """Every sample name tracker's processes can expose (from tracker.ops.metrics)."""
    from prometheus_client import REGISTRY

    from tracker.ops import metrics  # noqa: F401 - registers tracker's metrics

    names = {"up"}
    for family in REGISTRY.collect():
        if not family.name.startswith("tracker_"):
            continue
        suffixes = {"counter": ["_total", "_created"], "histogram": ["_bucket", "_sum", "_count", "_created"],
                    "summary": ["_sum", "_count", "_created", ""], "gauge": [""]}.get(family.type, [""])
        names.update(family.name + suffix for suffix in suffixes)
    return names
