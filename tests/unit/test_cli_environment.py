"""Ordinary mistakes in the environment give one ``Error:`` line that says what to fix, never
a traceback: bad or mistyped TRACKER_* variables, Kafka down, a store never migrated or held
by another process, a taken port, a bad option.

No services: Kafka is a closed local port, stores are fresh chDB directories under tmp_path.
Commands that could start a chDB engine or a server run in a child process, so this process
never hosts an engine (chDB allows one path per process) and stderr is seen as a user sees it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from clickhouse_connect.driver.exceptions import DatabaseError

from tracker.broker.node import free_port
from tracker.cli.main import main
from tracker.errors import ConfigError
from tracker.settings import Settings, unknown_variables
from tracker.store.access import open_writer
from tracker.store.errors import QueryError, SchemaMissing, translate
from tracker.store.lock import holder_from_argv

ROOT = Path(__file__).resolve().parents[2]
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """TRACKER_* settings of one test: Kafka on a port nothing listens on, a store path that
    does not exist, state under tmp_path."""
    return {"TRACKER_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "TRACKER_CLICKHOUSE_URL": f"chdb://{tmp_path / 'store'}",
            "TRACKER_DATA_DIR": str(tmp_path / "data")}


def invoke(args: list[str], **env: str) -> Result:
    """``tracker ARGS`` in this process, with only the given TRACKER_* variables."""
    clean: dict[str, str | None] = {name: None for name in os.environ if name.upper().startswith("TRACKER_")}
    return CliRunner().invoke(main, args, env={**clean, **env})


def run(args: list[str], env: dict[str, str], *, stdin: int | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``tracker ARGS`` in a child process, with only the given TRACKER_* variables."""
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    return subprocess.run([sys.executable, "-m", "tracker", *args], env={**base, **env}, cwd=ROOT, stdin=stdin,
                          capture_output=True, text=True, timeout=timeout)


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error: ")]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


# -- 1. bad TRACKER_* values ------------------------------------------------------------------

@pytest.mark.parametrize("args", [["settings"], ["roi", "--campaign", "x"]])
def test_bad_values_give_one_line_per_variable(args: list[str]) -> None:
    result = invoke(args, TRACKER_WEB_PORT="abc", TRACKER_ANALYTICS_ENABLED="maybe", TRACKER_READ_PASSWORD="s3cret")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert error_lines(result.output) == [
        "Error: TRACKER_WEB_PORT='abc': must be an integer",
        "Error: TRACKER_ANALYTICS_ENABLED='maybe': must be true or false (or 1/0, yes/no, on/off)"]
    assert "s3cret" not in result.output


def test_negative_port_is_refused() -> None:
    result = invoke(["settings"], TRACKER_WEB_PORT="-5")
    assert result.exit_code == 1
    assert error_lines(result.output) == ["Error: TRACKER_WEB_PORT='-5': must be 0 or more"]


def test_bad_json_names_the_variable() -> None:
    result = invoke(["settings"], TRACKER_COLLECT_LIMITS="{youtube: 1}")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    (line,) = error_lines(result.output)
    assert line.startswith("Error: TRACKER_COLLECT_LIMITS='{youtube: 1}': must be a JSON object (not valid JSON")


# -- 2. TRACKER_* variables that are no setting -----------------------------------------------------

def test_a_mistyped_variable_is_named_with_the_setting_it_meant() -> None:
    result = invoke(["settings", "--json"], TRACKER_WEB_PROT="9000", TRACKER_STORE_DSN="x",
                    TRACKER_BENCH_ROI_MAX_SECONDS="1")
    assert result.exit_code == 0, result.output
    assert ("warning: TRACKER_WEB_PROT is not a tracker setting and is ignored; did you mean TRACKER_WEB_PORT?"
            in result.stderr)
    assert "warning: TRACKER_STORE_DSN is not a tracker setting" in result.stderr
    assert "TRACKER_BENCH_ROI_MAX_SECONDS" not in result.stderr


def test_settings_show_the_store_in_use_when_no_url_is_set(tmp_path: Path) -> None:
    def shown(**env: str) -> str:
        result = invoke(["settings"], **env)
        assert result.exit_code == 0, result.output
        (line,) = [line for line in result.output.splitlines() if line.startswith("clickhouse_url ")]
        return line.split(None, 1)[1]

    assert shown(TRACKER_DATA_DIR=str(tmp_path)) == f"chdb://{tmp_path}/clickhouse (unset; derived from TRACKER_DATA_DIR)"
    assert shown(TRACKER_CLICKHOUSE_URL="chdb:///srv/store") == "chdb:///srv/store"


