"""Source Map v3 (ECMA-426, tc39.es/ecma426): ``parse(data) -> SourceMap``, a pure function.

A ``SourceMap`` is a value: where each ``sourcesContent`` entry lies in the bytes (it is decoded only
when it is scanned, by ``decode_entry``), the sources, ``sourceRoot``, ``ignoreList``, and the index
map's sections. It can be read in any order, any number of times.

How a 60 MB map is parsed without ``json.loads`` of all of it (17x slower, several copies): escaped
backslashes and quotes are blanked (``\\\\`` and ``\\"`` become two letters, left to right, exactly
as JSON reads a run of backslashes), so every quote left delimits a string; every string that is not
an object key is then replaced by ``NaN``, which ``json.loads`` reads back as the string's index
while it reads the small skeleton that remains. JSON's own grammar decides the structure
(whitespace, nesting, duplicate keys: the last wins, as ``JSON.parse``), and no string is decoded
until it is needed.
"""

from __future__ import annotations

import array
import codecs
import io
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from leakguard.match.decode import places
from leakguard.model import Blob

# What a browser strips before a map (ECMA-426: a first line starting with )]}' guards against XSSI).
_BOM = b"\xef\xbb\xbf"
_XSSI = b")]}'"
_WS = b" \t\r\n"
_QUOTE = re.compile(rb'"')
_COLON = re.compile(rb"[ \t\r\n]*:")
_VERSION_VALUE = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*(-?[0-9][0-9.eE+-]*|\"3\")")
# The quotes are found chunk by chunk, so the blanked copy is never the size of the map.
CHUNK = 4 * 1024 * 1024
# ECMA-426 index maps may nest; real ones are one level deep.
MAX_SECTION_DEPTH = 4


class MapError(ValueError):
    """The bytes hold a JSON object that is not well-formed: a truncated or damaged map."""


@dataclass(frozen=True, slots=True)
class Section:
    """One map: the whole map, or one map of an index map's ``sections``."""

    root: str  # sourceRoot, "" when absent
    sources: tuple[str | None, ...]
    contents: tuple[tuple[int, int] | None, ...]  # byte span of each sourcesContent string literal
    ignore: frozenset[int]  # ignoreList / x_google_ignoreList
    has_mappings: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """A sourcesContent entry that holds a string: its name and its literal's byte span."""

    section: int
    index: int
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SourceMap:
    """A parsed version-3 map (sections flattened, the map itself first)."""

    sections: tuple[Section, ...]
    # Byte spans of every sourcesContent entry and mappings string: the rest is the map's skeleton.
    skip: tuple[tuple[int, int], ...]
    size: int

    @property
    def sources(self) -> int:
        """How many sources the map names, in all sections."""
        return sum(len(section.sources) for section in self.sections)

    def entries(self) -> Iterator[Entry]:
        """Every non-null sourcesContent entry, in order."""
        for number, section in enumerate(self.sections):
            for index, span in enumerate(section.contents):
                if span is not None:
                    yield Entry(number, index, source_name(section.root, section.sources, index), *span)

    def skeleton(self) -> list[tuple[int, int]]:
        """Byte ranges outside sourcesContent entries and mappings: still to be matched as text."""
        ranges, pos = [], 0
        for start, end in sorted(self.skip):
            if start > pos:
                ranges.append((pos, start))
            pos = max(pos, end)
        if pos < self.size:
            ranges.append((pos, self.size))
        return ranges


class MapLimit(MapError):
    """A map with more strings than ``MAX_STRINGS``: not analysed as a map (a limit, not damage)."""


# Strings a map may hold to be analysed as one (each costs a few dozen bytes while it is parsed):
# claude-code 2.1.88's 60 MB map holds about 9,500; large webpack maps' names arrays a few hundred
# thousand. A map of millions of tiny strings is built to exhaust memory.
MAX_STRINGS = 2_000_000


class _Str(int):
    """A string value, as its index among the map's strings: ``json.loads`` reads the ``NaN`` that
    stands in its place through ``parse_constant``, so it costs a small int, not a string."""

    __slots__ = ()


