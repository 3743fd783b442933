"""Fixtures of the integration tests that build on a seeded registry."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from tests.integration.test_roi import seed_campaign
from tracker.store.store import Store


@pytest.fixture
def campaign_cli(store: Store, cli_on_store: Callable[..., Result]) -> Callable[..., Result]:
    """``tracker …`` in-process against this test's store, seeded with the fixture campaign of
    tests/integration/test_roi.py (two tenants, campaign c1 of each); the result is not checked."""
    seed_campaign(store)
    return cli_on_store
