"""Source maps as facts: which sources are first-party, where they resolve in the package, whether
the package ships them as files, the ``sourceMappingURL`` links, and one finding per map.

The finding carries the facts (rule id by what the map holds, counts, sizes, where from); how
severe it is (the package's licence, ``public-sources``) is the policy's decision
(``leakguard.policy.evidence``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote

from leakguard.facts import Embedded, Link, MapSummary, Measure
from leakguard.match.decode import places
from leakguard.match.sourcemap import SourceMap
from leakguard.model import Blob, Category, Finding, Origin, Severity, human_size

_THIRD_PARTY = re.compile(
    r"(?:^|/)(?:node_modules|bower_components|jspm_packages|vendor|\.yarn|\.pnpm|\(webpack\)|~)/"
    r"|^(?:webpack|vite|rollup|esbuild|parcel)/|^(?:virtual:|\x00|external |node:|\(ignored\))"
    r"|^webpack/(?:bootstrap|runtime|universalModuleDefinition)"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*/")


def display_path(source: str) -> str:
    """A source as a person reads it: ``webpack://app/./src/x.js`` -> ``./src/x.js``."""
    return _SCHEME.sub("", source, count=1) if "://" in source else source


def is_third_party(source: str, index: int, ignore: frozenset[int]) -> bool:
    """ignoreList first (most reliable), then path segments of package managers and bundlers."""
    if index in ignore:
        return True
    path = display_path(source)
    return _THIRD_PARTY.search(path.lstrip("./")) is not None or _THIRD_PARTY.search(path) is not None


def resolve(map_dir: str, source: str) -> str:
    """Where a source would sit in the package, relative to the archive root."""
    path = display_path(source)
    if path.startswith("/"):
        return posixpath.normpath(path).lstrip("/")
    return posixpath.normpath(posixpath.join(map_dir, path))


def _top_dir(source: str) -> str:
    parts = display_path(source).split("/")
    lead = []
    for part in parts[:-1]:
        lead.append(part)
        if part not in ("..", ".", ""):
            break
    return "/".join(lead) + "/" if lead else "./"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a map's entry resolves to, and whether it is first-party."""

    resolved: str
    first_party: bool


def places_of(parsed: SourceMap, origin: Origin, *, inline: bool) -> dict[tuple[int, int], Place]:
    """Each entry's place, keyed by (section, index)."""
    map_dir = "" if inline else posixpath.dirname(origin.inner)
    return {(e.section, e.index): Place(resolve(map_dir, e.name),
                                        not is_third_party(e.name, e.index, parsed.sections[e.section].ignore))
            for e in parsed.entries()}


def summarize(parsed: SourceMap, origin: Origin, sizes: dict[tuple[int, int], Measure], *, inline: bool = False
              ) -> MapSummary:
    """The map's summary, given each entry's decoded size and digest (keyed by (section, index))."""
    where = places_of(parsed, origin, inline=inline)
    embedded = tuple(Embedded(e.name, where[(e.section, e.index)].resolved, where[(e.section, e.index)].first_party,
                              *sizes[(e.section, e.index)]) for e in parsed.entries())
    return MapSummary(origin, parsed.sources, embedded, inline)


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


# Severity of a map finding before policy: ``policy.evidence`` decides embedded sources by licence.
EMBEDDED = "source-map.embedded-sources"


