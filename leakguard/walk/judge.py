"""What the walker reports about an entry before reading it: its name and its type."""

from __future__ import annotations

from collections.abc import Iterator

from leakguard.model import Category, Finding, Origin, Problem, Severity, Unscanned
from leakguard.walk import detect, names
from leakguard.walk.entry import Entry
from leakguard.walk.limits import LimitHit


def finding(origin: Origin, rule: str, severity: Severity, message: str,
            evidence: tuple[tuple[str, str], ...] = ()) -> Finding:
    """A walker finding (``walk.*``): policy category, keyed by its rule."""
    return Finding(rule, Category.POLICY, severity, origin, message, key=rule, evidence=evidence)


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


ARTIFACT_LIMITS = frozenset({"max_total_bytes", "max_ratio", "max_members"})


def artifact_wide(hit: LimitHit) -> None:
    """Limits of the whole artifact (bytes, ratio, members) end its walk: re-raise them to the
    target, which reports one finding, instead of one per remaining member."""
    if hit.limit in ARTIFACT_LIMITS:
        raise hit


def limit(origin: Origin, hit: LimitHit) -> Iterator[Finding | Unscanned]:
    """A limit reached: the part not scanned, and the blocking finding naming the key to raise."""
    yield Unscanned(origin, f"limit reached: {hit.detail}")
    yield finding(origin, "walk.limit", Severity.CRITICAL, hit.advice(), (("limit", hit.key),))


def promise(origin: Origin, name: str, fmt: str | None, head: bytes) -> Iterator[Finding]:
    """A name whose extension promises another format than the content has."""
    promised = detect.promised(name)
    if promised is None or fmt in promised:
        return
    actual = fmt if fmt is not None else ("empty" if not head else "not an archive")
    expected = "/".join(sorted(promised))
    # Medium: what the member holds was read all the same, by its content.
    yield finding(origin, "walk.format-mismatch", Severity.MEDIUM,
                  f"name promises {expected} but the content is {actual}; scanned by content")
