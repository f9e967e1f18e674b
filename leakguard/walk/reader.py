"""Reading member bytes as they arrive, each charged to the artifact's budget before it is used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from leakguard.model import Blob, Origin
from leakguard.walk import detect
from leakguard.walk.entry import Damage
from leakguard.walk.limits import Budget, LimitHit, Limits
from leakguard.walk.streams import Joined

READ_CHUNK = 1024 * 1024


class Reader:
    """Reads for one artifact's walk: whole (to a limit), in chunks, the head to sniff, and
    members larger than the window as overlapping pieces."""

    def __init__(self, limits: Limits, budget: Budget) -> None:
        self.limits = limits
        self.budget = budget

    def head(self, stream: IO[bytes]) -> tuple[bytes, Damage | None]:
        """The first block, to sniff, and more while it is zeros (a tar may start with zero blocks);
        damage in them is returned, to be raised where it is met. Small reads: a decompressor that
        fails loses what it produced in the same read, and what came before the damage counts."""
        whole = Joined()
        size = 0
        try:
            while size < detect.HEAD:
                block = self.read(stream, 512)
                whole.add(block)
                size += len(block)
                if len(block) < 512 or block.count(0) != 512:
                    break
        except Damage as exc:
            return whole.value(), exc
        return whole.value(), None

    def read(self, stream: IO[bytes], limit: int | None = None) -> bytes:
        """Read to the end (or ``limit`` bytes), charging the budget as bytes actually arrive."""
        whole = Joined()
        for _, chunk in self.chunks(stream, limit):
            whole.add(chunk)
        return whole.value()

    def chunks(self, stream: IO[bytes], limit: int | None = None, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """``(offset, chunk)`` to the end (or ``limit`` bytes), each charged before it is used."""
        cap = self.limits.max_member_bytes
        total = start
        end = None if limit is None else start + limit
        while end is None or total < end:
            chunk = stream.read(READ_CHUNK if end is None else min(READ_CHUNK, end - total))
            if not chunk:
                return
            total += len(chunk)
            self.budget.charge(len(chunk))
            if total > cap:
                raise LimitHit("max_member_bytes", f"member larger than {cap:,} bytes")
            yield total - len(chunk), chunk

    def pieces(self, first: bytes, more: bytes, stream: IO[bytes], origin: Origin, depth: int) -> Iterator[Blob]:
        """A member larger than the window, as overlapping pieces; every keyword hit belongs to
        exactly one piece and sees half the overlap of context on each side. Each piece is built
        in one buffer (``Joined``): memory is about two windows, the piece being read and the one
        being scanned."""
        window, overlap = self.limits.window_bytes, self.limits.window_overlap
        half = overlap // 2
        whole = Joined()
        whole.add(first)
        whole.add(more)
        buf, offset, lines = whole.value(), 0, 0
        total = len(buf)
        del first
        while True:
            whole = Joined()
            whole.add(buf)
            got = 0
            if len(buf) < window:
                for _, chunk in self.chunks(stream, window - len(buf) + 1):
                    whole.add(chunk)
                    got += len(chunk)
            total += got
            if total > self.limits.max_member_bytes:
                raise LimitHit("max_member_bytes", f"member larger than {self.limits.max_member_bytes:,} bytes")
            last = not got and len(buf) < window
            if not last:
                peek = stream.read(1)
                self.budget.charge(len(peek))
                whole.add(peek)
                total += len(peek)
                last = not peek
            buf = whole.value()
            scan_to = None if last else len(buf) - half
            yield Blob(origin, buf, depth, offset=offset, lines_before=lines,
                       scan_from=0 if offset == 0 else half, scan_to=scan_to)
            if last:
                return
            keep = len(buf) - overlap
            lines += buf.count(b"\n", 0, keep)
            offset += keep
            buf = buf[keep:]
