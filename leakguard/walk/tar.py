"""tar members (ustar, GNU, pax), read by a parser of leakguard's own; never extracts or follows.

Why not ``tarfile``: readers disagree about tar, and a scanner must see what the installer will
install (FIELD-NOTES, "Tar parser differentials"). ``tarfile`` stops at the first zero block, where
``tar --ignore-zeros`` and npm's tar read on; it applies a pax header of any size, where npm's tar
ignores one over 1 MiB; it recurses once per GNU long-name or pax header (a chain of them is a
RecursionError), reads a long name of any length into memory, loops on a negative size, and its
pax parsing in CPython before 3.12.6 backtracks for minutes on a crafted header. This parser reads
blocks in one pass, bounds every header, charges every byte it consumes to the walk's budget, and
reports each place where readers disagree as a ``conflict`` entry, which the walker turns into a
blocking finding. Where readers disagree it reads on, so the scan sees the union of the views.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, cast

from leakguard.walk.entry import Damage, Entry, EntryKind

BLOCK = 512
ZERO = bytes(BLOCK)
READ_AHEAD = 8 * 1024  # small enough that damage loses little of what comes before it
_OCTAL = re.compile(rb"[0-7]+")
# npm's tar (node-tar) ignores pax and GNU long-name headers larger than this (maxMetaEntrySize).
MAX_META = 1024 * 1024
# Header blocks (pax, GNU long name/link) that may precede one member: real archives use at most three.
MAX_CHAIN = 8
_KINDS: dict[bytes, EntryKind] = {
    b"0": "file", b"\0": "file", b"7": "file", b"5": "dir", b"2": "symlink", b"1": "hardlink",
    b"3": "device", b"4": "device", b"6": "fifo",
}
_META = frozenset({b"x", b"g", b"L", b"K", b"X"})  # X: Solaris' pax header


class TarDamage(Damage):
    """The tar stream is corrupt or truncated; what was read before it still counts."""


Charge = Callable[[int], None]


@dataclass(slots=True)
class _Pending:
    """Meta headers read since the last member: they apply to the next one."""

    pax: dict[str, str] = field(default_factory=dict)
    long_name: str | None = None
    long_link: str | None = None
    chain: int = 0
    pax_then_meta: bool = False


class _Source:
    """The tar stream: exact reads, skips that read forward (a decompressor cannot seek), and
    bytes put back after a look ahead. Bytes the parser consumes are charged here; member data is
    the reader's to charge (``data``). Headers are read through a 64 KiB buffer: one call into the
    decompressor per 128 headers, not one per header. Damage met while reading ahead is raised
    only when the bytes before it are used up, so every member before it is still read."""

    def __init__(self, fileobj: IO[bytes], charge: Charge) -> None:
        self.fileobj = fileobj
        self.charge = charge
        self.offset = 0
        self._buf = b""
        self._pos = 0
        self._error: Damage | None = None

    def _buffered(self) -> int:
        return len(self._buf) - self._pos

    def data(self, size: int) -> bytes:
        """Up to ``size`` bytes, not charged: buffered bytes first, then straight from the stream."""
        if self._buffered():
            data = self._buf[self._pos : self._pos + size]
            self._pos += len(data)
        elif self._error is not None:
            raise self._error
        else:
            data = self.fileobj.read(size)
        self.offset += len(data)
        return data

    def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes unless the stream ends first; charged."""
        if self._buffered() < size and self._error is None:
            rest = [self._buf[self._pos :]]
            have = len(rest[0])
            try:
                while have < size:
                    more = self.fileobj.read(max(READ_AHEAD, size - have))
                    if not more:
                        break
                    rest.append(more)
                    have += len(more)
            except Damage as exc:
                self._error = exc
            self._buf, self._pos = b"".join(rest), 0
        if self._buffered() < size and self._error is not None:
            raise self._error
        data = self.data(size)
        self.charge(len(data))
        return data

    def put_back(self, data: bytes) -> None:
        """Return bytes read too far; they are read (and charged) again."""
        self._buf = data + self._buf[self._pos :]
        self._pos = 0
        self.offset -= len(data)
        self.charge(-len(data))

    def skip(self, size: int) -> None:
        """Read and drop ``size`` bytes."""
        while size > 0:
            data = self.read(min(size, 1024 * 1024))
            if not data:
                raise TarDamage("truncated: the archive ends inside a member")
            size -= len(data)

    def skip_zeros(self) -> None:
        """Read on over zero blocks in large reads: a tar padded with gigabytes of zeros is
        skipped at the speed of decompression, not one block at a time."""
        while True:
            data = self.read(128 * BLOCK)
            if not data:
                return
            if data.count(0) != len(data):
                first = (len(data) - len(data.lstrip(b"\0"))) // BLOCK * BLOCK
                self.put_back(data[first:])
                return


