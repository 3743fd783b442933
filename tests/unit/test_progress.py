"""The progress line `tracker run` prints: counts since the last line, from the process's metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from tracker.ops.progress import progress_line, total


def test_total_sums_a_metric_over_its_labels_and_skips_creation_times() -> None:
    registry = CollectorRegistry()
    produced = Counter("produced", "", ["platform"], registry=registry)
    produced.labels("douyin").inc(3)
    produced.labels("weibo").inc(4)
    lag = Gauge("lag", "", ["topic"], registry=registry)
    lag.labels("a").set(5)
    lag.labels("b").set(6)
    assert total(produced) == 7 and total(produced, platform="weibo") == 4
    assert total(lag) == 11 and total(lag, topic="b") == 6


def test_the_line_says_what_changed_and_points_at_new_dlq_messages() -> None:
    before = {"collected": 100, "applied": 90, "stored": 400, "posts": 10, "raised": 4, "dlq": 0, "lag": 5}
    now = {"collected": 1_600, "applied": 1_590, "stored": 6_400, "posts": 200, "raised": 7, "dlq": 0, "lag": 0}
    line = progress_line(before, now, 60.2)
    assert line.startswith("tracker: last 60 s: +1,500 snapshots collected, +1,500 applied, +6,000 rows stored, "
                           "+3 post alerts raised;")
    assert "200 posts tracked, consumer lag 0" in line and "DLQ" not in line
    assert "+2 messages to the DLQ (tracker sql" in progress_line(before, {**now, "dlq": 2}, 60)
