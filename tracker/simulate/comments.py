"""Comment streams: one per post, consistent with its comment counter.

Comment ``i`` (0-based, oldest first) appears at the instant the post's
``comments`` counter reaches ``i + 1``; its category (neutral, purchase
intent, negative) and brand mention are drawn once per post, its text, author
and likes are derived from (post seed, i) on demand, so millions of comments
cost a few bytes each. Chinese platforms get Chinese text, the others English.
Every intent text contains a phrase of ``INTENT``, every negative text one of
``NEGATIVE``, and no other text contains either; brand texts contain a term of
the campaign's ``brand_terms``.

On the platforms whose documented comment answers carry replies (``THREADED``: YouTube's
threads with their replies, Bilibili's replies of a root comment, the replies among Weibo's and
TikTok's comments) a share of the comments (``REPLY_SHARE``) reply to one of the few latest
top-level comments before them [sim]; a reply is a comment like any other (counted by the
post's comment counter, drawn in the same categories), and no reply is answered in turn. On the
other platforms every comment is top-level: their documented lists give a reply count at most,
never the replies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from tracker.simulate.catalog import CN_PLATFORMS

INTENT = {"zh": ("求链接", "怎么买", "多少钱", "在哪买"), "en": ("where to buy", "link?")}
NEGATIVE = {"zh": ("踩雷", "智商税"), "en": ("scam", "broke after")}
NEUTRAL, INTENT_CAT, NEGATIVE_CAT = 0, 1, 2
THREADED = frozenset({"youtube", "bilibili", "weibo", "tiktok"})
REPLY_SHARE = 0.25
"""Share of the comments of a ``THREADED`` platform's post that reply to another [sim]."""

# (category, mentions brand) -> templates; {t} is a brand or product term
_TEMPLATES = {
    "zh": {
        (NEUTRAL, False): ("好看！", "已关注，期待下一期", "博主皮肤状态好好", "这个滤镜好舒服", "拍得真用心",
                           "收藏了慢慢看", "第一次刷到你", "背景音乐叫什么", "哈哈哈哈笑死", "坐等更新"),
        (NEUTRAL, True): ("{t}我也在用，还不错", "种草{t}了", "{t}包装好好看", "{t}适合油皮吗"),
        (INTENT_CAT, False): ("求链接", "求链接！！", "怎么买呀", "这个多少钱", "在哪买的", "蹲一个，怎么买"),
        (INTENT_CAT, True): ("{t}怎么买", "{t}多少钱", "求链接{t}", "{t}在哪买"),
        (NEGATIVE_CAT, False): ("踩雷了，用完过敏", "又踩雷了", "纯纯智商税", "感觉是智商税，不推荐"),
        (NEGATIVE_CAT, True): ("{t}踩雷了，别买", "{t}就是智商税"),
    },
    "en": {
        (NEUTRAL, False): ("love this!", "great video", "the colors look amazing", "been following you for ages",
                           "nice edit", "saving this for later", "what song is this", "so calming to watch"),
        (NEUTRAL, True): ("I use {t} too", "{t} looks so good", "is {t} good for beginners"),
        (INTENT_CAT, False): ("where to buy this?", "link?", "where to buy??", "ok but link?"),
        (INTENT_CAT, True): ("{t} link?", "where to buy {t}?"),
        (NEGATIVE_CAT, False): ("total scam", "mine broke after two weeks", "feels like a scam"),
        (NEGATIVE_CAT, True): ("{t} broke after a month", "{t} is a scam"),
    },
}
_ZH_USERS = ("momo", "用户", "小透明", "路人甲", "吃瓜群众", "晴天", "奶茶控")
_EN_USERS = ("alex", "jordan", "casey", "riley", "morgan", "taylor", "jamie")


@dataclass(frozen=True)
class Comment:
    """One comment, platform-neutral; the platform modules render it."""

    index: int
    created_ts: float  # unix seconds
    text: str
    likes: int
    author_id: str
    author_name: str


