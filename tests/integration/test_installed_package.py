"""tracker installed from its wheel, away from the repository — as the container image
(deploy/Dockerfile, whose COPY lines say what the build sees) or a ``pip install`` on a
server runs it — finds the files it reads at run time: the migrations, the event
schemas, the runbook and the demo campaign (``tracker/shipped.py``).

An integration test for its run time (the wheel is built), it needs no service."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, tracker
from tracker.cli.run import demo_source, DEMO_CAMPAIGN
from tracker.ops.web import RUNBOOK, runbook_html
seed, posts, _ = demo_source(DEMO_CAMPAIGN)
print(json.dumps({"package": tracker.__file__, "demo_posts": posts,
                  "runbook_sections": runbook_html(RUNBOOK.read_text(encoding="utf-8")).count("<h2")}))
"""


def image_sources() -> list[str]:
    """What deploy/Dockerfile copies into the image before it installs tracker."""
    lines = re.findall(r"(?m)^COPY\s+(.+?)\s+\S+$", (REPO / "deploy" / "Dockerfile").read_text())
    return [source for line in lines for source in line.split()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from what the image copies of this checkout, installed into a folder of its own."""
    base = tmp_path_factory.mktemp("installed")
    wheels, target = base / "wheels", base / "site"
    build = base / "build"  # built from a copy: an in-tree build would leave build/ in the checkout
    for rel in image_sources():
        source, copy = REPO / rel, build / rel
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(build)], check=True)
    (wheel,) = wheels.glob("tracker-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(installed), "TRACKER_DATA_DIR": str(cwd / "data")}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_package_is_the_one_run(installed, tmp_path):
    out = run(installed, tmp_path, "-c", PROBE)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout)
    assert Path(probe["package"]).is_relative_to(installed)
    assert probe["demo_posts"] > 0
    assert probe["runbook_sections"] == (REPO / "docs" / "runbook.md").read_text(encoding="utf-8").count("\n## ")


def test_migrations_apply_from_the_installed_package(installed, tmp_path):
    out = run(installed, tmp_path, "-m", "tracker", "db", "migrate")
    assert out.returncode == 0, out.stderr
    shipped = sorted(p.name for p in (REPO / "schemas" / "clickhouse").glob("*.sql"))
    assert [line.rsplit(" ", 1)[-1] for line in out.stdout.splitlines() if "applied" in line] == shipped


def test_snapshots_are_checked_against_the_installed_schemas(installed, tmp_path):
    (tmp_path / "good.csv").write_text("post_id,as_of,views,likes\nyoutube:abc,2025-09-20T12:00:00Z,100,5\n")
    out = run(installed, tmp_path, "-m", "tracker", "snapshots", "import", "good.csv", "--tenant", "t1", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "would send 1 snapshot" in out.stdout


def test_dashboards_are_generated_into_the_current_directory(installed, tmp_path):
    out = run(installed, tmp_path, "-m", "tracker", "dashboards", "generate")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "grafana" / "provisioning").iterdir()) == [
        "alerting", "dashboards", "datasources"]
    assert not (installed / "deploy").exists()  # beside the installed package: where it wrote before
