"""Pure analytics: resampling, pulses, decay fits, long tail, alerts, keywords, ROI.

Nothing here imports Kafka, HTTP or ClickHouse; every function works on plain
values in event time and is deterministic. ``PostAnalytics`` (``post.py``) is
the per-post state a stream worker keeps.
"""