def parse(data: bytes) -> SourceMap | None:
    """The map in ``data``, or None when the JSON is well-formed but not a version-3 source map.
    Raises ``MapError`` when the bytes start as a JSON object but are not one (truncated, damaged),
    ``MapLimit`` when they hold more than ``MAX_STRINGS`` strings."""
    start = _body(data)
    quotes = _quotes(data, start)
    if len(quotes) > 2 * MAX_STRINGS:
        raise MapLimit(f"more than {MAX_STRINGS:,} strings")
    # Every string that is not an object key becomes NaN, read back as its index (_Str): the text
    # json.loads sees holds the map's structure only. JSON has no NaN, so none can be forged.
    skeleton = io.BytesIO()
    spans = array.array("q")
    prev = start
    for i in range(0, len(quotes), 2):
        begin, end = quotes[i], quotes[i + 1] + 1
        if _COLON.match(data, end) is not None:
            continue  # an object key: kept as it is written
        skeleton.write(_structure(data, prev, begin))
        skeleton.write(b"NaN")
        spans.extend((begin, end))
        prev = end
    skeleton.write(_structure(data, prev, len(data)))
    counter = itertools.count()
    try:
        doc = json.loads(skeleton.getvalue().decode("latin-1"), strict=False,
                         parse_constant=lambda _: _Str(next(counter)))
    except (ValueError, RecursionError) as exc:
        raise MapError(f"not valid JSON: {_first_line(exc)}") from None
    if not isinstance(doc, dict):
        raise MapError("not a JSON object")
    reader = _Reader(data, spans)
    sections: list[Section] = []
    skip: list[tuple[int, int]] = []
    if not reader.section(doc, sections, skip, 0):
        return None
    return SourceMap(tuple(sections), tuple(skip), len(data))


def _structure(data: bytes, start: int, end: int) -> bytes:
    """The map's bytes between two strings: JSON's structure, where no constant of Python's own
    (NaN, Infinity) may appear."""
    piece = data[start:end]
    if b"NaN" in piece or b"Infinity" in piece:
        raise MapError(f"not valid JSON: a constant JSON does not have, near offset {start}")
    return piece


def _body(data: bytes) -> int:
    """Where the JSON object starts: after a UTF-8 BOM, an XSSI guard line and whitespace."""
    pos = 3 if data.startswith(_BOM) else 0
    if data.startswith(_XSSI, pos):
        newline = data.find(b"\n", pos)
        pos = len(data) if newline == -1 else newline + 1
    while pos < len(data) and data[pos] in _WS:
        pos += 1
    if data[pos : pos + 1] != b"{":
        raise MapError("not a JSON object")
    return pos


def _quotes(data: bytes, start: int) -> array.array[int]:
    """The offset of every quote that opens or closes a JSON string from ``start``, in pairs."""
    quotes = array.array("q")
    pos, size = start, len(data)
    while pos < size:
        end = min(size, pos + CHUNK)
        while end < size and data[end - 1] == 0x5C:  # never cut a run of backslashes
            end += 1
        chunk = data[pos:end]
        if b"\\" in chunk:
            chunk = chunk.replace(b"\\\\", b"XX").replace(b'\\"', b"XX")
        quotes.extend(match.start() + pos for match in _QUOTE.finditer(chunk))
        if len(quotes) > 2 * MAX_STRINGS + 1:
            break  # the caller refuses it: no need to read on
        pos = end
    if len(quotes) % 2 and len(quotes) <= 2 * MAX_STRINGS:
        raise MapError(f"a string starting at offset {quotes[-1]} never ends (truncated?)")
    return quotes


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]


class _Reader:
    """Reads the fields of ``json.loads``' skeleton, turning string indexes back into strings."""

    def __init__(self, data: bytes, spans: array.array[int]) -> None:
        self.data = data
        self.spans = spans

    def span(self, value: object) -> tuple[int, int] | None:
        """The byte span of a string value, or None when ``value`` is no string."""
        if isinstance(value, _Str):
            return self.spans[2 * value], self.spans[2 * value + 1]
        return None

    def text(self, value: object) -> str | None:
        """A string value decoded the way entries are (latin-1 view, escapes decoded)."""
        span = self.span(value)
        return None if span is None else _literal_text(self.data[span[0] : span[1]])

    def section(self, doc: dict[str, Any], out: list[Section], skip: list[tuple[int, int]], depth: int) -> bool:
        """Append ``doc`` (and its sections) to ``out``; False when the map itself is not a
        version-3 map. The maps of an index map's sections are read whatever they claim to be:
        what they embed ships all the same."""
        if depth > MAX_SECTION_DEPTH:
            raise MapError("index maps nested too deeply")
        mappings = self.span(doc.get("mappings"))
        raw_sections = doc.get("sections")
        subs = raw_sections if isinstance(raw_sections, list) else []
        if depth == 0 and (not _is_three(doc.get("version"), self) or (mappings is None and not subs)):
            return False
        # ECMA-426: entries of sources and sourcesContent may be null; anything else unexpected
        # counts as null too.
        raw_sources = doc.get("sources")
        sources = tuple(self.text(s) for s in raw_sources) if isinstance(raw_sources, list) else ()
        raw_contents = doc.get("sourcesContent")
        contents = tuple(self.span(c) for c in raw_contents) if isinstance(raw_contents, list) else ()
        ignore = frozenset(i for key in ("ignoreList", "x_google_ignoreList") if isinstance(doc.get(key), list)
                           for i in doc[key] if type(i) is int)  # not a string's index, not a bool
        out.append(Section(self.text(doc.get("sourceRoot")) or "", sources, contents, ignore, mappings is not None))
        skip.extend(span for span in (*contents, mappings) if span is not None)
        for item in subs:
            sub = item.get("map") if isinstance(item, dict) else None
            if isinstance(sub, dict):
                self.section(sub, out, skip, depth + 1)
        return True


