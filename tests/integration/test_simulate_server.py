"""The simulator over real HTTP: documented shapes, values equal to the truth, comment paging.

The simulator runs on a free port in a background thread (no Kafka needed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tracker.simulate import ServerThread, Simulation, load_truth
from tracker.simulate.catalog import PLATFORMS
from tracker.simulate.comments import THREADED
from tracker.simulate.model import Post
from tracker.simulate.platforms.xiaohongshu import display_count
from tracker.simulate.shapes import check

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return Simulation.build(seed=11, posts=200)


@pytest.fixture(scope="module")
def truth(sim: Simulation) -> dict:
    data = load_truth(sim.truth_json())
    return {p["post_id"]: p for p in data["posts"]}


@pytest.fixture(scope="module")
def client(sim: Simulation) -> Iterator[httpx.Client]:
    with ServerThread(sim) as url, httpx.Client(base_url=url, timeout=10) as c:
        yield c


def _ok(name: str, response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    payload = response.json()
    assert check(name, payload) == [], (name, payload)
    return payload


def served(client: httpx.Client, post: Post) -> dict[str, object]:
    """The metrics the platform's API (or export) shows for one post, by tracker metric name."""
    pid = post.platform_post_id
    p = post.platform
    if p == "youtube":
        stats = _ok("youtube.videos", client.get("/youtube/v3/videos", params={"part": "statistics", "id": pid}))
        stats = stats["items"][0]["statistics"]
        out = {"views": int(stats["viewCount"]), "comments": int(stats["commentCount"])}
        if "likeCount" in stats:
            out["likes"] = int(stats["likeCount"])
        return out
    if p == "bilibili":
        stat = _ok("bilibili.view", client.get("/bilibili/x/web-interface/view", params={"bvid": pid}))["data"]["stat"]
        return {"views": stat["view"], "likes": stat["like"], "comments": stat["reply"], "shares": stat["share"],
                "saves": stat["favorite"]}
    if p == "weibo":
        row = _ok("weibo.count", client.get("/weibo/2/statuses/count.json", params={"ids": pid}))[0]
        return {"likes": row["attitudes"], "comments": row["comments"], "shares": row["reposts"]}
    if p == "douyin":
        body = _ok("douyin.video_data", client.post("/douyin/api/douyin/v1/video/video_data/",
                                                    params={"open_id": "o"}, json={"item_ids": [pid]}))
        s = body["data"]["list"][0]["statistics"]
        return {"views": s["play_count"], "likes": s["digg_count"], "comments": s["comment_count"],
                "shares": s["share_count"]}
    if p == "kuaishou":
        info = _ok("kuaishou.info", client.get("/kuaishou/openapi/photo/info", params={"photo_id": pid}))["video_info"]
        return {"views": info["view_count"], "likes": info["like_count"], "comments": info["comment_count"]}
    if p == "xiaohongshu":
        body = _ok("xiaohongshu.feed", client.post("/xiaohongshu/api/sns/web/v1/feed", json={"source_note_id": pid}))
        i = body["data"]["items"][0]["note_card"]["interact_info"]
        return {"likes": i["liked_count"], "saves": i["collected_count"], "comments": i["comment_count"],
                "shares": i["share_count"]}
    if p == "tiktok":
        fields = "id,view_count,like_count,comment_count,share_count"
        v = _ok("tiktok.video_query", client.post("/tiktok/v2/video/query/", params={"fields": fields},
                                                  json={"filters": {"video_ids": [pid]}}))["data"]["videos"][0]
        day = post.published_at.strftime("%Y%m%d")
        research = _ok("tiktok.research_query", client.post(
            "/tiktok/v2/research/video/query/", params={"fields": "id,favorites_count"},
            json={"query": {"and": [{"operation": "IN", "field_name": "video_id", "field_values": [pid]}]},
                  "start_date": day, "end_date": day}))["data"]["videos"][0]
        return {"views": v["view_count"], "likes": v["like_count"], "comments": v["comment_count"],
                "shares": v["share_count"], "saves": research["favorites_count"]}
    if p == "instagram":
        data = _ok("instagram.insights", client.get(f"/instagram/v22.0/{pid}/insights",
                                                    params={"metric": "views,likes,comments,shares,saved"}))["data"]
        names = {"saved": "saves"}
        return {names.get(d["name"], d["name"]): d["values"][0]["value"] for d in data}
    raise AssertionError(p)


