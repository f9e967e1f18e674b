"""What a container yields for each member, before the walker judges it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Literal

EntryKind = Literal["file", "dir", "symlink", "hardlink", "device", "fifo", "encrypted", "unreadable", "other"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of a container. ``open`` is set for regular files only; nothing is read yet.

    ``target`` is a link's target, or why an ``unreadable`` entry could not be read.
    """

    name: str
    kind: EntryKind
    open: Callable[[], IO[bytes]] | None = None
    target: str = ""
    size: int | None = None  # declared by the container; never trusted to bound a read
