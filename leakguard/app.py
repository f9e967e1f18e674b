"""The library entry point: ``scan(targets, config) -> Verdict``: walk -> match -> policy. Never prints."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from leakguard import parallel
from leakguard.match import Matcher, Prescan, custom, decode, mapstream, prefilter, sourcemap
from leakguard.match.files import FileDetector, npm_manifest
from leakguard.match.hashed import HashedNames
from leakguard.model import (
    ArtifactEnd,
    Blob,
    Category,
    Chunk,
    Finding,
    Problem,
    ReleaseDiff,
    Rule,
    Secret,
    Severity,
    Source,
    Stats,
    Unscanned,
    Verdict,
)
from leakguard.policy import baseline as baselines
from leakguard.policy import release
from leakguard.policy.allowlist import inline_allow
from leakguard.policy.config import Config
from leakguard.policy.verdict import decide
from leakguard.ruleset import load_rules
from leakguard.walk import Event, walk
from leakguard.walk.kinds import is_proprietary

Progress = Callable[[int], None]


def _source(config: Config) -> str:
    return str(config.source) if config.source is not None else "command line"


@dataclass(slots=True)
class _Artifact:
    """What is pending until an artifact's last member is seen (maps need its member list)."""

    maps: list[sourcemap.MapSummary] = field(default_factory=list)
    links: list[sourcemap.Link] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    # Codenames in member paths, keyed so each directory is reported once per artifact.
    paths: list[tuple[tuple[str, str], Finding]] = field(default_factory=list)
    # From the parts of a split source map: the ranges still to scan, or "it was not a map".
    skeleton: list[tuple[int, int]] | None = None
    not_a_map: bool = False
    sizes: list[tuple[int, int]] = field(default_factory=list)  # streamed entries: (index, bytes)

    def merge(self, other: _Artifact, seen: set[tuple[str, str]]) -> list[Finding]:
        """Add one blob's pending items (in blob order); returns its new path findings."""
        self.maps.extend(other.maps)
        self.links.extend(other.links)
        if other.manifest is not None:
            self.manifest = other.manifest
        fresh = []
        for key, finding in other.paths:
            if key not in seen:
                seen.add(key)
                fresh.append(finding)
        return fresh


_Result = tuple[list[Finding], _Artifact]


@dataclass(frozen=True, slots=True)
class _Text:
    """What one blob's content rules match: its views (the blob itself, or its UTF-16 or
    unescaped text), its decoded base64 payloads, the ranges of the blob outside inline source
    maps, and the automaton's pass over those ranges when the blob is its own view."""

    views: tuple[Blob, ...]
    children: tuple[Blob, ...]
    ranges: list[tuple[int, int]] | None
    prescan: Prescan | None


def _join_parts(parts: list[tuple[list[Finding], _Artifact]]) -> tuple[list[Finding], _Artifact]:
    """One blob scanned in parts (a large source map): findings in part order, and one summary
    for the map whose entries the parts shared."""
    findings = [f for part, _ in parts for f in part]
    joined = _Artifact()
    pieces = [p for _, p in parts]
    summaries = [p.maps for p in pieces if p.maps]
    for piece in pieces:
        joined.links.extend(piece.links)
        joined.paths.extend(piece.paths)
        joined.manifest = piece.manifest if piece.manifest is not None else joined.manifest
    if summaries:
        first = summaries[0][0]
        embedded = tuple(e for maps in summaries for e in maps[0].embedded)
        joined.maps = [dataclasses.replace(first, embedded=embedded)]
        joined.maps.extend(m for maps in summaries for m in maps[1:])
    return findings, joined


# Keywords of no rule, found by the automaton's pass over each member for the readers that need them.
MARKERS = (sourcemap.VERSION_MARKER, sourcemap.LINK_MARKER)


def _wide_forms(names: Sequence[Rule]) -> tuple[bytes, ...]:
    """The UTF-16LE forms of the codename rules' keywords (see ``Scanner._may_name``)."""
    return tuple(decode.wide(keyword) for rule in names for keyword in rule.keywords)


