"""Who holds the embedded store: a lock file under ``data_dir``.

The process that owns the embedded engine (``tracker run``) holds an
exclusive ``flock`` on ``<data_dir>/store.lock`` and writes its pid, the store
URL and, once listening, its read endpoint into it. Other commands
(``tracker sql``) read it to query through the endpoint instead of opening a
store the engine has locked. The kernel drops the lock when the process dies,
so a stale file is recognised as free.

One data folder serves one store: a command whose store (TRACKER_CLICKHOUSE_URL)
is not the one the holder advertises does not go through the holder — it opens
its own store directly (``store_owner`` is None for it), and a process that
would hold the lock for it (``tracker run``/``worker``) is told to take another
data folder (``other_store_held``).

A command that opens the store directly (``tracker sql``, reports) takes no
lock file: the engine's own ``status`` file, which it keeps locked, records its
pid. ``engine_holder`` names that process from its command line, so an error
can say whether to wait for a short command or to query a server's endpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tracker.errors import ConfigError
from tracker.settings import Settings
from tracker.store.client import embedded_path, is_embedded
from tracker.store.errors import StoreBusy

# tracker commands that hold the store while they run and serve it through their read endpoint.
SERVING_COMMANDS = frozenset({"run", "worker"})


@dataclass(frozen=True)
class StoreOwner:
    """What the owning process advertises."""

    pid: int
    store_url: str
    read_endpoint: str | None
    started_at: str
    write_endpoint: str | None = None


@dataclass(frozen=True)
class Holder:
    """A process holding the store, as its command line shows it."""

    pid: int
    command: str | None = None  # "tracker sql SELECT 1"; None when the command line cannot be read
    subcommand: str | None = None  # "sql" when the process is tracker

    @property
    def serves(self) -> bool:
        """A ``tracker run``/``worker``: it holds the store for good and serves its read endpoint."""
        return self.subcommand in SERVING_COMMANDS

    def __str__(self) -> str:
        return f"process {self.pid} ({self.command})" if self.command else f"process {self.pid}"


def holder_from_argv(pid: int, argv: list[str], width: int = 60) -> Holder:
    """``Holder`` of a process from its arguments (the console script ``tracker`` or
    ``python -m tracker``), its command shortened to ``width`` characters."""
    words = [os.path.basename(argv[0]) if argv else "", *argv[1:]]
    start = next((i for i, arg in enumerate(argv) if os.path.basename(arg) == "tracker"
                  and (i <= 1 or argv[i - 1] == "-m")), None)
    subcommand = None
    if start is not None:
        words = ["tracker", *argv[start + 1:]]
        subcommand = next((arg for arg in argv[start + 1:] if not arg.startswith("-")), None)
    command = " ".join(" ".join(words).split())
    if len(command) > width:
        command = command[:width - 1].rstrip() + "…"
    return Holder(pid, command or None, subcommand)


def describe_process(pid: int) -> Holder:
    """The process ``pid`` with its command line when /proc shows it (Linux), else the pid alone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return Holder(pid)
    argv = [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]
    return holder_from_argv(pid, argv) if argv else Holder(pid)


def engine_holder(url: str) -> Holder | None:
    """The process running the embedded engine of ``url``, from the pid in the ``status``
    file the engine writes and locks; None when the URL is no chdb path or no pid is recorded."""
    try:
        text = (embedded_path(url) / "status").read_text(encoding="utf-8", errors="replace")
    except (ConfigError, OSError):
        return None
    found = re.search(r"^PID:\s*(\d+)", text, re.MULTILINE)
    return describe_process(int(found.group(1))) if found else None


def lock_path(settings: Settings) -> Path:
    """``<data_dir>/store.lock``."""
    return settings.data_dir.resolve() / "store.lock"


