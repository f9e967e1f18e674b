"""Directory targets: walked recursively with lstat; links are reported, never followed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from leakguard.walk.entry import Damage, Entry, EntryKind
from leakguard.walk.streams import Guarded


def entries(root: Path) -> Iterator[Entry]:
    """Every path under ``root`` in sorted order, named relative to it with ``/`` separators."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = folder.relative_to(root).as_posix()
            yield Entry(rel + "/", "unreadable", None, f"unreadable directory: {exc.strerror}")
            continue
        subfolders: list[Path] = []
        for child in children:
            path = Path(child.path)
            rel = path.relative_to(root).as_posix()
            try:
                info = child.stat(follow_symlinks=False)
                mode = info.st_mode
            except OSError as exc:
                yield Entry(rel, "unreadable", None, f"unreadable: {exc.strerror}")
                continue
            if stat.S_ISDIR(mode):
                yield Entry(rel + "/", "dir")
                subfolders.append(path)
            elif stat.S_ISREG(mode):
                yield Entry(rel, "file", lambda p=path: _open(p), size=info.st_size)  # type: ignore[misc]
            else:
                yield Entry(rel, _kind(mode), None, _link_target(path) if stat.S_ISLNK(mode) else "")
        stack.extend(reversed(subfolders))  # popped in name order: a stable, sorted walk


def _open(path: Path) -> IO[bytes]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise Damage(f"cannot open: {exc.strerror or exc}") from None
    return cast(IO[bytes], Guarded(handle, (OSError,), "cannot read"))


def _kind(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    return "other"


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""
