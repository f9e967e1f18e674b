"""Single-stream decompressors: gzip, bzip2, xz. Each returns a forward-only reader."""

from __future__ import annotations

import bz2
import gzip
import lzma
from typing import IO, cast

SUPPORTED = frozenset({"gzip", "bzip2", "xz"})


def reader(fmt: str, fileobj: IO[bytes]) -> IO[bytes]:
    """A decompressing reader over ``fileobj``. Raises ``ValueError`` for unsupported formats."""
    if fmt == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=fileobj, mode="rb"))
    if fmt == "bzip2":
        return bz2.BZ2File(fileobj, mode="rb")
    if fmt == "xz":
        return lzma.LZMAFile(fileobj, mode="rb")
    raise ValueError(f"{fmt} is not supported")
