"""Files tracker reads at run time that live outside the package in the repository:
the event schemas and migrations (``schemas/``), the runbook (``docs/``) and the demo
campaign (``deploy/demo/``).

``tracker/_shipped/`` holds links to them, so a source checkout reads the repository's
own files and a built wheel carries copies (setuptools follows the links): an installed
tracker — a container image, ``pip install`` from a wheel — finds them in the same place.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent / "_shipped"

EVENT_SCHEMAS = ROOT / "schemas" / "events"
MIGRATIONS = ROOT / "schemas" / "clickhouse"
RUNBOOK = ROOT / "docs" / "runbook.md"
DEMO_CAMPAIGN = ROOT / "demo" / "campaign.yaml"
