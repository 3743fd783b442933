"""The accounts file (TRACKER_ACCOUNTS_FILE): read with errors that name the file and the entry
(never a token), reread when it changes; which account reads a post; one account per batch."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from tracker.collect.accounts import Accounts, read
from tracker.collect.cadence import Cadence
from tracker.collect.collector import Collector, Runner
from tracker.collect.config import DEFAULTS, PlatformConfig, platform_configs
from tracker.collect.http import PlatformHttp
from tracker.collect.platforms import adapter_for
from tracker.collect.scheduler import Scheduler
from tracker.errors import ConfigError
from tracker.settings import Settings, problems

TOKEN = "act.SECRET-7f3a9c"
GOOD = f"""\
douyin:
  cr-0001: {{access_token: {TOKEN}, open_id: _000abc}}
  cr-0002: {{access_token: act.other, open_id: _000def}}
tiktok:
  cr-0003: {{access_token: act.tt}}
kuaishou:
  cr-0004: {{access_token: ks.1}}
instagram:
  cr-0005: {{access_token: IGQW1}}
"""


def written(tmp_path: Path, text: str, name: str = "accounts.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        read(path)
    message = str(caught.value)
    assert str(path) in message and "TRACKER_ACCOUNTS_FILE" in message
    assert TOKEN not in message
    return message


def test_a_good_file_lists_each_creators_credentials(tmp_path: Path) -> None:
    table = read(written(tmp_path, GOOD))
    assert set(table) == {"douyin", "tiktok", "kuaishou", "instagram"}
    douyin = table["douyin"]["cr-0001"]
    assert douyin.get("access_token") == TOKEN and douyin.get("open_id") == "_000abc"
    assert TOKEN not in repr(douyin) and TOKEN not in repr(table)
    assert read(written(tmp_path, '{"tiktok": {"cr-9": {"access_token": "act.j"}}}', "a.json")
                )["tiktok"]["cr-9"].get("access_token") == "act.j"
    assert read(written(tmp_path, "# nobody yet\n")) == {}


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert "no such file" in refused(tmp_path / "nowhere.yaml")


def test_bad_yaml_is_named_with_its_line_but_not_its_text(tmp_path: Path) -> None:
    message = refused(written(tmp_path, f"douyin:\n  cr-0001: {{access_token: {TOKEN}, open_id: [\n"))
    assert "not valid YAML" in message and "line" in message
    assert "not valid JSON" in refused(written(tmp_path, f'{{"douyin": {{"cr-1": "{TOKEN}"', "a.json"))


def test_an_unknown_platform_is_named_with_the_ones_that_take_accounts(tmp_path: Path) -> None:
    message = refused(written(tmp_path, "douyn:\n  cr-0001: {access_token: x, open_id: y}\n"))
    assert "unknown platform 'douyn'" in message and "did you mean douyin" in message
    message = refused(written(tmp_path, "weibo:\n  cr-0001: {access_token: x}\n"))
    assert "weibo is read with the platform-wide settings alone" in message
    assert "douyin, tiktok, kuaishou, instagram" in message


def test_an_entry_without_its_token_or_open_id_is_named(tmp_path: Path) -> None:
    assert refused(written(tmp_path, "tiktok:\n  cr-0003: {}\n")).endswith("tiktok.cr-0003: no access_token")
    assert refused(written(tmp_path, f"douyin:\n  cr-0001: {{access_token: {TOKEN}}}\n")
                   ).endswith("douyin.cr-0001: no open_id")
    assert "douyin.cr-0001: no access_token" in refused(written(tmp_path, "douyin:\n  cr-0001: {access_token: ' '}\n"))
    message = refused(written(tmp_path, f"douyin:\n  cr-0001: {{acces_token: {TOKEN}, open_id: o}}\n"))
    assert "douyin.cr-0001: unknown key 'acces_token' (did you mean access_token?)" in message
    assert "is a int, not a text" in refused(written(tmp_path, "kuaishou:\n  cr-0004: {access_token: 12345}\n"))
    assert "creator id 4 is no text" in refused(written(tmp_path, "kuaishou:\n  4: {access_token: k}\n"))
    assert "douyin.cr-0001: expected a mapping" in refused(written(tmp_path, f"douyin:\n  cr-0001: {TOKEN}\n"))


def test_every_command_refuses_a_bad_file_naming_the_variable(tmp_path: Path) -> None:
    path = written(tmp_path, "tiktok:\n  cr-0003: {}\n")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, accounts_file=path)  # type: ignore[call-arg]
    assert problems(caught.value, {}) == [f"TRACKER_ACCOUNTS_FILE {path}: tiktok.cr-0003: no access_token"]
    assert Settings(_env_file=None, accounts_file="").accounts_file is None  # type: ignore[call-arg]


def test_the_file_is_reread_when_it_changes_and_a_broken_one_keeps_the_accounts(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    path = written(tmp_path, "tiktok:\n  cr-0003: {access_token: act.1}\n")
    accounts = Accounts(path, every=30.0, clock=lambda: now[0])
    path.write_text("tiktok:\n  cr-0003: {access_token: act.2}\n  cr-0009: {access_token: act.9}\n")
    assert not accounts.refresh(), "looked at most every 30 s"
    now[0] = 31.0
    assert accounts.refresh() and accounts.version == 1
    assert accounts.changed == {("tiktok", "cr-0003"), ("tiktok", "cr-0009")}
    assert accounts.find("tiktok", "cr-0003").get("access_token") == "act.2"
    assert accounts.find("tiktok", "cr-0009") is not None and accounts.find("douyin", "cr-0003") is None
    path.write_text(f"tiktok:\n  cr-0003: {{access_token: {TOKEN}}}\n  cr-0009: {{}}\n")
    now[0] = 62.0
    with caplog.at_level(logging.ERROR):
        assert not accounts.refresh()
    assert "tiktok.cr-0009: no access_token" in caplog.text and TOKEN not in caplog.text
    assert accounts.find("tiktok", "cr-0009").get("access_token") == "act.9", "the accounts in force stay"
    now[0] = 93.0
    assert not accounts.refresh() and caplog.text.count("no access_token") == 1, "said once, not every look"


def test_which_account_reads_a_post(tmp_path: Path) -> None:
    """A listed creator's posts go with its own account; the others with the platform-wide one, or
    none (they wait) when the platform-wide settings are no account; a platform that is not
    owner-only reads everything with its one token."""
    accounts = Accounts(written(tmp_path, GOOD))
    base = {"base_url": "http://sim/douyin", "accounts": accounts}
    shared = adapter_for(PlatformConfig("douyin", "douyin", options={"douyin_open_id": "_000brand"}, **base))
    alone = adapter_for(PlatformConfig("douyin", "douyin", fallback=False, **base))
    assert shared.account_by_creator("cr-0001").get("access_token") == TOKEN
    assert shared.account_by_creator("cr-0404") is shared.shared and shared.shared.get("open_id") == "_000brand"
    assert alone.account_by_creator("cr-0404") is None and alone.account_by_creator("") is None
    weibo = adapter_for(PlatformConfig("weibo", "weibo", "http://sim/weibo", accounts=accounts))
    assert not weibo.owner_only and weibo.account_by_creator("cr-0404") is weibo.shared


def test_a_platform_read_by_the_files_accounts_alone_needs_no_platform_wide_token(tmp_path: Path) -> None:
    accounts = Accounts(written(tmp_path, GOOD))
    skipped: dict[str, str] = {}
    configs = platform_configs(Settings(_env_file=None), skipped, accounts)  # type: ignore[call-arg]
    assert {"douyin", "tiktok", "instagram"} <= set(configs)
    assert not any(configs[p].fallback for p in ("douyin", "tiktok", "instagram"))
    assert skipped["kuaishou"] == "set TRACKER_KUAISHOU_APP_ID", "the app_id is the app's, not a creator's"
    sim = Settings(_env_file=None, collect_simulator_url="http://sim", tiktok_access_token="act.brand")  # type: ignore[call-arg]
    configs = platform_configs(sim, {}, accounts)
    assert configs["tiktok"].fallback and not configs["douyin"].fallback
    assert configs["youtube"].fallback and configs["youtube"].accounts is None
    configs = platform_configs(sim, {}, Accounts(None))
    assert configs["douyin"].fallback, "without accounts the simulator reads every creator as before"


def test_a_batch_holds_one_accounts_posts_and_the_unauthorised_wait(tmp_path: Path) -> None:
    """Douyin posts of two authorised creators and one nobody authorised, due at once: one call's
    batch per account, each with all of that account's due posts; the unauthorised creator's posts
    are set aside as waiting, never sent."""
    accounts = Accounts(written(tmp_path, GOOD))
    cfg = PlatformConfig("douyin", "douyin", "http://127.0.0.1:9/douyin", accounts=accounts, fallback=False,
                         quota_zone=DEFAULTS["douyin"][3])
    scheduler = Scheduler(Cadence(), ["douyin"])
    now = 1_758_000_000.0
    owners = ["cr-0001", "cr-0002", "cr-0404"] * 4
    for i, creator in enumerate(owners):
        scheduler.upsert(f"douyin:73{i:017d}".encode(), "t", "douyin", now - 3600, None, now, 0, creator)

    class Clock:
        label = "test"

        def now(self) -> float:
            return now

    async def batches() -> list[set[str]]:
        http = PlatformHttp(cfg, Clock())  # type: ignore[arg-type]
        try:
            runner = Runner(cfg, adapter_for(cfg), http)
            collector = Collector(scheduler, [runner], None, Clock())  # type: ignore[arg-type]
            out = []
            while batch := collector._next_batch(runner):  # noqa: SLF001
                out.append({scheduler.creator_of(slot) for slot, _ in batch} | {f"n={len(batch)}"})
            return out
        finally:
            await http.aclose()

    assert asyncio.run(batches()) == [{"cr-0001", "n=4"}, {"cr-0002", "n=4"}]
    assert {scheduler.creator_of(slot) for slot in scheduler.waiting[0]} == {"cr-0404"}
    assert len(scheduler.waiting[0]) == 4
    assert scheduler.creators(["douyin"])["douyin"] == {"cr-0404": 4}, "the others are in flight"


def test_the_simulators_accounts_file_is_one_the_collector_reads(tmp_path: Path) -> None:
    """`tracker simulate --write-accounts` and the demo write every simulated creator's token of
    the owner-only platforms, readable by its owner alone, in the layout the collector reads."""
    from tracker.simulate.owners import account_token, write_accounts
    from tracker.simulate.population import generate_population

    population = generate_population(7, 60)
    path = write_accounts(population, tmp_path / "demo" / "accounts.yaml")
    assert path.stat().st_mode & 0o077 == 0
    table = read(path)
    for post in population.posts:
        if post.platform in ("douyin", "tiktok", "kuaishou", "instagram"):
            account = table[post.platform][post.creator]
            assert account.get("access_token") == account_token(post.platform, post.extra["account_id"])
            if post.platform == "douyin":
                assert account.get("open_id") == post.extra["account_id"]
