"""Keywords, engagements/EMV, ROI helpers, alert decisions and the analyze command."""

from __future__ import annotations

import json
import math

from click.testing import CliRunner

from tracker.analytics import alerts, roi
from tracker.analytics.keywords import classify, hourly_counts, intent_rate, load_lexicon, tokenize
from tracker.analytics.longtail import (
    RatioStats,
    learn_ratios,
    loglinear_projection,
    prior_ratio,
    ratio_at,
)
from tracker.analytics.metrics import engagements


def test_keywords_chinese_and_latin():
    lx = load_lexicon(["花西子", "Florasis"])
    assert tokenize("这个口红求链接", lx) == ["这个", "口红", "求链接"]
    c = classify("花西子真的是智商税，踩雷了", lx)
    assert (c.intent, c.negative, c.brand) == (False, True, True)
    assert classify("Where to buy this? link please!", lx).intent
    assert classify("Florasis is a scam", lx).negative
    assert not classify("好看", lx).intent
    counts = hourly_counts([(10.2, "多少钱？"), (10.9, "好看"), (11.1, "where can i buy")], lx)
    assert counts[10].comments == 2 and counts[10].intent == 1 and counts[11].intent == 1
    assert intent_rate(counts.values()) == 2 / 3
    assert intent_rate([]) is None


def test_engagements_keep_null_apart_from_zero():
    assert engagements({"likes": 10, "comments": None, "shares": 0}) == 10
    assert engagements({"views": 100}) is None


def test_roi_helpers_say_na_not_zero():
    assert roi.cpm(100.0, 0) is None and roi.cpm(100.0, None) is None
    assert roi.cpm(100.0, 50_000) == 2.0
    assert roi.emv_return(300.0, 100.0) == 2.0
    assert roi.quartiles([1, 2, 3, 4, 5]) == (2, 3, 4)


def test_stalled_and_step_jump_and_ratio():
    assert alerts.stalled(last_seen=0.0, now=3.5, expected_cadence_hours=1.0)
    assert not alerts.stalled(last_seen=0.0, now=2.5, expected_cadence_hours=1.0)
    jump = alerts.step_jump(
        {"views": 1000, "likes": 9000, "comments": 5}, {"views": 900, "likes": 40, "comments": 4}
    )
    assert jump and jump["metric"] == "likes"
    assert (
        alerts.step_jump({"views": 9000, "likes": 900}, {"views": 900, "likes": 90}) is None
    )  # all moved
    dist = alerts.RatioDistribution(median_log=-3.0, mad_log=0.3, n=100)
    assert alerts.suspicious_ratio(5000, 10000, dist) is not None  # likes/views 0.5 vs ~0.05
    assert alerts.suspicious_ratio(500, 10000, dist) is None


def test_loglinear_prior_is_documented_and_monotone():
    assert prior_ratio(720, 2160) > 1.0
    p = loglinear_projection(1000.0, 720.0, 2160.0)
    assert p.low <= p.value <= p.high and p.low >= 1000.0


def test_ratios_are_learned_at_each_age_from_finished_posts_only():
    curves = [{24.0: 100.0, 48.0: 150.0, 720.0: 300.0}, {24.0: 100.0, 48.0: 120.0, 720.0: 1200.0},
              {24.0: 50.0, 48.0: 60.0}]  # the last is not finished: no count at the horizon
    learned = learn_ratios(curves, (720.0,))
    assert set(learned) == {(24.0, 720.0), (48.0, 720.0)}
    day = learned[(24.0, 720.0)]
    assert day.n == 2 and math.isclose(day.mean_log, (math.log(3) + math.log(12)) / 2)
    assert math.isclose(day.var_log, (math.log(12) - math.log(3)) ** 2 / 2)


def test_a_post_between_two_learned_ages_mixes_them_in_log_age():
    learned = {(24.0, 720.0): RatioStats(10, 2.0, 0.1), (36.0, 720.0): RatioStats(4, 1.0, 0.3)}
    assert ratio_at(learned, 24.0, 720.0) == RatioStats(10, 2.0, 0.1)
    mid = ratio_at(learned, math.sqrt(24.0 * 36.0), 720.0)  # halfway in log age
    assert mid is not None and mid.n == 4
    assert math.isclose(mid.mean_log, 1.5) and math.isclose(mid.var_log, 0.2)
    assert ratio_at(learned, 30.0, 2160.0) is None  # nothing learned for that horizon
    assert ratio_at(learned, 40.0, 720.0) is None  # 48 h not learned: no mix
    assert ratio_at(None, 24.0, 720.0) is None
    # past the last learned age the horizon itself is the upper point: a ratio of exactly 1
    late = ratio_at({(480.0, 720.0): RatioStats(6, 0.2, 0.02)}, math.sqrt(480.0 * 720.0), 720.0)
    assert late is not None and math.isclose(late.mean_log, 0.1) and math.isclose(late.var_log, 0.01)
    assert ratio_at(learned, 720.0, 720.0) is None  # at the horizon there is nothing to project


def test_learned_ratios_move_the_baseline_from_the_prior():
    prior = loglinear_projection(1000.0, 24.0, 720.0)
    learned = loglinear_projection(1000.0, 24.0, 720.0, RatioStats(20, math.log(10.0), 0.0))
    shrunk = (5 * math.log(prior_ratio(24.0, 720.0)) + 20 * math.log(10.0)) / 25
    assert math.isclose(learned.value, 1000.0 * math.exp(shrunk)) and learned.value > 3 * prior.value


def test_analyze_command_on_a_csv(tmp_path):
    from datetime import UTC, datetime, timedelta

    from tracker.cli.analyze import analyze

    start = datetime(2024, 6, 1, tzinfo=UTC)
    lines = ["post_id,observed_at,published_at,views,likes,comments,shares,saves,searches"]
    total = 0
    for h in range(1, 150):
        total += int(3000 * (h + 2) ** -1.2) + 5
        at = (start + timedelta(hours=h, minutes=30)).isoformat()
        lines.append(f"p1,{at},{start.isoformat()},{total * 10},{total},,,,")
    path = tmp_path / "snaps.csv"
    path.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    out = runner.invoke(analyze, [str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)[0]
    assert report["post_id"] == "p1" and report["pulses"][0]["trigger"] == "publish"
    assert report["totals"]["shares"] is None  # absent metric stays null
    early = runner.invoke(analyze, [str(path), "--as-of", "2024-06-02T00:00:00Z"])
    assert early.exit_code == 0 and "post p1: 23 snapshots" in early.output
