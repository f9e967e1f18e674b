"""zip members (wheels, jars, .vsix, .nupkg, .egg, zipped sdists); never extracts."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from typing import IO

from leakguard.walk.entry import Entry


def entries(fileobj: IO[bytes]) -> Iterator[Entry]:
    """Members in central-directory order. Raises ``zipfile.BadZipFile`` on corrupt data."""
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            yield _entry(archive, info)


def _entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    mode = info.external_attr >> 16
    if info.is_dir():
        return Entry(info.filename, "dir")
    if stat.S_ISLNK(mode):
        # A zip symlink stores its target as the member's data; read it, never follow it.
        return Entry(info.filename, "symlink", None, archive.read(info)[:4096].decode("utf-8", "replace"))
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Entry(info.filename, "device")
    if stat.S_ISFIFO(mode):
        return Entry(info.filename, "fifo")
    if info.flag_bits & 0x1:  # APPNOTE 4.4.4: bit 0 = encrypted
        return Entry(info.filename, "encrypted")
    return Entry(info.filename, "file", lambda: archive.open(info), size=info.file_size)
