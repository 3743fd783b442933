"""The simulator's platform endpoints, one module per platform (plus exports).

Each module has ``NAME``, ``KINDS``, ``routes(sim)`` and ``fault_response(spec, sim, path)``.
WeChat Channels has no API: only its export is served.
"""

from __future__ import annotations

from types import ModuleType

from tracker.simulate.platforms import (
    bilibili,
    douyin,
    exports,
    instagram,
    kuaishou,
    tiktok,
    weibo,
    xiaohongshu,
    youtube,
)

APIS: dict[str, ModuleType] = {m.NAME: m for m in (douyin, xiaohongshu, weibo, kuaishou, bilibili, tiktok,
                                                   instagram, youtube)}


def module_for(platform: str, path: str) -> ModuleType:
    """The module answering ``path`` of ``platform`` (exports for ``/<platform>/export``)."""
    if path.rstrip("/").endswith("/export") or platform not in APIS:
        return exports
    return APIS[platform]


__all__ = ["APIS", "exports", "module_for"]