def expected(post: Post, row: dict, sim: Simulation) -> dict[str, int | None]:
    age = int((sim.clock.timestamp() - post.published_at.timestamp()) // 3600)
    return {m: (None if c is None else c[min(age, len(c) - 1)]) for m, c in row["curves"].items()}


def test_every_api_serves_the_truth_in_its_documented_shape(sim: Simulation, truth: dict,
                                                            client: httpx.Client) -> None:
    sim.clock.set(sim.population.campaign_start + timedelta(days=25, hours=5))
    checked = set()
    for post in sim.population.posts:
        if post.platform == "wechat_channels" or sim.status(post) != "live":
            continue
        want = expected(post, truth[post.id], sim)
        got = served(client, post)
        api = PLATFORMS[post.platform].api - set(post.dynamics.hidden)
        assert set(got) == api, (post.id, got)
        for metric, value in got.items():
            if post.platform == "xiaohongshu":
                assert value == display_count(want[metric]), (post.id, metric)
            else:
                assert value == want[metric], (post.id, metric)
        checked.add(post.platform)
    assert checked == set(PLATFORMS) - {"wechat_channels"}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_exports_carry_every_metric_of_the_platform(sim: Simulation, truth: dict, client: httpx.Client,
                                                    platform: str) -> None:
    sim.clock.set(sim.population.campaign_start + timedelta(days=25, hours=5, minutes=40))
    body = client.get(f"/{platform}/export", params={"format": "json"}).json()
    metrics = [m for m in ("views", "likes", "comments", "shares", "saves", "searches")
               if m in PLATFORMS[platform].metrics]
    assert body["columns"] == ["post_id", "platform_post_id", "as_of", *metrics]
    assert body["as_of"].endswith("05:00:00Z")
    rows = body["rows"]
    live = [p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live"]
    assert {r["post_id"] for r in rows} == {p.id for p in live} and rows
    sim.clock.set(sim.population.campaign_start + timedelta(days=25, hours=5))
    for row in rows:
        post = next(p for p in live if p.id == row["post_id"])
        want = expected(post, truth[post.id], sim)
        assert {m: row[m] for m in metrics} == {m: want[m] for m in metrics}
    csv_text = client.get(f"/{platform}/export").text
    assert csv_text.splitlines()[0] == ",".join(body["columns"]) and len(csv_text.splitlines()) == len(rows) + 1


def _page_all(client: httpx.Client, post: Post) -> list[tuple[str, str]]:
    """Every comment (id, text) of one post, walking the platform's own cursors."""
    pid, out = post.platform_post_id, []
    if post.platform == "youtube":
        token = None
        while True:
            params = {"part": "snippet,replies", "videoId": pid, "maxResults": 37,
                      **({"pageToken": token} if token else {})}
            body = _ok("youtube.commentThreads", client.get("/youtube/v3/commentThreads", params=params))
            for i in body["items"]:
                out.append((i["id"], i["snippet"]["topLevelComment"]["snippet"]["textOriginal"]))
                replies = i.get("replies", {}).get("comments", [])
                assert len(replies) == i["snippet"]["totalReplyCount"]
                assert all(r["snippet"]["parentId"] == i["id"] for r in replies)
                out += [(r["id"], r["snippet"]["textOriginal"]) for r in replies]
            token = body.get("nextPageToken")
            if not token:
                return out
    if post.platform == "bilibili":
        offset = ""
        while True:
            params = {"type": 1, "oid": post.extra["aid"], "mode": 2, "pagination_str": json.dumps({"offset": offset})}
            data = _ok("bilibili.reply_main", client.get("/bilibili/x/v2/reply/wbi/main", params=params))["data"]
            for root in data["replies"]:
                out.append((str(root["rpid"]), root["content"]["message"]))
                pn = 1
                while pn == 1 or (pn - 1) * 20 < root["rcount"]:  # its replies, from the reply endpoint
                    thread = _ok("bilibili.reply_reply", client.get("/bilibili/x/v2/reply/reply", params={
                        "type": 1, "oid": post.extra["aid"], "root": root["rpid"], "ps": 20, "pn": pn}))["data"]
                    assert thread["page"]["count"] == root["rcount"]
                    assert all(r["root"] == r["parent"] == root["rpid"] for r in thread["replies"])
                    out += [(str(r["rpid"]), r["content"]["message"]) for r in thread["replies"]]
                    pn += 1
            if data["cursor"]["is_end"]:
                return out
            offset = data["cursor"]["pagination_reply"]["next_offset"]
    if post.platform == "weibo":
        max_id = 0
        while True:
            body = _ok("weibo.comments", client.get("/weibo/2/comments/show.json",
                                                    params={"id": pid, "count": 33, "max_id": max_id}))
            out += [(c["idstr"], c["text"]) for c in body["comments"]]
            max_id = body["next_cursor"]
            if max_id == 0:
                return out
    if post.platform == "douyin":
        cursor = 0
        while True:
            body = _ok("douyin.comments", client.get("/douyin/item/comment/list/",
                                                     params={"open_id": "o", "item_id": pid, "cursor": cursor,
                                                             "count": 20}))
            out += [(c["comment_id"], c["content"]) for c in body["data"]["list"]]
            cursor = body["data"]["cursor"]
            if not body["data"]["has_more"]:
                return out
    if post.platform == "xiaohongshu":
        cursor = ""
        while True:
            body = _ok("xiaohongshu.comments", client.get("/xiaohongshu/api/sns/web/v2/comment/page",
                                                          params={"note_id": pid, "cursor": cursor}))
            out += [(c["id"], c["content"]) for c in body["data"]["comments"]]
            cursor = body["data"]["cursor"]
            if not body["data"]["has_more"]:
                return out
    if post.platform == "tiktok":
        cursor = 0
        while True:
            body = _ok("tiktok.comments", client.post("/tiktok/v2/research/video/comment/list/",
                                                      params={"fields": "id,text,create_time"},
                                                      json={"video_id": pid, "max_count": 100, "cursor": cursor}))
            out += [(str(c["id"]), c["text"]) for c in body["data"]["comments"]]
            cursor = body["data"]["cursor"]
            if not body["data"]["has_more"]:
                return out
    if post.platform == "instagram":
        params: dict | None = {"fields": "id,text,timestamp,username,like_count", "limit": 50}
        url = f"/instagram/{pid}/comments"
        while True:
            body = _ok("instagram.comments", client.get(url, params=params))
            out += [(c["id"], c["text"]) for c in body["data"]]
            nxt = body.get("paging", {}).get("next")
            if not nxt:
                return out
            url, params = nxt, None  # httpx would drop the query of `next` given params={}
    raise AssertionError(post.platform)


@pytest.mark.parametrize("platform", ["youtube", "bilibili", "weibo", "douyin", "xiaohongshu", "tiktok", "instagram"])
def test_comment_paging_returns_every_visible_comment_once(sim: Simulation, truth: dict, client: httpx.Client,
                                                           platform: str) -> None:
    sim.clock.set(sim.population.campaign_start + timedelta(days=40))
    candidates = [p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live"]
    post = min(candidates, key=lambda p: abs(sim.counts([p])[0]["comments"] - 150))
    visible = sim.counts([post])[0]["comments"]
    comments = _page_all(client, post)
    assert len(comments) == visible > 0
    assert len({cid for cid, _ in comments}) == visible
    threads = sim.threads(post, sim.clock.timestamp())
    assert (len(threads) < visible) == (platform in THREADED), "replies where the platform's answers carry them"
    row = truth[post.id]
    age = int((sim.clock.timestamp() - post.published_at.timestamp()) // 3600)
    stream = sim.streams[post.index]
    intent = sum(any(ph in text for ph in ("求链接", "怎么买", "多少钱", "在哪买", "where to buy", "link?"))
                 for _, text in comments)
    assert intent == int((stream.category[:visible] == 1).sum())
    curve = row["comments"]["intent_curve"]
    assert curve[min(age, len(curve) - 1)] == intent


def test_missing_and_gone_posts_answer_in_each_platforms_shape(sim: Simulation, client: httpx.Client) -> None:
    gone = next(p for p in sim.population.posts if p.dynamics.taken_down_hour is not None)
    sim.clock.set(gone.published_at + timedelta(hours=gone.dynamics.taken_down_hour + 1))
    pid = gone.platform_post_id
    if gone.platform == "bilibili":
        assert client.get("/bilibili/x/web-interface/view", params={"bvid": pid}).json()["code"] == 62002
    checks = {
        "youtube": lambda: client.get("/youtube/v3/videos", params={"part": "statistics", "id": "nope0000000"})
        .json()["items"] == [],
        "bilibili": lambda: client.get("/bilibili/x/web-interface/view", params={"bvid": "BV1xxxxxxxxx"})
        .json()["code"] == -404,
        "weibo": lambda: client.get("/weibo/2/statuses/count.json", params={"ids": "1"}).json() == [],
        "xiaohongshu": lambda: client.post("/xiaohongshu/api/sns/web/v1/feed", json={"source_note_id": "x"})
        .json()["code"] == -510001,
        "kuaishou": lambda: client.get("/kuaishou/openapi/photo/info", params={"photo_id": "x"})
        .json()["result"] != 1,
        "instagram": lambda: client.get("/instagram/1234/insights", params={"metric": "views"})
        .json()["error"]["code"] == 100,
    }
    for name, ok in checks.items():
        assert ok(), name
    sim.clock.set(gone.published_at - timedelta(hours=1))  # not yet published: not found either
    assert sim.status(gone) == "unpublished"


def test_advancing_thirty_days_is_instant_and_counters_grow(sim: Simulation, client: httpx.Client) -> None:
    sim.clock.set(sim.population.campaign_start + timedelta(days=22))
    post = next(p for p in sim.population.posts if p.platform == "youtube" and sim.status(p) == "live"
                and not p.dynamics.corrections and p.dynamics.taken_down_hour is None)
    before = served(client, post)["views"]
    now = client.post("/_sim/advance", params={"days": 30}).json()["now"]
    assert now == "2025-10-23T00:00:00Z"
    assert served(client, post)["views"] >= before
    assert client.post("/_sim/advance", params={"to": "2025-01-01T00:00:00Z"}).status_code == 400


def test_control_api(sim: Simulation, client: httpx.Client) -> None:
    assert client.get("/_sim/health").json()["posts"] == 200
    assert client.post("/_sim/clock", params={"set": "2025-09-20T00:00:00Z"}).json()["now"] == "2025-09-20T00:00:00Z"
    campaign = client.get("/_sim/campaign").json()
    assert campaign["format"] == "tracker.campaign.v1" and len(campaign["posts"]) == 200
    truth = client.get("/_sim/truth", params={"curves": 0}).json()
    assert truth["seed"] == 11 and truth["as_of"] == "2025-09-20T00:00:00Z" and len(truth["posts"]) == 200


def test_owner_only_apis_read_only_the_tokens_own_account(sim: Simulation, client: httpx.Client) -> None:
    """With owners enforced, Douyin, TikTok Display, Kuaishou and Instagram answer as the real APIs
    do: a creator's token reads that creator's videos, another creator's are left out (Douyin,
    TikTok) or not found (Kuaishou, Instagram); the agency token reads all; an unknown token is
    refused, an expired one answered as expired. Off, every token reads every video."""
    from tracker.simulate.owners import AGENCY, account_token

    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    sim.owners.enforced = True

    def two(platform: str) -> tuple[Post, Post]:
        live = [p for p in sim.population.posts if p.platform == platform and sim.status(p) == "live"]
        first = live[0]
        return first, next(p for p in live if p.extra["account_id"] != first.extra["account_id"])

    def token(post: Post) -> str:
        return account_token(post.platform, post.extra["account_id"])

    def douyin(token: str, open_id: str, *posts: Post) -> httpx.Response:
        return client.post("/douyin/api/douyin/v1/video/video_data/", params={"open_id": open_id},
                           headers={"access-token": token}, json={"item_ids": [p.platform_post_id for p in posts]})

    def tiktok(token: str, *posts: Post) -> httpx.Response:
        return client.post("/tiktok/v2/video/query/", params={"fields": "id,view_count"},
                           headers={"Authorization": f"Bearer {token}"},
                           json={"filters": {"video_ids": [p.platform_post_id for p in posts]}})

    def kuaishou(token: str, post: Post) -> dict:
        return client.get("/kuaishou/openapi/photo/info", params={"app_id": "a", "access_token": token,
                                                                  "photo_id": post.platform_post_id}).json()

    def instagram(token: str, post: Post) -> httpx.Response:
        return client.get(f"/instagram/{post.platform_post_id}/insights", params={"metric": "views"},
                          headers={"Authorization": f"Bearer {token}"})

    try:
        mine, other = two("douyin")
        listed = douyin(token(mine), mine.extra["account_id"], mine, other).json()["data"]["list"]
        assert [i["item_id"] for i in listed] == [mine.platform_post_id]
        assert len(douyin(AGENCY, "any", mine, other).json()["data"]["list"]) == 2
        assert douyin("act.unknown", mine.extra["account_id"], mine).json()["extra"]["error_code"] == 2190002
        assert douyin(token(mine), other.extra["account_id"], mine).json()["extra"]["error_code"] == 2190002
        sim.owners.expired.add(mine.extra["account_id"])
        assert douyin(token(mine), mine.extra["account_id"], mine).json()["extra"]["error_code"] == 2190008
        sim.owners.expired.clear()

        mine, other = two("tiktok")
        assert [v["id"] for v in tiktok(token(mine), mine, other).json()["data"]["videos"]] == [mine.platform_post_id]
        assert tiktok("act.unknown", mine).status_code == 401

        mine, other = two("kuaishou")
        assert kuaishou(token(mine), mine)["result"] == 1
        assert kuaishou(token(mine), other)["result"] == 100200105
        assert kuaishou("nope", mine)["result"] == 100200103

        mine, other = two("instagram")
        assert instagram(token(mine), mine).status_code == 200
        refused = instagram(token(mine), other).json()["error"]
        assert (refused["code"], refused.get("error_subcode")) == (100, 33)
        assert instagram("IGQWnope", mine).json()["error"]["code"] == 190
    finally:
        sim.owners.enforced = False
        sim.owners.expired.clear()
    mine, other = two("douyin")
    assert len(douyin("", "any", mine, other).json()["data"]["list"]) == 2, "off: every token reads every video"
