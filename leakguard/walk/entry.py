"""What a container yields for each member, before the walker judges it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Literal

EntryKind = Literal["file", "dir", "symlink", "hardlink", "device", "fifo", "encrypted", "unreadable", "other",
                    "conflict", "skipped"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of a container. ``open`` is set for regular files only; nothing is read yet.

    ``target`` is a link's target, why an ``unreadable`` or ``skipped`` entry was not read, or,
    for a ``conflict``, where readers of the container disagree (a blocking finding; ``name`` is
    the member concerned, or empty for the container itself).
    """

    name: str
    kind: EntryKind
    open: Callable[[], IO[bytes]] | None = None
    target: str = ""
    size: int | None = None  # declared by the container; never trusted to bound a read
    # Compressed bytes of the member read so far, for its own ratio limit (zip members).
    packed: Callable[[], int] | None = None


class Damage(Exception):
    """A container or compressed stream is corrupt, truncated or unreadable. The archive and
    compression libraries' own errors for bad data are translated into it where they are raised,
    so that the walker catches nothing else: any other exception is a bug in leakguard."""


class Unsupported(Damage):
    """A container uses a feature (a compression method) that cannot be read."""
