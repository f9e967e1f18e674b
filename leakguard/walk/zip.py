"""zip members (wheels, jars, .vsix, .nupkg, .egg, .pyz, .crx, zipped sdists); never extracts.

A zip has two indexes: the central directory at its end, which pip and ``zipfile`` read, and a
local header before each member's data, which streaming readers follow. An attacker can make
them disagree: a local entry the directory does not list, or a method or size that differs
between the two. Every such disagreement is a ``conflict`` entry (a blocking finding) and both
views are read. Entries whose data overlaps another's (the overlapping zip bomb, or two names
for one set of bytes) are reported and not read again.
"""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from leakguard.walk.entry import Damage, Entry, Unsupported
from leakguard.walk.limits import LimitHit
from leakguard.walk.streams import Guarded, reason

# What zipfile raises on damaged data, beside BadZipFile (forged offsets and sizes: found by fuzzing).
ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, struct.error, OSError, ValueError, IndexError,
    KeyError, OverflowError)
# Opening a member: also NotImplementedError (a method zipfile cannot decode), RuntimeError (encrypted).
_OPEN_ERRORS: tuple[type[Exception], ...] = (*ERRORS, NotImplementedError, RuntimeError)
MAX_LINK = 4096  # PATH_MAX: a symlink's target is never longer
_LOCAL = struct.Struct("<4s5H3I2H")
_SEARCH = 1024 * 1024
Charge = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class _Local:
    """A local file header as it stands at ``offset``."""

    offset: int
    flags: int
    method: int
    crc: int
    packed: int
    size: int
    name: bytes
    start: int  # where its data starts
    end: int  # where its data ends, or -1 when only a data descriptor (after the data) can tell

    @classmethod
    def read(cls, fileobj: IO[bytes], offset: int) -> _Local | None:
        fileobj.seek(offset)
        head = fileobj.read(_LOCAL.size)
        if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
            return None
        _, _, flags, method, _, _, crc, packed, size, name_len, extra_len = _LOCAL.unpack(head)
        name = fileobj.read(name_len)
        start = offset + _LOCAL.size + name_len + extra_len
        sized = not flags & 0x8 and packed != 0xFFFFFFFF
        return cls(offset, flags, method, crc, packed, size, name, start, start + packed if sized else -1)


def entries(fileobj: IO[bytes], *, max_entries: int, charge: Charge) -> Iterator[Entry]:
    """Members in central-directory order, then entries only the local headers show, with a
    ``conflict`` entry for each disagreement. Raises ``Damage`` on corrupt data and ``LimitHit``
    when the directory lists more than ``max_entries`` (before reading it)."""
    try:
        _check_count(fileobj, max_entries)
        archive = zipfile.ZipFile(fileobj)
        infos = archive.infolist()
        locals_ = {id(info): _Local.read(fileobj, info.header_offset) for info in infos}
    except NotImplementedError as exc:  # a zip version zipfile does not read
        raise Unsupported(reason(exc)) from exc
    except ERRORS as exc:
        raise Damage(reason(exc)) from exc
    with archive:
        ends: list[tuple[int, int]] = []
        overlapped: list[zipfile.ZipInfo] = []
        for info in sorted(infos, key=lambda i: i.header_offset):
            local = locals_[id(info)]
            if local is None:
                raise Damage(f"no local header for {info.filename!r}")
            end = local.end if local.end >= 0 else local.start + info.compress_size
            if ends and info.header_offset < ends[-1][1]:
                overlapped.append(info)
            else:
                ends.append((info.header_offset, end))
        skip = {id(i) for i in overlapped}
        if overlapped:
            yield Entry("", "conflict", None,
                        f"{len(overlapped)} entries overlap the data of others (an overlapping zip bomb, or two "
                        "names for the same bytes); they were not read again")
        for info in infos:
            if id(info) in skip:
                yield Entry(info.filename, "skipped", None, "its data overlaps another entry's; not read again")
                continue
            yield from _member(archive, info, cast(_Local, locals_[id(info)]))
        try:
            hidden = list(_hidden(archive, fileobj, ends, archive.start_dir, charge))
        except ERRORS as exc:
            raise Damage(reason(exc)) from exc
        yield from hidden


def _check_count(fileobj: IO[bytes], max_entries: int) -> None:
    record = zipfile._EndRecData(fileobj)  # type: ignore[attr-defined]  # the EOCD (and zip64) record
    if record is not None and record[zipfile._ECD_ENTRIES_TOTAL] > max_entries:  # type: ignore[attr-defined]
        raise LimitHit("max_members", f"zip directory lists more than {max_entries:,} members")
    fileobj.seek(0)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, local: _Local) -> Iterator[Entry]:
    yield _entry(archive, info)
    if local.method == info.compress_type and (
            local.flags & 0x8 or local.packed == 0xFFFFFFFF or (local.packed, local.size) ==
            (info.compress_size, info.file_size)):
        return
    yield Entry(info.filename + " (local header)", "conflict", None,
                f"the local header says method {local.method}, {local.packed:,} bytes packed, {local.size:,} "
                f"unpacked; the central directory says method {info.compress_type}, {info.compress_size:,}, "
                f"{info.file_size:,}: streaming readers and pip see different data; both views were read")
    yield _local_view(archive, info.filename + " (local header)", local)


