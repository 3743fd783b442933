"""``tracker analyze`` as a backtest reads it: refused heating rows say which posts' pulses leave
them out and exit non-zero; --as-of before the first snapshot is an error naming it; post ids
pass the same platform check as ``snapshots import``; n/a figures say why; alerts read as the
store words them; curve rows name cumulative counts and per-hour rates; the export recipe
brings published_at and the heating nodes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from tracker.cli.analyze import analyze

START = datetime(2024, 6, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def rows(hours: int = 60, post_id: str = "douyin:1", published: bool = True) -> list[dict]:
    out, total = [], 0
    for h in range(1, hours):
        total += int(3000 * (h + 2) ** -1.2) + 5
        row = {"post_id": post_id, "observed_at": iso(START + timedelta(hours=h, minutes=30)),
               "views": total * 10, "likes": total}
        if published:
            row["published_at"] = iso(START)
        out.append(row)
    return out


def as_csv(items: list[dict]) -> str:
    head = list(items[0])
    return "\n".join([",".join(head)] + [",".join(str(r[k]) for k in head) for r in items]) + "\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(analyze, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def test_refused_heating_rows_name_the_posts_analysed_without_them_and_exit_2(tmp_path: Path) -> None:
    snaps = write(tmp_path, "a.csv", as_csv(rows(40)))
    heating = write(tmp_path, "heat.csv", "post_id,start,end,spend,currency\n"
                    "douyin:1,2024-06-01T10:00:00Z,2024-06-01T16:00:00Z,abc,CNY\n"
                    "douyin:1,2024-06-01T12:00:00Z,2024-06-01T11:00:00Z,500,CNY\n")
    for fmt in ("table", "json"):
        code, out, err = run(snaps, "--heating", heating, "--format", fmt)
        assert code == 2
        assert "heat.csv line 2: spend: not a number" in err and "heat.csv line 3: end: not after start" in err
        assert "2 heating row(s) of this post refused" in out, out
        assert "its pulses and spend leave them out" in out


def test_as_of_before_the_first_snapshot_is_an_error_naming_it(tmp_path: Path) -> None:
    snaps = write(tmp_path, "a.csv", as_csv(rows(20)))
    code, out, err = run(snaps, "--as-of", "2024-05-01")
    assert code == 1 and out == ""
    assert "--as-of 2024-05-01 is before the first snapshot (2024-06-01 01:30Z)" in err


def test_as_of_leaves_out_a_post_not_yet_observed_and_says_so(tmp_path: Path) -> None:
    later = [{**r, "post_id": "douyin:2", "observed_at": iso(datetime.fromisoformat(
        r["observed_at"].replace("Z", "+00:00")) + timedelta(days=5))} for r in rows(20)]
    snaps = write(tmp_path, "a.csv", as_csv(rows(20) + later))
    code, out, err = run(snaps, "--as-of", "2024-06-02T00:00:00Z", "--format", "json")
    assert code == 0, err
    assert [r["post_id"] for r in json.loads(out)] == ["douyin:1"]
    assert "douyin:2 left out: no snapshot by --as-of (its first is at 2024-06-06 01:30Z)" in err


def test_an_unknown_platform_is_refused_as_snapshots_import_refuses_it(tmp_path: Path) -> None:
    items = rows(30) + [{**rows(2)[0], "post_id": "myspace:123"}]
    snaps = write(tmp_path, "a.csv", as_csv(items))
    code, out, err = run(snaps, "--format", "json")
    assert code == 2
    assert "a.csv line 31: post_id: must be <platform>:<id> with a known platform (got 'myspace:123')" in err
    assert [r["post_id"] for r in json.loads(out)] == ["douyin:1"]
    labels = write(tmp_path, "b.csv", as_csv(rows(30, post_id="p1")))  # a label without a colon: as it is
    code, out, _ = run(labels, "--format", "json")
    assert code == 0 and json.loads(out)[0]["post_id"] == "p1"


def test_without_published_at_the_output_says_why_tail_share_is_na(tmp_path: Path) -> None:
    snaps = write(tmp_path, "a.csv", as_csv(rows(100, published=False)))
    code, out, _ = run(snaps)
    assert code == 0
    assert "tail share n/a" in out and "no published_at" in out
    code, out, _ = run(snaps, "--format", "json")
    report = json.loads(out)[0]
    assert report["long_tail"]["tail_share"] is None
    assert any("no published_at" in note for note in report["notes"])
    code, out, _ = run(write(tmp_path, "b.csv", as_csv(rows(30))), "--format", "json")
    assert any("burst window" in note and "not over" in note for note in json.loads(out)[0]["notes"])
    code, out, _ = run(write(tmp_path, "c.csv", as_csv(rows(100))), "--format", "json")
    report = json.loads(out)[0]
    assert report["long_tail"]["tail_share"] is not None and report["notes"] == []


def test_alerts_read_as_the_store_words_them(tmp_path: Path) -> None:
    items = rows(30)
    items.append({**items[-1], "observed_at": iso(START + timedelta(hours=31)), "views": 12_000})
    code, out, _ = run(write(tmp_path, "a.csv", as_csv(items)))
    assert code == 0
    line = next(x for x in out.splitlines() if "PostUnavailable" in x)
    fell = f"{items[-2]['views']:,}"
    assert f"counters regressed: views fell from {fell} to 12,000" in line, line
    assert "@" not in line
    code, out, _ = run(write(tmp_path, "a.csv", as_csv(items)), "--format", "json")
    alert = next(a for a in json.loads(out)[0]["alerts"] if a["type"] == "PostUnavailable")
    assert alert["summary"].startswith("counters regressed: views fell from")


def test_curve_rows_name_cumulative_counts_and_per_hour_rates(tmp_path: Path) -> None:
    snaps = write(tmp_path, "a.csv", "post_id,observed_at,views\n"
                  "douyin:1,2025-09-01T13:00:00Z,4798\n"
                  "douyin:1,2025-09-01T15:00:00Z,13079\n"
                  "douyin:1,2025-09-01T17:00:00Z,19873\n")
    code, out, _ = run(snaps, "--format", "json")
    assert code == 0
    curve = {row["at"]: row for row in json.loads(out)[0]["curve"]}
    row = curve["2025-09-01T13:00:00Z"]
    assert "views" not in row  # no bare metric name: a rate or a count is said
    assert row["cumulative"]["views"] == 8938.5 and row["per_hour"]["views"] == 4140.5
    code, out, _ = run(snaps, "--format", "json", "--grid-hours", "2")
    row = {r["at"]: r for r in json.loads(out)[0]["curve"]}["2025-09-01T14:00:00Z"]  # 14:00-16:00
    assert row["cumulative"]["views"] == 16476 and row["per_hour"]["views"] == (16476 - 8938.5) / 2
    text = CliRunner().invoke(analyze, ["--help"]).output
    assert "per_hour" in text and "cumulative" in text


def test_the_help_recipe_exports_published_at_and_the_heating_nodes() -> None:
    text = " ".join(CliRunner().invoke(analyze, ["--help"]).output.split())
    assert "published_at" in text and "FROM posts" in text
    assert "FROM heating_nodes" in text and "--heating heating.csv" in text
