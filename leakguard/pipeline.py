"""One artifact, from the walker to its facts: ``scan_artifact(source, config) -> ArtifactResult``.

    walk(source) --events--> plan: tasks --executor.map_ordered(run)--> Facts, in walk order --> fold

- **plan** groups the walker's events into tasks: small blobs travel in batches, with the walker's
  own findings and notes between them in walk order; a source map too large for one worker is
  parsed here and its ``sourcesContent`` entries shared out in parts (its own file rules and its
  skeleton are analyzed here, while the workers decode and match the entries).
- **run** is what an executor runs for a task: the analyzers (``match.analyzers``) over each blob.
- **fold** gathers one artifact's facts and adds what needs the whole artifact: its maps judged
  against the files it ships, links to maps it does not ship, the file rules over every path.

Nothing here decides severity or suppression: that is ``leakguard.policy``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import IO

from leakguard.errors import ScanError
from leakguard.execute import Executor, Serial
from leakguard.facts import ArtifactResult, Embedded, Facts, MapSummary, Measure
from leakguard.match import analyzers, content, maps, sourcemap
from leakguard.match.detector import Detector
from leakguard.model import ArtifactEnd, Blob, Finding, Origin, Problem, Source, Stats, Unscanned
from leakguard.policy.config import Config
from leakguard.walk import walk

# Small events travel together: a task costs a round trip to a worker, and a wheel has thousands of
# small members. A blob of ALONE_BYTES or more travels alone.
BATCH_BYTES = 4 * 1024 * 1024
BATCH_EVENTS = 256
ALONE_BYTES = 1024 * 1024
# A source map at least this large is parsed here and its entries shared out between the workers,
# in parts of about PART_BYTES of literal text.
SPLIT_BYTES = 4 * 1024 * 1024
PART_BYTES = 2 * 1024 * 1024

Event = Blob | Finding | Problem | Unscanned


@dataclass(frozen=True, slots=True)
class Batch:
    """Walker events in walk order: blobs to analyze, and findings and notes passed through."""

    events: tuple[Event, ...]
    weight: int  # bytes of blob data, for the executor's bound on what is in flight


@dataclass(frozen=True, slots=True)
class MapPart:
    """Consecutive sourcesContent entries of a large map, analyzed apart from the map."""

    origin: Origin
    depth: int
    first: int  # the number (in entry order) of the first entry
    literals: tuple[analyzers.Literal, ...]
    weight: int


@dataclass(frozen=True, slots=True)
class Ready:
    """Facts found here, in the parent, kept in their place in walk order."""

    facts: Facts
    weight: int = 0


Task = Batch | MapPart | Ready


def run(detector: Detector, task: Task) -> Facts:
    """A task's facts (what an executor runs, in whichever process). A bug in an analyzer becomes a
    problem of its blob, never a lost result or a pass."""
    if isinstance(task, Ready):
        return task.facts
    if isinstance(task, MapPart):
        return _guard(task.origin, lambda: _part(detector, task))
    return Facts.join(_event(detector, event) for event in task.events)


def _event(detector: Detector, event: Event) -> Facts:
    if isinstance(event, Blob):
        return _guard(event.origin, lambda: analyzers.analyze(detector, event))
    if isinstance(event, Finding):
        return Facts(findings=(event,))
    if isinstance(event, Problem):
        return Facts(problems=(event,))
    return Facts(unscanned=(event,))


def _part(detector: Detector, task: MapPart) -> Facts:
    found, sizes = analyzers.entries(detector, task.origin, task.depth, task.literals)
    numbers = {(section, index): task.first + n for n, (section, index, _, _) in enumerate(task.literals)}
    return found + Facts(sizes=tuple((task.origin, numbers[key], size) for key, size in sizes.items()))


def _guard(origin: Origin, work: Callable[[], Facts]) -> Facts:
    try:
        return work()
    except Exception as error:  # leakguard's own bug: fail closed, say so, keep the traceback
        detail = f"internal error ({type(error).__name__}) while analyzing it; this is a bug in leakguard"
        return Facts(problems=(Problem(origin, "internal", detail, trace=traceback.format_exc()),))


class Plan:
    """Turns one artifact's walker events into tasks; keeps the artifact's end event."""

    def __init__(self, detector: Detector, split: bool) -> None:
        self.detector = detector
        self.split = split  # share out large maps: only worth it when workers run in parallel
        self.end: ArtifactEnd | None = None
        self.scanned = 0
        self.sizes: dict[tuple[str, ...], int] = {}  # bytes read per member (a large one in pieces)

    def tasks(self, events: Iterator[object]) -> Iterator[Task]:
        """Tasks in walk order."""
        batch: list[Event] = []
        weight = 0
        for event in events:
            if isinstance(event, ArtifactEnd):
                self.end = event
                continue
            if isinstance(event, Blob):
                read = (len(event.data) if event.scan_to is None else event.scan_to) - event.scan_from
                self.scanned += read
                self.sizes[event.origin.chain] = self.sizes.get(event.origin.chain, 0) + read
                if len(event.data) >= ALONE_BYTES:
                    if batch:
                        yield Batch(tuple(batch), weight)
                        batch, weight = [], 0
                    yield from self._large(event)
                    continue
                weight += len(event.data)
            batch.append(event)  # type: ignore[arg-type]
            if weight >= BATCH_BYTES or len(batch) >= BATCH_EVENTS:
                yield Batch(tuple(batch), weight)
                batch, weight = [], 0
        if batch:
            yield Batch(tuple(batch), weight)

    def _large(self, blob: Blob) -> Iterator[Task]:
        parsed = None
        if self.split and len(blob.data) >= SPLIT_BYTES and sourcemap.looks_like_map(blob):
            try:
                parsed = sourcemap.parse(blob.data)
            except sourcemap.MapError:
                parsed = None  # analyzed whole, where the damage becomes a problem
        if parsed is None:
            yield Batch((blob,), len(blob.data))
            return
        det = self.detector
        literals = [(e.section, e.index, e.name, blob.data[e.start : e.end]) for e in parsed.entries()]
        first, size = 0, 0
        for number, literal in enumerate(literals):
            size += len(literal[3])
            if size >= PART_BYTES or number == len(literals) - 1:
                yield MapPart(blob.origin, blob.depth, first, tuple(literals[first : number + 1]), size)
                first, size = number + 1, 0
        where = maps.places_of(parsed, blob.origin, inline=False)
        embedded = tuple(Embedded(e.name, where[(e.section, e.index)].resolved,
                                  where[(e.section, e.index)].first_party, -1) for e in parsed.entries())
        prepared = content.Prepared(det, blob)
        facts = (analyzers.member_files(det, blob, prepared).facts + analyzers.skeleton(det, blob, parsed)
                 + Facts(maps=(MapSummary(blob.origin, parsed.sources, embedded),)))
        yield Ready(facts)


class Fold:
    """One artifact's facts, gathered in walk order."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.parts: list[Facts] = []
        self._seen: set[tuple[str, str]] = set()
        self._sizes: dict[tuple[Origin, int], Measure] = {}
        self._digests: set[str] = set()

    def add(self, facts: Facts) -> None:
        """Take one task's facts (tasks arrive in walk order)."""
        self.findings.extend(facts.findings)
        for name in facts.names:  # a codename in a path: once per directory and rule
            if name.key not in self._seen:
                self._seen.add(name.key)
                self.findings.append(name.finding)
        self._sizes.update(((origin, number), size) for origin, number, size in facts.sizes)
        self._digests.update(facts.digests)
        if facts.maps or facts.links or facts.problems or facts.unscanned or facts.manifest is not None:
            self.parts.append(replace(facts, findings=(), names=(), sizes=(), digests=()))

    def finish(self, end: ArtifactEnd, detector: Detector, source: Source, stats: Stats,
               sizes: dict[tuple[str, ...], int]) -> ArtifactResult:
        """Add what needs the whole artifact, and the result."""
        rest = Facts.join(self.parts)
        findings = self.findings
        findings.extend(detector.files.finish(end.paths, end.artifact, rest.manifest))
        shipped, digests = maps.Shipped(end.paths), frozenset(self._digests)
        layout = dict(sizes)
        for summary in map(self._sized, rest.maps):
            findings.append(maps.map_finding(summary, shipped, digests))
            layout.update(((*summary.origin.chain, e.source), e.size) for e in summary.embedded)
        seen: set[tuple[str, str]] = set()
        for link in rest.links:
            key = (str(link.origin), link.target)
            finding = maps.dangling(link, shipped)
            if finding is not None and key not in seen:
                seen.add(key)
                findings.append(finding)
        identity = end.artifact.identity
        if identity:  # fingerprints name the package, not the file it came in
            findings = [replace(f, package=identity) for f in findings]
        return ArtifactResult(source, end, tuple(findings), rest.problems, rest.unscanned, stats,
                              tuple(layout.items()))

    def _sized(self, summary: MapSummary) -> MapSummary:
        """A map analyzed in parts gets its entries' sizes from the parts."""
        if not any(e.size < 0 for e in summary.embedded):
            return summary
        measured = [self._sizes.get((summary.origin, n)) for n in range(len(summary.embedded))]
        embedded = tuple(replace(e, size=m[0], digest=m[1]) if e.size < 0 and m is not None else e
                         for e, m in zip(summary.embedded, measured, strict=True))
        return replace(summary, embedded=embedded)


