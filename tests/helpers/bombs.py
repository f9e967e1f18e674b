"""Builders for hostile inputs that are huge when unpacked and small on disk: gzip and zip
bombs, giant tar headers, overlapping zips. Each writes its file as a stream, in seconds, without
ever holding the unpacked bytes: a run of one repeated byte is deflated once, and the same
compressed block is written again for every further MiB (after a full flush, deflate starts
from a clean state, so equal input gives equal output).

Shared by the tests (tests/hostile/test_bounded.py) and the measurement script (bench/hostile.py).
"""

from __future__ import annotations

import struct
import tarfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

MIB = 1 << 20
GIB = 1 << 30
Segment = bytes | tuple[int, int]  # literal bytes, or (byte value, count): a run of one byte


# -- CRC-32 of long runs without reading them (zlib's crc32_combine, in Python) ---------------


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A+B from crc(A), crc(B) and len(B) (zlib's crc32_combine)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << i for i in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def crc32_run(byte: int, count: int, crc: int = 0) -> int:
    """The CRC-32 of ``crc``'s data followed by ``count`` copies of ``byte``, in O(log count)."""
    block = bytes([byte]) * MIB
    whole, rest = divmod(count, MIB)
    run_crc, run_len = 0, 0
    block_crc = zlib.crc32(block)
    power_crc, power_len = block_crc, MIB
    while whole:  # binary doubling of the 1 MiB block
        if whole & 1:
            run_crc = crc32_combine(run_crc, power_crc, power_len)
            run_len += power_len
        power_crc = crc32_combine(power_crc, power_crc, power_len)
        power_len *= 2
        whole >>= 1
    crc = crc32_combine(crc, run_crc, run_len)
    return zlib.crc32(block[:rest], crc)


# -- deflate of segments ------------------------------------------------------------------------


class Deflater:
    """Raw deflate of literal segments and long runs of one byte, written to ``out`` as it goes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.crc = 0
        self.size = 0
        self.written = 0
        self._zlib = zlib.compressobj(9, zlib.DEFLATED, -15)
        self._blocks: dict[int, bytes] = {}

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.written += len(data)

    def add(self, segment: Segment) -> None:
        """Compress one segment: bytes, or ``(byte, count)`` for a run."""
        if isinstance(segment, bytes):
            self._write(self._zlib.compress(segment) + self._zlib.flush(zlib.Z_FULL_FLUSH))
            self.crc = zlib.crc32(segment, self.crc)
            self.size += len(segment)
            return
        byte, count = segment
        whole, rest = divmod(count, MIB)
        if whole:
            block = self._blocks.get(byte)
            if block is None:
                block = self._zlib.compress(bytes([byte]) * MIB) + self._zlib.flush(zlib.Z_FULL_FLUSH)
                self._blocks[byte] = block
            for _ in range(whole):
                self._write(block)
        if rest:
            self._write(self._zlib.compress(bytes([byte]) * rest) + self._zlib.flush(zlib.Z_FULL_FLUSH))
        self.crc = crc32_run(byte, count, self.crc)
        self.size += count

    def finish(self) -> None:
        """End the deflate stream."""
        self._write(self._zlib.flush(zlib.Z_FINISH))


def write_gzip(path: Path, segments: Iterable[Segment]) -> Path:
    """A one-member gzip file of the concatenated segments."""
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        deflater = Deflater(out)
        for segment in segments:
            deflater.add(segment)
        deflater.finish()
        out.write(struct.pack("<II", deflater.crc, deflater.size & 0xFFFFFFFF))
    return path


def gzip_bytes(segments: Iterable[Segment], path: Path) -> bytes:
    """``write_gzip`` into ``path``, returned as bytes (for a layer nested in another)."""
    return write_gzip(path, segments).read_bytes()


# -- tar ----------------------------------------------------------------------------------------


def tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE, *, raw_size: bytes | None = None) -> bytes:
    """One ustar header block (``raw_size``: the 12-byte size field as given, to forge it)."""
    info = tarfile.TarInfo(name)
    info.size = 0
    info.type = kind
    info.mtime = 1_700_000_000
    block = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
    block[124:136] = raw_size if raw_size is not None else f"{size:011o}\0".encode()
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}\0 ".encode()
    return bytes(block)


def padding(size: int) -> bytes:
    """Zero bytes that fill ``size`` up to a whole tar block."""
    return bytes(-size % 512)


def tar_member(name: str, data: bytes) -> bytes:
    """A regular member: header, data, padding."""
    return tar_header(name, len(data)) + data + padding(len(data))


END = bytes(1024)


def ten_gib_member_tgz(path: Path, size: int = 10 * GIB) -> Path:
    """A tgz holding one member of ``size`` zero bytes."""
    return write_gzip(path, [tar_header("package/zeros.bin", size), (0, size), padding(size), END])


def gnu_long_name_tgz(path: Path, length: int = 512 * MIB) -> Path:
    """A tgz whose first header is a GNU long name (``L``) of ``length`` bytes, then one file."""
    header = tar_header("././@LongLink", length, tarfile.GNUTYPE_LONGNAME)
    return write_gzip(path, [header, (ord("a"), length), padding(length), tar_member("package/a.js", b"1"), END])


def directories_tgz(path: Path, count: int) -> Path:
    """A tgz of ``count`` directory entries and one file."""
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        deflater = Deflater(out)
        template = bytearray(tar_header("package/d0000000/", 0, tarfile.DIRTYPE))
        batch = []
        for i in range(count):
            block = template[:]
            block[9:16] = f"{i:07d}".encode()
            block[148:156] = b" " * 8
            block[148:156] = f"{sum(block):06o}\0 ".encode()
            batch.append(bytes(block))
            if len(batch) == 4096:
                deflater.add(b"".join(batch))
                batch.clear()
        deflater.add(b"".join(batch) + tar_member("package/a.js", b"1") + END)
        deflater.finish()
        out.write(struct.pack("<II", deflater.crc, deflater.size & 0xFFFFFFFF))
    return path


# -- zip ----------------------------------------------------------------------------------------


def _local(name: bytes, method: int, crc: int, csize: int, size: int) -> bytes:
    return struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, csize, size, len(name), 0) + name


def _central(name: bytes, method: int, crc: int, csize: int, size: int, offset: int) -> bytes:
    return struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, csize, size,
                       len(name), 0, 0, 0, 0, 0o100644 << 16, offset) + name


def _eocd(count: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, 0)


def zeros_zip(path: Path, members: int = 10, size: int = GIB) -> Path:
    """A zip of ``members`` deflated members of ``size`` zero bytes each."""
    central = []
    with path.open("wb") as out:
        for i in range(members):
            name = f"zeros{i}.bin".encode()
            offset = out.tell()
            crc = crc32_run(0, size)
            header = _local(name, 8, crc, 0, size)
            out.write(header)
            deflater = Deflater(out)
            deflater.add((0, size))
            deflater.finish()
            end = out.tell()
            out.seek(offset + 18)
            out.write(struct.pack("<I", deflater.written))
            out.seek(end)
            central.append(_central(name, 8, crc, deflater.written, size, offset))
        cd_offset = out.tell()
        out.write(b"".join(central))
        out.write(_eocd(members, out.tell() - cd_offset, cd_offset))
    return path


def overlapping_zip(path: Path, block: bytes, entries: int = 150) -> Path:
    """``entries`` central-directory entries that all point at one stored member holding ``block``."""
    crc = zlib.crc32(block)
    local = _local(b"block.bin", 0, crc, len(block), len(block))
    # Every entry must name the local header's file name, or zipfile refuses it as corrupt.
    central = b"".join(_central(b"block.bin", 0, crc, len(block), len(block), 0) for _ in range(entries))
    path.write_bytes(local + block + central + _eocd(entries, len(central), len(local) + len(block)))
    return path


def zip_from(entries: Iterable[tuple[str, bytes]], *, hidden: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """A stored zip; the ``hidden`` entries have local headers but no central-directory record."""
    body, central, count = b"", b"", 0
    for name, data in hidden:
        body += _local(name.encode(), 0, zlib.crc32(data), len(data), len(data)) + data
    for name, data in entries:
        offset = len(body)
        crc = zlib.crc32(data)
        body += _local(name.encode(), 0, crc, len(data), len(data)) + data
        central += _central(name.encode(), 0, crc, len(data), len(data), offset)
        count += 1
    return body + central + _eocd(count, len(central), len(body))
