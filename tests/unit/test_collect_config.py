"""Which platforms a collector polls, and what it says of those it cannot."""

from __future__ import annotations

from tracker.collect.config import platform_configs
from tracker.settings import Settings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_platform_without_its_credential_or_host_is_named_with_what_to_set() -> None:
    skipped: dict[str, str] = {}
    configs = platform_configs(settings(), skipped)
    assert "bilibili" in configs  # its public endpoints need no token
    assert skipped["weibo"] == "set TRACKER_WEIBO_ACCESS_TOKEN"
    assert skipped["youtube"] == "set TRACKER_YOUTUBE_API_KEY"
    assert "TRACKER_COLLECT_BASE_URLS" in skipped["xiaohongshu"] and "export" in skipped["wechat_channels"]
    assert not set(skipped) & set(configs)


def test_a_platform_given_its_token_is_collected() -> None:
    skipped: dict[str, str] = {}
    configs = platform_configs(settings(weibo_access_token="t"), skipped)
    assert "weibo" in configs and "weibo" not in skipped
