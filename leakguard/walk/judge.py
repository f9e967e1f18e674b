"""What the walker reports about an entry before reading it: its name and its type."""

from __future__ import annotations

from collections.abc import Iterator

from leakguard.model import Category, Finding, Origin, Problem, Severity, Unscanned
from leakguard.walk import names
from leakguard.walk.entry import Entry


def finding(origin: Origin, rule: str, severity: Severity, message: str) -> Finding:
    """A walker finding (``walk.*``): policy category, keyed by its rule."""
    return Finding(rule, Category.POLICY, severity, origin, message, key=rule)


def structure(entry: Entry, origin: Origin) -> Iterator[Finding | Problem | Unscanned]:
    """What the entry's name and type say, before any byte of it is read."""
    unsafe = names.unsafe(entry.name)
    if unsafe:
        yield finding(origin, "walk.unsafe-path", Severity.HIGH,
                       f"member name {unsafe}; an extracting tool could write outside its target")
    match entry.kind:
        case "symlink" | "hardlink":
            word = "symbolic" if entry.kind == "symlink" else "hard"
            yield Unscanned(origin, f"{word} link to {entry.target!r}, not followed", by_policy=True)
            if names.escapes(entry.name, entry.target, hard=entry.kind == "hardlink"):
                yield finding(origin, "walk.link-escapes", Severity.HIGH,
                               f"{word} link points outside the package: {entry.target!r}")
        case "device" | "fifo":
            what = "device file" if entry.kind == "device" else "FIFO"
            yield Unscanned(origin, f"{what}, not read")
            yield finding(origin, "walk.special-file", Severity.HIGH, f"archive contains a {what}")
        case "encrypted":
            yield Unscanned(origin, "encrypted member, cannot be scanned")
            yield finding(origin, "walk.encrypted", Severity.HIGH,
                           "encrypted member cannot be scanned; ship it unencrypted or exclude it")
        case "unreadable":
            yield Problem(origin, "unreadable", entry.target)
        case "skipped":
            yield Unscanned(origin, entry.target)
        case "other":
            yield Unscanned(origin, "member of an unknown type, not read")
            yield finding(origin, "walk.special-file", Severity.HIGH, "member of an unknown type")
        case "file" | "dir" | "conflict":
            pass
