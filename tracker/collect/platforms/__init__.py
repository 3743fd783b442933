"""One adapter per platform behind one small interface, registered by name.

``adapter_for(config)`` builds the adapter a platform's configuration names;
adding a platform is one new module here (decorated with ``@register``) and
its test.
"""

from tracker.collect.platforms import (  # noqa: F401 - importing registers the adapters
    bilibili,
    douyin,
    export,
    generic,
    instagram,
    kuaishou,
    tiktok,
    weibo,
    xiaohongshu,
    youtube,
)
from tracker.collect.platforms.base import ADAPTERS, Adapter, adapter_for, register

__all__ = ["ADAPTERS", "Adapter", "adapter_for", "register"]
