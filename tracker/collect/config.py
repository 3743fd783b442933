"""Per-platform collector configuration: where, how fast, how much, with which credentials.

Defaults follow PLATFORMS.md; ``TRACKER_COLLECT_LIMITS`` overrides any of
``daily_quota`` (units per quota day), ``rate_per_second``, ``concurrency`` and
``batch_size``; ``TRACKER_COLLECT_BASE_URLS`` a host; ``TRACKER_COLLECT_SOURCES``
the adapter. With ``TRACKER_COLLECT_SIMULATOR_URL`` every platform is reached at
``<url>/<platform>`` and rate limits default to none (the simulator is local);
quotas still apply, per simulated day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import SecretStr

from tracker.collect.accounts import FIELDS as OWNER_ONLY
from tracker.collect.accounts import VARIABLE, Accounts
from tracker.errors import ConfigError
from tracker.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlatformConfig:
    """How one platform is read."""

    platform: str
    adapter: str
    base_url: str
    daily_quota: float | None = None
    quota_zone: str = "UTC"
    rate_per_second: float | None = None
    concurrency: int = 2
    batch_size: int | None = None  # None: the adapter's documented maximum
    timeout: float = 10.0
    source: str = "api"
    secrets: dict[str, SecretStr] = field(default_factory=dict, repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    accounts: Accounts | None = field(default=None, repr=False, compare=False)
    """The per-creator accounts of the owner-only APIs (TRACKER_ACCOUNTS_FILE), if any."""
    fallback: bool = True
    """Whether ``secrets`` and ``options`` are an account too: the one of every creator without
    their own entry in ``accounts`` (False: such creators' posts wait for authorisation)."""

    def secret(self, name: str) -> str:
        """A credential's value ('' when unset); never log it."""
        value = self.secrets.get(name)
        return value.get_secret_value() if value is not None else ""


# platform -> (adapter, real base URL, daily quota, quota zone, rate/s, concurrency); "" = no public host
DEFAULTS: dict[str, tuple[str, str, float | None, str, float | None, int]] = {
    "youtube": ("youtube", "https://www.googleapis.com/youtube", 10_000, "America/Los_Angeles", 5.0, 4),
    "bilibili": ("bilibili", "https://api.bilibili.com", None, "Asia/Shanghai", 2.0, 2),
    "weibo": ("weibo", "https://api.weibo.com", None, "Asia/Shanghai", 150 / 3600, 1),
    "douyin": ("douyin", "https://open.douyin.com", None, "Asia/Shanghai", 10.0, 4),
    "kuaishou": ("kuaishou", "https://open.kuaishou.com", None, "Asia/Shanghai", 5.0, 2),
    "tiktok": ("tiktok", "https://open.tiktokapis.com", None, "UTC", 10.0, 4),
    "instagram": ("instagram", "https://graph.facebook.com/v21.0", None, "UTC", 2.0, 2),
    "xiaohongshu": ("xiaohongshu", "", None, "Asia/Shanghai", 2.0, 2),
    "wechat_channels": ("export", "", None, "Asia/Shanghai", 1.0, 1),
    "generic": ("generic", "", None, "UTC", 5.0, 2),
}
SOURCES = {"xiaohongshu": "provider", "generic": "provider", "export": "export"}
# credentials without which a platform's own host answers nothing but auth errors
REQUIRED = {"youtube": "api_key", "weibo": "access_token", "douyin": "access_token", "kuaishou": "access_token",
            "tiktok": "access_token", "instagram": "access_token"}
# settings naming the account or app a platform's own host reads for, beside the credential: Douyin
# serves the videos of the account that authorised the token (its open_id, PLATFORMS.md §6),
# Kuaishou takes the app_id with the token (§8)
ACCOUNT = {"douyin": "douyin_open_id", "kuaishou": "kuaishou_app_id"}


def _secrets(settings: Settings) -> dict[str, dict[str, SecretStr]]:
    return {
        "youtube": {"api_key": settings.youtube_api_key},
        "bilibili": {"sessdata": settings.bilibili_sessdata},
        "weibo": {"access_token": settings.weibo_access_token},
        "douyin": {"access_token": settings.douyin_access_token},
        "kuaishou": {"access_token": settings.kuaishou_access_token, "app_secret": settings.kuaishou_app_secret},
        "tiktok": {"access_token": settings.tiktok_access_token, "research_token": settings.tiktok_research_token,
                   "client_secret": settings.tiktok_client_secret,
                   "research_client_secret": settings.tiktok_research_client_secret},
        "instagram": {"access_token": settings.instagram_access_token},
        "xiaohongshu": {"token": settings.xiaohongshu_token},
        "generic": {"token": settings.generic_token},
    }


def platform_configs(settings: Settings, skipped: dict[str, str] | None = None,
                     accounts: Accounts | None = None) -> dict[str, PlatformConfig]:
    """Every platform's configuration in force; platforms with no reachable host or without the
    credential their host needs are left out, each with what to set in ``skipped`` when given.

    An owner-only API (``accounts.FIELDS``) is read with the accounts of ``accounts`` and, for
    the creators it does not list, with the platform-wide settings: on the platform's own host
    when its token is set; elsewhere (the simulator, a provider) unless the token is unset and
    ``accounts`` lists creators of the platform, whose other creators then wait."""
    skipped = {} if skipped is None else skipped
    sim = settings.collect_simulator_url.rstrip("/")
    secrets = _secrets(settings)
    unknown = (set(settings.collect_limits) | set(settings.collect_base_urls)
               | set(settings.collect_sources)) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown platform(s) in TRACKER_COLLECT_*: {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(DEFAULTS)}")
    out: dict[str, PlatformConfig] = {}
    for platform, (adapter, host, quota, zone, rate, concurrency) in DEFAULTS.items():
        adapter = settings.collect_sources.get(platform, adapter)
        base = settings.collect_base_urls.get(platform) or (f"{sim}/{platform}" if sim else host)
        if adapter == "generic" and not settings.collect_generic:
            if platform == "generic":
                continue
            raise ConfigError(f"TRACKER_COLLECT_SOURCES reads {platform} with the generic adapter, but "
                              "TRACKER_COLLECT_GENERIC (its field paths) is empty")
        if adapter == "generic":
            base = settings.collect_base_urls.get(platform) or settings.collect_generic.get("base_url") or base
        if not base:
            if platform != "generic":
                skipped[platform] = (f"no public API: set its host in TRACKER_COLLECT_BASE_URLS (a data provider) or "
                                     f"read its export (TRACKER_COLLECT_SOURCES={{\"{platform}\": \"export\"}})")
            continue
        own_host = adapter == DEFAULTS[platform][0] and not sim and platform not in settings.collect_base_urls
        owner_only = adapter == DEFAULTS[platform][0] and platform in OWNER_ONLY
        listed = accounts.listed(platform) if accounts is not None and owner_only else 0
        token = bool(secrets[platform]["access_token"].get_secret_value()) if owner_only else False
        needed = REQUIRED.get(platform) if own_host else None
        missing = [f"TRACKER_{platform.upper()}_{needed.upper()}"] if needed and \
            not secrets[platform][needed].get_secret_value() else []
        account = ACCOUNT.get(platform) if own_host else None
        if account and not str(getattr(settings, account)).strip():
            missing.append(f"TRACKER_{account.upper()}")
        if listed and not token:  # the file's accounts read the platform; Kuaishou's app_id is still needed
            missing = [m for m in missing if m not in (f"TRACKER_{platform.upper()}_ACCESS_TOKEN",
                                                       "TRACKER_DOUYIN_OPEN_ID")]
        if missing:
            also = f", or authorise its creators in {VARIABLE}" if owner_only and \
                missing[0].endswith("_ACCESS_TOKEN") else ""
            skipped[platform] = f"set {' and '.join(missing)}{also}"
            continue
        cfg = PlatformConfig(
            platform=platform, adapter=adapter, base_url=base.rstrip("/"), daily_quota=quota, quota_zone=zone,
            rate_per_second=None if sim else rate, concurrency=concurrency, timeout=settings.collect_timeout_seconds,
            source="simulator" if sim and platform not in settings.collect_base_urls else SOURCES.get(adapter, "api"),
            secrets=secrets.get(platform, {}) if adapter != "generic" else secrets["generic"],
            options={"douyin_open_id": settings.douyin_open_id, "kuaishou_app_id": settings.kuaishou_app_id,
                     "douyin_client_key": settings.douyin_client_key, "tiktok_client_key": settings.tiktok_client_key,
                     "tiktok_research_client_key": settings.tiktok_research_client_key,
                     "generic": settings.collect_generic},
            accounts=accounts if owner_only else None, fallback=not owner_only or token or not listed,
        )
        out[platform] = _with_limits(cfg, settings.collect_limits.get(platform, {}))
    return out


def _with_limits(cfg: PlatformConfig, limits: dict[str, float]) -> PlatformConfig:
    known = {"daily_quota", "rate_per_second", "concurrency", "batch_size"}
    if set(limits) - known:
        raise ConfigError(f"TRACKER_COLLECT_LIMITS[{cfg.platform}]: unknown keys {sorted(set(limits) - known)}; "
                          f"use {', '.join(sorted(known))}")
    changes: dict[str, Any] = {}
    if "daily_quota" in limits:
        changes["daily_quota"] = float(limits["daily_quota"]) or None
    if "rate_per_second" in limits:
        changes["rate_per_second"] = float(limits["rate_per_second"]) or None
    if "concurrency" in limits:
        changes["concurrency"] = max(1, int(limits["concurrency"]))
    if "batch_size" in limits:
        changes["batch_size"] = max(1, int(limits["batch_size"]))
    return replace(cfg, **changes)
