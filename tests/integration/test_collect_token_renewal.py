"""Tokens renewed by the collector, end to end: the registry on the real broker, the simulator over
HTTP issuing tokens that expire and refreshing them at its token endpoints (TikTok, Douyin,
Kuaishou, as documented), snapshots out on the broker, the simulator's clock moved past the
tokens' ends. The Research API's client token is obtained and renewed and TikTok saves keep
coming; a creator's expired user token is refreshed, that creator's posts keep being read, the
state file keeps the new tokens and a restart uses them; a revoked authorisation holds that
creator alone, saying who must authorise the app again. No token reaches a log line."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from pydantic import SecretStr

from tests.integration.test_collect_accounts import creators
from tests.integration.test_collect_edges import config, ref, run
from tests.integration.test_collect_service import drain, register, sample, settings_for, until
from tracker.broker import topics as t
from tracker.collect.platforms import adapter_for
from tracker.collect.service import Collection
from tracker.collect.tokens import STATE_FILE
from tracker.simulate import Simulation
from tracker.simulate.grants import APPS, RESEARCH_CLIENT, refresh_token
from tracker.simulate.model import Post
from tracker.simulate.owners import account_token
from tracker.simulate.platforms.base import Edges, edges

pytestmark = pytest.mark.integration

APP_SETTINGS = {"douyin_client_key": APPS["douyin"][0], "tiktok_client_key": APPS["tiktok"][0],
                "tiktok_client_secret": APPS["tiktok"][1], "kuaishou_app_id": APPS["kuaishou"][0],
                "kuaishou_app_secret": APPS["kuaishou"][1]}
RENEWING = ("douyin", "tiktok", "kuaishou")


@pytest.fixture(autouse=True)
def clean(sim: Simulation) -> Iterator[None]:
    sim.clock.set(sim.population.campaign_start + timedelta(days=20, hours=2))
    sim.clock.set_speed(0)
    sim.faults.clear()
    sim.owners.grants.reset()
    yield
    sim.owners.enforced = False
    sim.owners.grants.reset()
    fresh = Edges()
    for name in vars(fresh):
        setattr(edges(sim), name, getattr(fresh, name))


def refreshed(platform: str, outcome: str) -> float:
    return sample("tracker_collector_token_refresh_total", platform=platform, outcome=outcome)


def account_of(sim: Simulation, platform: str, creator: str) -> str:
    return sim.population.creator(creator).account(platform).account_id


def write(path: Path, sim: Simulation, listed: dict[str, list[str]]) -> Path:
    """The accounts file: each listed creator's first tokens, its refresh token included."""
    doc: dict[str, dict[str, dict[str, str]]] = {}
    for platform, names in listed.items():
        for creator in names:
            account = account_of(sim, platform, creator)
            entry = {"access_token": account_token(platform, account),
                     "refresh_token": refresh_token(platform, account)}
            if platform == "douyin":
                entry["open_id"] = account
            doc.setdefault(platform, {})[creator] = entry
    path.write_text(yaml.safe_dump(doc))
    return path


def tracked(sim: Simulation, posts: list[Post]) -> list[Post]:
    """The posts published and still inside their tracking window now (polled, live or taken down)."""
    now = sim.clock.now()
    return [p for p in posts if sim.status(p) != "unpublished" and
            p.published_at + timedelta(days=p.tracking_days) > now]


def live(sim: Simulation, posts: list[Post]) -> list[Post]:
    return [p for p in tracked(sim, posts) if sim.status(p) == "live"]


def at(snaps: list[dict[str, Any]], sim: Simulation) -> dict[str, dict[str, Any]]:
    """The snapshots observed at the simulator's time now, by post."""
    now = sim.clock.now().astimezone(UTC)
    return {s["post_id"]: s for s in snaps if s["observed_at"] == now}


