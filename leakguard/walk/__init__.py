"""The archive walker: ``walk(targets, limits)`` -> Blob | Finding | Problem | Unscanned | ArtifactEnd.

Everything happens in memory: nothing is extracted, executed or followed. Formats are sniffed from
content. Every member ends in the coverage ledger as scanned (a ``Blob``), skipped by policy or
unscannable (an ``Unscanned``, plus a blocking ``policy`` finding when it was not by policy).
Corrupt containers become ``Problem``s (scan error); what was read before the damage is still
reported. Memory is bounded by the window and the limits, never by the input: content is read
as a stream, and only a member up to the window (or a nested zip, which needs random access) is
ever held whole.

Only the errors the archive and compression libraries raise for bad data are caught, and they
are translated into ``Damage`` where they are raised (``tar``, ``zip``, ``compressed``,
``streams.Guarded``). Anything else is a bug in leakguard and propagates: the CLI reports it as an
internal error (exit 3), never as a corrupt archive.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, cast

import pathspec

from leakguard.errors import UsageError
from leakguard.model import Artifact, ArtifactEnd, Blob, Finding, Origin, Problem, Severity, Source, Unscanned
from leakguard.walk import compressed, detect, fs, names, npy, tar, zip
from leakguard.walk.digest import Digest
from leakguard.walk.entry import Damage, Entry, Unsupported
from leakguard.walk.judge import artifact_wide, finding, limit, promise, structure
from leakguard.walk.kinds import Manifest
from leakguard.walk.limits import Budget, LimitHit, Limits, Ratio
from leakguard.walk.reader import Reader
from leakguard.walk.streams import Counted, Joined, Prefixed, counting

Event = Blob | Finding | Problem | Unscanned | ArtifactEnd

PACKED_READ = 64 * 1024
# Compression layers inside one member (a .gz of a .gz of a .gz): real files have one.
MAX_LAYERS = 3

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
            yield from _Walk(limits, source.name or "<stdin>", skip).stdin(
                stdin if stdin is not None else sys.stdin.buffer)
        else:
            yield from _Walk(limits, source.label, skip).target(Path(source.path))


class _Walk:
    """The walk of one target: its budget, its manifest and the member paths it has seen."""

    def __init__(self, limits: Limits, name: str, skip: pathspec.GitIgnoreSpec | None = None) -> None:
        self.limits = limits
        self.skip = skip
        self.budget = Budget(limits)
        self.reader = Reader(limits, self.budget)
        self.root = Origin((name,))
        self.manifest = Manifest()
        self.paths: set[str] = set()
        # Top-level member path -> (size, crc32), for size budgets and release diffs.
        self.sizes: dict[str, tuple[int, int]] = {}
        self.sha256: str | None = None
        self.kind = "file"

    # -- targets -------------------------------------------------------------------------------

    def target(self, path: Path) -> Iterator[Event]:
        """The events of a file or directory target, ending with its ``ArtifactEnd``."""
        yield from _bounded(self._target(path), lambda: self.root)
        yield self._end()

    def stdin(self, stream: IO[bytes]) -> Iterator[Event]:
        """The events of standard input, read forward only, ending with its ``ArtifactEnd``."""
        hasher = hashlib.sha256()
        counted = Counted(stream, self.budget.read_raw, hasher)
        yield from _bounded(self._source(cast(IO[bytes], counted), self.root, 0, "", seekable=False), lambda: self.root)
        self.sha256 = hasher.hexdigest() if counted.ended else None
        yield self._end()

    def _target(self, path: Path) -> Iterator[Event]:
        if path.is_symlink():
            yield finding(self.root, "walk.link", Severity.HIGH, "target is a symbolic link; not followed")
            yield Unscanned(self.root, "symbolic link, not followed")
            return
        if path.is_dir():
            self.kind = "directory"
            self.root = Origin((self.root.artifact,), in_directory=True)
            yield from self._entries(fs.entries(path), self.root, 1, resumable=True, directory=True)
            return
        try:
            handle = path.open("rb")
            info = os.fstat(handle.fileno())
        except OSError as exc:
            yield Problem(self.root, "unreadable", f"cannot read: {exc.strerror or exc}")
            return
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
            # /dev/zero, /dev/urandom, a disk: no release artifact is a device, and some never end.
            handle.close()
            yield finding(self.root, "walk.special-file", Severity.HIGH, "target is a device file; not read")
            yield Unscanned(self.root, "device file, not read")
            return
        # A FIFO or socket (a pipe, a process substitution) is read as a stream, bounded by the
        # limits; only a regular file is seekable and gets a digest.
        regular = stat.S_ISREG(info.st_mode)
        digest = Digest(path, info.st_size) if regular else None
        try:
            with handle:
                source = counting(handle, self.budget.read_raw)
                yield from self._source(source, self.root, 0, path.name, seekable=regular)
        except GeneratorExit:
            if digest is not None:
                digest.stop()
            raise
        finally:  # also when a limit ends the walk: the artifact is still named by its digest
            if digest is not None:
                self.sha256 = digest.wait()
        if digest is not None and digest.error is not None:
            yield Problem(self.root, "unreadable", f"cannot read: {digest.error.strerror or digest.error}")

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

    # -- content of unknown format ---------------------------------------------------------------

    def _source(self, stream: IO[bytes], origin: Origin, depth: int, name: str, *, seekable: bool,
                top: bool = False, layers: int = 0) -> Iterator[Event]:
        """Bytes from a stream: sniff them, then open the container or scan them as content.
        ``seekable`` streams (a file target) are opened in place; others are read forward."""
        head, error = self.reader.head(stream)
        if error is not None:  # damage inside the first bytes: what came before it is still read
            stream, seekable = cast(IO[bytes], Prefixed(b"", stream, error)), False
        tail = b""
        if detect.needs_tail(head):  # a zip after a prefix (a zipapp, a Chrome extension)?
            if seekable:
                stream.seek(-min(detect.TAIL, stream.seek(0, io.SEEK_END)), io.SEEK_END)
                tail = stream.read(detect.TAIL)
                stream.seek(len(head))
            else:  # read forward: held up to the window, as a nested zip would be
                head = head + self.reader.read(stream, self.limits.window_bytes - len(head))
                more = stream.read(1)
                tail = b"" if more else head[-detect.TAIL :]
                stream = cast(IO[bytes], Prefixed(more, stream))
        fmt = detect.sniff(head, tail)
        if not layers:  # a compression layer's promise was checked on the outer name
            yield from promise(origin, name, fmt, head)
        if fmt is None:
            yield from self._plain(head, stream, origin, depth, name, top=top)
        elif fmt in detect.COMPRESSED:
            yield from self._layer(fmt, cast(IO[bytes], Prefixed(head, stream)), origin, depth, name, layers)
        elif depth >= self.limits.max_depth:
            deeper = f"archives nested deeper than {self.limits.max_depth} levels"
            yield from limit(origin, LimitHit("max_depth", deeper))
        else:
            if depth == 0:
                self.kind = "archive"
            if fmt == "tar":
                events = self._tar(cast(IO[bytes], Prefixed(head, stream)), origin, depth)
            elif seekable:
                stream.seek(0)
                events = self._zip(stream, origin, depth)
            elif tail:
                events = self._zip(io.BytesIO(head), origin, depth)
            else:
                events = self._buffered_zip(head, stream, origin, depth)
            yield from self._guard(origin, events)

    def _layer(self, fmt: str, stream: IO[bytes], origin: Origin, depth: int, name: str, layers: int
               ) -> Iterator[Event]:
        """A compression layer: read through, with its own expansion ratio."""
        if fmt not in compressed.SUPPORTED:
            yield Unscanned(origin, f"{fmt} compression is not supported")
            yield finding(origin, "walk.unsupported-format", Severity.HIGH, f"{fmt}-compressed data cannot be scanned")
            return
        if layers >= MAX_LAYERS:
            yield from limit(origin, LimitHit("max_depth", f"more than {MAX_LAYERS} nested compression layers"))
            return
        ratio = Ratio(self.limits, f"a {fmt} stream")
        # The decompressor is fed in small reads, so its ratio is known as it goes (ISA-L asks
        # for 512 KiB at a time: a bomb would pass 100 MB before its ratio showed).
        packed = counting(stream, ratio.add_packed, max_read=PACKED_READ)
        inner = counting(compressed.reader(fmt, packed), ratio.expanded)
        try:
            yield from self._source(inner, origin, depth, _strip_compression(name), seekable=False, layers=layers + 1)
        except LimitHit as hit:
            artifact_wide(hit)
            yield from limit(origin, hit)
        except Damage as exc:
            yield Problem(origin, "corrupt", f"{fmt} stream is corrupt: {exc}")

    def _plain(self, head: bytes, stream: IO[bytes], origin: Origin, depth: int, name: str, *, top: bool
               ) -> Iterator[Event]:
        """Content: one ``Blob`` up to the window, overlapping pieces past it."""
        window = self.limits.window_bytes
        whole = Joined()
        whole.add(head)
        for _, chunk in self.reader.chunks(stream, limit=window - len(head), start=len(head)):
            whole.add(chunk)
        data = whole.value()
        more = stream.read(1)
        if not more:
            if top:
                self.manifest.offer(name, data, directory=self.kind == "directory")
            yield Blob(origin, data, depth)
            return
        self.budget.charge(1)
        if _looks_like_map(name, data):  # only a whole map is analysed as one: fail closed
            yield finding(origin, "walk.limit", Severity.CRITICAL,
                          f"source map larger than the {window:,}-byte window: scanned in pieces for credentials "
                          "but not analysed as a source map; a map this large should not ship",
                          (("situation", "fixed-limit"),))
        yield from self.reader.pieces(data, more, stream, origin, depth)

    # -- containers ----------------------------------------------------------------------------

    def _guard(self, origin: Origin, events: Iterator[Event]) -> Iterator[Event]:
        """Run a container walk; damage becomes a Problem, a limit a blocking finding."""
        try:
            yield from events
        except LimitHit as hit:
            artifact_wide(hit)
            yield from limit(origin, hit)
        except Unsupported as exc:
            yield Problem(origin, "unsupported", f"archive uses an unsupported feature: {exc}")
        except Damage as exc:
            yield Problem(origin, "corrupt", f"corrupt or truncated archive: {exc}")

    def _tar(self, stream: IO[bytes], origin: Origin, depth: int) -> Iterator[Event]:
        # A damaged tar stream cannot be resumed: the error ends this container's walk. The parser
        # reads to the end of the stream (charged), so a compressed stream's trailer is verified.
        yield from self._entries(tar.entries(stream, charge=self.budget.charge), origin, depth + 1, resumable=False)

    def _zip(self, stream: IO[bytes], origin: Origin, depth: int) -> Iterator[Event]:
        # zip members are independent: one bad CRC does not stop the others from being read.
        room = self.limits.max_members - self.budget.entries
        yield from self._entries(zip.entries(stream, max_entries=room, charge=self.budget.charge), origin,
                                 depth + 1, resumable=True)

    def _buffered_zip(self, head: bytes, stream: IO[bytes], origin: Origin, depth: int) -> Iterator[Event]:
        """A zip read forward (a member, a pipe): it needs random access, so it is held whole,
        which only a zip up to the window may be."""
        window = self.limits.window_bytes
        data = head + self.reader.read(stream, window - len(head))
        if stream.read(1):
            raise LimitHit("max_member_bytes", f"nested zip larger than the {window:,}-byte window cannot be "
                           "opened in memory; scan it as a file of its own")
        yield from self._zip(io.BytesIO(data), origin, depth)

    def _entries(self, entries: Iterator[Entry], parent: Origin, depth: int, *, resumable: bool,
                 directory: bool = False) -> Iterator[Event]:
        top = directory or (depth == 1 and len(parent.chain) == 1)
        seen: set[str] = set()
        for entry in entries:
            if entry.kind == "conflict":
                where = parent.child(entry.name) if entry.name else parent
                yield finding(where, "walk.ambiguous-archive", Severity.HIGH, entry.target)
                continue
            if entry.kind != "dir" and not directory:
                key = names.extracted(entry.name)
                if key in seen:
                    yield finding(parent.child(entry.name), "walk.duplicate-member", Severity.HIGH,
                                   "the same path appears more than once; extracting tools disagree which copy "
                                   "wins (every copy was scanned)")
                seen.add(key)
            yield from self._member(entry, parent, depth, top=top, resumable=resumable)

    def _member(self, entry: Entry, parent: Origin, depth: int, *, top: bool, resumable: bool
                ) -> Iterator[Event]:
        self.budget.count_entry(member=entry.kind != "dir")
        if entry.kind == "dir":
            return
        origin = parent.child(entry.name)
        if top:
            self.paths.add(entry.name)
        yield from structure(entry, origin)
        if entry.kind != "file" or entry.open is None:
            return
        if self.skip is not None and self.skip.match_file("/".join(p.lstrip("/") for p in origin.chain[1:])):
            yield Unscanned(origin, "excluded by config (exclude)", by_policy=True)
            return
        try:
            with entry.open() as raw:
                stream: IO[bytes] = raw
                if entry.packed is not None:  # read in small steps: zipfile reads its input as far as asked
                    ratio = Ratio(self.limits, "a member", entry.packed)
                    stream = counting(raw, ratio.expanded, max_read=PACKED_READ)
                if self.kind == "directory":
                    stream = counting(stream, self.budget.read_raw)
                if entry.packed is not None and entry.name.lower().endswith(".npy"):
                    head = self.reader.read(stream, npy.HEAD)
                    array = npy.numeric(head)
                    if array is not None:  # numbers, not text: not inflated (scipy's 6 GB of floats)
                        yield Unscanned(origin, f"{array}: numbers hold no text (only the header was read)",
                                        by_policy=True)
                        return
                    stream = cast(IO[bytes], Prefixed(head, stream))
                sized = _Sized() if top else None
                if sized is not None:  # size and CRC-32 of what extracting writes, for release diffs
                    counted = Counted(stream, _ignore, sized)
                    stream = cast(IO[bytes], counted)
                yield from self._source(stream, origin, depth, entry.name, seekable=self.kind == "directory",
                                        top=top)
                if sized is not None and counted.ended:
                    self.sizes[entry.name] = (sized.size, sized.crc)
        except LimitHit as hit:
            artifact_wide(hit)
            yield from limit(origin, hit)
        except Unsupported as exc:  # a compression method the library cannot decode
            yield Unscanned(origin, f"unsupported compression: {exc}")
            yield finding(origin, "walk.unsupported-format", Severity.HIGH, f"cannot decompress member: {exc}")
        except Damage as exc:
            if not resumable:
                raise
            yield Unscanned(origin, f"unreadable: {exc}")
            yield Problem(origin, "corrupt" if self.kind != "directory" else "unreadable", str(exc))

    # -- helpers -------------------------------------------------------------------------------

def _bounded(events: Iterator[Event], root: Callable[[], Origin]) -> Iterator[Event]:
    """An artifact-wide limit ends the artifact's walk with one finding at its root (asked for at
    the end: a directory target's root is set once the walk starts)."""
    try:
        yield from events
    except LimitHit as hit:
        yield from limit(root(), hit)


_MAP_START = re.compile(rb"^(?:\xef\xbb\xbf|\)\]\}'[^\n]*\n)?\s*\{")  # after a BOM or an XSSI guard
_MAP_KEY = re.compile(rb'"(?:sources|sourcesContent|mappings)"\s*:')


def _looks_like_map(name: str, data: bytes) -> bool:
    """A source map by name, or a JSON object with a map's keys in its first 64 KiB."""
    head = data[:65536]
    return name.endswith(".map") or (_MAP_START.match(head) is not None and _MAP_KEY.search(head) is not None)


class _Sized:
    """Size and CRC-32 of the bytes that pass, fed as ``Counted``'s hasher."""

    __slots__ = ("crc", "size")

    def __init__(self) -> None:
        self.size = 0
        self.crc = 0

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self.crc = compressed.crc32(data, self.crc)


def _ignore(_size: int) -> None:
    pass


def _strip_compression(name: str) -> str:
    for suffix in (".gz", ".bz2", ".xz", ".lzma", ".tgz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
    return name
