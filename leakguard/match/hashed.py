"""Codenames configured only as sha256 hashes (``codenames-sha256``), so a committed config does
not itself leak them.

A hash has no literal for the prefilter, so every word of the text is hashed instead: the text is
split into alphanumeric words with ``bytes.translate`` and ``split`` (C speed, in chunks); each
distinct word is split again at camelCase transitions (``fennecMode`` -> ``fennec``, ``mode``),
case-folded and hashed once. Hashed names are therefore single words (``capybara``, not
``opus-4-7``); a word found is turned back into an ordinary codename rule to be located. The cost
is paid only when hashes are configured.
"""

from __future__ import annotations

import hashlib
import re

CHUNK = 4 * 1024 * 1024
# Words remembered between blobs; past this many the memory starts over (memory is bounded by
# limits, not by how many distinct words an artifact holds).
SEEN = 1 << 18
_ALNUM = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_TO_SPACE = bytes(c if c in _ALNUM else 32 for c in range(256))
_CAMEL = re.compile(rb"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class HashedNames:
    """Finds which configured hashes occur as words; remembers every word it has hashed."""

    def __init__(self, hashes: frozenset[str]) -> None:
        self.hashes = hashes
        self._seen: dict[bytes, str | None] = {}

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def find(self, data: bytes) -> set[str]:
        """The plaintext names (lower-case) in ``data`` whose sha256 is configured."""
        found: set[str] = set()
        seen = self._seen
        for pos in range(0, len(data), CHUNK):
            # Chunks overlap by 64 bytes so a word at an edge is whole in one of them.
            words = set(data[max(0, pos - 64) : pos + CHUNK].translate(_TO_SPACE).split())
            if len(seen) > SEEN:
                seen.clear()
            for word in words:  # not ``words - seen.keys()``: that walks every key remembered
                if word in seen:
                    name = seen[word]
                else:
                    name = seen[word] = self._check(word)
                if name is not None:
                    found.add(name)
        return found

    def _check(self, word: bytes) -> str | None:
        for part in {word, *_CAMEL.split(word)}:
            lowered = part.lower()
            if hashlib.sha256(lowered).hexdigest() in self.hashes:
                return lowered.decode("ascii")
        return None
