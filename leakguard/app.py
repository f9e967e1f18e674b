"""The library entry point: ``scan(targets, config) -> Verdict``: walk -> match -> policy. Never prints."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from leakguard.match import Matcher, sourcemap
from leakguard.model import (
    Artifact,
    ArtifactEnd,
    Blob,
    Finding,
    Problem,
    Stats,
    Unscanned,
    Verdict,
)
from leakguard.policy.config import Config
from leakguard.policy.verdict import decide
from leakguard.ruleset import load_rules
from leakguard.walk import walk
from leakguard.walk.kinds import is_proprietary

Progress = Callable[[int], None]


@dataclass(slots=True)
class _Artifact:
    """What is pending until an artifact's last member is seen (maps need its member list)."""

    maps: list[sourcemap.MapSummary] = field(default_factory=list)
    links: list[sourcemap.Link] = field(default_factory=list)


class Scanner:
    """Detectors over walker events. Holds a compiled matcher; reusable across scans."""

    def __init__(self, config: Config, matcher: Matcher) -> None:
        self.config = config
        self.matcher = matcher

    def blob(self, blob: Blob, pending: _Artifact) -> Iterator[Finding]:
        """Every finding of one blob: source maps first (they change how the rest is scanned)."""
        if sourcemap.looks_like_map(blob):
            parsed = sourcemap.parse(blob)
            if parsed is not None:
                yield from self._map(parsed, pending)
                return
        yield from self.matcher.scan(blob)
        for link in sourcemap.links(blob):
            if link.inline is None:
                pending.links.append(link)
                continue
            inline_blob = Blob(blob.origin.child("<inline source map>"), link.inline, blob.depth)
            parsed = sourcemap.parse(inline_blob, inline=True)
            if parsed is not None:
                yield from self._map(parsed, pending)

    def _map(self, parsed: sourcemap.ParsedMap, pending: _Artifact) -> Iterator[Finding]:
        for source in parsed.contents():
            yield from self.matcher.scan(source)
        yield from self.matcher.scan(parsed.blob, parsed.skeleton)
        pending.maps.append(parsed.summary())

    def finish(self, end: ArtifactEnd, pending: _Artifact) -> Iterator[Finding]:
        """Findings that need the whole artifact: maps versus shipped files, dangling links."""
        shipped = sourcemap.Shipped(end.paths)
        proprietary = is_proprietary(end.artifact.license)
        for summary in pending.maps:
            yield sourcemap.judge(summary, shipped, proprietary=proprietary,
                                  public_sources=self.config.public_sources)
        seen: set[tuple[str, str]] = set()
        for link in pending.links:
            key = (str(link.origin), link.target)
            finding = sourcemap.dangling(link, shipped)
            if finding is not None and key not in seen:
                seen.add(key)
                yield finding


def scan(
    targets: Sequence[str],
    config: Config | None = None,
    *,
    engine: str = "auto",
    stdin: IO[bytes] | None = None,
    on_progress: Progress | None = None,
) -> Verdict:
    """Scan release artifacts, files or directories and decide. Raises ``UsageError`` (missing
    target), ``RuleError`` (bad rule file); damage inside artifacts becomes ``Verdict.problems``."""
    config = config or Config()
    started = time.monotonic()
    scanner = Scanner(config, Matcher.from_rules(load_rules(config.rules), engine))
    findings: list[Finding] = []
    problems: list[Problem] = []
    unscanned: list[Unscanned] = []
    artifacts: list[Artifact] = []
    scanned_bytes = 0
    pending = _Artifact()
    for event in walk(targets, config.limits, stdin):
        if isinstance(event, Blob):
            scanned_bytes += len(event.data) if event.scan_to is None else event.scan_to - event.scan_from
            findings.extend(scanner.blob(event, pending))
            if on_progress is not None:
                on_progress(scanned_bytes)
        elif isinstance(event, Finding):
            findings.append(event)
        elif isinstance(event, Problem):
            problems.append(event)
        elif isinstance(event, Unscanned):
            unscanned.append(event)
        else:
            findings.extend(scanner.finish(event, pending))
            artifacts.append(event.artifact)
            pending = _Artifact()
    stats = Stats(
        artifacts=len(artifacts),
        members=sum(a.members for a in artifacts),
        bytes_scanned=scanned_bytes,
        seconds=time.monotonic() - started,
    )
    return decide(findings, problems, config, artifacts=artifacts, unscanned=unscanned, stats=stats)

