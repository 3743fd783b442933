"""Synthetic names, handles, account ids, tags and titles (deterministic by RNG)."""

from __future__ import annotations

import random
import string

from tracker.simulate.catalog import CN_PLATFORMS

_ZH_NAMES = ("小鹿", "橙子", "阿木", "糖糖", "大胖", "七七", "老王", "豆豆", "一一", "小满", "木子", "安安")
_ZH_SUFFIX = ("爱护肤", "的日常", "酱", "测评", "不睡觉", "在路上", "Vlog", "种草机")
_EN_NAMES = ("jess", "mika", "leo", "sam", "noor", "kai", "ava", "theo", "ivy", "max", "zoe", "finn")
_EN_SUFFIX = ("trails", "glow", "outdoors", "daily", "reviews", "hikes", "skin", "lab")
_VERTICALS = ("skincare", "beauty", "outdoor", "fitness", "lifestyle", "travel", "tech", "fashion")
_TONES = ("expert", "funny", "cozy", "aesthetic", "honest-review")
_AUDIENCES = ("gen-z", "students", "office", "parents", "seniors")
_ZH_TITLE = ("真实测评", "一周实测", "空瓶记", "开箱", "敏感肌能用吗", "平价替代？")
_EN_TITLE = ("honest review", "one week test", "unboxing", "worth it?", "first impressions")


def creator_name(rnd: random.Random, platform: str) -> str:
    """A display name in the platform's main language."""
    if platform in CN_PLATFORMS:
        return rnd.choice(_ZH_NAMES) + rnd.choice(_ZH_SUFFIX)
    return f"{rnd.choice(_EN_NAMES)}.{rnd.choice(_EN_SUFFIX)}"


def handle(name: str, rnd: random.Random) -> str:
    """An account handle derived from the display name."""
    latin = "".join(ch for ch in name.lower() if ch in string.ascii_lowercase + "._")
    return (latin or "user") + str(rnd.randint(10, 9999))


def account_id(rnd: random.Random, platform: str) -> str:
    """A platform-shaped account id (open_id, mid, uid, channel id...)."""
    alnum = string.ascii_letters + string.digits
    if platform == "douyin":
        return "_000" + "".join(rnd.choices(alnum, k=28))
    if platform == "bilibili":
        return str(rnd.randint(10**6, 10**10))
    if platform == "weibo":
        return str(rnd.randint(10**9, 10**10 - 1))
    if platform == "xiaohongshu":
        return "".join(rnd.choices("0123456789abcdef", k=24))
    if platform == "youtube":
        return "UC" + "".join(rnd.choices(alnum + "-_", k=22))
    if platform == "instagram":
        return "1784" + "".join(rnd.choices(string.digits, k=13))
    return "".join(rnd.choices(alnum, k=20))


def tags(rnd: random.Random) -> tuple[str, ...]:
    """Vertical, tone and audience tags, sometimes a compliance note."""
    out = [rnd.choice(_VERTICALS), rnd.choice(_TONES), rnd.choice(_AUDIENCES)]
    if rnd.random() < 0.1:
        out.append("compliance:ad-label-required")
    return tuple(out)


def title(rnd: random.Random, platform: str, terms: tuple[str, ...]) -> str:
    """A post title naming a brand or product term."""
    if platform in CN_PLATFORMS:
        return f"{rnd.choice(terms)}{rnd.choice(_ZH_TITLE)}"
    latin = [t for t in terms if t.isascii()] or list(terms)
    return f"{rnd.choice(latin)} {rnd.choice(_EN_TITLE)}"
