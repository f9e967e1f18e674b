"""The content analyzer: every content rule (credentials, codenames, internal endpoints) through the
keyword matcher, over a blob's text views and decoded payloads; codenames in member paths, in words
named by their hash, and in the UTF-16 strings of binaries.

``Prepared`` is what a blob's analyzers share: its views, decoded payloads, the ranges outside its
inline source maps, and one automaton pass whose markers tell the source-map analyzer whether the
blob may be a map. It is computed once, when first asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from leakguard.facts import Facts, PathName
from leakguard.match import Prescan, decode, inline
from leakguard.match.detector import Detector
from leakguard.model import Blob, Finding, Secret


class Prepared:
    """What the analyzers of one blob share, computed on first use."""

    __slots__ = ("_done", "blob", "children", "detector", "prescan", "ranges", "views")

    def __init__(self, detector: Detector, blob: Blob) -> None:
        self.detector = detector
        self.blob = blob
        self._done = False
        self.views: tuple[Blob, ...] = ()
        self.children: tuple[Blob, ...] = ()
        self.ranges: list[tuple[int, int]] | None = None
        self.prescan: Prescan | None = None

    def ready(self) -> Prepared:
        """Views and decoded payloads; when the blob is its own only view, the automaton's pass over
        it (outside its inline maps, whose base64 is not matched as text: their decoded child is)."""
        if not self._done:
            blob = self.blob
            maps: list[tuple[int, int]] = []
            self.children = tuple(decode.embedded(blob, maps=maps))
            self.views = tuple(decode.views(blob))
            self.ranges = decode.outside(maps, 0, len(blob.data)) if maps else None
            alone = len(self.views) == 1 and self.views[0] is blob and blob.whole
            self.prescan = self.detector.matcher.prescan(blob.data, self.ranges) if alone else None
            self._done = True
        return self

    def marks(self, marker: bytes) -> list[int] | None:
        """Where ``marker`` occurs, when the automaton's pass knows; None otherwise."""
        prescan = self.ready().prescan
        return prescan.at(marker) if prescan is not None else None


def _annotated(findings: Iterable[Finding], view: Blob) -> Iterator[Finding]:
    for finding in findings:
        yield inline.annotate(finding, view.data, view.offset)


def text(detector: Detector, blob: Blob, prepared: Prepared | None = None, *, path: bool = True) -> Facts:
    """Content rules over the blob's views and decoded payloads; codenames in its path unless the
    caller knows the path holds none (``path=False``)."""
    det = detector
    prep = (prepared or Prepared(det, blob)).ready()
    findings: list[Finding] = []
    for view in prep.views:
        own = view is blob
        prescan = prep.prescan if own else det.matcher.prescan(view.data)
        findings.extend(_annotated(det.matcher.scan(view, prep.ranges if own else None, prescan), view))
        if det.hashed:
            findings.extend(hashed(det, view))
    for child in prep.children:
        findings.extend(_annotated(det.matcher.scan(child), child))
        if det.hashed:
            findings.extend(hashed(det, child))
    if decode.binary(blob):  # UTF-16LE strings of binaries (resources, .NET, .node): every content rule
        for wide, strings in decode.utf16_strings(blob):
            findings.extend(inline.annotate(f, wide.data, wide.offset) for f in det.matcher.scan(wide, strings)
                            if decode.within(f.span, strings))
    return Facts(findings=tuple(findings), names=tuple(path_names(det, blob)) if path else ())


def hashed(detector: Detector, blob: Blob) -> Iterator[Finding]:
    """Codenames configured by their sha256 (``codenames-sha256``), found as words of the blob."""
    found = frozenset(detector.hashed.find(blob.data))
    if found:
        yield from _annotated(detector.hashed_matcher(found).scan(blob), blob)


def path_names(detector: Detector, blob: Blob) -> Iterator[PathName]:
    """Codenames in member paths (``src/capybara/``), keyed by rule and directory."""
    if detector.names is None or blob.scan_from:
        return
    path = blob.origin.inner.encode("utf-8", "surrogateescape")
    for rule, _, end, secret in detector.names.matches(path):
        head = path[:end].decode("utf-8", "replace")
        stop = path.find(b"/", end)
        where = path[: stop + 1].decode("utf-8", "replace") if stop != -1 else blob.origin.inner
        key = (str(blob.origin.chain[:-1]) + rule.id, where)
        yield PathName(key, Finding(rule.id, rule.category, rule.severity, blob.origin,
                                    f"{rule.title} in a member path: {where}", secret=Secret(secret), key=head))


def named(detector: Detector, paths: list[str]) -> set[str]:
    """Which of ``paths`` may hold a codename: one automaton pass over all of them, instead of a
    matcher call per path (a 60 MB map has thousands of entries, few of them named so)."""
    if detector.names is None:
        return set()
    texts = [p.encode("utf-8", "surrogateescape") for p in paths]
    return {p for p, hit in zip(paths, detector.names.any_hits(texts), strict=True) if hit}