class Scanner:
    """Detectors over walker events. Holds compiled matchers; reusable across scans."""

    def __init__(self, config: Config, matcher: Matcher, engine: str = "auto") -> None:
        self.config = config
        self.matcher = matcher
        self.engine = engine
        names = custom.codename_rules(config.codenames, config.codename_patterns, source=_source(config))
        self.names = Matcher(names, engine) if names else None
        self._wide = _wide_forms(names)  # the main matcher's markers when ``build`` made it
        self.public = frozenset(custom.normalise(n) for n in config.public_codenames)
        self.hashed = HashedNames(frozenset(config.codenames_sha256))
        self._hashed_matchers: dict[frozenset[str], Matcher] = {}
        self.files = FileDetector.default()

    @classmethod
    def build(cls, config: Config, engine: str = "auto") -> Scanner:
        """Packaged rules + the config's rule files + codenames and internal domains."""
        source = _source(config)
        names = custom.codename_rules(config.codenames, config.codename_patterns, source=source)
        rules = (*load_rules(config.rules), *names, *custom.domain_rules(config.internal_domains, source=source))
        # The UTF-16LE forms of codename keywords, as markers, let a binary's UTF-16 strings be read
        # only when a codename may be in them (``_may_name``). Not with pyahocorasick: its input
        # table maps the bytes no keyword holds, NUL among them, to one byte the automaton skips
        # fast (see prefilter.PyAhoCorasick); a keyword holding NUL costs binaries more than the
        # strings they spare (claude-code 2.1.88's: +0.14 s).
        rs = prefilter.resolve(engine) == "ahocorasick-rs"
        return cls(config, Matcher.from_rules(rules, engine, (*MARKERS, *(_wide_forms(names) if rs else ()))), engine)

    def work(self, job: parallel.Job) -> _Result:
        """What a worker process runs: a whole blob; share ``job.part`` of ``job.parts`` of a large
        source map (``job.text``); or streamed sourcesContent entries (``job.pieces``). Returns the
        findings and what waits for the end of the artifact."""
        pending = _Artifact()
        if job.payload is not None:
            return self._entries(job, pending), pending
        if job.parts == 1:
            return list(self.blob(job.blob, pending)), pending
        parsed = sourcemap.parse(job.blob, text=job.text)
        if parsed is None:
            pending.not_a_map = True
            return [], pending
        findings = [f for source in parsed.contents(job.part, job.parts) for f in self._text(source, pending)]
        pending.maps.append(parsed.summary())
        if job.part == job.parts - 1:
            pending.skeleton = parsed.skeleton
        return findings, pending

    def _entries(self, job: parallel.Job, pending: _Artifact) -> list[Finding]:
        """Streamed sourcesContent entries: each piece is one entry's JSON literal."""
        entries = cast(tuple[tuple[int, str], ...], job.payload)
        named = self._named([name for _, name in entries])
        findings: list[Finding] = []
        for (index, name), literal in zip(entries, job.pieces, strict=True):
            try:
                data = sourcemap.decode_entry(literal)
            except ValueError:
                pending.not_a_map = True  # the caller rescans the whole map
                return []
            pending.sizes.append((index, len(data)))
            source = Blob(job.blob.origin.child(name), data, job.blob.depth, derived=True)
            findings.extend(self._text(source, pending, path=name in named))
        return findings

    def _named(self, paths: list[str]) -> set[str]:
        """Which of ``paths`` may hold a codename: one automaton pass over all of them, instead of
        a matcher call per path (a 60 MB map has thousands of entries, few of them named so)."""
        if self.names is None:
            return set()
        texts = [path.encode("utf-8", "surrogateescape") for path in paths]
        return {path for path, hit in zip(paths, self.names.any_hits(texts), strict=True) if hit}

    def member(self, blob: Blob, pending: _Artifact) -> list[Finding]:
        """File rules that read a member's content (and the npm manifest); once per member."""
        if blob.derived or blob.offset != 0:
            return []
        if blob.origin.chain[1:] in (("package/package.json",), ("package.json",)):
            pending.manifest = npm_manifest(blob.data)
        return self.files.member(blob.origin, blob.data)

    def blob(self, blob: Blob, pending: _Artifact) -> Iterator[Finding]:
        """Every finding of one blob: source maps first (they change how the rest is scanned)."""
        yield from self.member(blob, pending)
        named = sourcemap.named_map(blob)
        text = None if named else self._prepare(blob)
        marks = text.prescan if text is not None else None
        if named or sourcemap.looks_like_map(blob, marks.at(sourcemap.VERSION_MARKER) if marks else None):
            parsed = sourcemap.parse(blob)
            if parsed is not None:
                yield from self._map(parsed, pending)
                return
        yield from self._text(blob, pending, text)
        for link in sourcemap.links(blob, marks.at(sourcemap.LINK_MARKER) if marks else None):
            if link.inline is None:
                pending.links.append(link)
                continue
            inline_blob = Blob(blob.origin.child("<inline source map>"), link.inline, blob.depth)
            parsed = sourcemap.parse(inline_blob, inline=True)
            if parsed is not None:
                yield from self._map(parsed, pending)

    def _prepare(self, blob: Blob) -> _Text:
        """What ``_text`` matches: the blob's views and decoded payloads, and when the blob is its
        own only view, the automaton's pass over it (its markers serve ``blob``)."""
        maps: list[tuple[int, int]] = []
        children = tuple(decode.embedded(blob, maps=maps))
        views = tuple(decode.views(blob))
        # An inline source map's base64 is not matched as text: its decoded child is.
        ranges = decode.outside(maps, 0, len(blob.data)) if maps else None
        alone = len(views) == 1 and views[0] is blob and blob.whole
        prescan = self.matcher.prescan(blob.data, ranges) if alone else None
        return _Text(views, children, ranges, prescan)

    def _text(self, blob: Blob, pending: _Artifact, text: _Text | None = None, *, path: bool = True
              ) -> Iterator[Finding]:
        """Content rules over the blob's text views and its decoded base64 payloads; codenames in
        its path unless the caller knows the path holds none (``path=False``)."""
        if path:
            pending.paths.extend(self._path(blob))
        if text is None:
            text = self._prepare(blob)
        passed: Prescan | None = None  # the pass over all of the blob (or its unescaped view)
        for view in text.views:
            own = view is blob
            prescan = text.prescan if own else self.matcher.prescan(view.data)
            for finding in self.matcher.scan(view, text.ranges if own else None, prescan):
                yield self._inline(self._public(finding), view)
            if self.hashed:
                yield from self._hashed(view)
            if not (own and text.ranges is not None):
                passed = prescan
        for child in text.children:
            for finding in self.matcher.scan(child):
                yield self._inline(self._public(finding), child)
            if self.hashed:
                yield from self._hashed(child)
        if self.names is not None and decode.binary(blob) and (passed is None or self._may_name(passed)):
            for wide, strings in decode.utf16_strings(blob):
                for finding in self.names.scan(wide, strings):
                    if decode.within(finding.span, strings):
                        yield self._inline(self._public(finding), wide)

    def _may_name(self, prescan: Prescan) -> bool:
        """May a codename lie in a UTF-16 string of the blob that ``prescan`` passed over (all of
        it, or its unescaped view)? Only if the UTF-16LE form of a codename keyword is there: a
        codename is reported only inside a string (``decode.within``), where every character is
        followed by a NUL. Unknown (a matcher built without the markers): yes."""
        return any(form in prescan.marks or form not in prescan.markers for form in self._wide)

    @staticmethod
    def _inline(finding: Finding, blob: Blob) -> Finding:
        span = finding.span
        if span is None:
            return finding
        return inline_allow(finding, blob.data, span.start - blob.offset, span.end - blob.offset)

    def _public(self, finding: Finding) -> Finding:
        """A codename listed in public-codenames is reported as info, never blocking."""
        if finding.category is Category.CODENAME and finding.secret is not None:
            name = custom.normalise(finding.secret.reveal().decode("utf-8", "replace"))
            if name in self.public:
                return dataclasses.replace(finding, severity=Severity.INFO,
                                           message=finding.message + " (listed in public-codenames)")
        return finding

    def _hashed(self, blob: Blob) -> Iterator[Finding]:
        names = frozenset(self.hashed.find(blob.data))
        if not names:
            return
        matcher = self._hashed_matchers.get(names)
        if matcher is None:
            rules = [dataclasses.replace(r, id=f"codename.sha256-{custom.codename_hash(n)[:12]}")
                     for n in sorted(names) for r in custom.codename_rules([n], [])]
            matcher = self._hashed_matchers[names] = Matcher(rules, self.engine)
        for finding in matcher.scan(blob):
            yield self._inline(self._public(finding), blob)

    def _path(self, blob: Blob) -> Iterator[tuple[tuple[str, str], Finding]]:
        """Codenames in member paths (``src/capybara/``), keyed by rule and directory."""
        if self.names is None or blob.scan_from:
            return
        path = blob.origin.inner.encode("utf-8", "surrogateescape")
        for rule, _, end, secret in self.names.matches(path):
            head = path[:end].decode("utf-8", "replace")
            stop = path.find(b"/", end)
            where = path[: stop + 1].decode("utf-8", "replace") if stop != -1 else blob.origin.inner
            key = (str(blob.origin.chain[:-1]) + rule.id, where)
            finding = Finding(rule.id, rule.category, rule.severity, blob.origin,
                              f"{rule.title} in a member path: {where}", secret=Secret(secret), key=head)
            yield key, self._public(finding)

    def _map(self, parsed: sourcemap.ParsedMap, pending: _Artifact) -> Iterator[Finding]:
        for source in parsed.contents():
            yield from self._text(source, pending)
        yield from self.matcher.scan(parsed.blob, parsed.skeleton)
        pending.maps.append(parsed.summary())

    def finish(self, end: ArtifactEnd, pending: _Artifact) -> Iterator[Finding]:
        """Findings that need the whole artifact: maps versus shipped files, dangling links, file rules."""
        yield from self.files.finish(end.paths, end.artifact, pending.manifest)
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


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


