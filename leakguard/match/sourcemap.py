"""Source Map v3 (ECMA-426, tc39.es/ecma426) analyzer.

Finds maps by content, not by link: the March 2026 leak shipped ``cli.js.map`` with no
``sourceMappingURL`` in ``cli.js``. A map is parsed without ``json.loads`` (17x slower and several
copies of a 60 MB map): the bytes are decoded as latin-1 (byte i -> character i, so offsets stay
exact) and the C string scanner of the ``json`` module decodes one ``sourcesContent`` entry at a
time. Each entry is then scanned as the file it was, so findings inside it are located at the
original file and line.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import json
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from urllib.parse import unquote

from leakguard.match.decode import outside, places
from leakguard.model import Blob, Category, Finding, Origin, Severity, human_size

_WS = re.compile(r"[ \t\n\r]*")
_VERSION_VALUE = re.compile(rb"[ \t\n\r]*:[ \t\n\r]*(-?[0-9][0-9.eE+-]*)")
_DECODER = json.JSONDecoder()


def _utf8_for_wide(error: UnicodeError) -> tuple[bytes, int]:
    # Characters above U+00FF can only come from \uXXXX escapes: encode those as UTF-8.
    assert isinstance(error, UnicodeEncodeError)
    return error.object[error.start : error.end].encode("utf-8", "surrogatepass"), error.end


codecs.register_error("leakguard-latin1-utf8", _utf8_for_wide)


class MapError(ValueError):
    """The bytes are not a well-formed source map."""


@dataclass(slots=True)
class _RawMap:
    """One (sub)map's fields, with sourcesContent kept as string start offsets until needed."""

    version: object = None
    source_root: str = ""
    sources: list[str | None] = field(default_factory=list)
    contents: list[int | None] = field(default_factory=list)
    ignore: set[int] = field(default_factory=set)
    has_mappings: bool = False
    sections: list[_RawMap] = field(default_factory=list)
    skip: list[tuple[int, int]] = field(default_factory=list)


def _ws(text: str, pos: int) -> int:
    match = _WS.match(text, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _expect(text: str, pos: int, char: str) -> int:
    pos = _ws(text, pos)
    if text[pos : pos + 1] != char:
        raise MapError(f"expected {char!r} at offset {pos}")
    return pos + 1


def _string(text: str, pos: int) -> tuple[str, int]:
    pos = _ws(text, pos)
    if text[pos : pos + 1] != '"':
        raise MapError(f"expected a string at offset {pos}")
    value, end = scanstring(text, pos + 1, True)
    return str(value), int(end)


def _plain_string_end(text: str, pos: int) -> int | None:
    """Just after the string at ``pos`` when it holds no escape (``mappings`` never does: base64
    digits, commas and semicolons), found without decoding it; None otherwise."""
    if text[pos : pos + 1] != '"':
        return None
    end = text.find('"', pos + 1)
    if end == -1 or text.find("\\", pos + 1, end) != -1:
        return None
    return end + 1


def _value(text: str, pos: int) -> tuple[object, int]:
    pos = _ws(text, pos)
    if text[pos : pos + 1] == '"':
        return _string(text, pos)
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError) as exc:
        raise MapError(f"bad JSON value at offset {pos}: {exc}") from None
    return value, end


@dataclass(frozen=True, slots=True)
class Known:
    """A top-level sourcesContent array already read with this parser's own grammar (by
    ``mapstream.Splitter``): its items start at ``items``, it ends before ``end``."""

    items: int
    end: int
    starts: tuple[int | None, ...]


