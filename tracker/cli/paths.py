"""Output paths of the commands that write files, checked before any work.

A report can take a while to build; a missing folder, a folder that takes no
files or a name with the wrong suffix should stop the command at once, not
end it with a traceback after the work is done.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click


class OutputFile(click.ParamType):
    """A file the command will write: its folder exists and takes files, its name ends in one of
    ``suffixes`` (so a PNG is not saved as c.jpg)."""

    name = "file"

    def __init__(self, kind: str, *suffixes: str) -> None:
        self.kind = kind
        self.suffixes = suffixes

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        if path.suffix.lower() not in self.suffixes:
            self.fail(f"{path} does not end in {' or '.join(self.suffixes)}: the file written is {self.kind}",
                      param, ctx)
        problem = file_problem(path)
        if problem:
            self.fail(problem, param, ctx)
        return path


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be written, or None."""
    folder = path.parent
    if path.is_dir():
        return f"cannot write {path}: it is a directory"
    if not folder.exists():
        return f"cannot write {path}: no such directory {folder}"
    if not folder.is_dir():
        return f"cannot write {path}: {folder} is not a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {path}: permission denied"
    return _probe(folder, path)


def folder_problem(path: Path) -> str | None:
    """Why files cannot be written under folder ``path`` (created if missing), or None."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot write {path}: {existing} is not a directory"
    return _probe(existing, path)


def _probe(folder: Path, target: Path) -> str | None:
    """Create (and drop) a nameless file in ``folder``: permissions alone miss read-only and virtual
    file systems (/proc), and say nothing for root."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write {target}: {folder} takes no new files ({exc.strerror or exc})"
    return None
