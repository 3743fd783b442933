"""The re-heat suggestion of ``PostDecaying``: its basis (the post's own pulses, else its
creator's, else its tier's), its figures, and the histories grouped from stored pulses."""

import pytest

from tracker.alerting.change import describe_suggestion
from tracker.analytics.reheat import HeatingHistory, heating_history, suggest_reheat
from tracker.stream.heating_history import histories


def history(pulses: int, incremental: float, spend: float, usual: float = 1000.0, channel: str = "dou+",
            currency: str = "CNY") -> HeatingHistory:
    return HeatingHistory(pulses, incremental, spend, usual, currency, channel)


def test_a_history_is_in_the_currency_most_pulses_were_paid_in() -> None:
    found = heating_history([
        (3000.0, 1000.0, "CNY", "dou+"), (1000.0, 500.0, "CNY", "dou+"), (8000.0, 2000.0, "CNY", "ads"),
        (900.0, 100.0, "USD", "ads"),  # the minority currency is left out, not converted
        (500.0, 0.0, "CNY", "dou+"),  # no spend: nothing to divide by
    ])
    assert found == HeatingHistory(3, 12_000.0, 3_500.0, 1_000.0, "CNY", "dou+")
    assert found.lift_per_spend == pytest.approx(12_000 / 3_500)
    assert heating_history([(10.0, 0.0, "CNY", "dou+")]) is None


def test_negative_lift_counts_as_none() -> None:
    found = heating_history([(-50.0, 100.0, "CNY", ""), (300.0, 100.0, "CNY", "")])
    assert found is not None and found.incremental == 300.0 and found.channel == ""


def test_the_post_s_own_pulses_come_first() -> None:
    own = history(1, 6_200.0, 2_000.0, usual=2_000.0)
    out = suggest_reheat(own, history(10, 1.0, 1.0), history(50, 1.0, 1.0))
    assert out == {"action": "reheat", "channel": "dou+", "spend": {"amount": "2000.00", "currency": "CNY"},
                   "expected_engagements_per_cny": 3.1, "expected_engagements": 6_200,
                   "basis": "this post's earlier pulses"}
    assert describe_suggestion(out) == ("re-heat via dou+ with 2,000 CNY: about 3.1 engagements per CNY, about 6,200 "
                                        "in all (from this post's earlier pulses)")


def test_a_never_heated_post_rests_on_its_creator_then_its_tier() -> None:
    creator = history(3, 9_000.0, 3_000.0, usual=800.0, channel="shutiao")
    tier = history(40, 20_000.0, 40_000.0, usual=1_500.0, channel="ads", currency="USD")
    out = suggest_reheat(None, creator, tier)
    assert out["basis"] == "this creator's 3 heated pulses on the platform"
    assert out["expected_engagements_per_cny"] == 3.0 and out["expected_engagements"] == 2_400
    assert out["spend"] == {"amount": "800.00", "currency": "CNY"} and out["channel"] == "shutiao"
    out = suggest_reheat(None, history(2, 9_000.0, 3_000.0), tier)  # two pulses are not a creator's history
    assert out["basis"] == "40 heated pulses of the platform's creators of this tier"
    assert out["expected_engagements_per_usd"] == 0.5 and out["spend"] == {"amount": "1500.00", "currency": "USD"}


def test_without_any_history_the_suggestion_says_so() -> None:
    out = suggest_reheat(None, None, history(2, 1.0, 1.0))
    assert out == {"action": "reheat", "basis": "no heated pulse of this post, its creator or its tier yet"}
    assert describe_suggestion(out) == ("no re-heat amount to suggest: no heated pulse of this post, its creator or "
                                        "its tier yet")


def test_stored_pulses_group_by_creator_and_tier_within_their_tenant() -> None:
    rows = [
        # tenant, platform, creator, tier, incremental, spend, currency, channel
        ("acme", "douyin", "cr1", "micro", 3000.0, 1000.0, "CNY", "dou+"),
        ("acme", "douyin", "cr1", "micro", 1000.0, 1000.0, "CNY", "dou+"),
        ("acme", "douyin", "cr2", "micro", 500.0, 500.0, "CNY", None),
        ("acme", "tiktok", "cr1", "micro", 100.0, 10.0, "USD", "promote"),
        ("other", "douyin", "cr1", "micro", 1.0, 1000.0, "CNY", "dou+"),
    ]
    known = histories(rows)
    assert set(known.creators) == {("acme", "douyin", "cr1"), ("acme", "douyin", "cr2"), ("acme", "tiktok", "cr1"),
                                   ("other", "douyin", "cr1")}
    assert known.creators[("acme", "douyin", "cr1")] == HeatingHistory(2, 4000.0, 2000.0, 1000.0, "CNY", "dou+")
    assert known.tiers[("acme", "douyin", "micro")] == HeatingHistory(3, 4500.0, 2500.0, 1000.0, "CNY", "dou+")
    assert known.tiers[("other", "douyin", "micro")].incremental == 1.0  # another tenant's pulses stay its own


def test_a_history_of_boosts_that_brought_nothing_suggests_no_amount() -> None:
    """The creator's three boosts never got a response: the alert suggested spending 500 CNY again for
    "about 0 engagements per CNY, about 0 in all". It now says what they cost for nothing."""
    creator = heating_history([(0.0, 500.0, "CNY", "dou+")] * 3)
    out = suggest_reheat(None, creator, history(40, 20_000.0, 40_000.0))
    assert out == {"action": "reheat", "no_lift": {"amount": "1500.00", "currency": "CNY"},
                   "basis": "this creator's 3 heated pulses on the platform"}
    assert describe_suggestion(out) == ("no re-heat amount to suggest: this creator's 3 heated pulses on the "
                                        "platform brought no incremental engagements for 1,500 CNY")
    own = suggest_reheat(history(1, 0.0, 800.0, usual=800.0), None, None)
    assert describe_suggestion({**own, "basis_pulse": 1}) == (
        "no re-heat amount to suggest: this pulse brought no incremental engagements for 800 CNY")


@pytest.mark.parametrize(("currency", "spend", "lift", "rate", "words"), [
    ("VND", 10_000_000.0, 300.0, 3e-05, "about 3 engagements per 100,000 VND, about 300 in all"),
    ("IDR", 5_000_000.0, 2_170.0, 0.000434, "about 4.34 engagements per 10,000 IDR, about 2,170 in all"),
    ("CNY", 1_000.0, 50.0, 0.05, "about 5 engagements per 100 CNY, about 50 in all"),
])
def test_a_rate_per_small_unit_keeps_its_figures(currency: str, spend: float, lift: float, rate: float,
                                                 words: str) -> None:
    """A TikTok creator's boosts in dong or rupiah bring a fraction of an engagement per unit: the
    rate was rounded to four decimals (0.0 per VND beside "about 300 in all") and read "about ≈0
    engagements per IDR". It keeps four significant figures and reads per 100, 1,000… units."""
    out = suggest_reheat(None, heating_history([(lift, spend, currency, "promote")] * 3), None)
    assert out[f"expected_engagements_per_{currency.lower()}"] == rate
    assert words in describe_suggestion(out)
