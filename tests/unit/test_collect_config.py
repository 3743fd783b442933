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


def test_douyin_and_kuaishou_need_the_account_their_token_reads_for() -> None:
    """Douyin serves the videos of the account that authorised the token, named by its open_id;
    Kuaishou takes its app_id with the token. A token alone is not enough: the platform is not
    polled, and what to set is named."""
    skipped: dict[str, str] = {}
    configs = platform_configs(settings(douyin_access_token="act.x", kuaishou_access_token="k"), skipped)
    assert skipped["douyin"] == "set TRACKER_DOUYIN_OPEN_ID"
    assert skipped["kuaishou"] == "set TRACKER_KUAISHOU_APP_ID"
    assert not {"douyin", "kuaishou"} & set(configs)
    platform_configs(settings(), skipped)
    assert skipped["douyin"] == ("set TRACKER_DOUYIN_ACCESS_TOKEN and TRACKER_DOUYIN_OPEN_ID, or authorise its "
                                 "creators in TRACKER_ACCOUNTS_FILE")
    skipped = {}
    configs = platform_configs(settings(douyin_access_token="act.x", douyin_open_id="_000abc",
                                        kuaishou_access_token="k", kuaishou_app_id="ks123"), skipped)
    assert {"douyin", "kuaishou"} <= set(configs) and not {"douyin", "kuaishou"} & set(skipped)
