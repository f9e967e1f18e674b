"""What analyzers report besides findings, as frozen values: the facts an artifact's fold and the
policy need once the whole artifact has been seen (its maps, its links, its npm manifest).

Imports ``leakguard.model`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from leakguard.model import ArtifactEnd, Finding, Origin, Problem, Source, Stats, Unscanned

Measure = tuple[int, str]  # a decoded entry's size in bytes, and its sha256


@dataclass(frozen=True, slots=True)
class Embedded:
    """One source with content in a map: where it claims to come from, whether it is first-party,
    and its size once decoded."""

    source: str
    resolved: str
    first_party: bool
    size: int
    digest: str = ""  # sha256 of the decoded content: whether the package ships it as a file


@dataclass(frozen=True, slots=True)
class MapSummary:
    """What a map holds, judged at the end of its artifact (against the files it ships)."""

    origin: Origin
    sources: int
    embedded: tuple[Embedded, ...]
    inline: bool = False

    @property
    def first_party(self) -> tuple[Embedded, ...]:
        """Embedded sources that are not third-party."""
        return tuple(e for e in self.embedded if e.first_party)


@dataclass(frozen=True, slots=True)
class Link:
    """A ``sourceMappingURL`` comment that points at a file: its target relative to the archive root."""

    origin: Origin
    target: str


@dataclass(frozen=True, slots=True)
class PathName:
    """A codename in a member path: reported once per artifact and ``key`` (rule and directory)."""

    key: tuple[str, str]
    finding: Finding


@dataclass(frozen=True, slots=True)
class Facts:
    """What the analyzers found in one blob (or one task of blobs), in walk order."""

    findings: tuple[Finding, ...] = ()
    maps: tuple[MapSummary, ...] = ()
    links: tuple[Link, ...] = ()
    names: tuple[PathName, ...] = ()
    problems: tuple[Problem, ...] = ()
    unscanned: tuple[Unscanned, ...] = ()
    # The npm manifest (package/package.json) as parsed JSON, when this blob was it.
    manifest: dict[str, Any] | None = None
    # The entries of a map analyzed in parts: (map origin, entry number, (decoded bytes, sha256)).
    sizes: tuple[tuple[Origin, int, Measure], ...] = ()
    # sha256 of the top-level members that could be sources: what "shipped as files" is judged by.
    digests: tuple[str, ...] = ()

    def __add__(self, other: Facts) -> Facts:
        return Facts.join((self, other))

    @staticmethod
    def join(parts: Iterable[Facts]) -> Facts:
        """All of ``parts``, in order (the last manifest wins), concatenated once."""
        items = [p for p in parts if p != NONE]
        if len(items) <= 1:
            return items[0] if items else NONE
        manifests = [p.manifest for p in items if p.manifest is not None]
        return Facts(
            tuple(f for p in items for f in p.findings), tuple(m for p in items for m in p.maps),
            tuple(x for p in items for x in p.links), tuple(n for p in items for n in p.names),
            tuple(x for p in items for x in p.problems), tuple(u for p in items for u in p.unscanned),
            manifests[-1] if manifests else None, tuple(s for p in items for s in p.sizes),
            tuple(d for p in items for d in p.digests))


NONE = Facts()


@dataclass(frozen=True, slots=True)
class ArtifactResult:
    """One artifact scanned: what it is and every fact found in it, before any policy decision
    (``leakguard.policy.decide`` makes those). Frozen and picklable: a distributed worker returns it."""

    source: Source
    end: ArtifactEnd  # the artifact as recognised, its member paths and (path, size, crc32) members
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]
    unscanned: tuple[Unscanned, ...]
    stats: Stats
    # Every member read (nested archives' members and map entries included) with its unpacked
    # size, as (origin chain, bytes): what the release holds, for pictures of it (the HTML report).
    layout: tuple[tuple[tuple[str, ...], int], ...] = ()
