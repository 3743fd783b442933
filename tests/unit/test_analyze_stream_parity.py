"""`tracker analyze` says what the stream says, on the same rows: the stream's per-event step
(``Processor`` and ``Insights``, pure: no broker, no store) against the command's JSON.

- an alert's evidence reads as the alerts table keeps it (grid steps also as times);
- an alert still open at the end of tracking resolves there, as the worker resolves it;
- the counters a ``rounded`` column names (a store export's ``['likes','saves']``) are read
  rounded, as the collector's ``rounded`` list is;
- a row saying the post was unavailable is read as the stream reads it (its counters and all).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from tracker.analytics.resample import to_hours
from tracker.broker import topics as t
from tracker.cli.analyze import analyze
from tracker.cli.snapshotfile import read_snapshots
from tracker.collect.exportrows import RowError, observation_from_row
from tracker.contracts import decode, encode
from tracker.stream.insights import POST_KEYS, Insights
from tracker.stream.processor import Output, Processor, Source
from tracker.stream.state import PostState

START = datetime(2024, 6, 1, tzinfo=UTC)
POST = "douyin:7001"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def rows(hours: int = 200, tracking_end: datetime | None = None) -> list[dict[str, Any]]:
    """Hourly snapshots of one post: a publish burst decaying as a power law (its decay alert
    fires at 146 h)."""
    out, total = [], 0
    for h in range(1, hours):
        total += int(3000 * (h + 2) ** -1.2) + 5
        row = {"post_id": POST, "observed_at": iso(START + timedelta(hours=h, minutes=30)),
               "published_at": iso(START), "views": total * 10, "likes": total}
        if tracking_end is not None:
            row["tracking_end"] = iso(tracking_end)
        out.append(row)
    return out


def write(tmp_path: Path, items: list[dict[str, Any]]) -> str:
    head = list(items[0])
    path = tmp_path / "post.csv"
    path.write_text("\n".join([",".join(head)] + [",".join(str(x[k]) for k in head) for x in items]) + "\n", "utf-8")
    return str(path)


def report(*args: str) -> tuple[dict[str, Any], str]:
    result = CliRunner().invoke(analyze, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0], result.stderr


def stream_alerts(items: list[dict[str, Any]], tracking_end: datetime) -> list[dict[str, Any]]:
    """The alert messages the stream's per-event step sends for ``items``."""
    insights = Insights()
    processor, state = Processor(insights=insights), PostState()

    def apply(topic: str, message: dict[str, Any], offset: int) -> None:
        processor.apply(Source(topic, 0, offset), decode(topic, encode(topic, message)), state, Output())

    apply(t.POSTS, {"tenant": "acme", "post_id": POST, "platform": "douyin", "platform_post_id": "7001",
                    "campaign_id": "c1", "creator_id": "cr1", "creator_tier": "micro", "published_at": START,
                    "tracking_end": tracking_end, "content_form": "video", "updated_at": START}, 0)
    for i, row in enumerate(items, start=1):
        apply(t.SNAPSHOTS, {"tenant": "acme", "post_id": POST, "platform": "douyin",
                            "observed_at": datetime.fromisoformat(row["observed_at"].replace("Z", "+00:00")),
                            "source": "api", "metrics": {"views": row["views"], "likes": row["likes"]}}, i)
    return insights.take_alerts()


def test_an_alerts_evidence_reads_as_the_alerts_table_keeps_it(tmp_path):
    """It read ``decaying_since: 477010`` (a grid step) where the stream's alert says
    ``decaying_since_at: 2024-06-01T10:00:00.000Z`` and which trigger started the pulse."""
    items = rows()
    got, _ = report(write(tmp_path, items))
    decaying = [a for a in got["alerts"] if a["type"] == "PostDecaying"]
    sent = [a for a in stream_alerts(items, START + timedelta(days=30)) if a["alert"] == "PostDecaying"]
    assert len(decaying) == len(sent) == 1 and decaying[0]["at"] == iso(sent[0]["starts_at"])
    stream_evidence = {k: v for k, v in json.loads(json.dumps(sent[0]["evidence"])).items() if k not in POST_KEYS}
    assert decaying[0]["evidence"] == stream_evidence
    assert decaying[0]["evidence"]["decaying_since_at"] == "2024-06-01T10:00:00.000Z"
    assert decaying[0]["evidence"]["pulse_trigger"] == "publish"