class _MemberStream(io.RawIOBase):
    """The data of one member, read straight from the stream; bytes read are charged by the walker."""

    def __init__(self, source: _Source, size: int) -> None:
        self._source = source
        self.remaining = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        want = min(len(buffer), self.remaining)
        if want <= 0:
            return 0
        data = self._source.data(want)
        if not data:
            raise TarDamage("truncated: the archive ends inside a member")
        buffer[: len(data)] = data
        self.remaining -= len(data)
        return len(data)


def number(field_: bytes) -> int:
    """A numeric header field: octal, or GNU base-256 (first byte 0x80 positive, 0xff negative)."""
    if field_[:1] in (b"\x80", b"\xff"):
        value = int.from_bytes(field_[1:], "big")
        return value - (1 << (8 * (len(field_) - 1))) if field_[0] == 0xFF else value
    text = field_.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    if _OCTAL.fullmatch(text) is None:
        raise TarDamage(f"invalid number field {bytes(field_)!r}")
    return int(text, 8)


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _byte_sum(part: bytes) -> int:
    """The sum of up to 256 bytes, in C: Adler-32's low half is 1 + the byte sum modulo 65,521,
    and 256 bytes sum to at most 65,280, so it is exact (sum() over a header costs 10 us)."""
    return (zlib.adler32(part) & 0xFFFF) - 1 if len(part) <= 256 else sum(part)


def valid_header(block: bytes) -> bool:
    """Does the block carry a correct header checksum (unsigned or signed sum, as readers accept)?"""
    try:
        stored = number(block[148:156])
    except TarDamage:
        return False
    # The checksum field itself counts as eight spaces.
    unsigned = _byte_sum(block[:148]) + 256 + _byte_sum(block[156:412]) + _byte_sum(block[412:])
    if stored == unsigned:
        return True
    high = sum(1 for b in block[:148] + block[156:] if b > 127)  # as signed chars, each counts 256 less
    return stored == unsigned - 256 * high