# Small events travel together: a hand-over between the threads costs a wake-up and a GIL
# switch, and a wheel yields thousands of small members. A streamed chunk (1 MiB) or a larger
# member travels alone, so large members keep as little in flight as before.
BATCH_BYTES = 4 * 1024 * 1024
BATCH_EVENTS = 256
ALONE_BYTES = 1024 * 1024


def prefetch(events: Iterator[Event], depth: int = 2) -> Iterator[Event]:
    """Walk in a second thread while this one matches. Decompression (zlib, bz2, lzma) and the
    ahocorasick-rs prefilter release the GIL, so the two overlap on two cores. Small events travel
    in batches of up to ``BATCH_EVENTS`` events or ``BATCH_BYTES`` of data, a large one alone; the
    queue bound keeps at most ``depth`` batches waiting. Order is preserved, so output does not
    depend on it. A reader that stops early (an error, ``close()``) stops the walk and gives the
    walker a moment to finish the member it is reading (see ``_drain``); on Ctrl-C or SIGTERM it
    leaves at once."""
    pipe: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def produce() -> None:
        batch: list[Event] = []
        size = 0
        try:
            for event in events:
                if stopped.is_set():
                    close = getattr(events, "close", None)
                    if close is not None:
                        close()  # the walk's open files, now
                    return
                data = getattr(event, "data", None)
                weight = len(data) if data is not None else 0
                if weight >= ALONE_BYTES:
                    if batch:
                        pipe.put(batch)
                        batch, size = [], 0
                    pipe.put([event])
                    continue
                batch.append(event)
                size += weight
                if size >= BATCH_BYTES or len(batch) >= BATCH_EVENTS:
                    pipe.put(batch)
                    batch, size = [], 0
            if batch:
                pipe.put(batch)
        except BaseException as error:
            if batch:
                pipe.put(batch)
            pipe.put(_Failure(error))
        finally:
            pipe.put(_DONE)

    walker = threading.Thread(target=produce, name="leakguard-walk", daemon=True)
    walker.start()
    item: object = None
    wait = True
    try:
        while True:
            item = pipe.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield from cast(list[Event], item)
    except BaseException as exc:
        # Ctrl-C or SIGTERM: leave now. The walker may be blocked reading a pipe that never ends.
        wait = isinstance(exc, (Exception, GeneratorExit))
        raise
    finally:
        stopped.set()
        if wait:
            _drain(pipe, item, walker)


