"""Single-stream decompressors: gzip, bzip2, xz, LZMA-alone. Each returns a forward-only reader. And CRC-32.

gzip is inflated with ISA-L (the ``isal`` package, in the ``[fast]`` extra) when it is installed:
about three times the speed of the standard library's zlib on this workload (0.15 s against 0.46 s
for the 103 MB inside claude-code 2.1.88), and decompression is the one cost every scan pays.
Without it the standard library's ``gzip`` reads the same streams.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable
from typing import IO, cast

from leakguard.walk.streams import Guarded

SUPPORTED = frozenset({"gzip", "bzip2", "xz", "lzma"})

GzipReader = Callable[[IO[bytes]], IO[bytes]]
# CRC-32 of each top-level member (for release diffs): ISA-L's is 4x zlib's on the same bytes.
crc32: Callable[[bytes, int], int] = zlib.crc32


def _stdlib_gzip(fileobj: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], gzip.GzipFile(fileobj=fileobj, mode="rb"))


GZIP_READERS: dict[str, GzipReader] = {"zlib": _stdlib_gzip}
# What the decompressors raise on damaged data (EOFError: a stream cut short; OSError: gzip's
# bad magic, CRC and length; ValueError: bz2 on invalid data).
ERRORS: tuple[type[Exception], ...] = (zlib.error, lzma.LZMAError, EOFError, OSError, ValueError)
try:
    from isal import igzip, isal_zlib
except ImportError:
    pass
else:
    def _isal_gzip(fileobj: IO[bytes]) -> IO[bytes]:
        return cast(IO[bytes], igzip.GzipFile(fileobj=fileobj, mode="rb"))  # type: ignore[no-untyped-call]

    GZIP_READERS["isal"] = _isal_gzip
    crc32 = isal_zlib.crc32
    ERRORS = (*ERRORS, cast(type[Exception], isal_zlib.error))  # typed as an instance in isal's stubs
GZIP: GzipReader = GZIP_READERS.get("isal", _stdlib_gzip)


def reader(fmt: str, fileobj: IO[bytes]) -> IO[bytes]:
    """A decompressing reader over ``fileobj``; damaged data raises ``Damage`` when read.
    Raises ``ValueError`` for unsupported formats."""
    return cast(IO[bytes], Guarded(_open(fmt, fileobj), ERRORS, f"{fmt} stream"))


def _open(fmt: str, fileobj: IO[bytes]) -> IO[bytes]:
    if fmt == "gzip":
        return GZIP(fileobj)
    if fmt == "bzip2":
        return bz2.BZ2File(fileobj, mode="rb")
    if fmt == "xz":
        return lzma.LZMAFile(fileobj, mode="rb")
    if fmt == "lzma":  # LZMA-alone, the legacy .lzma format
        return lzma.LZMAFile(fileobj, mode="rb", format=lzma.FORMAT_ALONE)
    raise ValueError(f"{fmt} is not supported")
