"""Fixtures of the integration tests: a seeded registry, a copy of the migrations, the platform
simulator served over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from tests.integration.test_roi import seed_campaign
from tracker.simulate import ServerThread, Simulation
from tracker.store import migrations
from tracker.store.store import Store


@pytest.fixture
def campaign_cli(store: Store, cli_on_store: Callable[..., Result]) -> Callable[..., Result]:
    """``tracker …`` in-process against this test's store, seeded with the fixture campaign of
    tests/integration/test_roi.py (two tenants, campaign c1 of each); the result is not checked."""
    seed_campaign(store)
    return cli_on_store


@pytest.fixture
def migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the migrations the test store was migrated with, which the CLI reads
    (``TRACKER_MIGRATIONS_DIR``): a test adds, changes or removes files there."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations.default_directory(), copy)
    monkeypatch.setenv("TRACKER_MIGRATIONS_DIR", str(copy))
    return copy


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """The simulator a module's collector tests poll (seed 7, 200 posts); a test sets its
    clock and faults."""
    return Simulation.build(seed=7, posts=200)


@pytest.fixture(scope="module")
def url(sim: Simulation) -> Iterator[str]:
    """The base URL of ``sim`` served over HTTP for the module."""
    with ServerThread(sim) as base:
        yield base
