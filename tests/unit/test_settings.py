"""Settings: environment overrides, masked secrets, README documents every variable."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tracker.cli.main import COMMANDS, main
from tracker.cli.settings import markdown_table
from tracker.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_environment_overrides_and_secret_is_masked(monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_READ_PASSWORD", "hunter2")
    monkeypatch.setenv("TRACKER_BROKER_PORT", "19999")
    result = CliRunner().invoke(main, ["settings", "--json"])
    assert result.exit_code == 0, result.output
    values = json.loads(result.output)
    assert values["broker_port"] == 19999
    assert values["read_password"] == "********"
    assert "hunter2" not in result.output


def test_a_password_inside_a_url_setting_is_masked(monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_CLICKHOUSE_URL", "https://analyst:s3cret@ch.example.com:8443/tracker")
    monkeypatch.setenv("TRACKER_ALERTMANAGER_URL", "http://ops:am-pass@127.0.0.1:9093")
    for args in (["settings", "--json"], ["settings"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "s3cret" not in result.output and "am-pass" not in result.output
        assert "https://analyst:********@ch.example.com:8443/tracker" in result.output


def test_embedded_store_is_the_default(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TRACKER_CLICKHOUSE_URL", raising=False)
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    assert Settings().store_url == f"chdb://{tmp_path.resolve() / 'clickhouse'}"


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- settings-table:start -->") + len("<!-- settings-table:start -->")
    end = readme.index("<!-- settings-table:end -->")
    assert readme[start:end].strip() == markdown_table().strip(), (
        "README configuration table is stale: run `make docs`")


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_no_command_listing_cuts_a_summary_short() -> None:
    """Every group's --help lists its commands with whole summaries: a first sentence too long for
    the listing was cut to "Send the payloads of the messages set aside back to their..."."""
    import click

    def groups(group: click.Group, path: list[str]):  # type: ignore[no-untyped-def]
        yield path
        for name in group.list_commands(click.Context(group)):
            command = group.get_command(click.Context(group), name)
            if isinstance(command, click.Group):
                yield from groups(command, [*path, name])

    cut = []
    for path in groups(main, []):
        out = CliRunner().invoke(main, [*path, "--help"], terminal_width=80).output
        listing = out.split("Commands:", 1)[1] if "Commands:" in out else ""
        cut += [f"{' '.join(path)}: {line.strip()}" for line in listing.splitlines() if line.rstrip().endswith("...")]
    assert not cut, cut


def test_every_structured_default_in_the_table_can_be_pasted_as_its_variable(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's table shows list and mapping defaults as the environment takes them (JSON):
    pasted back, each gives the default (a Python tuple list once failed: 'must be a JSON array')."""
    rows = [line.split(" | ") for line in markdown_table().splitlines()[2:]]
    checked = 0
    for name, shown, _ in rows:
        variable, value = name.strip("| `"), shown.strip("`")
        field = variable.removeprefix("TRACKER_").lower()
        default = Settings.model_fields[field].get_default(call_default_factory=True)
        if not isinstance(default, (list, tuple, dict)):
            continue
        monkeypatch.setenv(variable, value)
        assert getattr(Settings(_env_file=None), field) == default, variable  # type: ignore[call-arg]
        checked += 1
    assert checked >= 3
