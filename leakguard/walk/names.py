"""Member names: what makes one unsafe to extract, where a link points, and which names an
extracting tool would treat as the same file."""

from __future__ import annotations

import posixpath
import re

_DRIVE = re.compile(r"^[A-Za-z]:")
# Characters that look like a path separator or a dot to a person or to a normalising tool.
_LOOKALIKES = frozenset("\u2215\u2044\uff0f\u29f8\uff3c\u2216\u2024\uff0e\u2025")


def unsafe(name: str) -> str:
    """Why a member name is unsafe to extract, or ''."""
    if "\x00" in name:
        return "contains a NUL byte"
    if not name.isascii() and not _LOOKALIKES.isdisjoint(name):
        return f"contains a look-alike of '/' or '.' ({name!r})"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return f"is absolute ({name!r})"
    if ".." in name and ".." in re.split(r"[\\/]", name):
        return f"contains '..' ({name!r})"
    return ""


def escapes(name: str, target: str, *, hard: bool) -> bool:
    """Does a link's target resolve outside the archive root?"""
    if not target or target.startswith(("/", "\\")) or _DRIVE.match(target):
        return bool(target)
    base = "" if hard else posixpath.dirname(name.replace("\\", "/"))
    resolved = posixpath.normpath(posixpath.join(base, target.replace("\\", "/")))
    return resolved == ".." or resolved.startswith("../")


def extracted(name: str) -> str:
    """The path an extracting tool writes for ``name``: ``./a//b`` and ``a/b`` are one file."""
    path = posixpath.normpath("/" + name.replace("\\", "/")).lstrip("/")
    return path or "."
