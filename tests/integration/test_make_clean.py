"""`make clean` on a checkout whose local Kafka node still runs: Ctrl-C stops `make run` and
leaves the node running (the README says so), and `make clean && make run` is how one starts
afresh. The folder was removed under the running node, which kept its port, so the next
`tracker broker start` was refused it ("port 9092 … is taken by another process") and
`make stop` said "kafka was not running", until the node failed on its missing folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.broker.node import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.skipif(shutil.which("make") is None, reason="needs make")]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def broker_ports() -> int:
    """A client port whose next one (the controller's) is free too."""
    while True:
        port = free_port()
        if port < 65535 and port_is_free(port + 1):
            return port


def test_make_clean_stops_the_local_kafka_node_before_removing_its_folder(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, checkout / name)
    venv = tmp_path / "venv"  # the checkout's .venv: its tracker is this test's
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "tracker").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tracker "$@"\n')
    (venv / "bin" / "tracker").chmod(0o755)
    port = broker_ports()
    env = {**{k: v for k, v in os.environ.items() if not k.upper().startswith("TRACKER_")},
           "TRACKER_BROKER_PORT": str(port), "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # started as `make run` starts it (its own process, which exits): the node is no child of this test
    subprocess.run([str(venv / "bin" / "tracker"), "broker", "start", "--timeout", "120"], cwd=checkout, env=env,
                   check=True, capture_output=True, timeout=180)
    pid = int((checkout / ".tracker" / "broker" / "broker.pid").read_text())
    try:
        assert alive(pid) and not port_is_free(port)
        clean = subprocess.run(["make", "clean", f"VENV={venv}"], cwd=checkout, env=env, capture_output=True,
                               text=True, timeout=120)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert not (checkout / ".tracker").exists()
        assert not alive(pid)  # stopped, not left running on a removed folder
        assert port_is_free(port) and port_is_free(port + 1)  # the next `make run` starts its node there
        assert "kafka stopped" in clean.stdout
    finally:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
