"""The Makefile's targets do what `make help` says: every target it declares has a recipe
(`make test-reliability` said "Nothing to be done" and exited 0, as if the suite had passed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1].parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def declared() -> list[str]:
    """The targets of the Makefile's .PHONY line."""
    (line,) = re.findall(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return line.split()


def test_every_target_is_listed_by_help() -> None:
    listed = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    assert sorted(line.split()[0] for line in listed.stdout.splitlines()) == sorted(declared())


@pytest.mark.parametrize("target", [t for t in declared() if t != "help"])
def test_every_target_has_a_recipe(target: str) -> None:
    dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" not in dry.stdout + dry.stderr
    assert dry.stdout.strip()
