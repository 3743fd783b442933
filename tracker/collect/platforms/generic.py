"""The generic JSON adapter: any licensed data provider, configured by field paths.

``TRACKER_COLLECT_GENERIC`` (JSON) says where things are; ``{id}`` / ``{ids}`` in
``params`` and ``body`` become the post's platform id / the batch's ids joined by
``ids_separator`` (``{ids_list}`` in the body: a JSON list)::

    {"base_url": "https://provider.example/v1",      # or TRACKER_COLLECT_BASE_URLS[platform]
     "method": "GET", "path": "/notes/metrics", "params": {"ids": "{ids}"}, "body": null,
     "batch_size": 50, "ids_separator": ",",
     "items": "data.list",            # a list of items, or one object (batch_size 1)
     "item_id": "note_id",            # path inside an item to the platform id
     "metrics": {"likes": "stats.like", "saves": "stats.collect", "views": "stats.read"},
     "error_path": "code", "ok_values": [0],           # body code that means success
     "rate_limit_values": [429001], "auth_values": [401001], "risk_values": [300012],
     "gone_values": [404001]}

Metric values may be numbers or display texts ("1.2万": rounded). A metric not
mapped, or null in the answer, is None. A path that leads nowhere (a key or index
the item lacks) is an InvalidResponse naming the metric and the path, never a 0
or a silent null.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tracker.collect import errors as e
from tracker.collect.config import PlatformConfig
from tracker.collect.http import PlatformHttp, Request, retry_after
from tracker.collect.model import Observation, PostRef
from tracker.collect.platforms.base import Adapter, count, dig, http_status, json_body, register
from tracker.contracts.vocab import METRICS
from tracker.errors import ConfigError


def _fill(template: Any, ids: list[str], sep: str) -> Any:
    """Replace {id}, {ids} and {ids_list} placeholders inside a params/body template."""
    if isinstance(template, dict):
        return {k: _fill(v, ids, sep) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, ids, sep) for v in template]
    if template == "{ids_list}":
        return ids
    if isinstance(template, str):
        return template.replace("{ids}", sep.join(ids)).replace("{id}", ids[0])
    return template


NOWHERE = object()
"""What ``reach`` answers for a path that leads nowhere."""


def reach(data: Any, path: str) -> Any:
    """``data`` followed along a dotted path (``a.b.0.c``): the value, None where the answer holds a
    null on the way (the provider says there is no value), ``NOWHERE`` where a key or index is missing."""
    for part in path.split(".") if path else ():
        if data is None:
            return None
        if isinstance(data, dict):
            if part not in data:
                return NOWHERE
            data = data[part]
        elif isinstance(data, list) and part.lstrip("-").isdigit() and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        else:
            return NOWHERE
    return data


@register
class Generic(Adapter):
    name = "generic"
    batch_size = 100
    exposes = METRICS

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(config)
        spec = dict(config.options.get("generic") or {})
        missing = [k for k in ("path", "item_id", "metrics") if k not in spec]
        if missing:
            raise ConfigError(f"TRACKER_COLLECT_GENERIC lacks {', '.join(missing)} (see "
                              "tracker/collect/platforms/generic.py)")
        unknown = set(spec["metrics"]) - set(METRICS)
        if unknown:
            raise ConfigError(f"TRACKER_COLLECT_GENERIC metrics: unknown {sorted(unknown)}; use {', '.join(METRICS)}")
        self.spec = spec
        self.metrics = tuple(spec["metrics"])

    @property
    def batch(self) -> int:
        return max(1, int(self.config.batch_size or self.spec.get("batch_size", 1)))

    def _check(self, response: httpx.Response) -> tuple[Any, bool]:
        """The body, and whether its code is a "gone" one; or the error the code means."""
        body = json_body(response, self.platform)
        path = self.spec.get("error_path")
        if path:
            code = dig(body, path)
            message = f"{self.platform} provider: {path}={code!r}"
            if code in self.spec.get("gone_values", []):
                return body, True
            if code in self.spec.get("risk_values", []):
                raise e.RiskControl(message, code=code)
            if code in self.spec.get("rate_limit_values", []):
                raise e.RateLimited(message, retry_after=retry_after(response), code=code)
            if code in self.spec.get("auth_values", []):
                raise e.AuthFailed(message, code=code)
            if code not in self.spec.get("ok_values", [0]):
                http_status(response, self.platform, message)
                raise e.Rejected(message, code=code)
        http_status(response, self.platform)
        return body, False

    async def fetch_metrics(self, http: PlatformHttp, posts: Sequence[PostRef]) -> list[Observation]:
        """One call for the batch. A "gone" code (``gone_values``) is the answer's, not an item's:
        it marks a post unavailable only when it can concern that post alone: the batch was that
        one post, or every other post came back as an item. Otherwise the posts it may concern
        are asked again one by one, so that each gone code concerns exactly one post."""
        found, gone = await self._ask(http, posts)
        if gone:
            missing = [p for p in posts if p.platform_post_id not in found]
            if len(missing) == 1:
                found[missing[0].platform_post_id] = self.unavailable(missing[0])
            else:
                for post in missing:  # alone, a gone code or a missing item concerns this post
                    alone, _ = await self._ask(http, [post])
                    found.update(alone)
        return [found.get(p.platform_post_id) or self.unavailable(p) for p in posts]

    async def _ask(self, http: PlatformHttp, posts: Sequence[PostRef]) -> tuple[dict[str, Observation], bool]:
        """The observations one call answered (by platform id), and whether it said "gone"."""
        ids = [p.platform_post_id for p in posts]
        sep = self.spec.get("ids_separator", ",")
        token = self.config.secret("token")
        request = Request(self.spec.get("method", "GET").upper(), self.spec["path"],
                          _fill(self.spec.get("params") or {}, ids, sep), json=_fill(self.spec.get("body"), ids, sep),
                          headers={"Authorization": f"Bearer {token}"} if token else {})

        def parse(response: httpx.Response) -> tuple[dict[str, Observation], bool]:
            body, gone = self._check(response)
            items = dig(body, self.spec.get("items", ""))
            if isinstance(items, dict):
                items = [items]
            if gone and not isinstance(items, list):
                return {}, True  # no item beside the gone code
            if not isinstance(items, list):
                raise e.InvalidResponse(f"{self.platform} provider: {self.spec.get('items')!r} is not a list")
            out = {}
            for item in items:
                pid = dig(item, self.spec["item_id"])
                if not isinstance(pid, str | int) or isinstance(pid, bool):
                    raise e.InvalidResponse(f"{self.platform} provider: item without {self.spec['item_id']!r}")
                values, rounded, problem = {}, [], ""
                for metric, path in self.spec["metrics"].items():
                    value = reach(item, path)
                    if value is NOWHERE:
                        raise e.InvalidResponse(f"{self.platform} provider: metrics.{metric} path {path!r} leads "
                                                f"nowhere in item {pid!r} (check TRACKER_COLLECT_GENERIC)")
                    try:
                        values[metric], was_rounded = count(value, path, self.platform)
                    except e.InvalidResponse as exc:  # that item's value: that post alone fails
                        problem = exc.message
                        break
                    if was_rounded:
                        rounded.append(metric)
                ref = next((p for p in posts if p.platform_post_id == str(pid)), None)
                if ref is not None:
                    out[str(pid)] = self.invalid(ref, problem) if problem else self.observation(ref, values, rounded)
            return out, gone

        return await http.call(request, parse)