def _parse_object(text: str, pos: int, depth: int = 0, known: Known | None = None) -> tuple[_RawMap, int]:
    if depth > 4:
        raise MapError("index maps nested too deeply")
    raw = _RawMap()
    pos = _expect(text, pos, "{")
    if text[_ws(text, pos) : _ws(text, pos) + 1] == "}":
        return raw, _ws(text, pos) + 1
    while True:
        key, pos = _string(text, pos)
        pos = _expect(text, pos, ":")
        start = _ws(text, pos)
        if key == "sourcesContent":
            if known is not None and depth == 0 and text[start : start + 1] == "[" and start + 1 == known.items:
                raw.contents.extend(known.starts)  # the same scanstring calls, already made
                pos = _expect(text, start + 1, "]")  # the text holds the array emptied: "[]"
            else:
                pos = _contents(text, pos, raw)
        elif key == "sections":
            pos = _sections(text, pos, raw, depth)
        elif key == "mappings" and (end := _plain_string_end(text, start)) is not None:
            raw.has_mappings, pos = True, end
        else:
            value, pos = _value(text, pos)
            _field(raw, key, value)
        if key in ("sourcesContent", "mappings"):
            raw.skip.append((start, pos))
        pos = _ws(text, pos)
        if text[pos : pos + 1] == ",":
            pos += 1
            continue
        return raw, _expect(text, pos, "}")


def _field(raw: _RawMap, key: str, value: object) -> None:
    # ECMA-426: consumers ignore unknown properties; entries of sources may be null.
    if key == "version":
        raw.version = value
    elif key == "sourceRoot" and isinstance(value, str):
        raw.source_root = value
    elif key == "sources":
        if not isinstance(value, list):
            raise MapError("sources is not an array")
        raw.sources = [v if isinstance(v, str) else None for v in value]
    elif key == "mappings":
        raw.has_mappings = isinstance(value, str)
    elif key in ("ignoreList", "x_google_ignoreList") and isinstance(value, list):
        raw.ignore.update(v for v in value if isinstance(v, int))


def _contents(text: str, pos: int, raw: _RawMap) -> int:
    """Record where each sourcesContent string starts; decoding waits until it is scanned."""
    pos = _expect(text, pos, "[")
    if text[_ws(text, pos) : _ws(text, pos) + 1] == "]":
        return _ws(text, pos) + 1
    while True:
        pos = _ws(text, pos)
        if text.startswith("null", pos):
            raw.contents.append(None)
            pos += 4
        else:
            raw.contents.append(pos)
            _, pos = _string(text, pos)
        pos = _ws(text, pos)
        if text[pos : pos + 1] == ",":
            pos += 1
            continue
        return _expect(text, pos, "]")


def _sections(text: str, pos: int, raw: _RawMap, depth: int) -> int:
    """Index maps: ``sections: [{offset, map}]``; recurse into each map and add them up."""
    pos = _expect(text, pos, "[")
    if text[_ws(text, pos) : _ws(text, pos) + 1] == "]":
        return _ws(text, pos) + 1
    while True:
        pos = _expect(text, pos, "{")
        while True:
            key, pos = _string(text, pos)
            pos = _expect(text, pos, ":")
            if key == "map":
                sub, pos = _parse_object(text, pos, depth + 1)
                raw.sections.append(sub)
            else:
                _, pos = _value(text, pos)
            pos = _ws(text, pos)
            if text[pos : pos + 1] == ",":
                pos += 1
                continue
            pos = _expect(text, pos, "}")
            break
        pos = _ws(text, pos)
        if text[pos : pos + 1] == ",":
            pos += 1
            continue
        return _expect(text, pos, "]")


# -- classification ---------------------------------------------------------------------------

