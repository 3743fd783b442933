"""``tracker analyze`` reads what users have: tables in any of the import formats, export
headers, series documents; unreadable rows are listed, unreadable files explained."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from tracker.analytics.resample import to_hours
from tracker.cli.analyze import analyze
from tracker.cli.snapshotfile import read_heating, read_snapshots

START = datetime(2024, 6, 1, tzinfo=UTC)


def rows(hours: int = 60) -> list[dict]:
    """Hourly snapshots of one post: a publish burst decaying as a power law."""
    out, total = [], 0
    for h in range(1, hours):
        total += int(3000 * (h + 2) ** -1.2) + 5
        at = (START + timedelta(hours=h, minutes=30)).isoformat().replace("+00:00", "Z")
        out.append({"post_id": "p1", "observed_at": at, "published_at": "2024-06-01T00:00:00Z",
                    "views": total * 10, "likes": total})
    return out


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(analyze, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"crashed: {result.exception!r}"
    )
    return result.exit_code, result.stdout, result.stderr


def as_csv(items: list[dict]) -> str:
    head = list(items[0])
    return "\n".join([",".join(head)] + [",".join(str(r[k]) for k in head) for r in items]) + "\n"


def test_jsonl_json_lists_and_csv_give_the_same_report(tmp_path):
    items = rows()
    files = {
        "a.csv": as_csv(items),
        "a.jsonl": "\n".join(json.dumps(r) for r in items) + "\n",
        "lines.json": "\n".join(json.dumps(r) for r in items) + "\n",
        "list.json": json.dumps(items, indent=1),
    }
    reports = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, "utf-8")
        code, out, err = run(str(path), "--format", "json")
        assert code == 0, err
        reports.append(json.loads(out))
    assert all(r == reports[0] for r in reports)
    assert reports[0][0]["totals"]["likes"] == items[-1]["likes"]


def test_export_headers_and_rounded_counters_are_read(tmp_path):
    path = tmp_path / "xingtu.csv"
    path.write_text("post_id,数据时间,播放量,点赞数,评论数\n"
                    "douyin:1,2024-06-01T01:00:00Z,8000,120,4\n"
                    "douyin:1,2024-06-01T02:00:00Z,1.2万,300,9\n", "utf-8")
    code, out, err = run(str(path), "--format", "json")
    assert code == 0, err
    report = json.loads(out)[0]
    assert report["totals"]["views"] == 12000 and report["totals"]["comments"] == 9
    assert report["totals"]["saves"] is None


def test_unreadable_rows_are_listed_with_their_line_and_the_rest_analyzed(tmp_path):
    items = rows(30)
    text = as_csv(items).splitlines()
    text[2] = text[2].replace(items[1]["observed_at"], "yesterday")
    text[4] = text[4].rsplit(",", 1)[0] + ",many"  # likes, the last column
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text) + "\n", "utf-8")
    code, out, err = run(str(path))
    assert code == 2
    assert "post p1: 27 snapshots" in out
    assert "2 row(s) not used" in err
    assert "bad.csv line 3: as_of: not a time ('yesterday')" in err
    assert "bad.csv line 5: likes: not a count ('many')" in err


@pytest.mark.parametrize(("name", "content", "says"), [
    ("empty.csv", "", "the CSV file is empty"),
    ("header.csv", "post_id,observed_at,likes\n", "no rows"),
    ("doc.json", '{"campaign": "x"}', "neither a table of snapshots"),
    ("broken.json", '{"post_id": "p1", ', "not valid JSON"),
    ("notes.txt", "hello", "unsupported file type .txt"),
    ("mixed.json", json.dumps({"start": "2024-06-01", "daily_likes": [1], "hourly_views": [3]}),
     "mixes daily_ and hourly_"),
    ("nostart.json", json.dumps({"daily_likes": [1, 2]}), "has no start"),
    ("negative.json", json.dumps({"start": "2024-06-01", "daily_likes": [1, -2]}), "likes period 1"),
    ("allbad.csv", "post_id,observed_at,likes\np1,soon,3\n", "no usable row; the first problem: line 2"),
])
def test_an_unreadable_file_gets_one_clear_error(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_text(content, "utf-8")
    code, out, err = run(str(path))
    assert code == 1
    assert says in err and "Traceback" not in err + out


def test_a_binary_file_gets_a_clear_error(tmp_path):
    path = tmp_path / "ls.json"
    path.write_bytes(bytes(range(256)) * 4)
    code, _, err = run(str(path))
    assert code == 1 and "not valid JSON" in err


def test_a_series_document_is_read_per_period_with_its_grid(tmp_path):
    hourly = [int(500 * (h + 1) ** -1.1) + 2 for h in range(72)]
    doc = {"post_id": "xiaohongshu:n1", "start": "2024-06-01T08:00:00Z", "hourly_likes": hourly,
           "hourly_saves": [x // 3 for x in hourly], "hourly_reposts": [1] * 72}
    path = tmp_path / "series.yaml"
    path.write_text(json.dumps(doc), "utf-8")  # JSON is YAML too
    code, out, err = run(str(path), "--format", "json")
    assert code == 0
    report = json.loads(out)[0]
    assert report["post_id"] == "xiaohongshu:n1" and report["grid_hours"] == 1.0
    assert report["snapshots"] == 72
    assert report["totals"]["likes"] == sum(hourly) and report["totals"]["views"] is None
    assert report["pulses"][0]["onset"] == "2024-06-01T08:00:00Z"
    assert "hourly_reposts ignored" in err
    daily = tmp_path / "daily.json"
    daily.write_text(json.dumps({"start": "2024-06-01", "daily_shares": hourly[:40]}), "utf-8")
    code, out, _ = run(str(daily), "--format", "json")
    assert code == 0 and json.loads(out)[0]["grid_hours"] == 24.0
    code, out, _ = run(str(daily), "--format", "json", "--grid-hours", "12")
    assert code == 0 and json.loads(out)[0]["grid_hours"] == 12.0


def test_bad_options_and_heating_rows_get_clear_errors(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(as_csv(rows(30)), "utf-8")
    for bad, says in (("tomorrow", "'tomorrow' is not a time"), ("2024-06-01T12:00", "'2024-06-01T12:00' has no "
                                                                                    "time zone")):
        code, _, err = run(str(path), "--as-of", bad)  # a usage error, as every bad option
        assert code == 2 and f"Invalid value for --as-of: {says}; give" in err, err
        assert "give RFC 3339 with a zone (2024-06-03T12:00:00Z" in err and "or a date (2024-06-03" in err
    for bad in ("0", "nan"):
        code, _, err = run(str(path), "--grid-hours", bad)
        assert code == 2 and "0.25" in err
    heating = tmp_path / "heat.csv"
    heating.write_text("post_id,start,end,spend,currency\n"
                       "p1,2024-06-01T10:00:00Z,2024-06-01T16:00:00Z,500,CNY\n"
                       "p1,2024-06-01T12:00:00Z,2024-06-01T11:00:00Z,500,CNY\n"
                       "p1,2024-06-01T12:00:00Z,,lots,CNY\n"
                       "p1,2024-06-01T12:00:00Z,,100,RMB\n"
                       "p1,2024-06-01T12:00:00Z,,100,CNY,done\n"
                       "p1,2024-06-01T20:00:00Z,,100,CNY,cancelled\n"
                       "p2,2024-06-01T12:00:00Z,,100,CNY\n", "utf-8")
    heating.write_text(heating.read_text().replace("currency\n", "currency,status\n", 1))
    code, out, err = run(str(path), "--heating", str(heating), "--format", "json")
    assert code == 2
    assert "heat.csv line 3: end: not after start" in err and "heat.csv line 4: spend: not a number" in err
    assert "heat.csv line 5: currency: RMB is not an ISO-4217 code; write CNY" in err
    assert "heat.csv line 6: status: 'done' is not one of planned, executed, cancelled" in err
    assert "heating of p2 ignored: a.csv has no snapshot of it" in err
    pulses = json.loads(out)[0]["pulses"]
    assert [p["trigger"] for p in pulses] == ["publish", "heating"]  # the cancelled node never heats


HEADER = "post_id,observed_at,views,likes,comments,shares,saves,searches\n"


def test_an_unclosed_quote_is_reported_on_its_line_and_the_rows_after_it_are_read(tmp_path):
    path = tmp_path / "bad_snap.csv"
    path.write_text(HEADER + "douyin:1,2024-06-01T01:00:00Z,100,10,1,1,1,1\n"
                    'douyin:1,2024-06-01T02:00:00Z,200,"20,2,2,2\n'
                    "douyin:1,not-a-date,300,30,3,3,3,3\n"
                    "douyin:1,2024-06-01T04:00:00Z,400,40,4,4,4,4\n"
                    "douyin:1,2024-06-01T05:00:00Z,500,50,5,5,5,5\n", "utf-8")
    code, out, err = run(str(path), "--format", "json")
    assert code == 2
    assert 'bad_snap.csv line 3: a quote (") is not closed on this line' in err
    assert "bad_snap.csv line 4: as_of: not a time ('not-a-date')" in err and "2 row(s) not used" in err
    report = json.loads(out)[0]
    assert report["snapshots"] == 3 and report["totals"]["views"] == 500


def test_a_quoted_cell_over_two_lines_is_one_row_named_by_its_first_line(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text(HEADER + 'douyin:1,2024-06-01T01:00:00Z,100,"1\n0",1,1,1,1\n'
                    "douyin:1,2024-06-01T02:00:00Z,200,20,2,2,2,2\n", "utf-8")
    code, out, err = run(str(path), "--format", "json")
    assert code == 2 and "multi.csv line 2: likes: not a count" in err and "1 row(s) not used" in err
    assert json.loads(out)[0]["snapshots"] == 1


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text(HEADER + "douyin:1,2024-06-01T01:00:00Z,100,10,1,1,1,1\n"
                    "douyin:1,2024-06-01T02:00:00Z,200,20,2,2,2,2,99\n"
                    "douyin:1,2024-06-01T03:00:00Z,300,30,3,3,3,3,,\n", "utf-8")  # empty extra cells: fine
    code, out, err = run(str(path), "--format", "json")
    assert code == 2 and "extra.csv line 3: 9 cells, the header has 8" in err and "1 row(s) not used" in err
    assert json.loads(out)[0]["snapshots"] == 2


STORE_EXPORT = (HEADER + '"douyin:1","2024-06-01 01:00:00.000",100,10,1,1,1,\\N\n'
                '"douyin:1","2024-06-01 02:00:00.500",200,20,2,2,2,\\N\n')
"""What ``tracker sql "SELECT … FROM snapshots FINAL … FORMAT CSVWithNames"`` writes."""


def test_a_store_export_reads_with_tz_and_null_markers(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(STORE_EXPORT, "utf-8")
    code, out, err = run(str(path), "--format", "json")
    assert code == 1 and "line 2: as_of: '2024-06-01 01:00:00.000' has no time zone" in err
    assert "--time-zone" in err
    code, out, err = run(str(path), "--format", "json", "--tz", "UTC")
    assert code == 0, err
    report = json.loads(out)[0]
    assert report["totals"]["views"] == 200 and report["totals"]["searches"] is None
    assert report["curve"][0]["at"].startswith("2024-06-01T01:00")
    code, out, err = run(str(path), "--format", "json", "--tz", "Asia/Shanghai")
    assert code == 0 and json.loads(out)[0]["curve"][0]["at"].startswith("2024-05-31T17:00")
    code, _, err = run(str(path), "--tz", "Mars/Base")
    assert code == 2 and "unknown time zone 'Mars/Base'" in err


def test_help_says_how_to_export_a_snapshot_file():
    result = CliRunner().invoke(analyze, ["--help"])
    assert "FORMAT CSVWithNames" in result.output and "--time-zone" in result.output
    assert "observed_at" in result.output and "searches" in result.output


def test_the_deployments_reorder_window_decides_which_rows_are_late(tmp_path, monkeypatch):
    """A row 7 h older than the newest before it is late in the default 6 h window; with
    TRACKER_REORDER_WINDOW_HOURS=12, as the stream would, analyze merges it (it kept 6 h)."""
    items = rows(30)  # hours 1 … 29
    late = items.pop(12)  # hour 13 …
    items.insert(items.index(next(r for r in items if r["observed_at"].startswith("2024-06-01T20"))) + 1, late)
    # … read right after hour 20: 7 h older than the newest
    path = tmp_path / "late.csv"
    path.write_text(as_csv(items), "utf-8")
    monkeypatch.delenv("TRACKER_REORDER_WINDOW_HOURS", raising=False)
    code, out, err = run(str(path), "--format", "json")
    default = json.loads(out)[0]
    monkeypatch.setenv("TRACKER_REORDER_WINDOW_HOURS", "12")
    wide_code, wide_out, _ = run(str(path), "--format", "json")
    wider = json.loads(wide_out)[0]
    assert default["late"] == 1
    assert wider["late"] == 0
    # a late row is not used: the exit status says so (it read 0, "every row used"), and stderr why
    assert (code, wide_code) == (2, 0)
    assert "late.csv: 1 row(s) of p1 late: older than a row before them by more than 6 h" in err


def test_a_tracking_end_column_ends_the_posts_window(tmp_path):
    """A post's tracking_end (the registry's, which the help's export brings) bounds its decay
    alerts as in the stream; without it the window is 30 days from publish
    (test_without_a_tracking_end_the_window_is_the_registrys_30_days)."""
    items = rows(200)
    for r in items:
        r["tracking_end"] = "2024-06-03T00:00:00Z"  # 48 h after publish
    ended, default = tmp_path / "ended.csv", tmp_path / "default.csv"
    ended.write_text(as_csv(items), "utf-8")
    default.write_text(as_csv([{k: v for k, v in r.items() if k != "tracking_end"} for r in items]), "utf-8")
    decaying = [a for a in json.loads(run(str(default), "--format", "json")[1])[0]["alerts"]
                if a["type"] == "PostDecaying"]
    assert decaying and decaying[0]["at"] > "2024-06-03"
    assert json.loads(run(str(ended), "--format", "json")[1])[0]["alerts"] == []


def test_a_row_saying_the_post_was_taken_down_is_noted_not_refused(tmp_path):
    """An export's status column: a post the platform took down has a row with no counter; it has
    nothing to analyse and the report says so, the rows before it are (a blank row was refused)."""
    items = [{**r, "status": "正常"} for r in rows(30)]
    items.append({**items[-1], "observed_at": "2024-06-02T08:00:00Z", "views": "", "likes": "", "status": "已删除"})
    path = tmp_path / "gone.csv"
    path.write_text(as_csv(items), "utf-8")
    code, out, err = run(str(path), "--format", "json")
    assert code == 0, err
    assert "p1 is deleted then (no counter to analyse)" in err
    assert json.loads(out)[0]["totals"]["likes"] == items[-2]["likes"]


def test_a_daily_series_from_an_upload_time_counts_days_in_the_zone_given(tmp_path):
    """Uploaded at 10:00 on 1 June in Shanghai (02:00Z): with --time-zone Asia/Shanghai day 0 is
    Shanghai's 1 June (16:00Z on 31 May), not UTC's 1 June, 8 h later; without one, the day of
    the offset the upload time is written with (07:00+08:00 is 1 June, not 31 May in UTC)."""
    from zoneinfo import ZoneInfo

    from tracker.analytics.resample import to_hours
    from tracker.cli.snapshotfile import read_snapshots

    path = tmp_path / "video.json"
    path.write_text(json.dumps({"item": {"platform": "youtube", "video_id": "abc", "upload_time":
                                         "2024-06-01T10:00:00+08:00"}, "daily_views": [10, 20, 30]}), "utf-8")
    local = read_snapshots(path, ZoneInfo("Asia/Shanghai"))
    utc = read_snapshots(path, ZoneInfo("UTC"))
    assert local.published["youtube:abc"] == to_hours(datetime(2024, 5, 31, 16, tzinfo=UTC))
    assert utc.published["youtube:abc"] == to_hours(datetime(2024, 6, 1, tzinfo=UTC))
    # without --time-zone, the day of the offset the upload time is written in
    early = tmp_path / "early.json"
    early.write_text(json.dumps({"item": {"platform": "youtube", "video_id": "abc", "upload_time":
                                          "2024-06-01T07:00:00+08:00"}, "daily_views": [10, 20, 30]}), "utf-8")
    assert read_snapshots(early).published["youtube:abc"] == to_hours(datetime(2024, 5, 31, 16, tzinfo=UTC))


def test_without_a_tracking_end_the_window_is_the_registrys_30_days(tmp_path):
    """The registry gives every post the stream tracks a tracking_end, 30 days after publish
    unless its tracking_days say otherwise (`tracker posts import --tracking-days`); analyze
    took 90 days and fired a decay alert the stream would not, on a pulse of day 31."""
    from tracker.registry.records import DEFAULT_TRACKING_DAYS

    assert DEFAULT_TRACKING_DAYS == 30
    items, total = [], 0
    for h in range(1, 40 * 24):
        total += int(3000 * (h + 2) ** -1.2) + 5 + (int(3000 * (h - 31 * 24 + 2) ** -1.2) if h >= 31 * 24 else 0)
        items.append({"post_id": "p1", "observed_at": (START + timedelta(hours=h, minutes=30)).isoformat(),
                      "published_at": "2024-06-01T00:00:00Z", "views": total * 10, "likes": total})
    default, ninety = tmp_path / "default.csv", tmp_path / "ninety.csv"
    default.write_text(as_csv(items), "utf-8")
    ninety.write_text(as_csv([{**r, "tracking_end": "2024-08-30T00:00:00Z"} for r in items]), "utf-8")

    def fired_after_day_30(path):
        code, out, err = run(str(path), "--format", "json")
        assert code == 0, err
        return [a for a in json.loads(out)[0]["alerts"] if a["state"] == "firing" and a["at"] >= "2024-07-01"]

    assert fired_after_day_30(ninety)  # the pulse of day 31 decays inside a 90-day window
    assert fired_after_day_30(default) == []
    help_text = " ".join(CliRunner().invoke(analyze, ["--help"]).output.split())
    assert "else 30 days after publish" in help_text and "90 days" not in help_text


def test_an_end_given_as_a_date_takes_in_that_day(tmp_path):
    """A tracking_end or a heating node's end written as a day (2024-06-03) includes that day, as
    the registry reads it for the stream; a time is that time."""
    items = rows(10)
    items[0]["tracking_end"] = "2024-06-03"
    path = tmp_path / "s.csv"
    path.write_text(as_csv([{**r, "tracking_end": items[0]["tracking_end"]} for r in items]), "utf-8")
    assert read_snapshots(path).tracking_end["p1"] == to_hours(datetime(2024, 6, 3, 23, 59, 59, tzinfo=UTC))
    heating = tmp_path / "h.csv"
    heating.write_text("post_id,start,end,spend\np1,2024-06-02T08:00:00Z,2024-06-03,100\n"
                       "p1,2024-06-04T08:00:00Z,2024-06-05T00:00:00Z,100\n", "utf-8")
    first, second = read_heating(heating).nodes["p1"]
    assert first.end == to_hours(datetime(2024, 6, 3, 23, 59, 59, tzinfo=UTC))
    assert second.end == to_hours(datetime(2024, 6, 5, tzinfo=UTC))


def test_a_snapshot_dated_by_day_alone_stands_at_the_end_of_that_day(tmp_path):
    """A daily table (日期, 播放量) gives each day's closing figures: tracker analyze places them
    where the stream does, at the end of the day (in --time-zone), not at its midnight."""
    path = tmp_path / "daily.csv"
    path.write_text("post_id,as_of,views\np1,2024-06-03,100\np1,2024-06-04,150\n", "utf-8")
    times = [s.t for s in read_snapshots(path, ZoneInfo("Asia/Shanghai")).snapshots["p1"]]
    assert times == [to_hours(datetime(2024, 6, 3, 15, 59, 59, tzinfo=UTC)),
                     to_hours(datetime(2024, 6, 4, 15, 59, 59, tzinfo=UTC))]
