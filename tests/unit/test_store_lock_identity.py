"""The data folder's store lock names the store its holder serves: a command configured for
another store neither reads nor writes through that holder (it wrote an FX rate into the
holder's store), and a process that would hold the lock for its own store is told what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.settings import Settings
from tracker.store.lock import (
    HeldForAnotherStore,
    acquire_store_lock,
    other_store_held,
    same_store,
    store_owner,
)


def settings_of(data_dir: Path, url: str | None = None) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, clickhouse_url=url)  # type: ignore[call-arg]


def test_a_holder_of_another_store_is_not_this_commands_owner(tmp_path: Path) -> None:
    holder = settings_of(tmp_path / "d1")
    other = settings_of(tmp_path / "d1", f"chdb://{tmp_path / 'other_store'}")
    lock = acquire_store_lock(holder)
    try:
        assert store_owner(holder) is not None  # its own store: through it
        assert store_owner(other) is None  # another store: opened directly, never the holder's in its place
        error = other_store_held(other)
        assert isinstance(error, HeldForAnotherStore)
        text = str(error)
        assert holder.store_url in text and other.store_url in text
        assert "give this command another TRACKER_DATA_DIR" in text
        with pytest.raises(HeldForAnotherStore, match="one data folder serves one store"):
            acquire_store_lock(other)
        assert other_store_held(holder) is None
        same = settings_of(tmp_path / "d1", f"chdb://{tmp_path / 'd1' / '.' / 'clickhouse'}")  # the same path, spelt so
        assert store_owner(same) is not None
    finally:
        lock.release()
    assert other_store_held(other) is None
    acquire_store_lock(other).release()  # free: any store may take it


def test_same_store_compares_embedded_paths_resolved(tmp_path: Path) -> None:
    assert same_store(f"chdb://{tmp_path}/a", f"chdb://{tmp_path}/b/../a")
    assert not same_store(f"chdb://{tmp_path}/a", f"chdb://{tmp_path}/b")
    assert not same_store(f"chdb://{tmp_path}/a", "http://localhost:8123")
    assert same_store("http://localhost:8123", "http://localhost:8123")