def said(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def test_a_research_client_token_refused_or_expiring_mid_run_is_renewed_and_saves_keep_coming(
        kafka: str, tracker_topics: str, sim: Simulation, url: str, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """With the research client's key and secret the collector obtains the Research API's client
    token itself. When TikTok refuses it before its end, a new one is obtained at once and the
    refused query asked again; when it nears its end (2 h), it is renewed before it expires.
    Every round of snapshots carries the Research API's saves (never null)."""
    edges(sim).tiktok_tokens = True  # Display takes act.…, Research clt.… alone
    posts = [p for p in sim.population.posts if p.platform == "tiktok" and sim.status(p) != "unpublished"][:20]
    settings = settings_for(kafka, tracker_topics, url, tiktok_access_token="act.user", collect_comments=False,
                            tiktok_research_client_key=RESEARCH_CLIENT[0],
                            tiktok_research_client_secret=RESEARCH_CLIENT[1], data_dir=tmp_path / "data")
    register(sim, settings, tmp_path, keep={p.id for p in posts})
    grants = sim.owners.grants
    grants.research_lifetime = 30 * 86400.0  # the first token's end is far: only a refusal renews it
    ok = refreshed("tiktok", "ok")
    refused = sample("tracker_collector_requests_total", platform="tiktok", outcome="auth")
    rounds: list[tuple[dict[str, dict[str, Any]], dict[str, Any]]] = []

    async def scenario() -> None:
        async with Collection(settings) as collection:
            done = 0

            async def round_() -> None:
                nonlocal done
                due = tracked(sim, posts)
                await until(lambda: collection.collector is not None and collection.collector.refreshed >= done + len(due))
                done = collection.collector.refreshed
                shown = live(sim, posts)
                served = dict(zip([p.id for p in shown], sim.counts(shown), strict=True))
                rounds.append((at(await drain(settings, t.SNAPSHOTS), sim), served))

            await round_()
            assert len(grants.clients) == 1
            grants.research_lifetime = 7200.0
            for token in grants.clients:  # TikTok ends the token early: refused from now on
                grants.clients[token] = sim.clock.timestamp()
            sim.clock.advance(timedelta(hours=13))  # every post due again
            await round_()
            assert len(grants.clients) == 2, "refused: a new client token at once"
            auth = sample("tracker_collector_requests_total", platform="tiktok", outcome="auth")
            sim.clock.advance(timedelta(hours=13))  # the second token (2 h) would have expired
            await round_()
            assert len(grants.clients) == 3, "renewed before its end"
            assert sample("tracker_collector_requests_total", platform="tiktok", outcome="auth") == auth, \
                "renewed before it expired: the Research API never refused it"

    with caplog.at_level(logging.INFO, logger="tracker"):
        asyncio.run(scenario())
    assert len(rounds) == 3
    for snaps, served in rounds:
        assert served and set(served) <= set(snaps)
        for post_id, counts in served.items():
            assert snaps[post_id]["metrics"]["saves"] is not None, "saves keep coming"
            assert snaps[post_id]["metrics"]["saves"] == counts["saves"]
    assert refreshed("tiktok", "ok") - ok == 3
    assert sample("tracker_collector_requests_total", platform="tiktok", outcome="auth") - refused >= 1
    text = said(caplog)
    assert "Research API client token was obtained" in text
    assert RESEARCH_CLIENT[1] not in text and not any(token in text for token in grants.clients)


def test_a_research_client_refused_leaves_saves_null_names_its_settings_and_the_metrics_go_on(
        sim: Simulation, url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A wrong research client secret: TikTok refuses the client token's grant (invalid_client).
    The Display counts go out, saves stay null (never 0), the log names the settings to check
    (never the secret), the grant is counted refused and not asked again at every call."""
    edges(sim).tiktok_tokens = True
    posts = [p for p in sim.population.posts if p.platform == "tiktok" and sim.status(p) == "live"][:5]
    cfg = config(url, "tiktok", tiktok_research_client_key=RESEARCH_CLIENT[0])
    cfg = type(cfg)(**{**vars(cfg), "secrets": {"access_token": SecretStr("act.user"),
                                                 "research_client_secret": SecretStr("wrong-secret-31337")}})
    refused = refreshed("tiktok", "refused")

    async def twice(http: Any) -> list[Any]:
        adapter = adapter_for(cfg)
        return [await adapter.fetch_metrics(http, [ref(p) for p in posts]) for _ in range(2)]

    with caplog.at_level(logging.INFO, logger="tracker"):
        rounds = run(cfg, twice, sim)
    for observations in rounds:
        assert [o.metrics["views"] for o in observations] == [c["views"] for c in sim.counts(posts)]
        assert all(o.metrics["saves"] is None for o in observations)
    assert refreshed("tiktok", "refused") - refused == 1, "not asked again at every call"
    assert "TRACKER_TIKTOK_RESEARCH_CLIENT_KEY and TRACKER_TIKTOK_RESEARCH_CLIENT_SECRET" in caplog.text
    assert "invalid_client" in caplog.text and "wrong-secret-31337" not in caplog.text
    assert not sim.owners.grants.clients


def test_a_creators_expired_token_is_refreshed_kept_in_the_state_file_and_used_after_a_restart(
        kafka: str, tracker_topics: str, sim: Simulation, url: str, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A Douyin, a TikTok and a Kuaishou creator authorised with a refresh token; their first
    tokens end an hour later. Once the clock is past that, the platforms refuse them: each is
    refreshed at the platform's token endpoint and the creator's posts are read at once with the
    new token. The state file (mode 600) holds the new tokens; the accounts file is untouched; a
    restart reads with the kept tokens, asking no refresh (the rotated refresh tokens of the
    file's entries are refused by then)."""
    sim.owners.enforced = True
    chosen = {p: creators(sim, p, 1)[0] for p in RENEWING}
    for platform in RENEWING:
        sim.owners.grants.expire(platform, 3600)
    path = write(tmp_path / "accounts.yaml", sim, {p: [c] for p, (c, _) in chosen.items()})
    written = path.read_bytes()
    data = tmp_path / "data"
    settings = settings_for(kafka, tracker_topics, url, accounts_file=path, collect_comments=False, data_dir=data,
                            **APP_SETTINGS)
    posts = [p for _, ps in chosen.values() for p in ps]
    register(sim, settings, tmp_path, keep={p.id for p in posts})
    ok = {p: refreshed(p, "ok") for p in RENEWING}
    held = {p: sample("tracker_collect_refresh_failures_total", platform=p, reason="auth") for p in RENEWING}

    async def first_run() -> tuple[dict[str, dict[str, Any]], list[Post]]:
        async with Collection(settings) as collection:
            await until(lambda: collection.collector is not None and
                        collection.collector.refreshed >= len(tracked(sim, posts)))
            done = collection.collector.refreshed
            sim.clock.advance(timedelta(hours=13))  # the first tokens have expired; every post is due
            due = tracked(sim, posts)
            await until(lambda: collection.collector.refreshed >= done + len(due))
            return at(await drain(settings, t.SNAPSHOTS), sim), due

    with caplog.at_level(logging.INFO, logger="tracker"):
        after, due = asyncio.run(first_run())
    assert due and set(after) == {p.id for p in due}, "every creator's posts read with its renewed token"
    assert all(after[p.id]["status"] == "ok" for p in live(sim, posts))
    assert {p.creator for p in live(sim, posts)} == {c for c, _ in chosen.values()}
    for platform in RENEWING:
        assert refreshed(platform, "ok") - ok[platform] == 1, platform
        assert sim.owners.grants.refreshed[platform] == 1
        assert sample("tracker_collect_refresh_failures_total", platform=platform, reason="auth") == held[platform]

    state_path = data / STATE_FILE
    assert stat.S_IMODE(os.stat(state_path).st_mode) == 0o600
    state = orjson.loads(state_path.read_bytes())["accounts"]
    issued = {(p, tok): g.account for (p, tok), g in sim.owners.grants.access.items()}
    for platform, (creator, _) in chosen.items():
        kept = state[platform][creator]
        assert issued[(platform, kept["access_token"])] == account_of(sim, platform, creator), "the new token kept"
        assert kept["expires_at"] > kept["obtained_at"]
        first = refresh_token(platform, account_of(sim, platform, creator))
        assert (kept["refresh_token"] != first) == (platform != "douyin"), "TikTok and Kuaishou rotate it"
    assert path.read_bytes() == written, "the accounts file is never rewritten"
    assert not [name for name in os.listdir(state_path.parent) if name.endswith(".tmp")]
    text = said(caplog)
    for platform, (creator, _) in chosen.items():
        assert f"{platform}: the token of creator {creator} was renewed" in text
        account = account_of(sim, platform, creator)
        assert account_token(platform, account) not in text and refresh_token(platform, account) not in text
    assert not any(str(token) in text for _, token in sim.owners.grants.access)

    before = Counter(sim.owners.grants.refreshed)
    sim.clock.advance(timedelta(minutes=10))  # the kept tokens (1 h) not due yet

    async def restart() -> dict[str, dict[str, Any]]:
        async with Collection(settings) as collection:
            # a restart resumes each post's schedule from its last snapshot, 10 min old: none is due.
            # Every post due now, so that all are read with the kept tokens
            await until(lambda: collection.feed.loaded.is_set())
            s = collection.scheduler
            for platform in s.platforms:
                for slot in list(s.scheduled(platform)):
                    s.retry_now(slot, collection.clock.now())
            assert collection.collector is not None
            collection.collector.wake()
            await until(lambda: collection.collector is not None and
                        collection.collector.refreshed >= len(tracked(sim, posts)))
        return at(await drain(settings, t.SNAPSHOTS), sim)

    again = asyncio.run(restart())
    assert {p.id for p in tracked(sim, posts)} <= set(again)
    assert all(again[p.id]["status"] == "ok" for p in live(sim, posts))
    assert sim.owners.grants.refreshed == before, "the kept tokens were used: no refresh at restart"
    for platform in RENEWING:
        assert sample("tracker_collect_refresh_failures_total", platform=platform, reason="auth") == held[platform]


def test_a_revoked_refresh_token_holds_that_creator_alone_and_names_it(
        kafka: str, tracker_topics: str, sim: Simulation, url: str, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """Two TikTok creators authorised with refresh tokens; one withdrew the authorisation. Its
    token and refresh token are refused: its posts are not read (never marked unavailable), that
    account alone is held, one refresh was tried (counted refused, not tried again) and the log
    says which creator must authorise the app again. The other creator's token expires and is
    refreshed, and its posts go on."""
    sim.owners.enforced = True
    (a, a_posts), (b, b_posts) = creators(sim, "tiktok", 2)
    sim.owners.grants.expire("tiktok", 3600)
    sim.owners.grants.revoked.add(account_of(sim, "tiktok", a))
    path = write(tmp_path / "accounts.yaml", sim, {"tiktok": [a, b]})
    settings = settings_for(kafka, tracker_topics, url, accounts_file=path, collect_comments=False,
                            data_dir=tmp_path / "data", collect_breaker_failures=1, **APP_SETTINGS)
    register(sim, settings, tmp_path, keep={p.id for p in a_posts + b_posts})
    counted = {o: refreshed("tiktok", o) for o in ("ok", "refused", "failed")}
    gone = sample("tracker_collect_unavailable_total", platform="tiktok")

    async def scenario() -> tuple[list[dict[str, Any]], float, float]:
        async with Collection(settings) as collection:
            await until(lambda: collection.collector is not None and
                        collection.collector.refreshed >= len(tracked(sim, b_posts)))
            await until(lambda: sample("tracker_collector_accounts_refused", platform="tiktok") == 1)
            done = collection.collector.refreshed
            sim.clock.advance(timedelta(hours=13))
            await until(lambda: collection.collector.refreshed >= done + len(tracked(sim, b_posts)))
            collection.collector.update_gauges()
            return (await drain(settings, t.SNAPSHOTS), sample("tracker_collector_accounts_refused", platform="tiktok"),
                    sample("tracker_collector_breaker_open", platform="tiktok"))

    with caplog.at_level(logging.INFO, logger="tracker"):
        snaps, held, breaker = asyncio.run(scenario())
    assert {s["post_id"] for s in snaps} <= {p.id for p in b_posts}, "the revoked creator's posts are not read"
    assert {p.id for p in tracked(sim, b_posts)} <= set(at(snaps, sim)), "the other creator's posts go on"
    assert held == 1 and breaker == 0
    assert refreshed("tiktok", "refused") - counted["refused"] == 1, "one refresh tried, not repeated"
    assert refreshed("tiktok", "ok") - counted["ok"] == 1, "the other creator's token refreshed"
    assert sample("tracker_collect_unavailable_total", platform="tiktok") - gone == \
        sum(sim.status(p) == "taken_down" for p in b_posts)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(f"creator {a} must authorise the app again" in line and "invalid_grant" in line for line in lines), lines
    text = said(caplog)
    for creator in (a, b):
        account = account_of(sim, "tiktok", creator)
        assert account_token("tiktok", account) not in text and refresh_token("tiktok", account) not in text
    assert APPS["tiktok"][1] not in text
