"""Shared pytest wiring: fixtures live in tests/fixtures/, one module per service."""

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.store",
    "tests.fixtures.prometheus",
]