_THIRD_PARTY = re.compile(
    r"(?:^|/)(?:node_modules|bower_components|jspm_packages|vendor|\.yarn|\.pnpm|\(webpack\)|~)/"
    r"|^(?:webpack|vite|rollup|esbuild|parcel)/|^(?:virtual:|\x00|external |node:|\(ignored\))"
    r"|^webpack/(?:bootstrap|runtime|universalModuleDefinition)"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*/")


def display_path(source: str) -> str:
    """A source as a person reads it: ``webpack://app/./src/x.js`` -> ``./src/x.js``."""
    return _SCHEME.sub("", source, count=1) if "://" in source else source


def is_third_party(source: str, index: int, ignore: set[int]) -> bool:
    """ignoreList first (most reliable), then path segments of package managers and bundlers."""
    if index in ignore:
        return True
    path = display_path(source)
    return _THIRD_PARTY.search(path.lstrip("./")) is not None or _THIRD_PARTY.search(path) is not None


def _top_dir(source: str) -> str:
    path = display_path(source)
    parts = path.split("/")
    lead = []
    for part in parts[:-1]:
        lead.append(part)
        if part not in ("..", ".", ""):
            break
    return "/".join(lead) + "/" if lead else "./"


# -- the parsed map ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Embedded:
    """One source with content: where it claims to come from and whether it is first-party."""

    source: str
    resolved: str
    first_party: bool
    size: int


@dataclass(frozen=True, slots=True)
class MapSummary:
    """What a map holds, for the verdict at the end of its artifact."""

    origin: Origin
    sources: int
    embedded: tuple[Embedded, ...]
    inline: bool = False

    @property
    def first_party(self) -> tuple[Embedded, ...]:
        """Embedded sources that are not third-party."""
        return tuple(e for e in self.embedded if e.first_party)


class ParsedMap:
    """A parsed map: ``contents()`` yields each embedded source as a derived blob, once."""

    def __init__(self, blob: Blob, text: str, raw: _RawMap, *, inline: bool = False, length: int | None = None
                 ) -> None:
        self.blob = blob
        self._text = text
        self._length = len(text) if length is None else length
        self._raw = raw
        self._inline = inline
        self._embedded: list[Embedded] = []
        self._map_dir = posixpath.dirname(blob.origin.inner) if not inline else ""
        self.sources = sum(len(m.sources) for m in _flatten(raw))

    @property
    def skeleton(self) -> list[tuple[int, int]]:
        """Byte ranges of the raw map outside sourcesContent and mappings, still to be scanned."""
        return outside(sorted(r for m in _flatten(self._raw) for r in m.skip), 0, self._length)

    def entries(self) -> tuple[list[int | None], list[str | None], str, bool]:
        """What a streamed split must agree on: sourcesContent string offsets (None for null),
        sources, sourceRoot, and whether it is an index map (never streamed)."""
        raw = self._raw
        return raw.contents, raw.sources, raw.source_root, bool(raw.sections)

    def summary_of(self) -> Callable[[dict[int, int]], MapSummary]:
        """The summary, given the entry sizes measured elsewhere (a plain map's entries scanned by
        workers). Everything else about the entries is worked out now, while the caller waits for
        the sizes; the function returned only adds them."""
        raw = self._raw
        known = []
        for index, start in enumerate(raw.contents):
            if start is not None:
                name = source_name(raw.source_root, raw.sources, index)
                known.append((index, name, *self._place(raw, index, name)))

        def summary(sizes: dict[int, int]) -> MapSummary:
            embedded = tuple(Embedded(name, path, first_party, sizes[index])
                             for index, name, path, first_party in known)
            return MapSummary(self.blob.origin, self.sources, embedded, self._inline)

        return summary

    def _place(self, raw: _RawMap, index: int, name: str) -> tuple[str, bool]:
        """Where entry ``index`` (named ``name``) resolves to, and whether it is first-party."""
        return resolve(self._map_dir, name), not is_third_party(name, index, raw.ignore)

    def _entry(self, raw: _RawMap, index: int, name: str, size: int) -> Embedded:
        return Embedded(name, *self._place(raw, index, name), size)

    def contents(self, part: int = 0, parts: int = 1) -> Iterator[Blob]:
        """Each non-null sourcesContent entry as a blob located at its original file. With
        ``parts``, only the entries of share ``part``: the entries are shared out by where they
        start in the map, so each share holds about the same number of bytes."""
        first, span = 0, 1
        if parts > 1:
            starts = [s for raw in _flatten(self._raw) for s in raw.contents if s is not None]
            first, span = (min(starts), max(starts) - min(starts) + 1) if starts else (0, 1)
        for raw in _flatten(self._raw):
            for index, start in enumerate(raw.contents):
                if start is None or (parts > 1 and (start - first) * parts // span != part):
                    continue
                name = source_name(raw.source_root, raw.sources, index)
                value, _ = scanstring(self._text, start + 1, True)
                data = str(value).encode("latin-1", "leakguard-latin1-utf8")
                self._embedded.append(self._entry(raw, index, name, len(data)))
                yield Blob(self.blob.origin.child(name), data, self.blob.depth, derived=True)
        self._text = ""

    def summary(self) -> MapSummary:
        """Call after ``contents()`` is exhausted."""
        return MapSummary(self.blob.origin, self.sources, tuple(self._embedded), self._inline)


def source_name(root: str, sources: list[str | None], index: int) -> str:
    """What sourcesContent entry ``index`` is called: sourceRoot + its source, or ``<source N>``."""
    if root and not root.endswith("/"):
        root += "/"
    source = sources[index] if index < len(sources) else None
    return root + source if source is not None else f"<source {index}>"


def decode_entry(literal: bytes) -> bytes:
    """One sourcesContent string, given as its raw JSON literal (quotes included), as the bytes of
    the file it was. Raises ``ValueError`` unless it is exactly one complete JSON string."""
    text = literal.decode("latin-1")
    if not text.startswith('"'):
        raise ValueError("not a JSON string")
    value, end = scanstring(text, 1, True)
    if end != len(text):
        raise ValueError(f"the string ends at {end} of {len(text)}")
    return str(value).encode("latin-1", "leakguard-latin1-utf8")


@dataclass(slots=True)
class Prefix:
    """The keys of a map before its sourcesContent array, and where the array's items begin."""

    raw: _RawMap
    items: int


class Unstreamable(ValueError):
    """An index map: its entries are not one top-level array."""


def parse_prefix(text: str) -> Prefix | None:
    """Parse a map's first keys up to ``"sourcesContent": [`` (for streaming). None while the text
    is too short to tell; ``Unstreamable`` for an index map."""
    raw = _RawMap()
    try:
        pos = _expect(text, 0, "{")
        while True:
            key, pos = _string(text, pos)
            pos = _expect(text, pos, ":")
            if key == "sourcesContent":
                return Prefix(raw, _expect(text, pos, "["))
            if key == "sections":
                raise Unstreamable("index map")
            value, pos = _value(text, pos)
            _field(raw, key, value)
            pos = _expect(text, pos, ",")
    except Unstreamable:
        raise
    except (MapError, ValueError, RecursionError, IndexError):
        return None


def _flatten(raw: _RawMap) -> list[_RawMap]:
    out = [raw]
    for section in raw.sections:
        out.extend(_flatten(section))
    return out


def resolve(map_dir: str, source: str) -> str:
    """Where a source would sit in the package, relative to the archive root."""
    path = display_path(source)
    if path.startswith("/"):
        return posixpath.normpath(path).lstrip("/")
    return posixpath.normpath(posixpath.join(map_dir, path))


# Markers (see ``match.Prescan``): the automaton that runs over every member anyway reports where
# these occur, case-folded; the readers below check the exact bytes there.
VERSION_MARKER = b'"version"'
LINK_MARKER = b"sourcemappingurl="


def named_map(blob: Blob) -> bool:
    """A ``.map`` member that starts as a JSON object: a source map, whatever its keys."""
    return blob.origin.inner.endswith(".map") and _json_object(blob)


def _json_object(blob: Blob) -> bool:
    return not blob.derived and blob.whole and blob.data[:64].lstrip().startswith(b"{")


def looks_like_map(blob: Blob, versions: list[int] | None = None) -> bool:
    """``.map`` members, and any JSON object with ``"version"`` and ``"mappings"``/``"sections"``.
    ``versions``: where ``"version"`` occurs (case-folded), if known; else it is searched for."""
    if not _json_object(blob):
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
        if value is not None and _is_three(value.group(1)):
            return b'"mappings"' in data or b'"sections"' in data
    return False


def _is_three(number: bytes) -> bool:
    try:
        return float(number) == 3  # what json.loads then the version check accept: 3, 3.0, 3e0
    except ValueError:
        return False


def parse(blob: Blob, *, inline: bool = False, text: str | None = None, known: Known | None = None
          ) -> ParsedMap | None:
    """A ParsedMap, or None when the bytes are not a version-3 source map. ``text`` is the map
    already decoded as latin-1 (then ``blob.data`` is not read); ``known``, its sourcesContent
    array as a streamed split read it (the array is then not read again)."""
    if known is not None:
        return _parse_known(blob, known, inline=inline)
    if text is None:
        text = blob.data.decode("latin-1")
    try:
        raw, _ = _parse_object(text, 0)
    except (MapError, RecursionError, IndexError):
        return None
    if raw.version != 3 or not (raw.has_mappings or raw.sections):
        return None
    return ParsedMap(blob, text, raw, inline=inline)


def _parse_known(blob: Blob, known: Known, *, inline: bool) -> ParsedMap | None:
    """Parse the map with its sourcesContent array emptied: the rest is read as usual, the array's
    entries are the known ones, and positions after the array are moved back where they were.
    The decoded text is a fifth of the map; its entries are never decoded (``contents`` yields
    nothing: the caller has scanned them)."""
    data = blob.data
    if data[known.items - 1 : known.items] != b"[" or data[known.end - 1 : known.end] != b"]":
        return None
    with memoryview(data) as view:  # one copy of the two parts before decoding, not three
        text = b"".join((view[: known.items], view[known.end - 1 :])).decode("latin-1")
    try:
        raw, _ = _parse_object(text, 0, known=known)
    except (MapError, RecursionError, IndexError):
        return None
    if raw.version != 3 or not raw.has_mappings or raw.sections or raw.contents != list(known.starts):
        return None
    shift = known.end - 1 - known.items
    raw.skip = [(lo if lo <= known.items else lo + shift, hi if hi <= known.items else hi + shift)
                for lo, hi in raw.skip]
    return ParsedMap(blob, "", raw, inline=inline, length=len(data))


# -- links ------------------------------------------------------------------------------------

# JS: //# sourceMappingURL=... (//@ is legacy but valid); CSS: /*# sourceMappingURL=... */
_LINK_LEAD = re.compile(rb"(?://|/\*)[#@][ \t]?\Z")
_LINK_URL = re.compile(rb"sourceMappingURL=([^\s'\"*]*)")
_DATA_URI = re.compile(rb"data:application/json(?:;charset=[\w-]+)?;base64,(.*)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Link:
    """A ``sourceMappingURL`` comment: its target relative to the archive root, or inline bytes."""

    origin: Origin
    target: str
    inline: bytes | None = None


def links(blob: Blob, at: list[int] | None = None) -> list[Link]:
    """Every sourceMappingURL comment in a blob, found with ``bytes.find`` (no regex over the
    blob); ``at``: where ``sourcemappingurl=`` occurs (case-folded), if known."""
    data = blob.data
    found: list[Link] = []
    for pos in at if at is not None else places(data, b"sourceMappingURL="):
        if not data.startswith(b"sourceMappingURL=", pos):
            continue
        url_match = _LINK_URL.match(data, pos)
        if url_match is not None and _LINK_LEAD.search(data[max(0, pos - 4) : pos]):
            url = url_match.group(1)
            inline = _DATA_URI.match(url)
            if inline is not None:
                body = inline.group(1)
                with contextlib.suppress(binascii.Error, ValueError):
                    found.append(Link(blob.origin, "<inline>", base64.b64decode(body + b"=" * (-len(body) % 4))))
            elif url and not url.startswith((b"http:", b"https:", b"data:")):
                target = unquote(url.decode("utf-8", "replace")).split("?")[0].split("#")[0]
                found.append(Link(blob.origin, resolve(posixpath.dirname(blob.origin.inner), target)))
    return found


class Shipped:
    """Member paths of an artifact, answering "is this source shipped as a file?"."""

    def __init__(self, paths: frozenset[str]) -> None:
        self.paths = paths
        self._tails: set[str] | None = None

    def __contains__(self, resolved: str) -> bool:
        if resolved in self.paths:
            return True
        # Bundler paths rarely match the package layout exactly: accept a member ending in the path.
        tail = resolved
        while tail.startswith(("../", "./")):
            tail = tail[3:] if tail.startswith("../") else tail[2:]
        if not tail:
            return False
        if self._tails is None:
            self._tails = set()
            for path in self.paths:
                parts = path.split("/")
                self._tails.update("/".join(parts[i:]) for i in range(len(parts)))
        return tail in self._tails


# -- verdict per map --------------------------------------------------------------------------


def judge(summary: MapSummary, shipped: Shipped, *, proprietary: bool, public_sources: bool) -> Finding:
    """One finding per map. Severity (documented in README):

    - first-party sources embedded and not shipped as files: critical when the licence is
      proprietary or missing, high otherwise; low with ``public-sources = true``;
    - embedded first-party sources that also ship as files, third-party only, no content: low.
    """
    origin = summary.origin
    name = origin.inner if not summary.inline else f"the inline map in {origin.chain[-2]}"
    first = summary.first_party
    hidden = [e for e in first if e.resolved not in shipped]
    # No key: the fingerprint is rule + artifact (without version) + map path, so a baseline entry
    # survives the map gaining or losing a file between releases.
    if hidden:
        size = sum(e.size for e in hidden)
        dirs = Counter(_top_dir(e.source) for e in hidden).most_common(3)
        where = ", ".join(d for d, _ in dirs)
        message = (
            f"{name} embeds {len(hidden):,} first-party source files ({human_size(size)}) from {where} "
            f"that are not shipped in the package"
        )
        if public_sources:
            return Finding("source-map.embedded-sources", Category.SOURCE_MAP, Severity.LOW, origin,
                           message + " (public-sources = true)")
        severity = Severity.CRITICAL if proprietary else Severity.HIGH
        if proprietary:
            message += "; the package licence is proprietary or missing"
        return Finding("source-map.embedded-sources", Category.SOURCE_MAP, severity, origin, message)
    if first:
        size = sum(e.size for e in first)
        return Finding("source-map.shipped-sources", Category.SOURCE_MAP, Severity.LOW, origin,
                       f"{name} embeds {len(first):,} first-party source files ({human_size(size)}) "
                       f"that also ship as files")
    if summary.embedded:
        return Finding("source-map.third-party-sources", Category.SOURCE_MAP, Severity.LOW, origin,
                       f"{name} embeds {len(summary.embedded):,} third-party source files only")
    return Finding("source-map.no-content", Category.SOURCE_MAP, Severity.LOW, origin,
                   f"{name} is a source map of {summary.sources:,} sources without sourcesContent")


def dangling(link: Link, shipped: Shipped) -> Finding | None:
    """A sourceMappingURL to a map that is not shipped: info (a quality bug, not a leak)."""
    if link.inline is not None or link.target in shipped.paths:
        return None
    return Finding("source-map.dangling-url", Category.SOURCE_MAP, Severity.INFO, link.origin,
                   f"sourceMappingURL points at {link.target}, which is not in the package", key=link.target)
