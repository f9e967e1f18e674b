"""tar members (ustar, GNU, pax) from a file object; never extracts, never follows links."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import IO, cast

from leakguard.walk.entry import Entry, EntryKind


class _StrictTarInfo(tarfile.TarInfo):
    """tarfile ends an archive silently when a header is missing or cut short: a truncated archive
    looks like a shorter one. A complete archive ends with a zero block, so a short header read
    is damage, not the end."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> _StrictTarInfo:
        assert tarfile_.fileobj is not None
        buf = tarfile_.fileobj.read(tarfile.BLOCKSIZE)
        if len(buf) < tarfile.BLOCKSIZE:
            raise tarfile.ReadError("truncated: the archive ends before its end-of-archive marker")
        try:
            obj = cls.frombuf(buf, tarfile_.encoding, tarfile_.errors)
        except tarfile.EOFHeaderError:  # type: ignore[attr-defined]  # in CPython's tarfile, not in typeshed
            raise
        except tarfile.HeaderError as exc:
            # tarfile ends the archive quietly at a bad header past the first: a header that lies
            # about the size before it (pax, GNU) would hide every member after it.
            if tarfile_.offset == 0:
                raise
            raise tarfile.ReadError(f"invalid header at offset {tarfile_.offset}: {exc}") from None
        obj.offset = tarfile_.fileobj.tell() - tarfile.BLOCKSIZE
        return cast(_StrictTarInfo, obj._proc_member(tarfile_))  # type: ignore[attr-defined]


def entries(fileobj: IO[bytes], *, stream: bool) -> Iterator[Entry]:
    """Members in archive order. ``stream`` reads a pipe forward only (``r|``); otherwise ``r:``.

    Raises ``tarfile.TarError`` (and decompressor errors) on corrupt data; the caller maps them.
    """
    mode = "r|" if stream else "r:"
    with tarfile.open(fileobj=fileobj, mode=mode, tarinfo=_StrictTarInfo) as archive:  # type: ignore[call-overload]
        for info in archive:
            yield _entry(archive, info)


def _entry(archive: tarfile.TarFile, info: tarfile.TarInfo) -> Entry:
    kind: EntryKind
    if info.isreg():
        return Entry(info.name, "file", lambda: _extract(archive, info), size=info.size)
    if info.isdir():
        kind = "dir"
    elif info.issym():
        kind = "symlink"
    elif info.islnk():
        kind = "hardlink"
    elif info.ischr() or info.isblk():
        kind = "device"
    elif info.isfifo():
        kind = "fifo"
    else:
        kind = "other"
    return Entry(info.name, kind, None, info.linkname)


def _extract(archive: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    stream = archive.extractfile(info)
    assert stream is not None  # regular members always have a stream
    return stream