# How long a reader that stops early waits for the walker to finish the member it is reading.
WALKER_GRACE = 2.0


def _drain(pipe: queue.Queue[object], item: object, walker: threading.Thread) -> None:
    """Unblock a stopped walker and join it, so that a later scan in this process (``--against``)
    may fork. A walker still reading after ``WALKER_GRACE`` seconds is left behind: that later
    scan then runs in one process, as ``_worth_forking`` forks no process that has other threads."""
    deadline = time.monotonic() + WALKER_GRACE
    while item is not _DONE:
        try:
            item = pipe.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return
    walker.join()


@dataclass(frozen=True, slots=True)
class Release:
    """Everything one scan saw, before the decision: what ``--against`` and ``diff`` compare."""

    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]
    unscanned: tuple[Unscanned, ...]
    ends: tuple[ArtifactEnd, ...]
    stats: Stats


# Below this much input, forking workers costs more than it saves (a pre-commit run of a few files).
PARALLEL_BYTES = 4 * 1024 * 1024
# A source map at least this large is shared out between the workers by its sourcesContent entries.
SPLIT_BYTES = 4 * 1024 * 1024


class _Done:
    """A blob scanned in this process: its result is ready now."""

    __slots__ = ("result",)

    def __init__(self, result: _Result) -> None:
        self.result = result

    def ready(self) -> bool:
        return True

    def get(self) -> list[_Result]:
        return [self.result]


