"""Every fault appears exactly as configured, in the platform's own shape, and is recorded."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import orjson
import pytest

from tracker.simulate import ServerThread, Simulation
from tracker.simulate.catalog import PLATFORMS
from tracker.simulate.shapes import check

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim() -> Simulation:
    s = Simulation.build(seed=5, posts=200)
    s.clock.set(s.population.campaign_start + timedelta(days=24))
    return s


@pytest.fixture(scope="module")
def server(sim: Simulation) -> Iterator[httpx.Client]:
    with ServerThread(sim) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


@pytest.fixture
def client(server: httpx.Client) -> Iterator[httpx.Client]:
    server.delete("/_sim/faults")
    yield server
    server.delete("/_sim/faults")


def _request(client: httpx.Client, sim: Simulation, platform: str) -> httpx.Response:
    """One ordinary metrics request to ``platform`` for a live post."""
    post = next(p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live")
    pid = post.platform_post_id
    if platform == "youtube":
        return client.get("/youtube/v3/videos", params={"part": "statistics", "id": pid})
    if platform == "bilibili":
        return client.get("/bilibili/x/web-interface/view", params={"bvid": pid})
    if platform == "weibo":
        return client.get("/weibo/2/statuses/count.json", params={"ids": pid})
    if platform == "douyin":
        return client.post("/douyin/api/douyin/v1/video/video_data/", params={"open_id": "o"},
                           json={"item_ids": [pid]})
    if platform == "kuaishou":
        return client.get("/kuaishou/openapi/photo/info", params={"photo_id": pid})
    if platform == "xiaohongshu":
        return client.post("/xiaohongshu/api/sns/web/v1/feed", json={"source_note_id": pid})
    if platform == "tiktok":
        return client.post("/tiktok/v2/video/query/", params={"fields": "id,view_count"},
                           json={"filters": {"video_ids": [pid]}})
    if platform == "instagram":
        return client.get(f"/instagram/{pid}/insights", params={"metric": "views"})
    return client.get(f"/{platform}/export", params={"format": "json"})


def _yt(reason: str) -> Callable[[httpx.Response], bool]:
    return lambda r: check("youtube.error", r.json()) == [] and r.json()["error"]["errors"][0]["reason"] == reason


def _bili(code: int) -> Callable[[httpx.Response], bool]:
    return lambda r: check("bilibili.envelope", r.json()) == [] and r.json()["code"] == code


def _weibo(code: str) -> Callable[[httpx.Response], bool]:
    return lambda r: check("weibo.error", r.json()) == [] and r.json()["error_code"] == code


def _douyin(code: int) -> Callable[[httpx.Response], bool]:
    return lambda r: (check("douyin.error", r.json()) == [] and r.json()["extra"]["error_code"] == code
                      and r.json()["data"]["error_code"] == code)


def _ks(code: int) -> Callable[[httpx.Response], bool]:
    return lambda r: check("kuaishou.error", r.json()) == [] and r.json()["result"] == code


def _xhs(code: int) -> Callable[[httpx.Response], bool]:
    return lambda r: (check("xiaohongshu.envelope", r.json()) == [] and r.json()["code"] == code
                      and r.json()["success"] is False)


def _tt(code: str) -> Callable[[httpx.Response], bool]:
    return lambda r: check("tiktok.error", r.json()) == [] and r.json()["error"]["code"] == code


def _ig(code: int) -> Callable[[httpx.Response], bool]:
    return lambda r: check("instagram.error", r.json()) == [] and r.json()["error"]["code"] == code


# (platform, kind, extra spec fields, HTTP status, body check, required headers)
CASES = [
    ("youtube", "quota", {}, 403, _yt("quotaExceeded"), {}),
    ("youtube", "expired_token", {}, 401, _yt("authError"), {}),
    ("youtube", "rate_limit", {"retry_after": 17}, 429, _yt("rateLimitExceeded"), {"retry-after": "17"}),
    ("youtube", "server_error", {}, 503, _yt("backendError"), {}),
    ("bilibili", "risk_control", {}, 200, _bili(-352), {"x-bili-gaia-vvoucher": None}),
    ("bilibili", "risk_control", {"code": -412}, 412, _bili(-412), {}),
    ("bilibili", "expired_token", {}, 200, _bili(-101), {}),
    ("bilibili", "quota", {}, 200, _bili(-509), {}),
    ("bilibili", "rate_limit", {}, 429, _bili(-799), {"retry-after": "30"}),
    ("bilibili", "server_error", {"status": 502}, 502, _bili(-503), {}),
    ("weibo", "expired_token", {}, 401, _weibo("21327"), {}),
    ("weibo", "rate_limit", {}, 429, _weibo("10023"), {"retry-after": "30"}),
    ("weibo", "quota", {}, 403, _weibo("10024"), {}),
    ("weibo", "server_error", {}, 503, _weibo("10001"), {}),
    ("douyin", "expired_token", {}, 200, _douyin(2190008), {}),
    ("douyin", "rate_limit", {"retry_after": 5}, 429, _douyin(2190015), {"retry-after": "5"}),
    ("douyin", "server_error", {}, 503, _douyin(2100004), {}),
    ("kuaishou", "expired_token", {}, 200, _ks(100200101), {}),
    ("kuaishou", "quota", {}, 200, _ks(200100410), {}),
    ("kuaishou", "rate_limit", {}, 429, _ks(100100402), {"retry-after": "30"}),
    ("kuaishou", "server_error", {}, 503, _ks(2), {}),
    ("xiaohongshu", "risk_control", {}, 200, _xhs(300012), {}),
    ("xiaohongshu", "risk_control", {"code": 461}, 461, _xhs(461), {"verifytype": None, "verifyuuid": None}),
    ("xiaohongshu", "expired_token", {}, 200, _xhs(-100), {}),
    ("xiaohongshu", "rate_limit", {}, 429, _xhs(300013), {"retry-after": "30"}),
    ("xiaohongshu", "server_error", {}, 503, _xhs(-1), {}),
    ("tiktok", "expired_token", {}, 401, _tt("access_token_invalid"), {}),
    ("tiktok", "rate_limit", {}, 429, _tt("rate_limit_exceeded"), {"retry-after": "30"}),
    ("tiktok", "quota", {}, 429, _tt("rate_limit_exceeded"), {"retry-after": str(24 * 3600)}),
    ("tiktok", "server_error", {}, 500, _tt("internal_error"), {}),
    ("instagram", "expired_token", {}, 400, _ig(190), {}),
    ("instagram", "rate_limit", {}, 429, _ig(80002), {"retry-after": "30", "x-business-use-case-usage": None}),
    ("instagram", "quota", {}, 403, _ig(4), {"x-app-usage": None}),
    ("instagram", "server_error", {}, 500, _ig(2), {}),
    ("wechat_channels", "rate_limit", {}, 429, lambda r: r.text.startswith("Too Many"), {"retry-after": "30"}),
    ("wechat_channels", "server_error", {}, 503, lambda r: "503" in r.text, {}),
]


def _configure(client: httpx.Client, **spec: object) -> str:
    response = client.post("/_sim/faults", json=spec)
    assert response.status_code == 201, response.text
    return response.json()["faults"][0]["id"]


def _injected(client: httpx.Client, fault_id: str) -> list[dict]:
    return [r for r in client.get("/_sim/faults").json()["injected"] if r["fault_id"] == fault_id]


@pytest.mark.parametrize(("platform", "kind", "extra", "status", "body_ok", "headers"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2].get('code', '')}" for c in CASES])
def test_fault_appears_exactly_on_the_next_n_requests(sim: Simulation, client: httpx.Client, platform: str,
                                                      kind: str, extra: dict, status: int,
                                                      body_ok: Callable[[httpx.Response], bool],
                                                      headers: dict[str, str | None]) -> None:
    fault_id = _configure(client, platform=platform, kind=kind, count=2, **extra)
    for _ in range(2):
        response = _request(client, sim, platform)
        assert response.status_code == status, response.text
        assert body_ok(response), response.text
        for name, value in headers.items():
            assert name in response.headers and (value is None or response.headers[name] == value), name
    normal = _request(client, sim, platform)  # the third request is served normally
    assert normal.status_code == 200
    if platform != "wechat_channels":  # (an export's text may contain "503")
        assert not body_ok(normal)
    records = _injected(client, fault_id)
    assert [(r["platform"], r["kind"], r["status"]) for r in records] == [(platform, kind, status)] * 2
    assert all(r["sim_time"] == "2025-09-25T00:00:00Z" for r in records)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_generic_faults_on_every_platform(sim: Simulation, client: httpx.Client, platform: str) -> None:
    reference = _request(client, sim, platform)
    assert reference.status_code == 200
    html = _configure(client, platform=platform, kind="html", count=1)
    page = _request(client, sim, platform)
    assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
    assert "<html>" in page.text
    cut = _configure(client, platform=platform, kind="truncated", count=1)
    broken = _request(client, sim, platform)
    assert broken.status_code == 200 and len(broken.content) < len(reference.content)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(broken.content)
    slow = _configure(client, platform=platform, kind="slow", count=1, delay=0.05)
    assert _request(client, sim, platform).status_code == 200
    assert [len(_injected(client, f)) for f in (html, cut, slow)] == [1, 1, 1]


def test_probability_faults_follow_their_seed(sim: Simulation, client: httpx.Client) -> None:
    fault_id = _configure(client, platform="bilibili", kind="risk_control", probability=0.25, seed=99)
    codes = [_request(client, sim, "bilibili").json()["code"] for _ in range(60)]
    rng = random.Random(99)
    assert [c == -352 for c in codes] == [rng.random() < 0.25 for _ in range(60)]
    assert len(_injected(client, fault_id)) == codes.count(-352) > 0


def test_window_faults_follow_the_simulated_clock(sim: Simulation, client: httpx.Client) -> None:
    start = sim.clock.now()
    _configure(client, platform="youtube", kind="quota", start="2025-09-25T02:00:00Z", end="2025-09-25T04:00:00Z")
    statuses = []
    for _ in range(6):
        statuses.append(_request(client, sim, "youtube").status_code)
        client.post("/_sim/advance", params={"hours": 1})
    sim.clock.set(start)
    assert statuses == [200, 200, 403, 403, 200, 200]


def test_faults_are_in_the_truth_and_invalid_specs_are_refused(sim: Simulation, client: httpx.Client) -> None:
    fault_id = _configure(client, platform="weibo", kind="expired_token", count=1)
    _request(client, sim, "weibo")
    truth = client.get("/_sim/truth", params={"curves": 0}).json()
    assert any(f["id"] == fault_id for f in truth["faults"])
    assert any(r["fault_id"] == fault_id and r["status"] == 401 for r in truth["injected"])
    assert client.post("/_sim/faults", json={"platform": "youtube", "kind": "risk_control", "count": 1}).status_code == 400
    assert client.post("/_sim/faults", json={"platform": "youtube", "kind": "quota"}).status_code == 400
    assert client.get("/_sim/health").status_code == 200  # the control API is never faulted
