"""The SHA-256 of a target file, hashed beside the walk."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

READ_CHUNK = 1024 * 1024


class Digest:
    """The SHA-256 of a regular file, hashed in a thread of its own while the walk reads the file:
    hashlib releases the GIL, so the hash takes a core that is otherwise idle at the start of a scan
    (35 ms for claude-code 2.1.88's 31 MB, before its first member could be read).

    It reads at most ``size`` bytes (the file's size when the walk began): a file that grows while
    it is hashed (a log, a pipe disguised as a file) cannot keep the thread reading for ever, and
    gets no digest. ``stop()`` ends it early (Ctrl-C, an error), also with no digest."""

    def __init__(self, path: Path, size: int) -> None:
        self._hex: str | None = None
        self._stop = threading.Event()
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._hash, args=(path, size), name="leakguard-sha256", daemon=True)
        self._thread.start()

    def _hash(self, path: Path, size: int) -> None:
        digest = hashlib.sha256()
        left = size
        try:
            with path.open("rb") as handle:
                while left > 0 and not self._stop.is_set():
                    block = handle.read(min(READ_CHUNK, left))
                    if not block:
                        return  # shrank: no digest of a file that changed
                    digest.update(block)
                    left -= len(block)
                if left == 0 and not handle.read(1):
                    self._hex = digest.hexdigest()
        except OSError as exc:
            self.error = exc

    def stop(self) -> None:
        """Stop hashing; ``wait()`` then returns None unless the hash was already done."""
        self._stop.set()

    def wait(self) -> str | None:
        """The hex digest, once the file is hashed; None if reading it failed (``error``) or it changed."""
        self._thread.join()
        return self._hex
