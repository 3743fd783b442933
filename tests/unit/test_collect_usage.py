"""Instagram's usage headers read as the share of the app's rate budget spent."""

from __future__ import annotations

import httpx
import pytest

from tracker.collect.platforms.instagram import usage_share


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(200, headers={k.replace("_", "-"): v for k, v in headers.items()}, json={"data": []})


@pytest.mark.parametrize(("headers", "share"), [
    ({}, None),
    ({"X_App_Usage": '{"call_count": 28, "total_cputime": 25, "total_time": 91}'}, 0.91),
    ({"X_Business_Use_Case_Usage": '{"1784": [{"type": "instagram", "call_count": 40, "total_cputime": 3, '
                                   '"total_time": 5, "estimated_time_to_regain_access": 0}], '
                                   '"1785": [{"type": "instagram", "call_count": 96}]}'}, 0.96),
    ({"X_App_Usage": '{"call_count": 12}', "X_Business_Use_Case_Usage": '{"1": [{"call_count": 50}]}'}, 0.5),
    ({"X_App_Usage": "not json"}, None),
    ({"X_Business_Use_Case_Usage": '[1, 2]', "X_App_Usage": '{"call_count": "high"}'}, None),
])
def test_the_highest_share_of_any_budget_is_read(headers: dict[str, str], share: float | None) -> None:
    assert usage_share(answer(**headers)) == share
