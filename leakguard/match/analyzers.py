"""The analyzers, in the order they run over each blob: an explicit registry.

Each takes the detector, a blob and what the blob's analyzers share (``content.Prepared``), and
returns a ``Step``: the facts it found, and whether the blob is done (a source map is read as a map
-- its entries as the files they were, its skeleton as text -- so the content and link analyzers do
not read it again). ``analyze`` runs them; analyzers never mutate anything they are given.

A new analyzer is one function here and one line in ``ANALYZERS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from leakguard.facts import NONE, Facts, Measure
from leakguard.match import content, inline, maps, sourcemap
from leakguard.match.detector import Detector
from leakguard.match.files import npm_manifest
from leakguard.match.sourcemap import MapError, MapLimit, SourceMap
from leakguard.model import Blob, Category, Finding, Origin, Problem, Severity


@dataclass(frozen=True, slots=True)
class Step:
    """One analyzer's result for one blob."""

    facts: Facts = NONE
    done: bool = False  # the blob is fully analyzed: later analyzers skip it


Analyzer = Callable[[Detector, Blob, content.Prepared], Step]

MANIFESTS = (("package/package.json",), ("package.json",))


def member_files(detector: Detector, blob: Blob, prepared: content.Prepared) -> Step:
    """File rules that read a member's content (``.env`` values, key files...), and the npm
    manifest; once per member (not for derived text or later pieces of a large member)."""
    if blob.derived or blob.offset != 0:
        return Step()
    manifest = npm_manifest(blob.data) if blob.origin.chain[1:] in MANIFESTS else None
    digests = (hashlib.sha256(blob.data).hexdigest(),) if _may_be_source(blob) else ()
    return Step(Facts(findings=tuple(detector.files.member(blob.origin, blob.data)), manifest=manifest,
                      digests=digests))


# A member larger than this is no source file a map embeds (maps' largest entries are bundles of a
# few MB); it is not hashed.
SOURCE_BYTES = 16 * 1024 * 1024


def _may_be_source(blob: Blob) -> bool:
    """A top-level text member, whose content a map may embed: hashed to tell embedded sources the
    package ships anyway (by content, under any path) from hidden ones."""
    return (len(blob.origin.chain) == 2 and blob.whole and len(blob.data) <= SOURCE_BYTES
            and b"\x00" not in blob.data[:8192])


def source_map(detector: Detector, blob: Blob, prepared: content.Prepared) -> Step:
    """A source map: each sourcesContent entry scanned as the file it was, the rest as text, and a
    summary for the artifact's end. A JSON object that only looked like a map goes on as text; a
    damaged map is a problem (and is still read as text)."""
    if not (sourcemap.named_map(blob) or sourcemap.looks_like_map(blob, prepared.marks(sourcemap.VERSION_MARKER))):
        return Step()
    try:
        parsed = sourcemap.parse(blob.data)
    except MapLimit as exc:  # read as text, and blocks: what was not analysed is never a pass
        limit = Finding("walk.limit", Category.POLICY, Severity.CRITICAL, blob.origin,
                        f"source map with {exc}: scanned as text for credentials but not analysed as a source "
                        "map; a map like this should not ship", key="walk.limit")
        return Step(Facts(findings=(limit,)))
    except MapError as exc:
        problem = Problem(blob.origin, "corrupt", f"source map cannot be read: {exc}")
        return Step(Facts(problems=(problem,)))
    if parsed is None:
        return Step()
    return Step(whole_map(detector, blob, parsed), done=True)


def whole_map(detector: Detector, blob: Blob, parsed: SourceMap, *, inline_map: bool = False) -> Facts:
    """Every entry, the skeleton and the summary of a map held by one process."""
    found, sizes = entries(detector, blob.origin, blob.depth,
                           ((e.section, e.index, e.name, blob.data[e.start : e.end]) for e in parsed.entries()))
    summary = maps.summarize(parsed, blob.origin, sizes, inline=inline_map)
    return found + skeleton(detector, blob, parsed) + Facts(maps=(summary,))


Literal = tuple[int, int, str, bytes]  # (section, index, name, the entry's JSON string literal)


def entries(detector: Detector, origin: Origin, depth: int, literals: Iterable[Literal]
            ) -> tuple[Facts, dict[tuple[int, int], Measure]]:
    """sourcesContent entries, each decoded and analyzed as the file it was (located at its original
    path); with the decoded size and digest of each, for the map's summary."""
    items = list(literals)
    named = content.named(detector, [name for _, _, name, _ in items])
    found: list[Facts] = []
    sizes: dict[tuple[int, int], Measure] = {}
    for section, index, name, literal in items:
        data = sourcemap.decode_entry(literal)
        sizes[(section, index)] = (len(data), hashlib.sha256(data).hexdigest())
        found.append(content.text(detector, Blob(origin.child(name), data, depth, derived=True), path=name in named))
    return Facts.join(found), sizes


def skeleton(detector: Detector, blob: Blob, parsed: SourceMap) -> Facts:
    """The map outside its entries and mappings (sources, names, unknown keys), matched as text."""
    found = detector.matcher.scan(blob, parsed.skeleton())
    return Facts(findings=tuple(inline.annotate(f, blob.data) for f in found))


def text(detector: Detector, blob: Blob, prepared: content.Prepared) -> Step:
    """Every content rule over the blob's text views and decoded payloads."""
    return Step(content.text(detector, blob, prepared))


def links(detector: Detector, blob: Blob, prepared: content.Prepared) -> Step:
    """``sourceMappingURL`` comments: links to map files (judged at the artifact's end) and inline
    ``data:`` maps, read here as maps."""
    found, inlined = maps.links(blob, prepared.marks(sourcemap.LINK_MARKER))
    out = Facts(links=tuple(found))
    for data in inlined:
        inner = Blob(blob.origin.child("<inline source map>"), data, blob.depth)
        try:
            parsed = sourcemap.parse(data)
        except MapError:
            parsed = None  # its decoded text was matched already, as a payload of the blob
        if parsed is not None:
            out += whole_map(detector, inner, parsed, inline_map=True)
    return Step(out)


ANALYZERS: dict[str, Analyzer] = {
    "files": member_files,
    "source-map": source_map,
    "content": text,
    "links": links,
}


def analyze(detector: Detector, blob: Blob) -> Facts:
    """Every analyzer over one blob, in registry order."""
    prepared = content.Prepared(detector, blob)
    out = NONE
    for analyzer in ANALYZERS.values():
        step = analyzer(detector, blob, prepared)
        out += step.facts
        if step.done:
            break
    return out
