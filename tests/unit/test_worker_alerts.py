"""The worker's alert messages are produced once each: the batch loop and the stall timer both
send, and a send may yield (a producer waiting for metadata or buffer space) while the other
starts. One PostDecaying went out twice with the same emitted_at in a demo run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson

from tracker.stream.insights import Insights
from tracker.stream.processor import Output
from tracker.stream.worker import send_alerts

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def stalled(insights: Insights, post: str) -> str:
    insights.emit_alert("acme", post, "c1", "PostStalled", "firing", NOW, "1", {"usual_interval_seconds": 3600},
                        1, Output())
    return insights.alerts[-1]["alert_id"]


async def test_overlapping_senders_send_each_alert_once_and_lose_none() -> None:
    insights = Insights()
    first = [stalled(insights, f"douyin:{i}") for i in range(3)]
    sent: list[str] = []
    late: list[str] = []

    async def send(key: bytes, value: bytes) -> None:
        await asyncio.sleep(0)  # the other sender runs here
        if not late:  # an alert emitted while the first batch is on its way
            late.append(stalled(insights, "douyin:9"))
        sent.append(orjson.loads(value)["alert_id"])

    await asyncio.gather(send_alerts(insights, send), send_alerts(insights, send))
    await send_alerts(insights, send)
    assert sorted(sent) == sorted(first + late)
    assert insights.take_alerts() == []
