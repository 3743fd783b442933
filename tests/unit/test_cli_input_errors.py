"""The importing and simulating commands on mistakes in their input: an option is checked once,
up front, and named; a file that is not what the command reads says what was expected; "nothing
read" exits 1 as documented; no traceback. No services: imports run with --dry-run, and every
refusal here happens before a store or a broker is reached."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli.main import main

ROW = ("tenant,campaign,creator,followers,url,published_at,fee\n"
       "acme,launch,cr-1,12000,https://www.douyin.com/video/7301234567890123456,2025-09-10T12:00:00+08:00,1200\n"
       "acme,launch,cr-2,12000,https://www.douyin.com/video/7301234567890123457,2025-09-10T12:00:00+08:00,1200\n")
UNREACHABLE = {"TRACKER_KAFKA_BOOTSTRAP": "127.0.0.1:19092", "TRACKER_CLICKHOUSE_URL": "http://127.0.0.1:9"}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    # catch_exceptions=False: a traceback fails the test instead of passing as a non-zero exit
    return CliRunner().invoke(main, list(args), env={**UNREACHABLE, **(env or {})}, catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- 1. costs add: formats and the date, before the store ----------------------------------------------


@pytest.mark.parametrize(("args", "says"), [
    (["--post", "garbage"], "'garbage' names no platform; write platform:id"),
    (["--date", "yesterday"], "--date: 'yesterday' is not a date (YYYY-MM-DD)"),
])
def test_costs_add_checks_ids_and_date_and_names_the_option(args: list[str], says: str) -> None:
    base = {"--tenant": "acme", "--campaign": "launch", "--amount": "3"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = invoke("costs", "add", *[part for pair in base.items() for part in pair])
    assert result.exit_code == 2 and says in result.output, result.output
    assert "Invalid isoformat" not in result.output


# -- 2. posts import: options once, up front -----------------------------------------------------------


@pytest.mark.parametrize(("option", "value", "says", "good"), [
    ("--platform", "tiktokk", "'tiktokk' is not one of", "DOUYIN"),
    ("--time-zone", "Mars/Olympus", "unknown IANA time zone", "Europe/Paris"),
    ("--currency", "XX", "must be an ISO-4217 code", "usd"),
    ("--tenant", "lumi beauty", "must be 1-64 characters", "lumi-beauty"),
    ("--tracking-days", "-5", "-5 is not in the range x>=1", "1"),
    ("--version", "-1", "-1 is not in the range x>=0", "0"),
])
def test_posts_import_refuses_a_bad_option_once_as_a_usage_error(tmp_path: Path, option: str, value: str,
                                                                 says: str, good: str) -> None:
    path = write(tmp_path, "posts.csv", ROW)
    result = invoke("posts", "import", path, "--dry-run", option, value)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and says in result.output
    assert "line 2" not in result.output and "line 3" not in result.output
    result = invoke("posts", "import", path, "--dry-run", option, good)
    assert result.exit_code == 0 and "would import 2 posts" in result.output, result.output


@pytest.mark.parametrize("option", ["--time-zone", "--tz"])
def test_posts_and_snapshots_import_take_either_spelling_of_the_zone(tmp_path: Path, option: str) -> None:
    posts = write(tmp_path, "posts.csv", ROW.replace("+08:00", ""))
    result = invoke("posts", "import", posts, "--dry-run", option, "Mars/Olympus")
    assert result.exit_code == 2 and "unknown IANA time zone" in result.output, result.output
    result = invoke("posts", "import", posts, "--dry-run", option, "Europe/Paris")
    assert result.exit_code == 0 and "would import 2 posts" in result.output, result.output
    snaps = write(tmp_path, "s.csv", "tenant,post_id,observed_at,views\n\"acme\",\"douyin:1\",\"2025-09-11 00:01:36\",100\n")
    result = invoke("snapshots", "import", snaps, "--dry-run", option, "UTC")
    assert result.exit_code == 0 and "would send 1 snapshot(s)" in result.output, result.output
    result = invoke("snapshots", "import", snaps, "--dry-run", option, "Mars/Olympus")
    assert result.exit_code == 2 and "unknown time zone" in result.output, result.output


@pytest.mark.parametrize(("command", "applies_to"), [
    ("posts", "published_at"),
    ("snapshots", "as_of"),
])
def test_import_help_names_the_zone_option_and_what_it_applies_to(command: str, applies_to: str) -> None:
    text = " ".join(invoke(command, "import", "--help").output.split())
    assert "--time-zone, --tz ZONE" in text, text
    zone_help = text.split("--time-zone, --tz ZONE", 1)[1].split(" --", 1)[0]
    assert applies_to in zone_help and "without" in zone_help, zone_help


def test_posts_import_exit_status_tells_some_rows_refused_from_every_row_refused(tmp_path: Path) -> None:
    """2 when some rows were refused and the others imported; 1 when every row was (nothing
    read: a 2 told a script that something had been imported)."""
    one_bad = write(tmp_path, "one.csv", ROW.replace("2025-09-10T12:00:00+08:00,1200\n", "not a time,1200\n", 1))
    result = invoke("posts", "import", one_bad, "--dry-run")
    assert result.exit_code == 2 and "would import 1 posts" in result.output, result.output
    all_bad = write(tmp_path, "all.csv", ROW.replace("2025-09-10T12:00:00+08:00", "not a time"))
    result = invoke("posts", "import", all_bad, "--dry-run")
    assert result.exit_code == 1 and "2 row(s) refused" in result.output, result.output


def test_posts_import_dry_run_without_a_store_to_read_says_what_it_counts(tmp_path: Path) -> None:
    """A dry run checks the file with no service up; what it cannot know without the store (which
    campaigns are already stored as the file has them) it says."""
    result = invoke("posts", "import", write(tmp_path, "posts.csv", ROW), "--dry-run")
    assert result.exit_code == 0 and "1 campaigns" in result.output, result.output
    assert "note: the store could not be read (store http://127.0.0.1:9 unavailable" in result.output
    assert "campaigns and tenants are counted as new" in result.output


def test_posts_import_names_every_problem_of_a_row(tmp_path: Path) -> None:
    """A row with a bad publish time, a negative fee and no tier or followers is refused with the
    three reasons at once (it named the first only, so the file was fixed one error a run)."""
    path = write(tmp_path, "posts.csv", ROW.replace("12000,https://www.douyin.com/video/7301234567890123457,"
                                                    "2025-09-10T12:00:00+08:00,1200",
                                                    ",https://www.douyin.com/video/7301234567890123457,soon,-5"))
    result = invoke("posts", "import", path, "--dry-run")
    assert result.exit_code == 2 and "would import 1 posts" in result.output, result.output
    line = next(x for x in result.output.splitlines() if "line 3" in x)
    assert "published_at" in line and "fee" in line and "tier: unknown" in line, line


@pytest.mark.parametrize(("header", "says"), [
    ("video_id,as_of,views", "no post or url column: is this a snapshot file? (tracker snapshots import)"),
    ("post_id,as_of,views", "no published_at column"),  # the simulator's export: post ids, no publish time
])
def test_posts_import_of_a_snapshot_file_is_one_message(tmp_path: Path, header: str, says: str) -> None:
    path = write(tmp_path, "snapshots.csv", f"{header}\ndouyin:1,2025-09-20,100\ndouyin:2,2025-09-20,100\n")
    result = invoke("posts", "import", path, "--dry-run")
    assert result.exit_code == 1 and says in result.output and "tracker snapshots import" in result.output
    assert "row(s) refused" not in result.output, result.output


def test_posts_import_of_a_mapping_that_is_no_campaign_document(tmp_path: Path) -> None:
    path = write(tmp_path, "doc.yaml", "a: 1\n")
    result = invoke("posts", "import", path, "--dry-run")
    assert result.exit_code == 1 and "no posts, creators or campaigns section" in result.output, result.output


# -- 3. "nothing read" exits 1 -------------------------------------------------------------------------


def test_posts_import_of_a_header_only_file_reads_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "posts.csv", ROW.splitlines()[0] + "\n")
    result = invoke("posts", "import", path, "--dry-run")
    assert result.exit_code == 1 and "no rows" in result.output, result.output


@pytest.mark.parametrize(("name", "text", "says"), [
    ("snapshots.csv", "post_id,as_of,views\n", "no rows"),
    ("snapshots.yaml", "a: 1\n", "a mapping without a rows list"),
])
def test_snapshots_import_that_reads_nothing_exits_1(tmp_path: Path, name: str, text: str, says: str) -> None:
    result = invoke("snapshots", "import", write(tmp_path, name, text), "--dry-run", "--tenant", "acme")
    assert result.exit_code == 1 and says in result.output and "sent 0" not in result.output, result.output


# -- 4. snapshots import: --platform, paths once -------------------------------------------------------


def test_snapshots_import_platform_is_a_choice(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "platform_post_id,as_of,views\n1,2025-09-20,100\n")
    result = invoke("snapshots", "import", path, "--dry-run", "--tenant", "acme", "--platform", "tiktokk")
    assert result.exit_code == 2 and "'tiktokk' is not one of" in result.output, result.output
    result = invoke("snapshots", "import", path, "--dry-run", "--tenant", "acme", "--platform", "tiktok")
    assert result.exit_code == 0 and "would send 1 snapshot(s)" in result.output, result.output


def test_snapshots_import_refuses_bad_csv_lines_with_their_line_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "post_id,as_of,views,likes\n"
                 'douyin:1,2025-09-20T10:00:00Z,"100,10\n'
                 "douyin:1,2025-09-20T11:00:00Z,200,20,99\n"
                 "douyin:1,2025-09-20T12:00:00Z,300,30\n")
    result = invoke("snapshots", "import", path, "--dry-run", "--tenant", "acme")
    assert result.exit_code == 2 and "would send 1 snapshot(s)" in result.output, result.output
    assert 'line 2: a quote (") is not closed on this line' in result.output
    assert "line 3: 5 cells, the header has 4" in result.output


def test_snapshots_import_reads_a_store_export_with_tz(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "tenant,post_id,observed_at,views,searches\n"
                 '"acme","douyin:1","2025-09-11 00:01:36.977",100,\\N\n')
    result = invoke("snapshots", "import", path, "--dry-run")
    assert result.exit_code == 1 and "has no time zone" in result.output and "--time-zone" in result.output
    result = invoke("snapshots", "import", path, "--dry-run", "--tz", "UTC")
    assert result.exit_code == 0 and "would send 1 snapshot(s)" in result.output, result.output
    assert "FORMAT CSVWithNames" in invoke("snapshots", "import", "--help").output


@pytest.mark.parametrize("command", ["snapshots", "posts"])
def test_a_file_path_is_printed_once(tmp_path: Path, command: str) -> None:
    odd = write(tmp_path, "export", "x")
    result = invoke(command, "import", odd, "--dry-run")
    assert result.exit_code == 1 and result.output.count(odd) == 1 and "unsupported file type" in result.output
    if command == "snapshots":
        result = invoke(command, "import", str(tmp_path / "nope.csv"), "--dry-run")
        assert result.exit_code == 1 and result.output.count("nope.csv") == 1, result.output


# -- 5. run --demo and simulate ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "says"), [
    ("good.csv", ROW, "--campaign takes a campaign document"),
    ("broken.yaml", "tenants: [1\n  posts: x\n", "not valid YAML: line 2"),
])
def test_run_demo_refuses_a_campaign_file_it_cannot_serve(tmp_path: Path, name: str, text: str, says: str) -> None:
    result = invoke("run", "--demo", "--campaign", write(tmp_path, name, text))
    assert result.exit_code == 1 and says in result.output, result.output


@pytest.mark.parametrize(("option", "value"), [("--speed", "-1"), ("--days-in", "nan"), ("--speed", "inf")])
def test_run_demo_numbers_are_ranges(option: str, value: str) -> None:
    result = invoke("run", "--demo", option, value)
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output, result.output


def test_simulate_faults_file_with_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "faults.yaml", "- platform: youtube\n  kind: quota\n  count: [1\n")
    result = invoke("simulate", "--posts", "5", "--no-serve", "--faults", path)
    assert result.exit_code == 2 and "not valid YAML: line 4" in result.output, result.output


@pytest.mark.parametrize("option", ["--campaign-start", "--start"])
def test_simulate_times_name_the_option_and_the_form(option: str) -> None:
    result = invoke("simulate", "--posts", "5", "--no-serve", option, "yesterday")
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output
    assert "'yesterday' is not an ISO time such as 2025-09-01T00:00:00Z" in result.output, result.output


@pytest.mark.parametrize(("fault", "says"), [
    ("youtube:quota:count=abc", "fault count: expected a whole number (got 'abc')"),
    ("youtube:quota:start=soon", "fault start: expected an ISO time"),
    ("youtube:quota:probability=nan", "fault probability: expected a finite number"),
])
def test_simulate_fault_parameters_say_what_they_expect(fault: str, says: str) -> None:
    result = invoke("simulate", "--posts", "5", "--no-serve", "--fault", fault)
    assert result.exit_code == 2 and "--fault" in result.output and says in result.output, result.output


def test_simulate_writes_a_json_campaign_that_posts_import_reads(tmp_path: Path) -> None:
    path = tmp_path / "campaign.json"
    result = invoke("simulate", "--posts", "12", "--write-campaign", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "tracker.campaign.v1"
    result = invoke("posts", "import", str(path), "--dry-run")
    assert result.exit_code == 0 and "would import 12 posts" in result.output, result.output
    result = invoke("simulate", "--posts", "12", "--write-campaign", str(tmp_path / "campaign.txt"))
    assert result.exit_code == 2 and "YAML or JSON" in result.output and not (tmp_path / "campaign.txt").exists()


# -- 6. topics create, tenants grant -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-3"])
def test_topics_create_refuses_partitions_below_one(value: str) -> None:
    result = invoke("topics", "create", "--partitions", value)
    assert result.exit_code == 2 and "is not in the range x>=1" in result.output, result.output


def test_tenants_grant_help_is_plain_text() -> None:
    result = invoke("tenants", "grant", "--help")
    assert result.exit_code == 0 and "``" not in result.output
    assert "(tenant = TENANT)" in " ".join(result.output.split())


def test_tenants_grant_checks_the_engine_before_asking_for_a_password() -> None:
    result = invoke("tenants", "grant", "acme", env={"TRACKER_CLICKHOUSE_URL": "chdb:///nonexistent/store"})
    assert result.exit_code == 1 and "embedded engine has no users" in result.output
    assert "Password" not in result.output, result.output


def test_tenants_grant_without_a_terminal_says_password_is_needed() -> None:
    result = invoke("tenants", "grant", "acme")
    assert result.exit_code == 2 and "--password is needed" in result.output
    assert "Aborted" not in result.output and "Password" not in result.output, result.output


def test_tenants_grant_print_does_not_ask_for_a_password() -> None:
    result = invoke("tenants", "grant", "acme", "--print")  # the server is unreachable: fails after the prompt
    assert "Password" not in result.output and "Aborted" not in result.output, result.output


@pytest.mark.parametrize("option", ["--add", "--remove"])
def test_creators_tag_refuses_an_empty_tag_before_the_store(option: str) -> None:
    result = invoke("creators", "tag", "cr-1", option, " ", "--tenant", "acme")
    assert result.exit_code == 2 and "a tag cannot be empty" in result.output


# -- 7. posts import: what a file's values mean --------------------------------------------------------


def test_posts_import_refuses_a_bare_rate_above_1_and_an_unknown_format(tmp_path: Path) -> None:
    """服务费率 5 (a Xingtu sheet's 5 %) was stored as a 500 % service fee; a tracker.campaign.v2
    document was "the tenants section(s) are empty"."""
    rows = (ROW.replace(",fee\n", ",fee,service_fee_rate\n").replace(",1200\n", ",1200,5%\n", 1)
            .replace(",1200\n", ",1200,5\n"))
    result = invoke("posts", "import", write(tmp_path, "posts.csv", rows), "--dry-run")
    assert result.exit_code == 2 and "would import 1 posts" in result.output, result.output
    assert "line 3: service_fee_rate 5 would be 500 %: write 0.05 or 5%" in result.output
    result = invoke("posts", "import", write(tmp_path, "c.yaml", "format: tracker.campaign.v2\ntenants: []\n"),
                    "--dry-run")
    assert result.exit_code == 1 and "format 'tracker.campaign.v2' is not one tracker reads (supported: " \
        "tracker.campaign.v1" in result.output and "empty" not in result.output, result.output
