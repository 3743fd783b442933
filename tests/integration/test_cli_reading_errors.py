"""The reading commands (alerts, creators, top, roi, curve, report, dashboards) on mistakes:
a typo or an unknown name is an error, not "all clear"; an empty result says why; an output
path that cannot be written stops the command before any work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.fixtures.store import cli_on, shared_store
from tests.integration.test_report import seed_curve
from tests.integration.test_roi import seed_campaign
from tracker.cli.main import main
from tracker.store.store import Store

pytestmark = pytest.mark.integration

Run = Callable[..., Result]


def invoke(*args: str) -> Result:
    """``tracker …`` with no store (help, and refusals before a store is opened)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def campaign_reader(engine_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The fixture campaign of test_roi.py seeded once for the module's tests that only read it
    (readonly: the engine refuses a write)."""
    with shared_store(engine_url, tmp_path_factory.mktemp("reading"), seed_campaign) as reader:
        yield reader


@pytest.fixture
def cli(campaign_reader: Store, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``tracker …`` in-process against ``campaign_reader``'s database (the result is not checked)."""
    return cli_on(campaign_reader.settings, monkeypatch)


# -- 1. no false "all clear" ---------------------------------------------------------------------


def test_alerts_refuses_an_unknown_alert_type(cli: Run) -> None:
    result = cli("alerts", "--alert", "PostDecayng")
    assert result.exit_code == 2
    assert "'PostDecayng' is not one of" in result.output and "SuspiciousEngagement" in result.output


def test_alerts_refuses_an_unknown_campaign_or_tenant_like_roi(cli: Run) -> None:
    roi = cli("roi", "--campaign", "nope")
    result = cli("alerts", "--campaign", "nope")
    assert result.exit_code == roi.exit_code == 1
    assert "no registered posts in campaign 'nope'" in result.output
    assert result.output.splitlines()[-1] == roi.output.splitlines()[-1]  # the very same message

    result = cli("alerts", "--tenant", "nobody")
    assert result.exit_code == 1
    assert "no registered posts for tenant 'nobody' (tenants: acme, globex)" in result.output
    assert "for tenant 'nobody'" in cli("alerts", "--campaign", "c1", "--tenant", "nobody").output


def test_alerts_of_a_known_campaign_without_alerts_is_still_all_clear(campaign_cli: Run, store: Store) -> None:
    # c1 exists for two tenants: listing its alerts needs no --tenant (roi's ambiguity check is not reused)
    result = campaign_cli("alerts", "--campaign", "c1")
    assert result.exit_code == 0 and "no firing alerts" in result.output
    seed_curve(store)
    assert "PostDecaying" in campaign_cli("alerts", "--campaign", "c1", "--alert", "PostDecaying").output


def test_creators_rank_refuses_an_unknown_platform_and_names_the_tags_in_use(cli: Run) -> None:
    result = cli("creators", "rank", "--tenant", "acme", "--platform", "tiktokk")
    assert result.exit_code == 2 and "'tiktokk' is not one of" in result.output

    result = cli("creators", "rank", "--tenant", "acme", "--tag", "nosuch")
    assert result.exit_code == 1
    assert "no creator is tagged 'nosuch' (tags in use: beauty, fashion, tone:warm)" in result.output
    assert "cr1" in cli("creators", "rank", "--tenant", "acme", "--tag", "beauty").output


def test_top_says_why_no_post_has_the_metric(cli: Run) -> None:
    # globex's c1 is one douyin post whose platform reported no searches
    result = cli("top", "--campaign", "c1", "--tenant", "globex", "--metric", "searches")
    assert result.exit_code == 0
    assert result.output == ("no post of Globex c1 (globex/c1) has searches: "
                             "the platforms here (douyin) do not expose it\n")

    result = cli("top", "--campaign", "c1", "--tenant", "acme", "--since", "2026-01-01")
    assert "has saves: none was published in this window (--since / --until)" in result.output


def test_top_by_roas_without_orders_says_so(cli: Run) -> None:
    # globex has no orders at all; acme's c2 has none of acme's orders; acme's c1 has two on douyin:1
    result = cli("top", "--campaign", "c1", "--tenant", "globex", "--metric", "roas")
    assert result.output == ("no post of Globex c1 (globex/c1) has roas: "
                             "no orders imported for this campaign (tracker sales import FILE)\n")
    result = cli("top", "--campaign", "c2", "--tenant", "acme", "--metric", "revenue")
    assert "has revenue: none of the orders imported for this tenant (3) is attributed to this campaign" in result.output
    assert "douyin:1" in cli("top", "--campaign", "c1", "--tenant", "acme", "--metric", "roas").output


@pytest.mark.parametrize("command", ["roi", "top"])
def test_since_after_until_is_a_usage_error(cli: Run, command: str) -> None:
    result = cli(command, "--campaign", "c1", "--tenant", "acme", "--since", "2025-10-01", "--until", "2025-09-01")
    assert result.exit_code == 2
    assert "--since 2025-10-01 is after --until 2025-09-01" in result.output
    same = cli(command, "--campaign", "c1", "--tenant", "acme", "--since", "2025-03-01", "--until", "2025-03-01")
    assert same.exit_code == 2 and "--since 2025-03-01 equals --until 2025-03-01" in same.output


# -- 2. output paths checked before any work -------------------------------------------------------


def test_curve_checks_the_png_path_before_any_work(campaign_cli: Run, store: Store, tmp_path: Path) -> None:
    seed_curve(store)
    missing = tmp_path / "nodir" / "c.png"
    result = campaign_cli("curve", "douyin:1", "--tenant", "acme", "--png", str(missing))
    assert result.exit_code == 2
    assert f"cannot write {missing}: no such directory" in result.output
    # before any work: an unknown post is not even looked up
    result = campaign_cli("curve", "douyin:nope", "--tenant", "acme", "--png", str(missing))
    assert "no such directory" in result.output and "not registered" not in result.output

    jpg = tmp_path / "c.jpg"
    result = campaign_cli("curve", "douyin:1", "--tenant", "acme", "--png", str(jpg))
    assert result.exit_code == 2 and "c.jpg does not end in .png" in result.output
    assert not jpg.exists()


@pytest.mark.parametrize(("option", "name", "error"), [
    ("--xlsx", "nodir/r.xlsx", "no such directory"),
    ("--html", "nodir/r.html", "no such directory"),
    ("--xlsx", "r.html", "r.html does not end in .xlsx: the file written is an XLSX workbook"),
    ("--html", "r.xlsx", "r.xlsx does not end in .html or .htm"),
])
def test_report_checks_its_output_paths_before_any_work(cli: Run, tmp_path: Path, option: str, name: str,
                                                        error: str) -> None:  # fmt: skip
    result = cli("report", "--campaign", "c1", "--tenant", "acme", option, str(tmp_path / name))
    assert result.exit_code == 2, result.output
    assert error in result.output
    assert not (tmp_path / name).exists()


def test_dashboards_generate_refuses_an_out_folder_that_takes_no_files(tmp_path: Path) -> None:
    result = invoke("dashboards", "generate", "--out", "/proc/x")
    assert result.exit_code == 2
    assert "cannot write /proc/x: /proc takes no new files" in result.output


def test_dashboards_generate_refuses_an_unknown_store_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_CLICKHOUSE_URL", "ftp://reader:s3cret@x")
    result = invoke("dashboards", "generate", "--out", str(tmp_path / "grafana"))
    assert result.exit_code == 1
    assert "TRACKER_CLICKHOUSE_URL has scheme 'ftp'" in result.output
    assert "s3cret" not in result.output
    assert not (tmp_path / "grafana" / "provisioning").exists()


def test_dashboards_check_names_the_out_folder_to_regenerate(tmp_path: Path) -> None:
    out = tmp_path / "my grafana"
    result = invoke("dashboards", "generate", "--check", "--out", str(out))
    assert result.exit_code == 1
    assert f"run `tracker dashboards generate --out '{out}'`" in result.output


# -- 3. help texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["roi", "top"])
def test_window_options_show_the_date_format(command: str) -> None:
    text = invoke(command, "--help").output
    assert "--since YYYY-MM-DD" in text and "--until YYYY-MM-DD" in text and "%Y" not in text


def test_creators_listing_shows_whole_summaries() -> None:
    listing = invoke("creators", "--help").output.split("Commands:")[1]
    assert "..." not in listing
    assert "tag   Add or remove a creator's tags" in listing
