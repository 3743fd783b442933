"""``make bench``: run every ``tests/bench/bench_*.py`` (or those named) and print figures.

Each module defines ``run(report)``; ``report(name, value, unit, baseline=None)``
prints a figure and, when a baseline measured in the same run is given, the ratio.
Timing lives here, never in tests.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float, str, float | None]] = []
        self.section = ""

    def __call__(self, name: str, value: float, unit: str, baseline: float | None = None) -> None:
        self.rows.append((self.section, name, value, unit, baseline))
        ratio = f"   ({value / baseline:.2f}× baseline {baseline:,.1f} {unit})" if baseline else ""
        print(f"  {name:<58} {value:>14,.1f} {unit}{ratio}", flush=True)


def main(names: list[str]) -> int:
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    report = Report()
    failed = 0
    for name in modules:
        report.section = name
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"tests.bench.{name}").run(report)
        except Exception:  # noqa: BLE001 - one bench failing must not hide the others
            failed += 1
            traceback.print_exc()
        print(f"   ({time.perf_counter() - started:.0f}s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
