"""A fee corrected in the registry replaces the post's fee lines: a fee (or service fee) the post had and a
newer registry message no longer carries is written again as 0 (same cost_id, the new version), so that
the ReplacingMergeTree keeps no stale fee. Posts that never had one get no such line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.broker import topics as t
from tracker.stream import rows as r
from tracker.stream.processor import FEE_REMOVED, FEES, Output, Processor, Source
from tracker.stream.state import PostState

POST = "douyin:7301234567890"
UPDATED = datetime(2025, 10, 1, tzinfo=UTC)
COLUMNS = r.COLUMNS[r.COST_LINES]


def message(version: int, fee: str | None = None, currency: str = "USD", service_fee: str | None = None,
            reporting_currency: str | None = "CNY", bundle_id: str | None = None) -> dict[str, Any]:
    """A decoded registry message (as ``tracker.contracts.decode`` gives it) of version ``version``."""
    return {
        "tenant": "acme", "post_id": POST, "platform": "douyin", "platform_post_id": POST.split(":")[1],
        "url": None, "title": None, "campaign_id": "fall", "creator_id": "c1", "creator_tier": "mid",
        "followers": None, "published_at": datetime(2025, 10, 2, 2, tzinfo=UTC), "content_form": "video",
        "tracking_end": None, "bundle_id": bundle_id, "tags": [], "campaign_tz": "Asia/Shanghai",
        "reporting_currency": reporting_currency, "deleted": False,
        "fee": None if fee is None else {"amount": fee, "currency": currency},
        "service_fee": None if service_fee is None else {"amount": service_fee, "currency": currency},
        "updated_at": UPDATED + timedelta(hours=version),
    }


def cost_lines(*messages: dict[str, Any], state: PostState | None = None) -> list[list[dict[str, Any]]]:
    """The cost lines each message writes, applied in order to one post state."""
    state = state if state is not None else PostState()
    proc, written = Processor(), []
    for offset, m in enumerate(messages):
        out = Output()
        proc.apply(Source(t.POSTS, 0, offset, POST.encode()), m, state, out)
        written.append([dict(zip(COLUMNS, row, strict=True)) for row in out.rows.get(r.COST_LINES, [])])
    return written


def brief(lines: list[dict[str, Any]]) -> list[tuple[str, Decimal, str]]:
    return [(x["cost_id"], x["amount"], x["currency"]) for x in lines]


def test_a_fee_removed_is_written_again_as_0_with_the_newer_version() -> None:
    first, corrected = cost_lines(message(1, "300", service_fee="15"), message(2))
    assert brief(first) == [(f"{POST}:fee", Decimal(300), "USD"), (f"{POST}:service_fee", Decimal(15), "USD")]
    # the campaign's reporting currency: converted at 1, never an amount without an FX rate
    assert brief(corrected) == [(f"{POST}:fee", Decimal(0), "CNY"), (f"{POST}:service_fee", Decimal(0), "CNY")]
    assert all(x["version"] > first[0]["version"] and x["note"] == FEE_REMOVED for x in corrected)
    assert {x["cost_date"] for x in corrected} == {x["cost_date"] for x in first}


def test_a_service_fee_rate_corrected_to_0_leaves_the_fee() -> None:
    _, corrected = cost_lines(message(1, "10000", "CNY", service_fee="500"), message(2, "10000", "CNY"))
    assert brief(corrected) == [(f"{POST}:fee", Decimal(10000), "CNY"), (f"{POST}:service_fee", Decimal(0), "CNY")]


def test_without_a_campaign_currency_the_0_takes_the_old_lines_currency() -> None:
    _, corrected = cost_lines(message(1, "300", reporting_currency=None), message(2, reporting_currency=None))
    assert brief(corrected) == [(f"{POST}:fee", Decimal(0), "USD")]


def test_a_post_that_never_had_a_fee_gets_no_zero_line() -> None:
    assert cost_lines(message(1, bundle_id="B1"), message(2, bundle_id="B1"), message(3)) == [[], [], []]


def test_a_replay_of_the_correction_writes_the_0_again() -> None:
    """A crash between the state's changelog write and the insert replays the message onto a state that
    has applied it: the 0 line must come out again, or the stale fee would stay counted."""
    state = PostState()
    cost_lines(message(1, "300"), message(2), state=state)
    again = PostState.from_bytes(state.to_bytes())  # as restored from the changelog
    (replayed,) = cost_lines(message(2), state=again)
    assert brief(replayed) == [(f"{POST}:fee", Decimal(0), "CNY")]
    assert again.registry is not None and again.registry[FEES] == {"fee": "USD"}


def test_a_state_written_before_fees_were_remembered_clears_both_in_the_campaign_currency() -> None:
    state = PostState()
    cost_lines(message(1, "300"), state=state)
    assert state.registry is not None
    del state.registry[FEES]  # an older worker's state
    old = PostState.from_bytes(state.to_bytes())
    (corrected,) = cost_lines(message(2, "280"), state=old)
    assert brief(corrected) == [(f"{POST}:fee", Decimal(280), "USD"), (f"{POST}:service_fee", Decimal(0), "CNY")]
    del old.registry[FEES]  # type: ignore[index]
    (unknown,) = cost_lines(message(3, reporting_currency=None), state=old)
    assert unknown == []  # no currency that needs no rate is known: nothing to clear with
