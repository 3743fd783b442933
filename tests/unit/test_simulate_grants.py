"""The simulator's token grants: first tokens good for ever unless told to expire, refreshed ones
with an end, rotated refresh tokens refused once used, revoked authorisations, client tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.simulate.clock import VirtualClock
from tracker.simulate.grants import RESEARCH_CLIENT, Grants, refresh_token

START = datetime(2025, 9, 8, tzinfo=UTC)


def grants() -> tuple[VirtualClock, Grants]:
    clock = VirtualClock(START)
    found = Grants(clock, first_refresh={(p, refresh_token(p, "acc-1")): "acc-1" for p in ("douyin", "tiktok")})
    return clock, found


def test_first_tokens_never_expire_unless_told() -> None:
    clock, g = grants()
    clock.advance(timedelta(days=400))
    assert not g.first_expired("tiktok")
    g.expire("tiktok", 3600)
    assert not g.first_expired("tiktok")
    clock.advance(timedelta(hours=1))
    assert g.first_expired("tiktok") and not g.first_expired("douyin")


def test_a_refresh_issues_a_token_with_an_end_and_rotates_where_the_platform_does() -> None:
    clock, g = grants()
    first = refresh_token("tiktok", "acc-1")
    done = g.refresh("tiktok", first)
    assert done is not None and done.account == "acc-1" and done.expires_in == 86400
    assert done.refresh_token != first and g.refresh("tiktok", first) is None, "TikTok's old refresh token is dead"
    assert g.issued("tiktok", done.access_token) == ("acc-1", False)
    clock.advance(timedelta(days=1))
    assert g.issued("tiktok", done.access_token) == ("acc-1", True)
    again = g.refresh("tiktok", done.refresh_token)
    assert again is not None and g.refreshed["tiktok"] == 2
    douyin = g.refresh("douyin", refresh_token("douyin", "acc-1"))
    assert douyin is not None and douyin.refresh_token == refresh_token("douyin", "acc-1"), "Douyin keeps it"
    assert g.refresh("douyin", "rft.unknown") is None


def test_a_revoked_authorisation_refuses_its_refresh_token() -> None:
    _, g = grants()
    g.revoked.add("acc-1")
    assert g.refresh("tiktok", refresh_token("tiktok", "acc-1")) is None


def test_client_tokens_for_the_research_client_alone_expire_after_two_hours() -> None:
    clock, g = grants()
    assert g.client("sim-tiktok-client-key", "sim-tiktok-client-secret") is None
    token, life = g.client(*RESEARCH_CLIENT) or ("", 0.0)
    assert token.startswith("clt.") and life == 7200
    assert not g.client_expired(token) and not g.client_expired("clt.not-issued-here")
    clock.advance(timedelta(hours=2))
    assert g.client_expired(token)
