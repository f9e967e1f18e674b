"""Read the pixels of a PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes) with the
standard library, to check what a screenshot shows."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


class Image:
    """A decoded image: ``size`` and ``pixel(x, y) -> (r, g, b)``."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        pos, idat = 8, b""
        while pos < len(data):
            (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
            body = data[pos + 8:pos + 8 + length]
            if kind == b"IHDR":
                self.width, self.height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
                assert depth == 8 and color in (2, 6) and interlace == 0, "only 8-bit RGB(A), not interlaced"
                self.channels = 3 if color == 2 else 4
            elif kind == b"IDAT":
                idat += body
            pos += 12 + length
        self._raw = zlib.decompress(idat)
        self._rows: dict[int, bytes] = {}

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.width, self.height

    def _row(self, y: int) -> bytes:
        # Each row is filtered against the one above (PNG spec 9.2): unfilter rows 0..y in turn.
        stride, bpp = self.width * self.channels, self.channels
        for row in range(len(self._rows), y + 1):
            start = row * (stride + 1)
            kind, line = self._raw[start], bytearray(self._raw[start + 1:start + 1 + stride])
            above = self._rows.get(row - 1, bytes(stride))
            if kind == 2:  # up: no dependency along the row
                line = bytearray((a + b) & 0xFF for a, b in zip(line, above, strict=True))
            elif kind:
                for i in range(stride):
                    left = line[i - bpp] if i >= bpp else 0
                    if kind == 1:
                        line[i] = (line[i] + left) & 0xFF
                    elif kind == 3:
                        line[i] = (line[i] + (left + above[i]) // 2) & 0xFF
                    else:
                        line[i] = (line[i] + _paeth(left, above[i], above[i - bpp] if i >= bpp else 0)) & 0xFF
            self._rows[row] = bytes(line)
        return self._rows[y]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour at (x, y)."""
        row = self._row(y)
        r, g, b = row[x * self.channels:x * self.channels + 3]
        return r, g, b