class CommentStream:
    """The comments of one post: categories fixed at build, the rest derived on demand."""

    def __init__(self, seed: int, platform: str, terms: tuple[str, ...], count: int,
                 intent_p: float, negative_p: float, brand_p: float, reply_p: float | None = None) -> None:
        rng = np.random.default_rng(seed ^ 0x5EED)
        self.seed = seed
        self.lang = "zh" if platform in CN_PLATFORMS else "en"
        latin = tuple(t for t in terms if t.isascii())
        self.terms = terms if self.lang == "zh" else (latin or terms)
        self.category = rng.choice(3, size=count, p=[1 - intent_p - negative_p, intent_p, negative_p]).astype(np.int8)
        self.brand = rng.random(count) < brand_p
        share = (REPLY_SHARE if platform in THREADED else 0.0) if reply_p is None else reply_p
        self.parent = _parents(rng, count, share)
        """Per comment, the index of the comment it replies to; -1 for a top-level comment."""
        self._children: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.category)

    def comment(self, i: int, created_ts: float) -> Comment:
        """Comment ``i`` with its creation time (computed by the caller from the counter)."""
        rnd = random.Random(self.seed * 1_000_003 + i)
        cat, brand = int(self.category[i]), bool(self.brand[i])
        text = rnd.choice(_TEMPLATES[self.lang][(cat, brand)]).format(t=rnd.choice(self.terms))
        names = _ZH_USERS if self.lang == "zh" else _EN_USERS
        author = f"{rnd.choice(names)}{rnd.randint(1, 99999)}"
        likes = int(rnd.paretovariate(1.6)) - 1
        return Comment(i, created_ts, text, likes, f"u{rnd.getrandbits(40):011x}", author)

    def roots(self, count: int) -> np.ndarray:
        """Indices of the top-level comments among the first ``count``, oldest first."""
        return np.flatnonzero(self.parent[:count] < 0)

    def replies(self, root: int, count: int) -> np.ndarray:
        """Indices of the replies to comment ``root`` among the first ``count``, oldest first."""
        if self._children is None:
            order = np.argsort(self.parent, kind="stable")
            self._children = order, self.parent[order]
        order, parents = self._children
        found = order[np.searchsorted(parents, root, "left"):np.searchsorted(parents, root, "right")]
        return found[found < count]

    def counts(self) -> dict[str, int]:
        """Totals over the whole stream: comments, intent, negative, brand mentions."""
        return {"total": len(self), "intent": int((self.category == INTENT_CAT).sum()),
                "negative": int((self.category == NEGATIVE_CAT).sum()), "brand": int(self.brand.sum())}

    def cumulative(self, category: int, counts: np.ndarray) -> np.ndarray:
        """Comments of ``category`` among the first ``counts[k]`` comments, for each k."""
        running = np.concatenate(([0], np.cumsum(self.category == category)))
        return running[np.clip(counts, 0, len(self))]


def _parents(rng: np.random.Generator, count: int, share: float) -> np.ndarray:
    """Per comment, the comment it replies to (-1: top-level): with probability ``share`` one of the
    latest top-level comments before it (the latest, or one further back half as often each step)."""
    parent = np.full(count, -1, dtype=np.int32)
    if count < 2 or share <= 0:
        return parent
    reply = rng.random(count) < share
    reply[0] = False
    roots = np.flatnonzero(~reply)
    latest = np.cumsum(~reply) - 1  # a reply's latest top-level comment before it, as a rank among them
    rank = np.maximum(latest - (rng.geometric(0.5, size=count) - 1), 0)
    parent[reply] = roots[rank[reply]]
    return parent


def _visible_at(cum: np.ndarray, publish_ts: float, indices: np.ndarray) -> np.ndarray:
    target = indices.astype(float) + 1.0
    t = np.clip(np.searchsorted(cum, target, side="left") - 1, 0, len(cum) - 2)
    step = np.maximum(cum[t + 1] - cum[t], 1)
    frac = np.clip((target - cum[t]) / step, 0.0, 1.0)
    return publish_ts + (t + frac) * 3600.0


def comment_times(cum: np.ndarray, publish_ts: float, indices: np.ndarray) -> np.ndarray:
    """Unix creation times of comments ``indices``, from the hourly comment counter ``cum``.

    Comment i becomes visible when the served counter reaches i + 1; it was written a
    little earlier, between the previous comment's visibility and its own (a fixed
    fraction per index), so creation times keep the index order.
    """
    shown = _visible_at(cum, publish_ts, indices)
    before = np.where(indices > 0, _visible_at(cum, publish_ts, np.maximum(indices - 1, 0)), publish_ts)
    lag = ((indices * 0.6180339887) % 1.0) * 0.9
    return shown - lag * (shown - before)