class _Split:
    """A large source map shared out between the workers by sourcesContent entry. This process
    keeps the map: it runs the member's file rules while they work, then scans the map's
    skeleton (everything outside sourcesContent and mappings) and joins their summaries."""

    def __init__(self, scanner: Scanner, blob: Blob, workers: parallel.Workers[_Result], parts: int) -> None:
        self.scanner = scanner
        self.blob = blob
        self.workers = workers
        self.ticket = workers.submit(blob, parts)

    def ready(self) -> bool:
        # Not before the end of the walk: the file rules run in get(), while the workers are busy.
        # Run now, they would hold the GIL before this process has handed the parts over.
        return False

    def get(self) -> list[_Result]:
        self.workers.flush()
        member = self.scanner.member(self.blob, _Artifact())
        parts = self.ticket.get()
        if any(pending.not_a_map for _, pending in parts):
            return [self.scanner.work(parallel.Job(self.blob))]  # JSON that only looked like a map
        findings, joined = _join_parts(parts)
        skeleton = parts[-1][1].skeleton or []
        findings = [*member, *findings, *self.scanner.matcher.scan(self.blob, skeleton)]
        return [(findings, joined)]


class _Stream:
    """A large source map being read: each batch of sourcesContent entries that a chunk completes
    goes to the workers at once, copied into the ring on its own (the map is never held there
    whole: its pages would all be fresh ones)."""

    def __init__(self, workers: parallel.Workers[_Result], chunk: Chunk) -> None:
        self.workers = workers
        self.origin = chunk.origin
        self.size = chunk.size
        self.meta = Blob(chunk.origin, b"", chunk.depth)
        self.splitter = mapstream.Splitter()
        self.tickets: list[parallel.Ticket[_Result]] = []
        self.fed = 0  # bytes fed so far: chunks must follow each other
        self.ok = True

    def feed(self, chunk: Chunk) -> None:
        if not self.ok:
            return
        if chunk.offset != self.fed or chunk.offset + len(chunk.data) > self.size:  # a gap, or a wrong size
            self.ok = False
            return
        self.fed += len(chunk.data)
        entries = self.splitter.feed(chunk.data)
        if self.splitter.state == "dead":
            self.ok = False
        elif entries:
            first, at = entries[0].start, self.splitter.held_at
            spans = tuple((e.start - first, e.end - first) for e in entries)
            # Plain tuples: a frozen dataclass pickles through a Python function per instance.
            names = tuple((e.index, e.name) for e in entries)
            with memoryview(self.splitter.held) as held:
                ticket = self.workers.submit_spans(self.meta, held[first - at : entries[-1].end - at], spans, names)
            if ticket is None:  # larger than the ring: the map is scanned once it is whole
                self.ok = False
            else:
                self.tickets.append(ticket)

    def close(self, blob: Blob | None) -> bool:
        """True if ``blob`` is the map, whole, and every entry was handed out."""
        return (self.ok and blob is not None and blob.whole and blob.origin == self.origin
                and len(blob.data) == self.size and self.splitter.state == "done")