def _is_three(value: object, reader: _Reader) -> bool:
    """``version`` 3: the number (3, 3.0, 3e0: what ``JSON.parse`` then a check accept) or the
    string "3", which tools accept too."""
    if isinstance(value, _Str):
        return reader.text(value) == "3"
    return type(value) in (int, float) and value == 3


def _literal_text(literal: bytes) -> str:
    text = literal.decode("latin-1")
    try:
        value, _ = scanstring(text, 1, True)
    except ValueError:  # raw control characters: JSON.parse refuses them, the text still ships
        value, _ = scanstring(text, 1, False)
    return str(value)


def _utf8_for_wide(error: UnicodeError) -> tuple[bytes, int]:
    # Characters above U+00FF can only come from \uXXXX escapes: encode those as UTF-8.
    assert isinstance(error, UnicodeEncodeError)
    return error.object[error.start : error.end].encode("utf-8", "surrogatepass"), error.end


codecs.register_error("leakguard-latin1-utf8", _utf8_for_wide)


def decode_entry(literal: bytes) -> bytes:
    """One sourcesContent string, given as its raw JSON literal (quotes included), as the bytes of
    the file it was: raw bytes unchanged, escapes decoded (``\\u`` escapes above U+00FF as UTF-8)."""
    return _literal_text(literal).encode("latin-1", "leakguard-latin1-utf8")


def source_name(root: str, sources: tuple[str | None, ...], index: int) -> str:
    """What sourcesContent entry ``index`` is called: sourceRoot + its source, or ``<source N>``."""
    if root and not root.endswith("/"):
        root += "/"
    source = sources[index] if index < len(sources) else None
    return root + source if source is not None else f"<source {index}>"


# -- recognising a map --------------------------------------------------------------------------

# Markers (see ``match.Prescan``): the automaton that runs over every member anyway reports where
# these occur, case-folded; the readers check the exact bytes there.
VERSION_MARKER = b'"version"'
LINK_MARKER = b"sourcemappingurl="


def starts_as_object(data: bytes) -> bool:
    """Does ``data`` start as a JSON object, after what a browser strips (BOM, XSSI guard, space)?
    Its first member must start as JSON's do: a linker version script (``vers.map``: ``{ global:``)
    is not one, and is scanned as text."""
    head = data[:4096] if len(data) > 4096 else data
    try:
        pos = _body(head) + 1
    except MapError:
        return False
    while pos < len(head) and head[pos] in _WS:
        pos += 1
    return pos == len(head) or head[pos] in b'"}'



def named_map(blob: Blob) -> bool:
    """A whole ``.map`` member that starts as a JSON object: a source map, whatever its keys."""
    return blob.origin.inner.endswith(".map") and _candidate(blob)


def _candidate(blob: Blob) -> bool:
    return not blob.derived and blob.whole and starts_as_object(blob.data)


def looks_like_map(blob: Blob, versions: list[int] | None = None) -> bool:
    """``.map`` members, and any JSON object with ``"version"`` 3 and ``"mappings"``/``"sections"``.
    ``versions``: where ``"version"`` occurs (case-folded), if known; else it is searched for."""
    if not _candidate(blob):
        return False
    if blob.origin.inner.endswith(".map"):
        return True
    # "version": 3 first: most JSON has no such key, or another value (botocore's "version":"2.0"),
    # and then the member is not searched again for "mappings" and "sections".
    data = blob.data
    after = 0  # an occurrence overlapping the previous one's closing quote is not one
    for pos in versions if versions is not None else places(data, VERSION_MARKER):
        if pos < after or not data.startswith(VERSION_MARKER, pos):
            continue
        after = pos + 9
        value = _VERSION_VALUE.match(data, pos + 9)
        if value is not None and _three_literal(value.group(1)):
            return b'"mappings"' in data or b'"sections"' in data
    return False


def _three_literal(number: bytes) -> bool:
    if number == b'"3"':
        return True
    try:
        return float(number) == 3
    except ValueError:
        return False