def _local_view(archive: zipfile.ZipFile, name: str, local: _Local) -> Entry:
    view = zipfile.ZipInfo(name)
    view.header_offset = local.offset
    view.compress_type = local.method
    view.compress_size = local.packed
    view.file_size = local.size
    view.CRC = local.crc
    view.flag_bits = local.flags
    view.filename = local.name.decode("utf-8" if local.flags & 0x800 else "cp437", "replace")
    view.orig_filename = view.filename
    if local.flags & 0x1:
        return Entry(name, "encrypted")
    return _file(archive, view, name)


class _Opener:
    """Opens one member, and tells how many compressed bytes its reads have taken so far."""

    __slots__ = ("_archive", "_info", "_stream")

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive = archive
        self._info = info
        self._stream: IO[bytes] | None = None

    def open(self) -> IO[bytes]:
        try:
            stream = self._stream = self._archive.open(self._info)
        except NotImplementedError as exc:  # a compression method zipfile cannot decode
            raise Unsupported(reason(exc)) from exc
        except _OPEN_ERRORS as exc:
            raise Damage(reason(exc)) from exc
        return cast(IO[bytes], Guarded(stream, ERRORS, "zip member"))

    def packed(self) -> int:
        # ZipExtFile counts down the compressed bytes it has still to read.
        left = getattr(self._stream, "_compress_left", 0)
        return self._info.compress_size - left if isinstance(left, int) else self._info.compress_size


def _file(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Entry:
    opener = _Opener(archive, info)
    packed = opener.packed if info.compress_type != zipfile.ZIP_STORED else None
    return Entry(name, "file", opener.open, size=info.file_size, packed=packed)


def _hidden(archive: zipfile.ZipFile, fileobj: IO[bytes], ends: list[tuple[int, int]], directory: int,
            charge: Charge) -> Iterator[Entry]:
    """Local headers in the gaps between listed entries: data only a streaming reader installs."""
    gaps, cursor = [], 0
    for start, end in ends:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if directory > cursor:
        gaps.append((cursor, directory))
    for start, end in gaps:
        for offset in _signatures(fileobj, start, end, charge):
            local = _Local.read(fileobj, offset)
            if local is None or not local.name:
                continue
            name = local.name.decode("utf-8" if local.flags & 0x800 else "cp437", "replace")
            if local.end < 0:
                yield Entry(name, "conflict", None, "a local header that the central directory does not list, "
                            "with its size in a data descriptor: streaming readers install it; not readable here")
                continue
            yield Entry(name, "conflict", None, "a local header that the central directory does not list: "
                        "streaming readers install it, pip does not; it was read")
            yield _local_view(archive, name, local)


def _signatures(fileobj: IO[bytes], start: int, end: int, charge: Charge) -> Iterator[int]:
    offset = start
    while offset < end:
        fileobj.seek(offset)
        chunk = fileobj.read(min(_SEARCH + 3, end - offset))
        charge(len(chunk))
        found = chunk.find(b"PK\x03\x04")
        while found >= 0:
            yield offset + found
            found = chunk.find(b"PK\x03\x04", found + 1)
        if len(chunk) <= 3:
            return
        offset += len(chunk) - 3


def _entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    mode = info.external_attr >> 16
    if not info.filename:  # found by fuzzing: ZipInfo.is_dir() raises IndexError on it
        return Entry("", "conflict", None, "a member with an empty name: extracting tools disagree what it is")
    if info.is_dir():
        return Entry(info.filename, "dir")
    if info.flag_bits & 0x1:  # APPNOTE 4.4.4: bit 0 = encrypted (checked first: zipfile cannot read it)
        return Entry(info.filename, "encrypted")
    if stat.S_ISLNK(mode):
        return _symlink(archive, info)
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Entry(info.filename, "device")
    if stat.S_ISFIFO(mode):
        return Entry(info.filename, "fifo")
    return _file(archive, info, info.filename)


def _symlink(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    """A zip symlink stores its target as the member's data: read at most PATH_MAX bytes of it,
    never the whole member (a "link" can hold gigabytes), and never follow it."""
    try:
        with archive.open(info) as stream:
            target = stream.read(MAX_LINK + 1)
    except _OPEN_ERRORS as exc:
        return Entry(info.filename, "unreadable", None, f"symbolic link target unreadable: {reason(exc)}")
    if len(target) > MAX_LINK:
        return Entry(info.filename, "conflict", None,
                     f"a symbolic link whose target is longer than {MAX_LINK} bytes: not a real link")
    return Entry(info.filename, "symlink", None, target.decode("utf-8", "replace"))


__all__ = ["ERRORS", "Entry", "entries"]
