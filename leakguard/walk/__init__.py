"""The archive walker: ``walk(targets, limits)`` -> Blob | Finding | Problem | Unscanned | ArtifactEnd.

Everything happens in memory: nothing is extracted, executed or followed. Formats are sniffed from
content. Every member ends in the coverage ledger as scanned (a ``Blob``), skipped by policy or
unscannable (an ``Unscanned``, plus a blocking ``policy`` finding when it was not by policy).
Corrupt containers become ``Problem``s (scan error); what was read before the damage is still
reported.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import posixpath
import re
import struct
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import pathspec

from leakguard.errors import UsageError
from leakguard.model import (
    Artifact,
    ArtifactEnd,
    Blob,
    Category,
    Finding,
    Origin,
    Problem,
    Severity,
    Source,
    Unscanned,
)
from leakguard.walk import compressed, detect, fs, tar, zip
from leakguard.walk.entry import Entry
from leakguard.walk.kinds import Manifest
from leakguard.walk.limits import Budget, LimitHit, Limits

Event = Blob | Finding | Problem | Unscanned | ArtifactEnd

READ_CHUNK = 1024 * 1024
# Errors that mean "this container's bytes are damaged", from every decoder we use.
# ValueError, struct.error, IndexError, KeyError and OverflowError come out of zipfile and tarfile
# on forged offsets and sizes (found by fuzzing: zipfile seeks to a negative offset).
ARTIFACT_LIMITS = frozenset({"max_total_bytes", "max_ratio", "max_members"})
CORRUPT: tuple[type[Exception], ...] = (
    tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError, struct.error,
    IndexError, KeyError, OverflowError, *compressed.ERRORS)
_DRIVE = re.compile(r"^[A-Za-z]:")

__all__ = ["Event", "Limits", "walk"]


def walk(targets: Sequence[str | Source], limits: Limits, stdin: IO[bytes] | None = None,
         exclude: Sequence[str] = ()) -> Iterator[Event]:
    """Walk every target in order. Missing targets raise ``UsageError`` before anything is read.

    ``exclude`` holds gitignore-style patterns of member paths (inside the artifact, members of
    nested archives joined with ``/``) that are never read; the ledger lists them as skipped by
    policy. Structural findings (unsafe names, links, device files) still apply to them."""
    skip = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
    sources = [Source.of(target) for target in targets]
    for source in sources:
        if source.path != "-" and not Path(source.path).exists() and not Path(source.path).is_symlink():
            raise UsageError(f"{source.path}: no such file or directory")
    for source in sources:
        if source.path == "-":
            yield from _Walk(limits, source.name or "<stdin>", 0, skip).stdin(
                stdin if stdin is not None else sys.stdin.buffer)
        else:
            path = Path(source.path)
            size = path.lstat().st_size if path.is_file() else 0
            yield from _Walk(limits, source.label, size, skip).target(path)


class _Joined:
    """Chunks joined as they arrive, holding the member once: ``b"".join`` of a list holds it
    twice at the end (60 MB more for a 60 MB map), while ``BytesIO.getvalue`` hands over its
    buffer without a copy."""

    __slots__ = ("_buffer", "_first")

    def __init__(self) -> None:
        self._first: bytes | None = None
        self._buffer: io.BytesIO | None = None

    def add(self, chunk: bytes) -> None:
        if self._first is None:
            self._first = chunk
            return
        if self._buffer is None:
            self._buffer = io.BytesIO()
            self._buffer.write(self._first)
        self._buffer.write(chunk)

    def value(self) -> bytes:
        if self._buffer is not None:
            return self._buffer.getvalue()
        return self._first if self._first is not None else b""


def _finding(origin: Origin, rule: str, severity: Severity, message: str) -> Finding:
    return Finding(rule, Category.POLICY, severity, origin, message, key=rule)


class _Walk:
    """The walk of one target: its budget, its manifest and the member paths it has seen."""

    def __init__(self, limits: Limits, name: str, compressed_size: int,
                 skip: pathspec.GitIgnoreSpec | None = None) -> None:
        self.limits = limits
        self.skip = skip
        self.budget = Budget(limits, compressed_size)
        self.root = Origin((name,))
        self.manifest = Manifest()
        self.paths: set[str] = set()
        # Top-level member path -> (size, crc32), for size budgets and release diffs.
        self.sizes: dict[str, tuple[int, int]] = {}
        self.sha256: str | None = None
        self.kind = "file"

    # -- targets -------------------------------------------------------------------------------

    def target(self, path: Path) -> Iterator[Event]:
        yield from self._bounded(self._target(path))
        yield self._end()

    def stdin(self, stream: IO[bytes]) -> Iterator[Event]:
        yield from self._bounded(self._stdin(stream))
        yield self._end()

    def _bounded(self, events: Iterator[Event]) -> Iterator[Event]:
        """An artifact-wide limit ends the artifact's walk with one finding at its root."""
        try:
            yield from events
        except LimitHit as hit:
            yield from self._limit(self.root, hit)

    def _target(self, path: Path) -> Iterator[Event]:
        if path.is_symlink():
            yield _finding(self.root, "walk.link", Severity.HIGH, "target is a symbolic link; not followed")
            yield Unscanned(self.root, "symbolic link, not followed")
        elif path.is_dir():
            self.kind = "directory"
            self.root = Origin((self.root.artifact,), in_directory=True)
            yield from self._entries(fs.entries(path), self.root, 1, resumable=True, directory=True)
        else:
            try:
                digest = _Digest(path)
                try:
                    with path.open("rb") as handle:
                        yield from self._stream(handle, self.root, 0, path.name, seekable=True)
                finally:  # also when a limit ends the walk: the artifact is still named by its digest
                    self.sha256 = digest.wait()
                if digest.error is not None:
                    raise digest.error
            except OSError as exc:
                yield Problem(self.root, "unreadable", f"cannot read: {exc.strerror or exc}")

    def _stdin(self, stream: IO[bytes]) -> Iterator[Event]:
        try:
            data = self._read(stream, self.root)
        except LimitHit as hit:
            self._artifact_wide(hit)
            yield from self._limit(self.root, hit)
        else:
            self.sha256 = hashlib.sha256(data).hexdigest()
            self.budget.compressed_size = len(data)
            yield from self._content(data, self.root, 0, "")

    def _end(self) -> ArtifactEnd:
        described = self.manifest.describe(self.kind)
        kind, name, version, license_ = described.kind, described.name, described.version, described.license
        artifact = Artifact(
            path=self.root.artifact,
            kind=kind,
            name=name,
            version=version,
            sha256=self.sha256,
            members=self.budget.members if kind != "file" else 1,
            # Unpacked size: the sum of top-level members (what extracting would write); the
            # budget's count also includes archive headers, padding and nested layers.
            bytes=sum(size for size, _ in self.sizes.values()) or self.budget.expanded,
            license=license_,
            repository=described.repository,
        )
        return ArtifactEnd(artifact, frozenset(self.paths), tuple(sorted((p, *v) for p, v in self.sizes.items())))

    # -- containers ----------------------------------------------------------------------------

    def _stream(self, handle: IO[bytes], origin: Origin, depth: int, name: str, *, seekable: bool
                ) -> Iterator[Event]:
        """A file-like source: sniff it, then open the container or read it as content."""
        head = handle.read(512)
        fmt = detect.sniff(head)
        yield from self._promise(origin, name, fmt, head)
        if fmt in detect.COMPRESSED and fmt in compressed.SUPPORTED:
            self.kind = "archive"
            handle.seek(0)
            inner = compressed.reader(fmt, handle)
            try:
                inner_head = inner.read(512)
                inner_fmt = detect.sniff(inner_head)
                inner.seek(0)
            except CORRUPT as exc:
                yield Problem(origin, "corrupt", f"{fmt} stream is corrupt: {_reason(exc)}")
                return
            if inner_fmt == "tar":
                yield from self._guard(origin, self._tar(inner, origin, depth, stream=not seekable))
                return
            # Anything else inside the compression layer is read whole and sniffed again.
            try:
                data = self._read(inner, origin)
            except LimitHit as hit:
                self._artifact_wide(hit)
                yield from self._limit(origin, hit)
                return
            except CORRUPT as exc:
                yield Problem(origin, "corrupt", f"{fmt} stream is corrupt: {_reason(exc)}")
                return
            yield from self._content(data, origin, depth, _strip_compression(name), layers=1)
            return
        handle.seek(0)
        if fmt == "tar":
            self.kind = "archive"
            yield from self._guard(origin, self._tar(handle, origin, depth, stream=not seekable))
        elif fmt == "zip":
            self.kind = "archive"
            yield from self._guard(origin, self._zip(handle, origin, depth))
        else:
            try:
                data = self._read(handle, origin)
            except LimitHit as hit:
                self._artifact_wide(hit)
                yield from self._limit(origin, hit)
                return
            yield from self._content(data, origin, depth, name)

    def _guard(self, origin: Origin, events: Iterator[Event]) -> Iterator[Event]:
        """Run a container walk; damage becomes a Problem, a limit a blocking finding."""
        try:
            yield from events
        except LimitHit as hit:
            self._artifact_wide(hit)
            yield from self._limit(origin, hit)
        except CORRUPT as exc:
            yield Problem(origin, "corrupt", f"corrupt or truncated archive: {_reason(exc)}")
        except NotImplementedError as exc:  # zipfile: a zip feature or version it cannot read
            yield Problem(origin, "unsupported", f"archive uses an unsupported feature: {_reason(exc)}")

    def _tar(self, handle: IO[bytes], origin: Origin, depth: int, *, stream: bool) -> Iterator[Event]:
        # A damaged tar stream cannot be resumed: the error ends this container's walk.
        yield from self._entries(tar.entries(handle, stream=stream), origin, depth + 1, resumable=False)
        # Read what follows the end-of-archive marker (padding) to the end, so a compressed
        # stream's trailer and checksum are verified; trailing bytes count against the budget.
        for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
            self.budget.charge(len(chunk))

    def _zip(self, handle: IO[bytes], origin: Origin, depth: int) -> Iterator[Event]:
        # zip members are independent: one bad CRC does not stop the others from being read.
        yield from self._entries(zip.entries(handle), origin, depth + 1, resumable=True)

    def _entries(self, entries: Iterator[Entry], parent: Origin, depth: int, *, resumable: bool,
                 directory: bool = False) -> Iterator[Event]:
        top = directory or (depth == 1 and len(parent.chain) == 1)
        for entry in entries:
            yield from self._member(entry, parent, depth, top=top, resumable=resumable)

    def _member(self, entry: Entry, parent: Origin, depth: int, *, top: bool, resumable: bool
                ) -> Iterator[Event]:
        if entry.kind == "dir":
            return
        self.budget.count_member()
        origin = parent.child(entry.name)
        if top:
            self.paths.add(entry.name)
        unsafe = _unsafe_name(entry.name)
        if unsafe:
            yield _finding(origin, "walk.unsafe-path", Severity.HIGH,
                           f"member name {unsafe}; an extracting tool could write outside its target")
        if entry.kind in ("symlink", "hardlink"):
            word = "symbolic" if entry.kind == "symlink" else "hard"
            yield Unscanned(origin, f"{word} link to {entry.target!r}, not followed", by_policy=True)
            if _escapes(entry.name, entry.target, hard=entry.kind == "hardlink"):
                yield _finding(origin, "walk.link-escapes", Severity.HIGH,
                               f"{word} link points outside the package: {entry.target!r}")
            return
        if entry.kind == "device" or entry.kind == "fifo":
            what = "device file" if entry.kind == "device" else "FIFO"
            yield Unscanned(origin, f"{what}, not read")
            yield _finding(origin, "walk.special-file", Severity.HIGH, f"archive contains a {what}")
            return
        if entry.kind == "encrypted":
            yield Unscanned(origin, "encrypted member, cannot be scanned")
            yield _finding(origin, "walk.encrypted", Severity.HIGH,
                           "encrypted member cannot be scanned; ship it unencrypted or exclude it")
            return
        if entry.kind == "unreadable":
            yield Problem(origin, "unreadable", entry.target)
            return
        if entry.kind != "file" or entry.open is None:
            yield Unscanned(origin, f"member of type {entry.kind!r}, not read")
            yield _finding(origin, "walk.special-file", Severity.HIGH, f"member of unknown type {entry.kind!r}")
            return
        if self.skip is not None and self.skip.match_file("/".join(p.lstrip("/") for p in origin.chain[1:])):
            yield Unscanned(origin, "excluded by config (exclude)", by_policy=True)
            return
        try:
            with entry.open() as stream:
                yield from self._read_member(stream, origin, depth, entry.name, top=top)
        except LimitHit as hit:
            self._artifact_wide(hit)
            yield from self._limit(origin, hit)
        except NotImplementedError as exc:  # zipfile: a compression method it cannot decode
            yield Unscanned(origin, f"unsupported compression: {_reason(exc)}")
            yield _finding(origin, "walk.unsupported-format", Severity.HIGH,
                           f"cannot decompress member: {_reason(exc)}")
        except CORRUPT as exc:
            if not resumable:
                raise
            yield Unscanned(origin, f"unreadable: {_reason(exc)}")
            yield Problem(origin, "corrupt" if self.kind != "directory" else "unreadable", _reason(exc))

    def _read_member(self, stream: IO[bytes], origin: Origin, depth: int, name: str, *, top: bool
                     ) -> Iterator[Event]:
        window = self.limits.window_bytes
        head = self._read(stream, origin, limit=window)
        more = stream.read(1)
        if not more:
            if top:
                self.manifest.offer(name, head, directory=self.kind == "directory")
                self.sizes[name] = (len(head), compressed.crc32(head, 0))
            yield from self._content(head, origin, depth, name)
            return
        self.budget.charge(1)
        fmt = detect.sniff(head[:512])
        if fmt is not None:
            hit = LimitHit("max_member_bytes", f"nested {fmt} larger than {window:,} bytes")
            yield from self._limit(origin, hit)
            return
        yield from self._pieces(head + more, stream, origin, depth, name if top else None)

    def _pieces(self, first: bytes, stream: IO[bytes], origin: Origin, depth: int, top_name: str | None
                ) -> Iterator[Event]:
        """A member larger than the window, as overlapping pieces; every keyword hit belongs to
        exactly one piece and sees half the overlap of context on each side."""
        window, overlap = self.limits.window_bytes, self.limits.window_overlap
        half = overlap // 2
        buf, offset, lines, total, crc = first, 0, 0, len(first), compressed.crc32(first, 0)
        while True:
            chunk = self._read(stream, origin, limit=window - len(buf) + 1) if len(buf) < window else b""
            buf += chunk
            total += len(chunk)
            crc = compressed.crc32(chunk, crc)
            if total > self.limits.max_member_bytes:
                raise LimitHit("max_member_bytes", f"member larger than {self.limits.max_member_bytes:,} bytes")
            last = not chunk and len(buf) < window
            if not last:
                peek = stream.read(1)
                self.budget.charge(len(peek))
                buf += peek
                total += len(peek)
                crc = compressed.crc32(peek, crc)
                last = not peek
            scan_to = None if last else len(buf) - half
            yield Blob(origin, buf, depth, offset=offset, lines_before=lines,
                       scan_from=0 if offset == 0 else half, scan_to=scan_to)
            if last:
                if top_name is not None:
                    self.sizes[top_name] = (total, crc)
                return
            keep = len(buf) - overlap
            lines += buf.count(b"\n", 0, keep)
            offset += keep
            buf = buf[keep:]

    def _content(self, data: bytes, origin: Origin, depth: int, name: str, layers: int = 0) -> Iterator[Event]:
        """Bytes of one member (or a whole plain file): a nested container, or a blob to scan."""
        fmt = detect.sniff(data[:512])
        if depth and not layers:  # a compression layer's promise was checked on the outer name
            yield from self._promise(origin, name, fmt, data[:512])
        if fmt is None:
            yield Blob(origin, data, depth)
            return
        if fmt in detect.COMPRESSED:
            if fmt not in compressed.SUPPORTED:
                yield Unscanned(origin, f"{fmt} compression is not supported")
                yield _finding(origin, "walk.unsupported-format", Severity.HIGH,
                               f"{fmt}-compressed data cannot be scanned")
                return
            if layers >= 3:
                hit = LimitHit("max_depth", "more than 3 nested compression layers")
                yield from self._limit(origin, hit)
                return
            try:
                inner = self._read(compressed.reader(fmt, io.BytesIO(data)), origin)
            except LimitHit as limit:
                self._artifact_wide(limit)
                yield from self._limit(origin, limit)
                return
            except CORRUPT as exc:
                yield Problem(origin, "corrupt", f"{fmt} stream is corrupt: {_reason(exc)}")
                return
            yield from self._content(inner, origin, depth, _strip_compression(name), layers + 1)
            return
        if depth >= self.limits.max_depth:
            hit = LimitHit("max_depth", f"archives nested deeper than {self.limits.max_depth} levels")
            yield from self._limit(origin, hit)
            return
        if depth == 0:
            self.kind = "archive"
        events = (
            self._tar(io.BytesIO(data), origin, depth, stream=False)
            if fmt == "tar"
            else self._zip(io.BytesIO(data), origin, depth)
        )
        yield from self._guard(origin, events)

    # -- helpers -------------------------------------------------------------------------------

    def _read(self, stream: IO[bytes], origin: Origin, limit: int | None = None) -> bytes:
        """Read to the end (or ``limit`` bytes), charging the budget as bytes actually arrive."""
        whole = _Joined()
        for _, chunk in self._chunks(stream, limit):
            whole.add(chunk)
        return whole.value()

    def _chunks(self, stream: IO[bytes], limit: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(offset, chunk)`` to the end (or ``limit`` bytes), each charged before it is used."""
        cap = self.limits.max_member_bytes
        total = 0
        while limit is None or total < limit:
            chunk = stream.read(READ_CHUNK if limit is None else min(READ_CHUNK, limit - total))
            if not chunk:
                return
            total += len(chunk)
            self.budget.charge(len(chunk))
            if total > cap:
                raise LimitHit("max_member_bytes", f"member larger than {cap:,} bytes")
            yield total - len(chunk), chunk

    @staticmethod
    def _artifact_wide(hit: LimitHit) -> None:
        """Limits of the whole artifact (bytes, ratio, members) end its walk: re-raise them to the
        target, which reports one finding, instead of one per remaining member."""
        if hit.limit in ARTIFACT_LIMITS:
            raise hit

    def _limit(self, origin: Origin, hit: LimitHit) -> Iterator[Event]:
        yield Unscanned(origin, f"limit reached: {hit.detail}")
        yield _finding(origin, "walk.limit", Severity.CRITICAL, hit.advice())

    def _promise(self, origin: Origin, name: str, fmt: str | None, head: bytes) -> Iterator[Event]:
        promise = detect.promised(name)
        if promise is None or fmt in promise:
            return
        actual = fmt if fmt is not None else ("empty" if not head else "not an archive")
        expected = "/".join(sorted(promise))
        yield _finding(origin, "walk.format-mismatch", Severity.HIGH,
                       f"name promises {expected} but the content is {actual}; scanned by content")


class _Digest:
    """The SHA-256 of a file, hashed in a thread of its own while the walk reads the file: hashlib
    releases the GIL, so the hash takes a core that is otherwise idle at the start of a scan
    (35 ms for claude-code 2.1.88's 31 MB, before its first member could be read). A file under
    ``THREADED_BYTES`` is hashed here, at once: hashing a few kB takes microseconds, starting and
    joining a thread takes longer (audits scan thousands of small artifacts in a row)."""

    THREADED_BYTES = 1024 * 1024

    def __init__(self, path: Path) -> None:
        self._hex: str | None = None
        self.error: OSError | None = None
        self._thread: threading.Thread | None = None
        try:
            small = path.stat().st_size < self.THREADED_BYTES
        except OSError:
            small = True  # _hash records the error
        if small:
            self._hash(path)
            return
        self._thread = threading.Thread(target=self._hash, args=(path,), name="leakguard-sha256", daemon=True)
        self._thread.start()

    def _hash(self, path: Path) -> None:
        digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(READ_CHUNK), b""):
                    digest.update(block)
        except OSError as exc:
            self.error = exc
        else:
            self._hex = digest.hexdigest()

    def wait(self) -> str | None:
        """The hex digest, once the file is hashed; None if reading it failed (``error``)."""
        if self._thread is not None:
            self._thread.join()
        return self._hex


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _strip_compression(name: str) -> str:
    for suffix in (".gz", ".bz2", ".xz", ".tgz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
    return name


# Characters that look like a path separator or a dot to a person or to a normalising tool.
_LOOKALIKES = frozenset("\u2215\u2044\uff0f\u29f8\uff3c\u2216\u2024\uff0e\u2025")


def _unsafe_name(name: str) -> str:
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


def _escapes(name: str, target: str, *, hard: bool) -> bool:
    """Does a link's target resolve outside the archive root?"""
    if not target or target.startswith(("/", "\\")) or _DRIVE.match(target):
        return bool(target)
    base = "" if hard else posixpath.dirname(name.replace("\\", "/"))
    resolved = posixpath.normpath(posixpath.join(base, target.replace("\\", "/")))
    return resolved == ".." or resolved.startswith("../")

