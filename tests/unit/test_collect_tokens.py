"""Renewed tokens without services: when a token is renewed (expiry arithmetic), the state file
(mode 600, replaced atomically, set aside when it does not read, never showing a token), the
renewed tokens in force over the accounts file's entry until that entry is edited, and what a
renewal does with the platform's answer (kept and used; a refused refresh token not sent again)."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import orjson
import pytest
from pydantic import SecretStr

from tracker.collect import errors as e
from tracker.collect.accounts import Account, Accounts, read
from tracker.collect.clock import WallClock
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp
from tracker.collect.platforms import adapter_for
from tracker.collect.platforms.base import Adapter
from tracker.collect.renewal import Renewals
from tracker.collect.tokens import Grant, Renewed, TokenState, fingerprint, renew_at, seconds
from tracker.errors import ConfigError

HOUR, DAY = 3600.0, 86400.0
ACCESS, REFRESH = "act.SECRET-access-1", "rft.SECRET-refresh-1"
FILE = f"""\
tiktok:
  cr-1: {{access_token: {ACCESS}, refresh_token: {REFRESH}}}
  cr-2: {{access_token: act.other, refresh_token: rft.other}}
douyin:
  cr-3: {{access_token: act.d, open_id: _000d, refresh_token: rft.d}}
"""


@pytest.mark.parametrize(("life", "after"), [
    (2 * HOUR, 96 * 60),  # TikTok's client token: renewed after 96 minutes, 24 before its end
    (DAY, 0.8 * DAY),  # TikTok's user token
    (2 * DAY, 0.8 * 2 * DAY),  # Kuaishou's
    (15 * DAY, 12 * DAY),  # Douyin's
    (20 * 60, 15 * 60),  # short-lived: 5 minutes before its end rather than after 80 %
    (6 * 60, 3 * 60),  # shorter than that: never before half its life
    (0, 0),
])
def test_a_token_is_renewed_after_80_percent_of_its_life_and_5_minutes_before_its_end(life: float, after: float) -> None:
    obtained = 1_750_000_000.0
    assert renew_at(obtained, obtained + life) == pytest.approx(obtained + after)


def test_a_token_whose_life_is_unknown_is_never_due() -> None:
    kept = Renewed(ACCESS, REFRESH, 1000.0, None, None, "x")
    assert not kept.due(1e12)
    kept = Renewed(ACCESS, REFRESH, 1000.0, 1000.0 + DAY, None, "x")
    assert not kept.due(1000.0 + 0.79 * DAY) and kept.due(1000.0 + 0.8 * DAY)


@pytest.mark.parametrize(("value", "expected"), [("86400", 86400.0), (7200, 7200.0), (None, None), ("", None)])
def test_lifetimes_are_read_as_numbers_or_digit_texts(value: object, expected: float | None) -> None:
    assert seconds(value, "expires_in", "douyin") == expected


@pytest.mark.parametrize("value", ["2h", True, -1, [7200]])
def test_a_lifetime_that_is_no_count_of_seconds_is_an_invalid_answer(value: object) -> None:
    with pytest.raises(e.InvalidResponse):
        seconds(value, "expires_in", "douyin")


def test_tokens_are_not_in_the_repr_of_a_grant_or_a_kept_entry() -> None:
    assert ACCESS not in repr(Grant(ACCESS, 60.0, REFRESH)) and REFRESH not in repr(Grant(ACCESS, 60.0, REFRESH))
    kept = Renewed(ACCESS, REFRESH, 1.0, 2.0, None, "x")
    assert ACCESS not in repr(kept) and REFRESH not in repr(kept)


def kept(source: str, access: str = "act.renewed", refresh: str = "rft.renewed") -> Renewed:
    return Renewed(access, refresh, 1_750_000_000.0, 1_750_000_000.0 + DAY, 1_750_000_000.0 + 365 * DAY, source)


def test_the_state_file_is_the_owners_alone_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "data" / "collect" / "tokens.json"
    state = TokenState(path)
    assert state.entries == {} and not path.exists(), "nothing written before a renewal"
    state.put("tiktok", "cr-1", kept("abc"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert TokenState(path).entries == {("tiktok", "cr-1"): kept("abc")}
    assert os.listdir(path.parent) == ["tokens.json"], "no temporary file left"
    state.drop("tiktok", "cr-1")
    assert TokenState(path).entries == {}


def test_a_write_that_fails_leaves_the_previous_state_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    state = TokenState(path)
    state.put("tiktok", "cr-1", kept("abc"))
    before = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        state.put("tiktok", "cr-2", kept("def"))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["tokens.json"]


@pytest.mark.parametrize("text", [b"{not json", b'{"version": 1}', b'{"version": 1, "accounts": {"tiktok": '
                                  b'{"cr-1": {"access_token": 5}}}}'])
def test_a_state_file_that_does_not_read_is_not_trusted_and_set_aside_at_the_next_write(
        tmp_path: Path, text: bytes, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(text + ACCESS.encode())
    with caplog.at_level(logging.ERROR):
        state = TokenState(path)
    assert state.entries == {}
    assert str(path) in caplog.text and ACCESS not in caplog.text
    assert path.exists(), "left as it is until the state is written"
    state.put("tiktok", "cr-1", kept("abc"))
    assert (tmp_path / "tokens.json.unreadable").read_bytes() == text + ACCESS.encode()
    assert TokenState(path).entries == {("tiktok", "cr-1"): kept("abc")}


def test_refresh_tokens_are_optional_on_the_platforms_that_renew(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(FILE)
    table = read(path)
    assert table["tiktok"]["cr-1"].get("refresh_token") == REFRESH
    assert table["douyin"]["cr-3"].get("open_id") == "_000d"
    path.write_text("kuaishou:\n  cr-4: {access_token: ks.1}\n")
    assert read(path)["kuaishou"]["cr-4"].get("refresh_token") == ""
    for text, said in (("instagram:\n  cr-5: {access_token: IGQW1, refresh_token: x}\n", "instagram takes access_token"),
                       ("tiktok:\n  cr-6: {access_token: act.1, refresh_tokn: rft.1}\n", "did you mean refresh_token"),
                       ("tiktok:\n  cr-7: {access_token: act.1, refresh_token: 42}\n", "refresh_token is a int"),
                       ("tiktok:\n  cr-8: {access_token: act.1, refresh_token: ''}\n", "no refresh_token")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=said):
            read(path)
    path.write_text("douyin:\n  cr-9: [act.1]\n")
    with pytest.raises(ConfigError, match=r"expected a mapping \{access_token, open_id\[, refresh_token\]\}"):
        read(path)


def accounts_and_renewals(tmp_path: Path) -> tuple[Path, Accounts, Renewals]:
    path = tmp_path / "accounts.yaml"
    path.write_text(FILE)
    accounts = Accounts(path, every=0)
    return path, accounts, Renewals(accounts, TokenState(tmp_path / "tokens.json"), WallClock())


def test_renewed_tokens_stand_in_for_the_files_entry_until_that_entry_is_edited(tmp_path: Path) -> None:
    path, accounts, renewals = accounts_and_renewals(tmp_path)
    for creator in ("cr-1", "cr-2"):
        renewals.state.put("tiktok", creator, kept(fingerprint(accounts.entry("tiktok", creator)), f"act.new-{creator}"))
    renewals.state.put("tiktok", "cr-gone", kept("abc"))
    renewals.reconcile()  # at start: the kept tokens in force, from the first request
    assert accounts.find("tiktok", "cr-1").get("access_token") == "act.new-cr-1"
    assert accounts.find("tiktok", "cr-1").get("refresh_token") == "rft.renewed"
    assert ("tiktok", "cr-gone") not in TokenState(tmp_path / "tokens.json").entries, "no entry left: dropped"

    path.write_text(FILE.replace("act.other", "act.authorised-again"))  # the creator authorised the app again
    assert accounts.refresh(force=True)
    assert accounts.find("tiktok", "cr-2").get("access_token") == "act.authorised-again", "the edited entry wins"
    assert accounts.find("tiktok", "cr-1").get("access_token") == "act.new-cr-1", "the others' renewals stand"
    asyncio.run(renewals.renew_due())
    assert set(TokenState(tmp_path / "tokens.json").entries) == {("tiktok", "cr-1")}

    restarted = Accounts(path, every=0)  # a restart: the file's entry as edited, the state as left
    Renewals(restarted, TokenState(tmp_path / "tokens.json"), WallClock()).reconcile()
    assert restarted.find("tiktok", "cr-1").get("access_token") == "act.new-cr-1"
    assert restarted.find("tiktok", "cr-2").get("access_token") == "act.authorised-again"


class Answering(Adapter):
    """An owner-only adapter whose token endpoint answers from a list (the platform's side is
    the simulator's, in the integration tests)."""

    name = "tiktok"
    owner_only = True
    renewal_settings = "TRACKER_TIKTOK_CLIENT_KEY and TRACKER_TIKTOK_CLIENT_SECRET"

    def __init__(self, config: PlatformConfig, answers: list[Grant | e.CollectError], delay: float = 0.0) -> None:
        super().__init__(config)
        self.answers = answers
        self.asked: list[str] = []
        self.delay = delay

    def app_credentials(self) -> tuple[str, ...]:
        return "key", "secret"

    async def renew(self, http: PlatformHttp, account: Account) -> Grant:
        self.asked.append(account.get("refresh_token"))
        await asyncio.sleep(self.delay)
        answer = self.answers.pop(0)
        if isinstance(answer, e.CollectError):
            raise answer
        return answer


def renewing(tmp_path: Path, answers: list[Grant | e.CollectError],
             delay: float = 0.0) -> tuple[Accounts, Renewals, Answering, PlatformHttp]:
    _, accounts, renewals = accounts_and_renewals(tmp_path)
    cfg = PlatformConfig("tiktok", "tiktok", "http://127.0.0.1:9", accounts=accounts)
    http = PlatformHttp(cfg, WallClock())
    adapter = Answering(cfg, answers, delay)
    renewals.add(adapter, http)
    assert http.renew is not None
    return accounts, renewals, adapter, http


def test_a_refused_token_is_renewed_kept_and_used_at_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    accounts, renewals, adapter, http = renewing(tmp_path, [Grant("act.renewed", DAY, "rft.rotated", 365 * DAY)])
    refused = accounts.find("tiktok", "cr-1")
    http.refused["cr-1"] = (1e18, 1, "expired")  # held after an earlier refusal

    async def twice() -> tuple[bool, bool]:
        first = await renewals.after_refusal("tiktok", refused)
        return first, await renewals.after_refusal("tiktok", refused)  # a request sent with the old token meanwhile

    with caplog.at_level(logging.INFO):
        assert asyncio.run(twice()) == (True, True)
    assert adapter.asked == [REFRESH], "renewed once"
    now = accounts.find("tiktok", "cr-1")
    assert now.get("access_token") == "act.renewed" and now.get("refresh_token") == "rft.rotated"
    assert http.account_wait(now) == 0, "the hold is lifted"
    state = orjson.loads((tmp_path / "tokens.json").read_bytes())["accounts"]["tiktok"]["cr-1"]
    assert state["access_token"] == "act.renewed" and state["refresh_token"] == "rft.rotated"
    assert state["expires_at"] - state["obtained_at"] == DAY
    assert not any(token in caplog.text for token in (ACCESS, REFRESH, "act.renewed", "rft.rotated"))
    assert "the token of creator cr-1 was renewed" in caplog.text


def test_a_refused_refresh_token_holds_the_account_names_the_creator_and_is_not_sent_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    refusal = e.RefreshRefused("tiktok: invalid_grant Refresh token is invalid or expired.", code="invalid_grant")
    accounts, renewals, adapter, _ = renewing(tmp_path, [refusal])
    account = accounts.find("tiktok", "cr-1")

    async def refused_twice() -> tuple[bool, bool]:
        return (await renewals.after_refusal("tiktok", account), await renewals.after_refusal("tiktok", account))

    with caplog.at_level(logging.ERROR):
        assert asyncio.run(refused_twice()) == (False, False)
    assert adapter.asked == [REFRESH], "the refused refresh token is not sent again"
    assert "tiktok: creator cr-1 must authorise the app again" in caplog.text and "invalid_grant" in caplog.text
    assert REFRESH not in caplog.text and ACCESS not in caplog.text
    assert accounts.find("tiktok", "cr-1") is accounts.entry("tiktok", "cr-1")
    assert not (tmp_path / "tokens.json").exists()


def test_a_renewal_that_failed_is_tried_again_later_and_an_account_without_refresh_token_is_held(
        tmp_path: Path) -> None:
    accounts, renewals, adapter, _ = renewing(tmp_path, [e.Timeout("tiktok /v2/oauth/token/: ReadTimeout")])
    assert not asyncio.run(renewals.after_refusal("tiktok", accounts.find("tiktok", "cr-1")))
    assert renewals.not_before[("tiktok", "cr-1")] > 0
    plain = Account("tiktok", "cr-x", {"access_token": SecretStr("act.x")})
    assert not asyncio.run(renewals.after_refusal("tiktok", plain))
    assert adapter.asked == [REFRESH]


def test_refresh_tokens_without_the_apps_credentials_are_named_and_unused(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, accounts, renewals = accounts_and_renewals(tmp_path)
    cfg = PlatformConfig("tiktok", "tiktok", "http://127.0.0.1:9", accounts=accounts)
    http = PlatformHttp(cfg, WallClock())
    with caplog.at_level(logging.WARNING):
        renewals.add(adapter_for(cfg), http)
    assert http.renew is None
    assert "tiktok: 2 creator(s) of TRACKER_ACCOUNTS_FILE carry a refresh_token, unused: set " \
           "TRACKER_TIKTOK_CLIENT_KEY and TRACKER_TIKTOK_CLIENT_SECRET" in caplog.text


def test_a_renewal_under_way_when_the_collector_stops_still_keeps_the_rotated_refresh_token(tmp_path: Path) -> None:
    """TikTok and Kuaishou refuse the old refresh token once they answered a refresh: the new one
    reaches the state file even when the request that asked for it is cancelled (a stop)."""
    accounts, renewals, _, _ = renewing(tmp_path, [Grant("act.renewed", DAY, "rft.rotated", 365 * DAY)], delay=0.2)

    async def stop_meanwhile() -> None:
        asking = asyncio.create_task(renewals.after_refusal("tiktok", accounts.find("tiktok", "cr-1")))
        await asyncio.sleep(0.05)
        asking.cancel()
        await renewals.close()

    asyncio.run(stop_meanwhile())
    kept = TokenState(tmp_path / "tokens.json").entries[("tiktok", "cr-1")]
    assert kept.refresh_token == "rft.rotated" and kept.access_token == "act.renewed"