class _Streamed:
    """A source map whose entries the workers scanned while it was read. The full parse must
    agree with the streamed split; otherwise the map is scanned again, split as usual."""

    def __init__(self, scanner: Scanner, blob: Blob, stream: _Stream, parts: int) -> None:
        self.scanner = scanner
        self.blob = blob
        self.stream = stream
        self.parts = parts
        # Now, while the workers still have entries to scan: the full parse and the file rules.
        stream.workers.flush()
        self.member = scanner.member(blob, _Artifact())
        known = stream.splitter.known()
        self.parsed = sourcemap.parse(blob, known=known) if known is not None else None

    def ready(self) -> bool:
        return all(ticket.ready() for ticket in self.stream.tickets)

    def get(self) -> list[_Result]:
        member, parsed = self.member, self.parsed
        if parsed is None or not self.stream.splitter.agrees(parsed):
            return self._again()
        # This process's share first, while the workers finish the entries: the map outside
        # sourcesContent, and all the summary needs besides the entries' sizes.
        self.stream.workers.flush()
        skeleton = list(self.scanner.matcher.scan(self.blob, parsed.skeleton))
        summary = parsed.summary_of()
        results = [result for ticket in self.stream.tickets for result in ticket.get()]
        if any(p.not_a_map for _, p in results):
            return self._again()
        joined = _Artifact()
        sizes: dict[int, int] = {}
        for _, pending in results:
            joined.paths.extend(pending.paths)
            sizes.update(pending.sizes)
        joined.maps = [summary(sizes)]
        findings = [*member, *(f for found, _ in results for f in found), *skeleton]
        return [(findings, joined)]

    def _again(self) -> list[_Result]:
        """The head start is thrown away: the map is split between the workers as usual."""
        for ticket in self.stream.tickets:
            ticket.get()  # (their region is freed once they are done)
        return _Split(self.scanner, self.blob, self.stream.workers, self.parts).get()


def _worth_forking(targets: Sequence[str | Source], jobs: int | None) -> bool:
    """Workers for ``--jobs N`` (N > 1), or by default when the input is large enough. Never from
    a process that runs other threads (an application embedding the library): forking it could
    copy a lock some thread holds."""
    if not parallel.available() or (jobs if jobs is not None else parallel.default_jobs()) < 2:
        return False
    if threading.active_count() > 1:
        return False
    if jobs is not None:
        return True
    total = 0
    for target in (Source.of(t).path for t in targets):
        if target == "-" or os.path.isdir(target):
            return True
        with contextlib.suppress(OSError):
            total += os.path.getsize(target)
    return total >= PARALLEL_BYTES


def collect(
    targets: Sequence[str | Source],
    config: Config,
    *,
    engine: str = "auto",
    stdin: IO[bytes] | None = None,
    on_progress: Progress | None = None,
    jobs: int | None = None,
) -> Release:
    """Walk and match every target; no decision yet. With more than one job, blobs are matched in
    forked worker processes while this one walks; results are taken in walk order, so the output
    does not depend on the number of jobs."""
    started = time.monotonic()
    scanner = Scanner.build(config, engine)
    cores = jobs if jobs is not None else parallel.default_jobs()
    with contextlib.ExitStack() as stack:
        workers: parallel.Workers[_Result] | None = None
        if _worth_forking(targets, jobs):
            arena = config.limits.window_bytes + 2 * config.limits.window_overlap
            with contextlib.suppress(OSError):  # no fork or no shared mapping (limits): one process
                workers = stack.enter_context(parallel.Workers(scanner.work, cores, arena))
        walked = walk(targets, config.limits, stdin, exclude=config.exclude,
                      stream=SPLIT_BYTES if workers is not None else None)
        events = prefetch(walked) if cores > 1 else walked  # threads start only after the fork
        gather = _Gather(scanner, config)
        stream: _Stream | None = None
        for event in events:
            if workers is not None and isinstance(event, Chunk):
                if stream is not None and stream.origin != event.origin:
                    stream.close(None)
                    stream = None
                if stream is None:
                    stream = _Stream(workers, event)
                stream.feed(event)
                continue
            if stream is not None:  # the map's whole blob, or whatever ended its reading
                streamed = stream.close(event if isinstance(event, Blob) else None)
                if streamed and isinstance(event, Blob):
                    gather.queue.append(_Streamed(scanner, event, stream, cores))
                    gather.scanned += len(event.data)
                    if on_progress is not None:
                        on_progress(gather.scanned)
                    stream = None
                    continue
                stream = None
            if not isinstance(event, Blob):
                gather.queue.append(event)
            elif workers is None:
                gather.queue.append(_Done(scanner.work(parallel.Job(event))))
            else:
                parts = cores if len(event.data) >= SPLIT_BYTES and sourcemap.looks_like_map(event) else 1
                gather.queue.append(workers.submit(event, 1) if parts == 1 else _Split(scanner, event, workers, parts))
            if isinstance(event, Blob):
                gather.scanned += len(event.data) if event.scan_to is None else event.scan_to - event.scan_from
                if on_progress is not None:
                    on_progress(gather.scanned)
            gather.drain(block=False)
        if workers is not None:
            workers.flush()  # the walk is over
        gather.drain(block=True)
    stats = Stats(
        artifacts=len(gather.ends),
        members=sum(e.artifact.members for e in gather.ends),
        bytes_scanned=gather.scanned,
        seconds=time.monotonic() - started,
    )
    return Release(tuple(gather.findings), tuple(gather.problems), tuple(gather.unscanned), tuple(gather.ends),
                   stats)