def scan_artifact(source: str | Source, config: Config, *, detector: Detector | None = None,
                  executor: Executor[Detector] | None = None, engine: str = "auto", stdin: IO[bytes] | None = None,
                  on_progress: Callable[[int], None] | None = None) -> ArtifactResult:
    """Walk one target and run every analyzer over it; facts only, no decision. Damage inside the
    artifact is a ``Problem`` in the result. ``executor`` (made with ``detector`` as its context)
    spreads the work; without one it all runs here."""
    started = time.monotonic()
    source = Source.of(source)
    detector = detector if detector is not None else Detector.build(config, engine)
    runner: Executor[Detector] = executor if executor is not None else Serial(detector)
    plan = Plan(detector, split=runner.name != "serial")
    fold = Fold()
    events = walk([source], config.limits, stdin, exclude=config.exclude)
    for facts in runner.map_ordered(run, plan.tasks(events)):
        fold.add(facts)  # type: ignore[arg-type]  # errors="raise": never a TaskFailed
        if on_progress is not None:
            on_progress(plan.scanned)
    if plan.end is None:
        raise ScanError(f"{source.label}: the walk ended without its artifact")
    end = plan.end
    stats = Stats(artifacts=1, members=end.artifact.members, bytes_scanned=plan.scanned,
                  seconds=time.monotonic() - started)
    return fold.finish(end, detector, source, stats, plan.sizes)
