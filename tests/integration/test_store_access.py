"""Commands read and write the store whoever holds it: directly, or through the
running process's read and write endpoints."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fixtures.worker import WorkerProcess
from tracker.errors import InvalidInput
from tracker.settings import Settings
from tracker.store.access import open_reader, open_writer

pytestmark = pytest.mark.integration

FX = [{"tenant": "", "base": "USD", "quote": "CNY", "rate_date": date(2026, 11, 1), "rate": Decimal("7.1234"),
       "version": 1}]


def test_writes_and_reads_go_through_the_running_process(kafka: str, tracker_topics: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    worker = WorkerProcess(kafka, tracker_topics, tmp_path).start()
    try:
        worker.client()  # wait until it serves
        for key, value in worker.env.items():
            if key.startswith("TRACKER_"):
                monkeypatch.setenv(key, value)
        settings = Settings()
        deadline = time.monotonic() + 30
        while True:
            try:
                with open_writer(settings) as writer:
                    assert writer.insert_json("fx_rates", FX, dedup_token="fx-1") == 1
                    writer.insert_json("fx_rates", FX, dedup_token="fx-1")  # the same token: stored once
                    with pytest.raises(InvalidInput, match="not writable"):
                        writer.insert_json("snapshots", [{"tenant": "x"}])
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        with open_reader(settings) as reader:
            rows = reader.query("SELECT base, quote, rate FROM fx_rates")
        assert rows.rows == [("USD", "CNY", Decimal("7.12340000"))]
    finally:
        worker.stop()
    # with nobody holding it, the same calls open the store directly (in a child process:
    # this test process already runs the session's engine, and chDB allows one path per process)
    direct = (
        "from decimal import Decimal; from datetime import date\n"
        "from tracker.settings import Settings\n"
        "from tracker.store.access import open_reader, open_writer\n"
        "s = Settings()\n"
        "with open_writer(s) as w:\n"
        "    w.insert_json('fx_rates', [dict(tenant='', base='USD', quote='EUR', rate_date=date(2026, 11, 1),"
        " rate=Decimal('0.95'), version=1)])\n"
        "with open_reader(s) as r:\n"
        "    print(r.query('SELECT count() FROM fx_rates FINAL').scalar())\n"
    )
    out = subprocess.run([sys.executable, "-c", direct], env=worker.env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "2"


def test_a_store_behind_this_trackers_migrations_asks_for_db_migrate(store, cli_on_store) -> None:
    """An upgraded tracker on a store not migrated yet: the report commands said only what the
    engine said of a column they need ("Unknown identifier pt.post_title")."""
    latest = int(store.query_sync("SELECT max(version) FROM schema_migrations FINAL").scalar())
    store.command_sync(f"DELETE FROM schema_migrations WHERE version = {latest}")  # as before the upgrade
    result = cli_on_store("roi", "--campaign", "c1", "--tenant", "acme")
    out = " ".join(result.output.split())
    assert result.exit_code == 1, out
    assert f"the store's schema is at migration {latest - 1:04d}" in out and "run `tracker db migrate`" in out
    assert cli_on_store("db", "migrate").exit_code == 0
    again = cli_on_store("roi", "--campaign", "c1", "--tenant", "acme")
    assert "tracker db migrate" not in again.output, again.output