class _Gather:
    """Results and walker events, taken in walk order."""

    def __init__(self, scanner: Scanner, config: Config) -> None:
        self.scanner = scanner
        self.config = config
        self.queue: collections.deque[Event | _Done | _Split | _Streamed | parallel.Ticket[_Result]] = (
            collections.deque())
        self.findings: list[Finding] = []
        self.problems: list[Problem] = []
        self.unscanned: list[Unscanned] = []
        self.ends: list[ArtifactEnd] = []
        self.scanned = 0
        self.pending = _Artifact()
        self.seen: set[tuple[str, str]] = set()

    def drain(self, *, block: bool) -> None:
        while self.queue:
            item = self.queue[0]
            if isinstance(item, (_Done, _Split, _Streamed, parallel.Ticket)):
                if not block and not item.ready():
                    return
                results = item.get()
                findings, pending = results[0] if len(results) == 1 else _join_parts(results)
                self.findings.extend(findings)
                self.findings.extend(self.pending.merge(pending, self.seen))
            elif isinstance(item, Finding):
                self.findings.append(item)
            elif isinstance(item, Problem):
                self.problems.append(item)
            elif isinstance(item, Unscanned):
                self.unscanned.append(item)
            elif isinstance(item, ArtifactEnd):
                self.findings.extend(self.scanner.finish(item, self.pending))
                self.findings.extend(release.check(item, self.config))
                self.ends.append(item)
                self.pending = _Artifact()
            self.queue.popleft()


def scan(
    targets: Sequence[str | Source],
    config: Config | None = None,
    *,
    engine: str = "auto",
    stdin: IO[bytes] | None = None,
    on_progress: Progress | None = None,
    baseline: baselines.Baseline | None = None,
    strict_allows: bool = False,
    jobs: int | None = None,
    against: Sequence[str | Source] = (),
) -> Verdict:
    """Scan release artifacts, files or directories and decide. Raises ``UsageError`` (missing
    target), ``RuleError`` (bad rule file), ``ConfigError`` (bad baseline); damage inside artifacts
    becomes ``Verdict.problems``. ``baseline`` defaults to the config's ``baseline`` file.

    With ``against`` (the previous release), findings it already had are marked carried over
    (codenames it already had do not block), and the release-diff policy applies: risky new
    members and growth beyond ``max-growth`` block."""
    config = config or Config()
    if baseline is None and config.baseline is not None:
        baseline = baselines.load(config.baseline)
    new = collect(targets, config, engine=engine, stdin=stdin, on_progress=on_progress, jobs=jobs)
    findings = list(new.findings)
    problems = list(new.problems)
    diffs: list[ReleaseDiff] = []
    if against:
        old = collect(against, config, engine=engine, jobs=jobs)
        problems.extend(old.problems)
        findings, diffs = _against(old, new, findings, config)
    verdict = decide(findings, problems, config, artifacts=[e.artifact for e in new.ends], unscanned=new.unscanned,
                     stats=new.stats, baseline=baseline, strict_allows=strict_allows)
    return dataclasses.replace(verdict, diffs=tuple(diffs)) if diffs else verdict


def _codename(finding: Finding) -> str | None:
    if finding.category is not Category.CODENAME or finding.secret is None:
        return None
    return custom.normalise(finding.secret.reveal().decode("utf-8", "replace"))


def _against(old: Release, new: Release, findings: list[Finding], config: Config
             ) -> tuple[list[Finding], list[ReleaseDiff]]:
    before = {f.fingerprint for f in old.findings}
    names = {n for f in old.findings if (n := _codename(f)) is not None}
    marked = [
        dataclasses.replace(f, carried_over=True)
        if f.fingerprint in before or (_codename(f) or "\x00") in names else f
        for f in findings
    ]
    diffs = []
    fresh = tuple(sorted({f.fingerprint for f in marked if not f.carried_over}))
    for old_end, new_end in release.pair(old.ends, new.ends):
        change = dataclasses.replace(release.diff(old_end, new_end), new_findings=fresh)
        diffs.append(change)
        marked.extend(release.against(change, new_end, config))
    return marked, diffs
