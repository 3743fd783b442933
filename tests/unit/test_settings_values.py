"""Settings values are checked when they are read, by every command (``tracker settings``
too), not when a service starts; ``tracker settings`` masks the password of every URL,
inside mappings too. No services: Kafka is a closed local port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr

from tracker.broker.node import free_port
from tracker.cli.main import main
from tracker.errors import ConfigError
from tracker.settings import Settings, tenant_tokens
from tracker.store.tenancy import parse_tokens

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "qa-token-0123456789abcdef"


def invoke(args: list[str], **env: str) -> Result:
    """``tracker ARGS`` in this process, with only the given TRACKER_* variables."""
    clean: dict[str, str | None] = {name: None for name in os.environ if name.upper().startswith("TRACKER_")}
    return CliRunner().invoke(main, args, env={**clean, **env})


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error: ")]


SHORT = "Error: TRACKER_READ_TENANT_TOKENS: the token of tenant 'qa' is shorter than 16 characters; use a long " \
        "random token (e.g. `openssl rand -hex 16`)"


@pytest.mark.parametrize("args", [["settings"], ["settings", "--json"], ["roi", "--campaign", "x"]])
def test_a_short_tenant_token_is_refused_by_every_command(args: list[str]) -> None:
    result = invoke(args, TRACKER_READ_PASSWORD="adminpw", TRACKER_READ_TENANT_TOKENS="tokqa=qa")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert error_lines(result.output) == [SHORT]
    assert "tokqa" not in result.output


def test_run_refuses_a_short_tenant_token_before_it_starts_anything(tmp_path: Path) -> None:
    """The walkthrough's case: nothing listens, nothing is printed but the one line."""
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    env = {"TRACKER_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "TRACKER_DATA_DIR": str(tmp_path / "data"),
           "TRACKER_CLICKHOUSE_URL": f"chdb://{tmp_path / 'store'}", "TRACKER_READ_PASSWORD": "adminpw",
           "TRACKER_READ_TENANT_TOKENS": "tokqa=qa"}
    result = subprocess.run([sys.executable, "-m", "tracker", "run"], env={**base, **env}, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == SHORT


def test_a_refused_token_is_not_in_the_traceback_vv_logs(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")}
    result = subprocess.run([sys.executable, "-m", "tracker", "-vv", "settings"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**base, "TRACKER_READ_TENANT_TOKENS": f"{TOKEN}=qa"})
    assert result.returncode == 1 and "Traceback" in result.stderr
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize(("env", "line"), [
    ({"TRACKER_READ_PASSWORD": "pw", "TRACKER_READ_TENANT_TOKENS": f"qa={TOKEN}"},
     "TRACKER_READ_TENANT_TOKENS: a token is shorter than 16 characters; entries are token=tenant, token first"),
    ({"TRACKER_READ_PASSWORD": "pw", "TRACKER_READ_TENANT_TOKENS": f'{{"{TOKEN}": "q a"}}'},
     "TRACKER_READ_TENANT_TOKENS: 'q a' is not a tenant id (letters, digits and ._:@-, at most 128)"),
    ({"TRACKER_READ_PASSWORD": "pw", "TRACKER_READ_TENANT_TOKENS": f'{{"{TOKEN}": "qa"'},
     "TRACKER_READ_TENANT_TOKENS: not valid JSON (Expecting ',' delimiter)"),
    ({"TRACKER_READ_PASSWORD": "pw", "TRACKER_READ_TENANT_TOKENS": TOKEN},
     "TRACKER_READ_TENANT_TOKENS: entries are token=tenant, separated by commas"),
    ({"TRACKER_READ_TENANT_TOKENS": f"{TOKEN}=qa"},
     "TRACKER_READ_TENANT_TOKENS needs TRACKER_READ_PASSWORD: without a password every reader of the endpoint "
     "sees every tenant"),
    ({"TRACKER_CLICKHOUSE_URL": "ftp://reader:s3cret@x"},
     "TRACKER_CLICKHOUSE_URL has scheme 'ftp': give http(s)://host:port for a ClickHouse server or "
     "chdb:///<absolute path> for the embedded store"),
    ({"TRACKER_CLICKHOUSE_URL": "chdb://store"},
     "TRACKER_CLICKHOUSE_URL='chdb://store': the embedded store is chdb:///<absolute path> (three slashes)"),
    ({"TRACKER_ALERTMANAGER_URL": "am:9093"}, "TRACKER_ALERTMANAGER_URL must be http(s)://host:port, got 'am:9093'"),
    ({"TRACKER_WECOM_WEBHOOK_URL": "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"},
     "TRACKER_WECOM_WEBHOOK_URL must start with https:// (got 'qyapi.weixin.qq.com/'…)"),
    ({"TRACKER_COLLECT_BASE_URLS": '{"douyn": "https://provider.example"}'},
     "TRACKER_COLLECT_BASE_URLS: unknown platform(s) douyn; known: youtube, bilibili, weibo, douyin, kuaishou, "
     "tiktok, instagram, xiaohongshu, wechat_channels, generic"),
    ({"TRACKER_COLLECT_LIMITS": '{"douyin": {"qps": 3}}'},
     "TRACKER_COLLECT_LIMITS[douyin]: unknown keys ['qps']; use batch_size, concurrency, daily_quota, rate_per_second"),
    ({"TRACKER_COLLECT_SOURCES": '{"douyin": "exports"}'},
     "TRACKER_COLLECT_SOURCES[douyin]: 'exports' is not an adapter of douyin; use douyin, export, generic"),
    ({"TRACKER_COLLECT_SOURCES": '{"xiaohongshu": "generic"}'},
     "TRACKER_COLLECT_SOURCES reads xiaohongshu with the generic adapter, but TRACKER_COLLECT_GENERIC (its field "
     "paths) is empty"),
    ({"TRACKER_COLLECT_GENERIC": '{"path": "/m", "metrics": {"likes": "l"}}'},
     "TRACKER_COLLECT_GENERIC lacks item_id (see tracker/collect/platforms/generic.py)"),
    ({"TRACKER_COLLECT_GENERIC": '{"path": "/m", "item_id": "id", "metrics": {"plays": "p"}}'},
     "TRACKER_COLLECT_GENERIC metrics: unknown ['plays']; use views, likes, comments, shares, saves, searches"),
])
def test_values_services_checked_at_start_are_checked_by_tracker_settings(env: dict[str, str], line: str) -> None:
    result = invoke(["settings"], **env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert error_lines(result.output) == [f"Error: {line}"]
    assert "s3cret" not in result.output and TOKEN not in result.output


def test_every_bad_value_is_named_at_once() -> None:
    result = invoke(["settings"], TRACKER_WEB_PORT="abc", TRACKER_ALERTMANAGER_URL="am:9093",
                    TRACKER_COLLECT_LIMITS='{"douyin": {"qps": 3}}')
    lines = error_lines(result.output)
    assert len(lines) == 3, result.output
    for line, start in zip(lines, ["Error: TRACKER_WEB_PORT='abc'", "Error: TRACKER_COLLECT_LIMITS[douyin]",
                                   "Error: TRACKER_ALERTMANAGER_URL"], strict=True):
        assert line.startswith(start)


def test_good_values_pass() -> None:
    result = invoke(["settings", "--json"], TRACKER_READ_PASSWORD="pw",
                    TRACKER_READ_TENANT_TOKENS=f'{{"{TOKEN}": "qa", "acme-token-0123456789": "acme"}}',
                    TRACKER_CLICKHOUSE_URL="https://ch.example.com:8443", TRACKER_ALERTMANAGER_URL="http://am:9093",
                    TRACKER_COLLECT_SOURCES='{"xiaohongshu": "generic", "douyin": "export", "youtube": "youtube"}',
                    TRACKER_COLLECT_GENERIC='{"path": "/m", "item_id": "id", "metrics": {"likes": "l"}}',
                    TRACKER_COLLECT_LIMITS='{"douyin": {"daily_quota": 100}}')
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output


@pytest.mark.parametrize("value", [
    "", f"{TOKEN}=qa", f"{TOKEN}=qa, acme-token-0123456789=acme", f'{{"{TOKEN}": "qa"}}',
    "tokqa=qa", f"qa={TOKEN}", TOKEN, f'{{"{TOKEN}": "q a"}}', f'{{"{TOKEN}": 1}}', "{", '["x"]',
])
def test_settings_and_the_read_endpoint_read_tenant_tokens_alike(value: str) -> None:
    """The read endpoint's parse (tracker.store.tenancy) is the settings' one: the two agree."""
    secret = SecretStr(value)
    try:
        expected = parse_tokens(secret)
    except ConfigError:
        with pytest.raises(ValueError):
            tenant_tokens(secret)
    else:
        assert tenant_tokens(secret) == expected


def test_the_description_states_the_token_minimum() -> None:
    description = Settings.model_fields["read_tenant_tokens"].description or ""
    assert "at least 16 characters" in description
    assert "at least 16 characters" in (ROOT / "README.md").read_text()


# -- masking: the password of every URL, wherever it is ---------------------------------------------------------------

URLS = {"TRACKER_COLLECT_BASE_URLS": '{"douyin": "https://u:base-pw@provider.example/v1"}',
        "TRACKER_COLLECT_GENERIC": '{"base_url": "https://u:generic-pw@provider.example", "path": "/m", '
                                   '"item_id": "id", "metrics": {"likes": "l"}}',
        "TRACKER_COLLECT_SIMULATOR_URL": "http://sim:sim-pw@127.0.0.1:8765",
        "TRACKER_GRAFANA_URL": "https://admin:grafana-pw@grafana.example"}


@pytest.mark.parametrize("args", [["settings"], ["settings", "--json"]])
def test_tracker_settings_masks_the_password_of_every_url(args: list[str]) -> None:
    result = invoke(args, **URLS)
    assert result.exit_code == 0, result.output
    for secret in ("base-pw", "generic-pw", "sim-pw", "grafana-pw"):
        assert secret not in result.output
    assert "https://u:********@provider.example/v1" in result.output
    if "--json" in args:
        values = json.loads(result.output)
        assert values["collect_base_urls"] == {"douyin": "https://u:********@provider.example/v1"}
        assert values["collect_generic"]["base_url"] == "https://u:********@provider.example"
        assert values["collect_generic"]["metrics"] == {"likes": "l"}


def test_a_bad_value_holding_a_url_is_shown_without_its_password() -> None:
    result = invoke(["settings"], TRACKER_COLLECT_BASE_URLS='{"douyin": "https://u:base-pw@x", "kuaishou": 3')
    assert result.exit_code == 1
    (line,) = error_lines(result.output)
    assert line.startswith("Error: TRACKER_COLLECT_BASE_URLS='{\"douyin\": \"https://u:********@x\"")
    assert "base-pw" not in result.output


@pytest.mark.parametrize(("text", "shown"), [
    ("https://analyst:s3cret@ch.example.com:8443/tracker", "https://analyst:********@ch.example.com:8443/tracker"),
    ("https://u:p@ss@host/x@y", "https://u:********@host/x@y"),
    ("http://host:9093/a@b", "http://host:9093/a@b"),
    ("http://user@host", "http://user@host"),
    ("chdb:///srv/store", "chdb:///srv/store"),
    ('{"a":"https://x","b":"https://v:q@y"}', '{"a":"https://x","b":"https://v:********@y"}'),
])
def test_masked_urls(text: str, shown: str) -> None:
    settings = Settings(_env_file=None, grafana_url=text)  # type: ignore[call-arg]
    assert settings.masked()["grafana_url"] == shown


@pytest.mark.parametrize(("name", "value", "args"), [
    ("TRACKER_KAFKA_HEAP", "1GB", ["broker", "start"]),  # was a traceback from the heap's parsing
    ("TRACKER_STORE_MEMORY_LIMIT", "4GB", ["sql", "SELECT 1"]),  # was the engine's error on max_server_memory_usage
    ("TRACKER_READ_MAX_MEMORY", "2 G", ["settings"]),
    ("TRACKER_READ_MAX_RESULT_BYTES", "512MB", ["settings"]),
])
def test_a_size_the_engine_or_the_jvm_would_not_read_is_named_before_any_work(
        name: str, value: str, args: list[str], tmp_path: Path) -> None:
    result = invoke(args, **{name: value, "TRACKER_DATA_DIR": str(tmp_path),
                             "TRACKER_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    [line] = error_lines(result.output)
    assert line.startswith(f"Error: {name}={value!r}: must be ")
    assert "e.g. " in line
    assert not any(tmp_path.iterdir())  # nothing was started or created


@pytest.mark.parametrize(("name", "value"), [
    ("TRACKER_KAFKA_HEAP", "768m"), ("TRACKER_KAFKA_HEAP", "2G"), ("TRACKER_KAFKA_HEAP", "1073741824"),
    ("TRACKER_STORE_MEMORY_LIMIT", "3500M"), ("TRACKER_STORE_MEMORY_LIMIT", "2Gi"),
    ("TRACKER_READ_MAX_MEMORY", "1000000000"), ("TRACKER_READ_MAX_RESULT_BYTES", "64Mi"),
])
def test_sizes_the_engine_and_the_jvm_read_are_taken(name: str, value: str) -> None:
    result = invoke(["settings", "--json"], **{name: value})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[name.removeprefix("TRACKER_").lower()] == value
