"""A Weibo post registered from the link weibo.com gives (``weibo.com/<uid>/N53pjFJdb``: the
post's id in base 62) is measured and its comments read from the simulator over HTTP, as the
same post registered by its numeric id is: the API takes numeric ids only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.integration.test_collect_edges import config, live, run
from tracker.collect.http import Discipline, PlatformHttp
from tracker.collect.model import PostRef
from tracker.collect.platforms import adapter_for
from tracker.registry.urls import resolve
from tracker.simulate import Simulation

pytestmark = pytest.mark.integration

ONCE = Discipline(max_attempts=1)
BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.fixture(autouse=True)
def clean(sim: Simulation) -> Iterator[None]:
    sim.faults.clear()
    sim.clock.set(sim.population.campaign_start + timedelta(days=20))
    yield


def link_id(numeric: str) -> str:
    """The id weibo.com links carry for a numeric post id: groups of seven digits from the right,
    each written in four base-62 characters (the leftmost without its leading zeros)."""
    out = []
    while numeric:
        numeric, group = numeric[:-7], int(numeric[-7:])
        text = ""
        while group:
            group, digit = divmod(group, 62)
            text = BASE62[digit] + text
        out.append(text.rjust(4, "0") if numeric else text)
    return "".join(reversed(out))


def test_a_post_registered_from_its_weibo_link_is_measured_not_gone(sim: Simulation, url: str) -> None:
    now = sim.clock.timestamp()
    post, other = [p for p in live(sim, "weibo") if sim.comment_count(p, now) > 0][:2]
    platform, pid = resolve(f"https://weibo.com/1669879400/{link_id(post.platform_post_id)}")
    assert (platform, pid.isdigit()) == ("weibo", False)
    by_link = PostRef(f"weibo:{pid}", post.tenant)
    by_number = PostRef(other.id, other.tenant)
    cfg = config(url, "weibo")

    async def scenario(http: PlatformHttp) -> tuple[list, list[str], list[str]]:
        adapter = adapter_for(cfg)
        observations = await adapter.fetch_metrics(http, [by_link, by_number])
        linked_page = await adapter.fetch_comments(http, by_link, None, {})
        numbered_page = await adapter.fetch_comments(http, PostRef(post.id, post.tenant), None, {})
        return (observations, [c.comment_id for c in linked_page.comments],
                [c.comment_id for c in numbered_page.comments])

    (linked, numbered), comments, expected = run(cfg, scenario, sim, ONCE)
    truth = sim.counts([post, other])
    assert linked.post_id == by_link.post_id and linked.status == "ok"
    assert (linked.metrics["likes"], linked.metrics["comments"], linked.metrics["shares"]) == \
        (truth[0]["likes"], truth[0]["comments"], truth[0]["shares"])
    assert numbered.status == "ok" and numbered.metrics["likes"] == truth[1]["likes"]
    assert comments and comments == expected