def map_finding(summary: MapSummary, shipped: Shipped, digests: frozenset[str] = frozenset()) -> Finding:
    """One finding per map: what it embeds, and whether the package ships those sources as files
    (the same content, by sha256, under any path: bundlers rename and move what they read).

    - ``source-map.embedded-sources``: first-party sources embedded and not shipped as files;
    - ``source-map.shipped-sources``: embedded first-party sources that all ship as files too;
    - ``source-map.third-party-sources``: third-party sources only; ``source-map.no-content``: none.

    The evidence holds the numbers the policy weighs and aggregates: files, bytes, from where.
    """
    origin = summary.origin
    name = origin.inner if not summary.inline else f"the inline map in {origin.chain[-2]}"
    first = summary.first_party
    hidden = [e for e in first if e.digest not in digests]
    # No key: the fingerprint is rule + package + map path, so a baseline entry survives the map
    # gaining or losing a file between releases.
    if hidden:
        size = sum(e.size for e in hidden)
        where = ", ".join(d for d, _ in Counter(_top_dir(e.source) for e in hidden).most_common(3))
        return Finding(EMBEDDED, Category.SOURCE_MAP, Severity.HIGH, origin,
                       f"{name} embeds {len(hidden):,} first-party source files ({human_size(size)}) from {where} "
                       f"that are not shipped in the package",
                       evidence=(("files", str(len(hidden))), ("bytes", str(size)), ("from", where)))
    if first:
        size = sum(e.size for e in first)
        return Finding("source-map.shipped-sources", Category.SOURCE_MAP, Severity.LOW, origin,
                       f"{name} embeds {len(first):,} first-party source files ({human_size(size)}) "
                       f"that also ship as files", evidence=(("files", str(len(first))), ("bytes", str(size))))
    if summary.embedded:
        size = sum(e.size for e in summary.embedded)
        return Finding("source-map.third-party-sources", Category.SOURCE_MAP, Severity.LOW, origin,
                       f"{name} embeds {len(summary.embedded):,} third-party source files only",
                       evidence=(("files", str(len(summary.embedded))), ("bytes", str(size))))
    return Finding("source-map.no-content", Category.SOURCE_MAP, Severity.LOW, origin,
                   f"{name} is a source map of {summary.sources:,} sources without sourcesContent",
                   evidence=(("files", "0"), ("bytes", "0")))


# -- links --------------------------------------------------------------------------------------

# JS: //# sourceMappingURL=... (//@ is legacy but valid); CSS: /*# sourceMappingURL=... */
_LINK_LEAD = re.compile(rb"(?://|/\*)[#@][ \t]?\Z")
_LINK_URL = re.compile(rb"sourceMappingURL=([^\s'\"*]*)")
_DATA_URI = re.compile(rb"data:application/json(?:;charset=[\w-]+)?;base64,(.*)", re.IGNORECASE | re.DOTALL)


def links(blob: Blob, at: list[int] | None = None) -> tuple[list[Link], list[bytes]]:
    """Every ``sourceMappingURL`` comment in a blob, found with ``bytes.find`` (no regex over the
    blob): links to files, and the bytes of inline (``data:``) maps. ``at``: where
    ``sourcemappingurl=`` occurs (case-folded), if known."""
    data = blob.data
    found: list[Link] = []
    inline: list[bytes] = []
    for pos in at if at is not None else places(data, b"sourceMappingURL="):
        if not data.startswith(b"sourceMappingURL=", pos):
            continue
        url_match = _LINK_URL.match(data, pos)
        if url_match is None or not _LINK_LEAD.search(data[max(0, pos - 4) : pos]):
            continue
        url = url_match.group(1)
        data_uri = _DATA_URI.match(url)
        if data_uri is not None:
            body = data_uri.group(1)
            with contextlib.suppress(binascii.Error, ValueError):
                inline.append(base64.b64decode(body + b"=" * (-len(body) % 4)))
        elif url and not url.startswith((b"http:", b"https:", b"data:")):
            target = unquote(url.decode("utf-8", "replace")).split("?")[0].split("#")[0]
            found.append(Link(blob.origin, resolve(posixpath.dirname(blob.origin.inner), target)))
    return found, inline


def dangling(link: Link, shipped: Shipped) -> Finding | None:
    """A sourceMappingURL to a map that is not shipped: info (a quality bug, not a leak)."""
    if link.target in shipped.paths:
        return None
    return Finding("source-map.dangling-url", Category.SOURCE_MAP, Severity.INFO, link.origin,
                   f"sourceMappingURL points at {link.target}, which is not in the package", key=link.target)