class StoreLock:
    """The held lock; ``advertise`` publishes the read endpoint, ``release`` frees it."""

    def __init__(self, path: Path, file: IO[str], owner: StoreOwner) -> None:
        self.path = path
        self._file: IO[str] | None = file
        self.owner = owner

    def _write(self) -> None:
        assert self._file is not None, "lock released"
        self._file.seek(0)
        self._file.truncate()
        self._file.write(json.dumps(asdict(self.owner)))
        self._file.flush()
        os.fsync(self._file.fileno())

    def advertise(self, read_endpoint: str | None) -> None:
        """Record the URL of the read endpoint serving this store (None = not serving)."""
        self.owner = replace(self.owner, read_endpoint=read_endpoint)
        self._write()

    def advertise_writes(self, write_endpoint: str | None) -> None:
        """Record the URL where this process accepts registry rows for the store."""
        self.owner = replace(self.owner, write_endpoint=write_endpoint)
        self._write()

    def release(self) -> None:
        """Drop the lock. Idempotent."""
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.seek(0)
            self._file.truncate()
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
        self._file = None

    def __enter__(self) -> StoreLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class HeldForAnotherStore(StoreBusy):
    """The data folder's lock is held by a process serving another store than the configured one."""


def same_store(a: str, b: str) -> bool:
    """Whether two store URLs name the same store (embedded paths compared resolved)."""
    if a == b:
        return True
    if not (is_embedded(a) and is_embedded(b)):
        return False
    try:
        return embedded_path(a).resolve() == embedded_path(b).resolve()
    except ConfigError:
        return False


def _foreign(owner: StoreOwner, settings: Settings) -> bool:
    """The owner advertises a store other than the configured one (an unreadable file: unknown, so not)."""
    return bool(owner.store_url) and not same_store(owner.store_url, settings.store_url)


def other_store_held(settings: Settings) -> HeldForAnotherStore | None:
    """The error to raise when the data folder's lock is held for another store than the
    configured one (this process could not take it), else None."""
    owner = lock_owner(settings)
    if owner is None or not _foreign(owner, settings):
        return None
    return HeldForAnotherStore(
        f"the lock file {lock_path(settings)} is held by {describe_process(owner.pid)} for the store "
        f"{owner.store_url}, but this command's store is {settings.store_url} (TRACKER_CLICKHOUSE_URL); one data "
        f"folder serves one store: give this command another TRACKER_DATA_DIR, or set TRACKER_CLICKHOUSE_URL to "
        f"{owner.store_url} to use that process's store")


def acquire_store_lock(settings: Settings) -> StoreLock:
    """Take the store lock for this process, or raise ``StoreBusy`` naming the holder
    (``HeldForAnotherStore`` when it holds the data folder for another store)."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    file = path.open("a+", encoding="utf-8")  # "a+": do not truncate what the holder wrote
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        raise held(settings, lock_owner(settings)) from None
    owner = StoreOwner(os.getpid(), settings.store_url, None, datetime.now(UTC).isoformat(timespec="seconds"))
    lock = StoreLock(path, file, owner)
    lock._write()
    return lock


def held(settings: Settings, holder: StoreOwner | None) -> StoreBusy:
    """The error of a process that cannot take the data folder's lock: who holds it (``holder``,
    as ``lock_owner`` read it) and what to do."""
    elsewhere = other_store_held(settings)
    if elsewhere is not None:
        return elsewhere
    who = str(describe_process(holder.pid)) if holder and holder.pid else "another process"
    return StoreBusy(f"the store of {settings.data_dir} is held by {who}; stop it first (lock file "
                     f"{lock_path(settings)})")


def store_owner(settings: Settings) -> StoreOwner | None:
    """The live process holding the configured store (``settings.store_url``) through the data
    folder's lock, or None when nobody holds it or its holder serves another store: a command
    then opens its own store directly, never the holder's in its place."""
    owner = lock_owner(settings)
    return None if owner is None or _foreign(owner, settings) else owner


def lock_owner(settings: Settings) -> StoreOwner | None:
    """The live process holding the data folder's store lock, whichever store it serves, or None."""
    path = lock_path(settings)
    try:
        file = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return None
    with file:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held: read what the holder advertises
        else:
            fcntl.flock(file, fcntl.LOCK_UN)
            return None
        for _ in range(20):  # the holder may be rewriting it right now
            file.seek(0)
            text = file.read()
            try:
                return StoreOwner(**json.loads(text))
            except (ValueError, TypeError):
                time.sleep(0.05)
    return StoreOwner(pid=0, store_url="", read_endpoint=None, started_at="")