def test_an_alert_open_at_the_end_of_tracking_resolves_there(tmp_path):
    """The worker resolves every alert still open once its clock (the newest snapshot) passes the
    post's tracking end; analyze left the decay alert firing for good, --as-of after the end too."""
    end = START + timedelta(hours=168)
    path = write(tmp_path, rows(tracking_end=end))
    got, _ = report(path)
    assert [(a["type"], a["state"], a["at"]) for a in got["alerts"]] == [
        ("PostDecaying", "firing", "2024-06-07T02:00:00Z"), ("PostDecaying", "resolved", iso(end))]
    assert got["alerts"][1]["summary"] == "tracking ended during pulse 0"
    assert got["alerts"][1]["evidence"] == {"reason": "end of tracking"}
    before, _ = report(path, "--as-of", "2024-06-07T20:00:00Z")  # the stream had not reached the end
    assert [a["state"] for a in before["alerts"]] == ["firing"]
    after, _ = report(path, "--as-of", "2024-06-08T06:00:00Z")
    assert [a["state"] for a in after["alerts"]] == ["firing", "resolved"]


def test_a_rounded_column_names_the_counters_read_rounded(tmp_path):
    """A store export carries the collector's ``rounded`` list (ClickHouse writes the array
    ``['likes','saves']``); read as exact, 1.2万 moved analyze's figures by up to 7 % from the
    stream's. A JSON list or a plain list reads too; a counter shown blank is not rounded."""
    row = {"post_id": "xiaohongshu:1", "observed_at": "2024-06-01T10:00:00Z", "likes": "12000", "saves": "30000",
           "comments": "812", "shares": ""}
    for listed in ("['likes','saves']", "likes,saves", ["likes", "saves"], "['likes','saves','shares']"):
        assert observation_from_row({**row, "rounded": listed}).rounded == ("likes", "saves")
    assert observation_from_row({**row, "likes": "1.2万", "rounded": "['saves']"}).rounded == ("likes", "saves")
    assert observation_from_row({**row, "rounded": "[]"}).rounded == ()
    try:
        observation_from_row({**row, "rounded": "['likes','plays']"})
    except RowError as exc:
        assert str(exc) == "rounded: 'plays' is not a counter (views, likes, comments, shares, saves, searches)"
    else:
        raise AssertionError("an unknown counter in rounded was taken")
    path = tmp_path / "export.csv"
    path.write_text("post_id,observed_at,likes,saves,rounded\n"
                    "xiaohongshu:1,2024-06-01 10:00:00.000,12000,8000,\"['likes']\"\n", "utf-8")
    (snap,) = read_snapshots(path, UTC).snapshots["xiaohongshu:1"]
    assert snap.rounded == ("likes",) and snap.t == to_hours(datetime(2024, 6, 1, 10, tzinfo=UTC))


def test_a_row_of_a_post_shown_unavailable_is_read_as_the_stream_reads_it(tmp_path):
    """The stream applies every snapshot to the post's analytics whatever its status: counters an
    'unavailable' row carries count (analyze dropped the row); one with none is no duplicate."""
    items = [{**x, "status": "ok"} for x in rows(40)]
    items[-1]["status"] = "unavailable"
    got, err = report(write(tmp_path, items))
    assert got["totals"]["likes"] == items[-1]["likes"] and got["duplicates"] == 0
    assert f"{POST} is unavailable then; the stream's PostUnavailable" in " ".join(err.split())
    items[-1].update(views="", likes="")
    got, err = report(write(tmp_path, items))
    assert got["totals"]["likes"] == items[-2]["likes"] and got["duplicates"] == 0
    assert f"{POST} is unavailable then (no counter to analyse)" in err


def test_a_date_alone_read_in_utc_says_how_the_collector_reads_it(tmp_path):
    """A Xingtu export's 数据日期: the collector reads it at the end of that day in the platform's
    zone (Beijing), analyze without --time-zone at the end of that day in UTC, 8 h later; it said
    nothing of it."""
    path = tmp_path / "xingtu.csv"
    path.write_text("post_id,数据日期,播放量,点赞数\ndouyin:7,2025-09-14,1000,100\ndouyin:7,2025-09-15,2000,150\n",
                    "utf-8")
    utc = read_snapshots(path)
    assert [s.t for s in utc.snapshots["douyin:7"]][0] == to_hours(datetime(2025, 9, 14, 23, 59, 59, tzinfo=UTC))
    assert any("2 row(s) give a date alone, read as the end of that day in UTC" in n and "--time-zone" in n
               for n in utc.notes)
    beijing = read_snapshots(path, ZoneInfo("Asia/Shanghai"))
    assert [s.t for s in beijing.snapshots["douyin:7"]][0] == to_hours(datetime(2025, 9, 14, 15, 59, 59, tzinfo=UTC))
    assert beijing.notes == []
