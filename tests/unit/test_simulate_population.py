"""The simulated population and its ground truth: deterministic, varied, self-consistent."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from tracker.simulate import Simulation, load_truth
from tracker.simulate.catalog import METRICS, PLATFORMS, TIERS
from tracker.simulate.clock import parse_time
from tracker.simulate.registry import campaign_document
from tracker.simulate.series import M_INDEX


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return Simulation.build(seed=7, posts=200)


@pytest.fixture(scope="module")
def truth(sim: Simulation) -> dict:
    return load_truth(sim.truth_json())


def test_same_seed_same_population_and_truth(sim: Simulation) -> None:
    again = Simulation.build(seed=7, posts=200)
    assert campaign_document(again.population) == campaign_document(sim.population)
    assert again.truth_json() == sim.truth_json()


def test_other_seed_other_population(sim: Simulation) -> None:
    other = Simulation.build(seed=8, posts=200)
    assert campaign_document(other.population)["posts"] != campaign_document(sim.population)["posts"]


def test_population_is_varied(sim: Simulation, truth: dict) -> None:
    pop = sim.population
    assert len(pop.posts) >= 200
    assert len({p.id for p in pop.posts}) == len(pop.posts)
    assert set(Counter(p.platform for p in pop.posts)) == set(PLATFORMS)
    assert set(Counter(c.tier for c in pop.creators)) == set(TIERS)
    assert {t.id for t in pop.tenants} == {p.tenant for p in pop.posts}
    assert {c.time_zone for c in pop.campaigns} == {"Asia/Shanghai", "America/Los_Angeles"}
    assert pop.bundles and all(p.fee is None for b in pop.bundles for p in pop.posts if p.id in b.post_ids)
    assert any(len(c.accounts) > 1 for c in pop.creators)
    posts = truth["posts"]
    assert sum(p["keeps_growing"] for p in posts) >= 3
    assert sum(p["taken_down_at"] is not None for p in posts) >= 3
    assert sum(bool(p["step_jumps"]) for p in posts) >= 3
    assert sum(bool(p["corrections"]) for p in posts) >= 3
    pulses = [q for p in posts for q in p["pulses"]]
    assert Counter(q["trigger"].split(":")[0] for q in pulses).keys() == {"organic", "heating"}
    assert any(q["no_response"] for q in pulses)
    assert len({round(p["params"]["theta"], 1) for p in posts}) > 5  # varied tail exponents


def test_metric_matrix_null_is_not_zero(truth: dict) -> None:
    for post in truth["posts"]:
        has = PLATFORMS[post["platform"]].metrics - set(post["hidden_metrics"])
        for metric in METRICS:
            if metric in has:
                assert isinstance(post["totals"][metric], int), (post["post_id"], metric)
                assert isinstance(post["curves"][metric], list)
            else:
                assert post["totals"][metric] is None and post["curves"][metric] is None
    weibo = [p for p in truth["posts"] if p["platform"] == "weibo"]
    assert weibo and all(p["totals"]["views"] is None for p in weibo)


def test_heating_pulses_match_the_registry(sim: Simulation, truth: dict) -> None:
    by_id = {h.id: h for h in sim.population.heating}
    seen = set()
    for post in truth["posts"]:
        for pulse in post["pulses"]:
            if pulse["trigger"].startswith("heating:"):
                node = by_id[pulse["trigger"].split(":", 1)[1]]
                assert node.post_id == post["post_id"]
                assert parse_time(pulse["onset_at"]) == node.start
                assert pulse["spend"] == node.spend and pulse["currency"] == node.currency
                seen.add(node.id)
    assert seen == set(by_id)


def test_pulse_fields_are_consistent(truth: dict) -> None:
    for post in truth["posts"]:
        onsets = [q["onset_hour"] for q in post["pulses"]]
        assert onsets == sorted(onsets) and onsets[0] == 0 and post["pulses"][0]["key"] == "publish"
        for q in post["pulses"]:
            assert q["onset_hour"] < q["interval_end_hour"] <= post["horizon_hours"]
            assert q["incremental_engagements"] <= q["incremental_engagements_total"] + 1e-6
            if q["no_response"]:
                assert q["peak_hour"] is None and q["decay_start_hour"] is None
                continue
            assert q["onset_hour"] <= q["peak_hour"] < q["interval_end_hour"]
            assert q["peak_velocity"] >= q["baseline_velocity"]
            if q["decay_start_hour"] is not None:
                assert q["peak_hour"] < q["decay_start_hour"] <= q["interval_end_hour"] - 3
            if q["half_life_hours"] is not None:
                assert 0 <= q["half_life_hours"] < q["interval_end_hour"] - q["peak_hour"]


def test_incremental_engagements_add_up(truth: dict) -> None:
    """Pulses' incremental engagements (to the horizon) never exceed the post's engagements
    from the process (final engagements minus step jumps, plus corrections' drops)."""
    for post in truth["posts"]:
        eng = [m for m in ("likes", "comments", "shares", "saves") if post["totals"][m] is not None]
        final = sum(post["totals"][m] for m in eng)
        injected = sum(e["amount"] for e in post["step_jumps"] + post["corrections"] if e["metric"] in eng)
        caused = sum(q["incremental_engagements_total"] for q in post["pulses"])
        assert caused <= final - injected + len(eng) + 1


def test_curves_are_counters_with_known_exceptions(truth: dict) -> None:
    for post in truth["posts"]:
        drops = {(e["metric"], e["hour"] + 1) for e in post["corrections"]}
        for metric, curve in post["curves"].items():
            if curve is None:
                continue
            assert len(curve) == post["horizon_hours"] + 1 and curve[0] == 0
            diffs = np.diff(curve)
            for i in np.flatnonzero(diffs < 0):
                assert (metric, int(i) + 1) in drops
        for jump in post["step_jumps"]:
            curve = post["curves"][jump["metric"]]
            assert curve[jump["hour"] + 1] - curve[jump["hour"]] >= jump["amount"]


def test_taken_down_posts_stop_at_the_takedown(truth: dict) -> None:
    gone = [p for p in truth["posts"] if p["taken_down_at"] is not None]
    for post in gone:
        assert post["horizon_hours"] == int(post["taken_down_hour"])
        assert post["horizon_hours"] < post["tracking_hours"]


def test_served_counters_equal_truth_at_hour_instants(sim: Simulation, truth: dict) -> None:
    posts = sim.population.posts
    for hours in (0, 5, 49, 24 * 30):
        for post, row in zip(posts, truth["posts"], strict=True):
            ts = (post.published_at + timedelta(hours=hours)).timestamp()
            counts = sim.counts([post], ts)[0]
            for metric in METRICS:
                curve = row["curves"][metric]
                want = None if curve is None else curve[min(hours, len(curve) - 1)]
                assert counts[metric] == want, (post.id, metric, hours)


def test_counters_interpolate_between_hours(sim: Simulation) -> None:
    post = max(sim.population.posts, key=lambda p: sim.series.cum[p.index, M_INDEX["views"], 10])
    base = post.published_at + timedelta(hours=3)
    values = [sim.counts([post], (base + timedelta(minutes=m)).timestamp())[0]["views"] for m in (0, 20, 40, 60)]
    assert values == sorted(values) and values[0] < values[1] < values[3]


def test_comment_truth_matches_the_stream(sim: Simulation, truth: dict) -> None:
    for row in truth["posts"]:
        c = row["comments"]
        assert c["total"] == row["totals"]["comments"]
        assert c["intent_curve"][-1] == c["intent"] and c["negative_curve"][-1] == c["negative"]
        assert c["intent"] + c["negative"] <= c["total"]
    totals = [p["comments"] for p in truth["posts"]]
    assert sum(c["intent"] for c in totals) > 0 and sum(c["negative"] for c in totals) > 0


def test_truth_without_curves_is_small(sim: Simulation) -> None:
    lean = load_truth(sim.truth_json(curves=False))
    assert "curves" not in lean["posts"][0] or not lean["posts"][0]["curves"]
    one = load_truth(sim.truth_json(post_ids={sim.population.posts[3].id}))
    assert [p["post_id"] for p in one["posts"]] == [sim.population.posts[3].id]
