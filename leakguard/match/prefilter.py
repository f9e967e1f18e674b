"""One Aho-Corasick automaton over every rule's keywords: the prefilter.

Input is case-folded byte for byte (ASCII-only folding, so offsets never move). Two engines
produce identical hits: pyahocorasick (the default dependency; needs ``str``, so the folded bytes
are decoded as latin-1, which maps byte i to character i) and ahocorasick-rs (the ``[fast]``
extra; works on bytes and releases the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

# Members are searched in chunks so the engines' private copies stay small (pyahocorasick
# widens its input to 4 bytes per character). Chunks overlap by the longest keyword.
CHUNK = 4 * 1024 * 1024

ENGINES = ("pyahocorasick", "ahocorasick-rs")


class Prefilter(Protocol):
    """Finds every occurrence of every keyword, overlapping, in lowered bytes."""

    name: str

    def hits(self, chunk: bytes, base: int) -> list[tuple[int, int]]:
        """``(keyword_index, start + base)`` for every occurrence in ``chunk.lower()``."""
        ...


# Lower-cased bytes from most to least frequent in packaged code and data: the mean of their
# frequencies in TypeScript's JavaScript, botocore's JSON models and Python, and claude-code's
# bundle and TypeScript sources. pyahocorasick looks a character up among a node's children one by
# one, in the order they were added, so adding the keywords in this order puts the common
# characters first.
_COMMON = b' etansirocldup"\nmfhg,_.b()y:=vqkwx/{}0;z1>\'j<2*][-634598|!&$\\7`?+#@\r\t%^~'
_RANK = {byte: rank for rank, byte in enumerate(_COMMON)}
# A byte that keywords hold but none starts with is compared with every root child before the
# automaton gives up on it. The most frequent of them get a root child of their own, in frequency
# order, through a word that cannot occur; the rarer ones would only push the others back.
_ROOT_BYTES = 16


def _by_frequency(keyword: bytes) -> list[int]:
    return [_RANK.get(byte, len(_COMMON)) for byte in keyword]


class PyAhoCorasick:
    """pyahocorasick: C, holds the GIL, str input.

    Its cost per character grows with the number of children it compares at the root, and a
    character no keyword starts with is compared with all of them. So the input is folded with
    one table that lower-cases it and maps every byte no keyword holds to a single spare byte, the
    sentinel, and the sentinel is the root's first child (through a word that cannot occur: its
    second byte is another byte no keyword holds, which the table never outputs). Keyword
    occurrences are unchanged, as no keyword holds a byte the table replaces; binaries, mostly
    such bytes, scan about twice as fast. Frequent bytes that only occur inside keywords get a
    root child the same way (``_ROOT_BYTES``): JSON scans about a quarter faster.
    """

    name = "pyahocorasick"

    def __init__(self, keywords: Sequence[bytes]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        used = {byte for keyword in keywords for byte in keyword}
        spare = [byte for byte in range(256) if byte not in used]
        lower = bytes(range(256)).lower()
        self._table = lower
        words: list[tuple[bytes, int]] = [(keyword, index) for index, keyword in enumerate(keywords)]
        if len(spare) >= 2:
            sentinel, never = spare[0], spare[1]
            self._table = bytes(byte if byte in used else sentinel for byte in lower)
            self._automaton.add_word(chr(sentinel) + chr(never), (-1, 2))
            starts = {keyword[0] for keyword in keywords if keyword}
            words += [(bytes((byte, never)), -1) for byte in _COMMON[:_ROOT_BYTES]
                      if byte in used and byte not in starts]
        for word, index in sorted(words, key=lambda item: _by_frequency(item[0])):
            text = word.decode("latin-1")
            self._automaton.add_word(text, (index, len(text)))
        self._empty = not keywords
        if keywords:
            self._automaton.make_automaton()

    def hits(self, chunk: bytes, base: int) -> list[tuple[int, int]]:
        if self._empty:
            return []
        text = chunk.translate(self._table).decode("latin-1")
        return [(index, base + end - length + 1) for end, (index, length) in self._automaton.iter(text)]


class RsAhoCorasick:
    """ahocorasick-rs: Rust, releases the GIL, bytes input."""

    name = "ahocorasick-rs"

    def __init__(self, keywords: Sequence[bytes]) -> None:
        import ahocorasick_rs

        self._empty = not keywords
        if keywords:
            # A DFA costs more memory to build but scans several times faster than the default NFA
            # with hundreds of keywords (bench/RESULTS.md, "Figures behind the code").
            self._automaton = ahocorasick_rs.BytesAhoCorasick(
                list(keywords), matchkind=ahocorasick_rs.MATCHKIND_STANDARD,
                implementation=ahocorasick_rs.Implementation.DFA,
            )

    def hits(self, chunk: bytes, base: int) -> list[tuple[int, int]]:
        if self._empty:
            return []
        return [
            (index, base + start)
            for index, start, _ in self._automaton.find_matches_as_indexes(chunk.lower(), overlapping=True)
        ]


def available_engine() -> str:
    """The fastest engine installed: ahocorasick-rs when present, else pyahocorasick.
    ``LEAKGUARD_ENGINE`` overrides the choice (the test suite runs once per engine)."""
    forced = os.environ.get("LEAKGUARD_ENGINE")
    if forced in ENGINES:
        return forced
    try:
        import ahocorasick_rs  # noqa: F401  (probe only)
    except ImportError:
        return "pyahocorasick"
    return "ahocorasick-rs"


def resolve(engine: str) -> str:
    """The engine ``engine`` names: ``auto`` is the fastest installed (``available_engine``)."""
    return available_engine() if engine == "auto" else engine


def build(keywords: Sequence[bytes], engine: str = "auto") -> Prefilter:
    """A prefilter over ``keywords`` with the named engine (``auto`` picks the fastest installed)."""
    chosen = resolve(engine)
    if chosen == "ahocorasick-rs":
        return RsAhoCorasick(keywords)
    if chosen == "pyahocorasick":
        return PyAhoCorasick(keywords)
    raise ValueError(f"unknown engine {engine!r}; expected auto, {', '.join(ENGINES)}")


def scan_range(
    prefilter: Prefilter, data: bytes, lo: int, hi: int, overlap: int
) -> list[tuple[int, int]]:
    """All keyword hits starting in ``data[lo:hi]``, each once, folded chunk by chunk. ``overlap``
    is the longest keyword length: a chunk reads that far past the starts it owns, so a hit
    straddling its edge is whole in it, and a start past its edge is left to the next chunk."""
    found: list[tuple[int, int]] = []
    pos = lo
    while pos < hi:
        stop = min(hi, pos + CHUNK)  # this chunk owns the hits starting before stop
        end = min(stop + overlap, len(data))
        hits = prefilter.hits(data[pos:end], pos)
        found.extend(hits if end <= stop else [hit for hit in hits if hit[1] < stop])
        pos += CHUNK
    return found