def test_every_variable_the_project_names_is_known() -> None:
    """No false warning for a TRACKER_* variable the code, tests, Makefile or docs use."""
    names = set()
    for pattern in ("tracker/**/*.py", "tests/**/*.py", "Makefile", "*.md", "docs/**/*.md", "deploy/**/*"):
        for path in ROOT.glob(pattern):
            if path.is_file():
                names.update(re.findall(r"\bTRACKER_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="ignore")))
    names -= {"TRACKER_WEB_PROT", "TRACKER_STORE_DSN"}  # this file's typos
    assert unknown_variables(names) == []


# -- 3. Kafka unreachable -------------------------------------------------------------------------------

def kafka_error(env: dict[str, str]) -> str:
    return (f"Error: Kafka at {env['TRACKER_KAFKA_BOOTSTRAP']} is not reachable; start it (tracker broker start) "
            "or set TRACKER_KAFKA_BOOTSTRAP")


@pytest.mark.parametrize("args", [["topics", "list"], ["topics", "create"], ["worker"]])
def test_kafka_down_is_one_line(env: dict[str, str], args: list[str]) -> None:
    result = run(args, {**env, "TRACKER_WEB_PORT": "0", "TRACKER_READ_PORT": "0"})
    assert result.returncode == 1
    assert result.stderr.strip() == kafka_error(env)


def test_kafka_down_on_import_has_no_traceback_or_unclosed_client(env: dict[str, str]) -> None:
    result = run(["posts", "import", "deploy/demo/campaign.yaml"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr, result.stderr
    assert error_lines(result.stderr) == [f"{kafka_error(env)}"]


def test_notify_says_kafka_is_down_before_it_starts(env: dict[str, str]) -> None:
    result = run(["notify"], {**env, "TRACKER_SLACK_WEBHOOK_URL": SLACK, "TRACKER_WEB_PORT": "0"})
    assert result.returncode == 1
    assert result.stderr.strip() == kafka_error(env)


# -- 4. tracker heat checks its options before Kafka ------------------------------------------------------

@pytest.mark.parametrize(("args", "says"), [
    (["douyin:7301", "--currency", "RMBX"], "--currency: must be an ISO-4217 code"),
    (["douyin:7301", "--currency", "rmb"], "--currency: RMB is not an ISO-4217 code; write CNY"),
    (["douyin:7301", "--start", "2025-09-20T20:00:00+08:00", "--end", "2025-09-19T20:00:00+08:00"],
     "Invalid value for --end: 2025-09-19T20:00:00+08:00 is before the start (2025-09-20T20:00:00+08:00)"),
    (["7301"], "'7301' names no platform; write platform:id (e.g. douyin:7301)"),
    (["douyin:7301", "--start", "tomorrow"],
     "Invalid value for '--start': 'tomorrow' is not an ISO time such as 2025-09-20T20:00:00+08:00"),
    (["douyin:7301", "--end", "2025-09-21T20:00:00"],
     "Invalid value for '--end': '2025-09-21T20:00:00' has no offset; add Z or +08:00"),
])
def test_heat_options_are_checked_before_kafka(env: dict[str, str], args: list[str], says: str) -> None:
    result = invoke(["heat", *args, "--spend", "500", "--channel", "dou+", "--tenant", "t"], **env)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Kafka" not in result.output and "--platform" not in result.output


# -- 5. a store without tracker's schema, or held by another process ---------------------------------------------

def test_a_missing_store_says_to_migrate_and_is_not_created(env: dict[str, str], tmp_path: Path) -> None:
    for args in (["roi", "--campaign", "x"], ["sql", "SELECT 1"]):
        result = run(args, env)
        assert result.returncode == 1
        assert result.stderr.strip() == (f"Error: the store at {env['TRACKER_CLICKHOUSE_URL']} has no tracker schema; "
                                         "run tracker db migrate (or check TRACKER_CLICKHOUSE_URL)")
    assert not (tmp_path / "store").exists()


def test_a_writer_does_not_create_a_store_at_a_mistyped_path(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, clickhouse_url=f"chdb://{tmp_path / 'typo'}",  # type: ignore[call-arg]
                        data_dir=tmp_path / "data")
    with pytest.raises(SchemaMissing, match="run tracker db migrate"), open_writer(settings):
        pass
    assert not (tmp_path / "typo").exists()


def test_an_empty_store_says_to_migrate(env: dict[str, str], tmp_path: Path) -> None:
    """A real engine answering UNKNOWN_DATABASE: the store exists, tracker's database does not."""
    init = ("import sys, clickhouse_connect; "
            "clickhouse_connect.get_client(dsn=sys.argv[1]).command('CREATE DATABASE other')")
    subprocess.run([sys.executable, "-c", init, env["TRACKER_CLICKHOUSE_URL"]], check=True, timeout=120)
    result = run(["roi", "--campaign", "x"], env)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("has no tracker schema; run tracker db migrate (or check "
                                          "TRACKER_CLICKHOUSE_URL)"), result.stderr


def test_a_store_found_from_the_current_folder_says_so(tmp_path: Path) -> None:
    """With TRACKER_DATA_DIR relative (the default .tracker) and no TRACKER_CLICKHOUSE_URL, a store
    missing from another folder is not "run tracker db migrate": that would start a second store."""
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    result = subprocess.run([sys.executable, "-m", "tracker", "sql", "SELECT count() FROM posts"], cwd=tmp_path,
                            env={**base, "TRACKER_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: the store at chdb://{tmp_path}/.tracker/clickhouse has no tracker schema. The store is found from the "
        "current folder (TRACKER_DATA_DIR=.tracker): run tracker from the project folder or set TRACKER_DATA_DIR / "
        "TRACKER_CLICKHOUSE_URL; `tracker db migrate` creates an empty store here")
    assert not (tmp_path / ".tracker" / "clickhouse").exists()
    # an absolute data folder is checked, not explained
    result = run(["sql", "SELECT 1"], {"TRACKER_DATA_DIR": str(tmp_path / "data")})
    assert result.stderr.strip().endswith("has no tracker schema; run tracker db migrate (or check TRACKER_DATA_DIR)")


@pytest.mark.parametrize(("message", "code", "missing"), [
    ("Code: 81. DB::Exception: Database tracker does not exist. (UNKNOWN_DATABASE)", 81, "has no tracker schema"),
    ("Code: 60. DB::Exception: Unknown table expression identifier 'posts'. In scope SELECT 1. (UNKNOWN_TABLE)",
     60, "lacks tracker's table posts"),
    ("Code: 60. DB::Exception: Table tracker.cost_lines does not exist. (UNKNOWN_TABLE)", 60,
     "lacks tracker's table cost_lines"),
    ("Code: 81. DB::Exception: Database other does not exist. (UNKNOWN_DATABASE)", 81, None),
    ("Code: 60. DB::Exception: Unknown table expression identifier 'mytypo'. (UNKNOWN_TABLE)", 60, None),
])
def test_unknown_database_or_table_of_tracker_means_not_migrated(message: str, code: int, missing: str | None) -> None:
    mapped = translate(DatabaseError(message, code=code), "chdb:///x", "tracker")
    assert isinstance(mapped, QueryError) and mapped.code == code  # the read endpoint's status stays the same
    if missing is None:  # a reader's own typo keeps the engine's message
        assert not isinstance(mapped, SchemaMissing) and str(mapped) == message
    else:
        assert isinstance(mapped, ConfigError)
        assert str(mapped) == f"the store at chdb:///x {missing}; run tracker db migrate (or check TRACKER_CLICKHOUSE_URL)"


HOLD = """
import sys
from tracker.settings import Settings
from tracker.store.store import Store
settings = Settings()
with Store(settings.store_url, None, settings=settings) as store:  # an engine on the path, no schema needed
    store.query_sync("SELECT 1")
    print("holding", flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize(("argv", "says"), [
    # a short tracker command (the console script runs as `python …/bin/tracker sql …`): wait for it
    (["tracker", "sql", "SELECT count() FROM posts"],
     "(tracker sql SELECT count() FROM posts); wait for that command to finish and try again"),
    # a run or worker under another data folder: its read endpoint is found through that folder's lock file
    (["tracker", "-v", "run"], "(tracker -v run), which serves it through its read endpoint: give this command "
                               "that process's TRACKER_DATA_DIR so it queries through the endpoint, or stop that process"),
    # another program
    (["notebook.py"], "(python notebook.py); stop it, or wait for it to finish (one process at a time can open an "
                      "embedded store)"),
])
def test_a_held_store_names_its_holder(env: dict[str, str], tmp_path: Path, argv: list[str], says: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    script = tmp_path / "bin" / argv[0]
    script.parent.mkdir()
    script.write_text(HOLD)
    # the holder keeps its own data_dir: no lock file tells the command to use a read endpoint
    holder = subprocess.Popen([sys.executable, *argv], cwd=script.parent, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env={**base, **env, "TRACKER_DATA_DIR": str(tmp_path / "holder")})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        result = run(["sql", "SELECT 1"], env)
    finally:
        holder.communicate("", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: the embedded store at {env['TRACKER_CLICKHOUSE_URL']} is held by "
                                     f"process {holder.pid} {says}".replace("(python ", f"({Path(sys.executable).name} "))


def test_a_holder_is_named_from_its_command_line() -> None:
    console = holder_from_argv(7, ["/venv/bin/python", "/venv/bin/tracker", "-v", "worker"])
    assert (str(console), console.subcommand, console.serves) == ("process 7 (tracker -v worker)", "worker", True)
    module = holder_from_argv(8, ["python3", "-m", "tracker", "sales", "import", "orders.csv"])
    assert (str(module), module.serves) == ("process 8 (tracker sales import orders.csv)", False)
    other = holder_from_argv(9, ["/usr/bin/python3", "-c", "x" * 100])
    assert other.subcommand is None and str(other) == f"process 9 (python3 -c {'x' * 48}…)"


# -- 6. tracker sql on a terminal ------------------------------------------------------------------------------------

def test_sql_without_query_on_a_terminal_says_what_to_do(env: dict[str, str]) -> None:
    primary, terminal = os.openpty()
    try:
        result = run(["sql"], env, stdin=terminal, timeout=30)
    finally:
        os.close(terminal)
        os.close(primary)
    assert result.returncode == 2
    assert "Error: no query: pass one" in result.stderr


def test_sql_with_an_unknown_format_says_so_once(env: dict[str, str]) -> None:
    init = ("import sys, clickhouse_connect; "
            "clickhouse_connect.get_client(dsn=sys.argv[1]).command('CREATE DATABASE tracker')")
    subprocess.run([sys.executable, "-c", init, env["TRACKER_CLICKHOUSE_URL"]], check=True, timeout=120)
    for args in (["sql", "SELECT 1", "-f", "Nonsense"], ["sql", "SELECT 1 FORMAT Nonsense"]):
        result = run(args, env)
        assert result.returncode == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: unknown output format 'Nonsense' (ClickHouse code 73); formats include "
                               "PrettyCompact, TabSeparated, "), line
    assert run(["sql", "SELECT 1", "-f", "csv"], env).stdout == "1\n"  # formats are matched case-insensitively


# -- 7. notify: configuration errors, log level, ports -----------------------------------------------------------------

def test_a_config_error_is_one_line() -> None:
    result = invoke(["notify", "--test"], TRACKER_SLACK_WEBHOOK_URL="not-a-url")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert error_lines(result.output) == ["Error: TRACKER_SLACK_WEBHOOK_URL must start with https:// (got 'not-a-url'…)"]


@pytest.mark.parametrize("command", ["notify", "worker", "run", "collect"])
def test_loglevel_is_a_choice(env: dict[str, str], command: str) -> None:
    result = run([command, "--loglevel", "loud"], {**env, "TRACKER_SLACK_WEBHOOK_URL": SLACK})
    assert result.returncode == 2
    assert "Error: Invalid value for '--loglevel'" in result.stderr


@pytest.mark.parametrize("command", ["notify", "worker", "run", "collect"])
def test_a_taken_port_says_which_setting_to_change(env: dict[str, str], busy_port: int, command: str) -> None:
    result = run([command], {**env, "TRACKER_SLACK_WEBHOOK_URL": SLACK, "TRACKER_WEB_PORT": str(busy_port),
                             "TRACKER_READ_PORT": "0"})
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: port {busy_port} is in use; set TRACKER_WEB_PORT"


RUNNING = """
import socket, sys
from tracker.settings import Settings
from tracker.store.lock import acquire_store_lock
settings = Settings()
with acquire_store_lock(settings), socket.socket() as web:  # what a running `tracker run` holds
    web.bind((settings.web_host, settings.web_port))
    web.listen()
    print("holding", flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize("args", [["run", "--demo"], ["worker"]])
def test_a_second_run_on_the_same_data_folder_names_the_first(env: dict[str, str], tmp_path: Path,
                                                             args: list[str]) -> None:
    # `make run` in a second terminal, with the same settings: its port is the first one's, and it
    # was told to set TRACKER_WEB_PORT, which led on to "the store is held"
    env = {**env, "TRACKER_WEB_PORT": str(free_port()), "TRACKER_READ_PORT": str(free_port())}
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    script = tmp_path / "bin" / "tracker"
    script.parent.mkdir()
    script.write_text(RUNNING)
    first = subprocess.Popen([sys.executable, str(script), "run", "--demo"], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env={**base, **env})
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "holding"
        result = run(args, env)
    finally:
        first.communicate("", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: the store of {env['TRACKER_DATA_DIR']} is held by process {first.pid} "
                                     f"(tracker run --demo); stop it first (lock file "
                                     f"{Path(env['TRACKER_DATA_DIR']) / 'store.lock'})")


def test_the_traceback_behind_an_error_line_is_logged_with_vv(env: dict[str, str]) -> None:
    quiet = run(["posts", "import", "deploy/demo/campaign.yaml"], env)
    loud = run(["-vv", "posts", "import", "deploy/demo/campaign.yaml"], env)
    assert quiet.returncode == loud.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "BrokerUnavailable" in loud.stderr
    assert error_lines(loud.stderr) == error_lines(quiet.stderr)