def parse_pax(data: bytes) -> dict[str, str]:
    """pax records ``"%d %s=%s\\n"`` (POSIX pax), parsed in one linear pass."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # NUL padding after the last record
            break
        space = data.find(b" ", pos, pos + 20)
        digits = data[pos:space] if space > 0 else b""
        if not digits.isdigit():
            raise TarDamage(f"invalid pax record at byte {pos}")
        length = int(digits)
        record = data[space + 1 : pos + length]
        if length <= len(digits) + 1 or pos + length > len(data) or not record.endswith(b"\n") or b"=" not in record:
            raise TarDamage(f"invalid pax record at byte {pos}")
        key, _, value = record[:-1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def entries(fileobj: IO[bytes], *, charge: Charge) -> Iterator[Entry]:
    """Members in archive order, and ``conflict`` entries where readers disagree.

    ``charge`` is called with every byte the parser consumes itself (headers, skipped data,
    padding); member data read through ``Entry.open`` is the caller's to charge. Raises
    ``TarDamage`` on corrupt or truncated data."""
    source = _Source(fileobj, charge)
    pending = _Pending()
    seen_header, zeros_at, junk_at = False, -1, -1
    while True:
        at = source.offset
        block = source.read(BLOCK)
        if not block:
            if not seen_header:
                raise TarDamage("not a tar archive: no header")
            if zeros_at < 0:
                raise TarDamage("truncated: the archive ends before its end-of-archive marker")
            if pending.chain:
                raise TarDamage("truncated: the archive ends after a pax or long-name header")
            return
        if len(block) < BLOCK:
            raise TarDamage("truncated: the archive ends inside a header")
        if block == ZERO:
            zeros_at = at if zeros_at < 0 else zeros_at
            source.skip_zeros()
            continue
        if not valid_header(block):
            if not seen_header:
                raise TarDamage("not a tar archive: bad header checksum")
            if junk_at < 0:
                junk_at = at
                yield Entry("", "conflict", None,
                            f"block at offset {at:,} is not a valid header: npm's tar and GNU tar skip it and "
                            "read on, Python's tarfile stops; the rest of the archive was read")
            continue
        if zeros_at >= 0:
            yield Entry("", "conflict", None,
                        f"a member follows the end-of-archive marker at offset {zeros_at:,}: tarfile stops "
                        "there, tar --ignore-zeros and npm's tar extract what follows; it was read")
        seen_header, zeros_at, junk_at = True, -1, -1
        yield from _header(block, source, pending)


def _header(block: bytes, source: _Source, pending: _Pending) -> Iterator[Entry]:
    kind = block[156:157]
    size = number(block[124:136])
    if size < 0:
        raise TarDamage(f"negative member size {size} at offset {source.offset - BLOCK:,}")
    if kind in _META:
        yield from _meta(kind, size, source, pending)
        return
    name = _text(block[0:100])
    if block[257:263] == b"ustar\0" and block[345] != 0:  # POSIX ustar: a prefix of up to 155 bytes
        name = _text(block[345:500]) + "/" + name
    link = _text(block[157:257])
    declared = size
    if pending.long_name is not None:
        name = pending.long_name
    if pending.long_link is not None:
        link = pending.long_link
    name = pending.pax.get("path", name)
    link = pending.pax.get("linkpath", link)
    if "size" in pending.pax:
        size = _pax_size(pending.pax["size"])
        if size != declared:
            yield Entry(name, "conflict", None,
                        f"a pax header gives the size {size:,} where the member's header says {declared:,}: "
                        "readers that ignore the pax header see other members")
    if pending.pax_then_meta:
        yield Entry(name, "conflict", None, "a pax header is followed by another pax or GNU long-name header: "
                    "readers disagree which header it applies to")
    pending.pax, pending.long_name, pending.long_link, pending.chain = {}, None, None, 0
    pending.pax_then_meta = False
    entry_kind = _KINDS.get(kind, "other")
    if entry_kind == "file" and kind == b"\0" and name.endswith("/"):  # old tar: a directory
        entry_kind = "dir"
    padded = size + (-size % BLOCK)
    if entry_kind != "file":
        yield Entry(name.rstrip("/") + ("/" if entry_kind == "dir" else ""), entry_kind, None, link)
        if entry_kind == "other":  # tarfile and npm's tar skip the data of types they do not know
            source.skip(padded)
        elif size:
            yield Entry(name, "conflict", None, f"a {entry_kind} header declares {size:,} bytes of data: readers "
                        "disagree whether data follows; read as tarfile does (as headers)")
        return
    stream = _MemberStream(source, size)
    yield Entry(name, "file", lambda: cast(IO[bytes], stream), size=size)
    left = stream.remaining
    stream.remaining = 0
    source.skip(left + (padded - size))


def _pax_size(value: str) -> int:
    if not value.isdigit():
        raise TarDamage(f"invalid pax size record {value[:40]!r}")
    return int(value)


def _meta(kind: bytes, size: int, source: _Source, pending: _Pending) -> Iterator[Entry]:
    pending.chain += 1
    if pending.chain > MAX_CHAIN:
        raise TarDamage(f"more than {MAX_CHAIN} pax or long-name headers before one member")
    if pending.pax and kind in (b"x", b"X", b"L", b"K"):
        pending.pax_then_meta = True
    padded = size + (-size % BLOCK)
    if size > MAX_META:
        # npm's tar ignores it and reads the next header as it stands; tarfile applies it.
        yield Entry("", "conflict", None,
                    f"a {'pax' if kind in (b'x', b'X', b'g') else 'GNU long-name'} header of {size:,} bytes "
                    f"(over {MAX_META:,}): npm's tar ignores it, other readers apply it; read as npm does")
        source.skip(padded)
        return
    data = source.read(padded)
    if len(data) < padded:
        raise TarDamage("truncated: the archive ends inside a pax or long-name header")
    data = data[:size]
    if kind in (b"L", b"K"):
        text = _text(data)
        if kind == b"L":
            pending.long_name = text
        else:
            pending.long_link = text
        return
    records = parse_pax(data)
    if kind == b"g":
        if {"path", "linkpath", "size"} & records.keys():
            yield Entry("", "conflict", None, "a global pax header sets a path or size: readers disagree "
                        "which members it applies to")
        return
    pending.pax.update(records)
