"""Small file-like helpers for the walker: bytes joined without a second copy, a stream with its
first bytes put back (a pipe or a decompressor cannot seek back after sniffing), and a stream
that reports every byte read from it (the raw bytes a ratio limit compares with)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import IO, Any, cast

from leakguard.walk.entry import Damage


class Joined:
    """Chunks joined as they arrive, holding the member once: ``b"".join`` of a list holds it
    twice at the end (60 MB more for a 60 MB map), while ``BytesIO.getvalue`` hands over its
    buffer without a copy."""

    __slots__ = ("_buffer", "_first")

    def __init__(self) -> None:
        self._first: bytes | None = None
        self._buffer: io.BytesIO | None = None

    def add(self, chunk: bytes) -> None:
        """Append one chunk."""
        if self._first is None:
            self._first = chunk
            return
        if self._buffer is None:
            self._buffer = io.BytesIO()
            self._buffer.write(self._first)
        self._buffer.write(chunk)

    def value(self) -> bytes:
        """Everything added, as one bytes object."""
        if self._buffer is not None:
            return self._buffer.getvalue()
        return self._first if self._first is not None else b""


class Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``stream``: the bytes read to sniff a format, put back.
    With ``error`` (what reading past ``head`` raised), reading past ``head`` raises it again."""

    def __init__(self, head: bytes, stream: IO[bytes], error: Damage | None = None) -> None:
        self._head = memoryview(head)
        self._stream = stream
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        if self._error is not None:
            raise self._error
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Counted(io.RawIOBase):
    """``stream``, calling ``on_read`` with the size of every read (and seeking through to it);
    ``hasher`` sees every byte; ``ended`` is set once a read found the end."""

    def __init__(self, stream: IO[bytes], on_read: Callable[[int], None], hasher: Any = None,
                 max_read: int = 0) -> None:
        self._stream = stream
        self._on_read = on_read
        self._hasher = hasher
        self._max_read = max_read  # if set, no read returns more (a stream may return less)
        self.ended = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if self._max_read and (size < 0 or size > self._max_read):
            size = self._max_read
        data = self._stream.read(size)
        if not data and size != 0:
            self.ended = True
        if self._hasher is not None:
            self._hasher.update(data)
        self._on_read(len(data))
        return data

    def close(self) -> None:
        self._stream.close()
        super().close()


def counting(stream: IO[bytes], on_read: Callable[[int], None], max_read: int = 0) -> IO[bytes]:
    """``stream``, calling ``on_read`` with the size of every read (of at most ``max_read``)."""
    return cast(IO[bytes], Counted(stream, on_read, max_read=max_read))


class Guarded(io.RawIOBase):
    """``stream`` with the errors its library raises for bad data (``errors``) turned into ``Damage``."""

    def __init__(self, stream: IO[bytes], errors: tuple[type[BaseException], ...], what: str) -> None:
        self._stream = stream
        self._errors = errors
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except self._errors as exc:
            raise Damage(f"{self._what}: {reason(exc)}") from exc

    def close(self) -> None:
        with contextlib.suppress(*self._errors):  # closing a damaged stream: the read reported it
            self._stream.close()
        super().close()


def reason(exc: BaseException) -> str:
    """An exception as one short line, for a message."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200] if text.strip() else type(exc).__name__
