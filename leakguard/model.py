"""Core value types of leakguard: frozen dataclasses (and the enums of ``leakguard.enums``, re-exported);
imports the stdlib and ``leakguard.enums`` only.

Everything that crosses a module boundary is one of these types. None of them holds a secret in
a form that ``repr`` or ``str`` would print: :class:`Secret` keeps its value behind ``reveal()``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

# Re-exported: every core type can be imported from here.
from leakguard.enums import Category as Category
from leakguard.enums import ExitCode as ExitCode
from leakguard.enums import Severity as Severity

SEPARATOR = "!/"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where bytes came from, outermost first: ``("dist/app-1.0.tgz", "package/cli.js.map")``.

    ``in_directory`` marks a target directory: its members print as plain paths (``src/a.ts``)
    rather than ``src!/a.ts``.
    """

    chain: tuple[str, ...]
    in_directory: bool = False

    def child(self, name: str) -> Origin:
        """The origin of a member inside this one."""
        return Origin((*self.chain, name), self.in_directory)

    @property
    def artifact(self) -> str:
        """The outermost element: the target the user named."""
        return self.chain[0]

    @property
    def inner(self) -> str:
        """The innermost element: a member path, or the artifact itself at depth 0."""
        return self.chain[-1]

    @property
    def path(self) -> str:
        """A plain path for SARIF and annotations: ``dist/x.tgz/package/cli.js.map``."""
        return "/".join(part.strip("/") if i else part.rstrip("/") for i, part in enumerate(self.chain))

    def __str__(self) -> str:
        if self.in_directory and len(self.chain) > 1:
            head = self.chain[0].rstrip("/") + "/" + self.chain[1]
            return SEPARATOR.join((head, *self.chain[2:]))
        return SEPARATOR.join(self.chain)


@dataclass(frozen=True, slots=True)
class Source:
    """A target to scan: a local ``path`` (``-`` for standard input) and the ``name`` reports give
    it, e.g. ``pypi:requests==2.32.3 (requests-2.32.3.tar.gz)`` for a registry download in the cache."""

    path: str
    name: str = ""

    @property
    def label(self) -> str:
        """What the artifact is called in reports: ``name``, else the path."""
        return self.name or self.path

    @staticmethod
    def of(target: str | Source) -> Source:
        """A ``Source`` for a plain path, or the source itself."""
        return target if isinstance(target, Source) else Source(target)


class Secret:
    """A matched secret value. ``repr`` and ``str`` never show it; ``reveal()`` is explicit."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        """The raw value. Callers own what happens to it."""
        return self._value

    def redacted(self) -> str:
        """A short prefix plus the length, e.g. ``ghp_…(40)``: enough to recognise, not to use."""
        value = self._value
        keep = 4 if len(value) >= 16 else (2 if len(value) >= 8 else 0)
        prefix = value[:keep].decode("ascii", "replace")
        return f"{prefix}…({len(value)})"

    def digest(self) -> str:
        """sha256 hex of the value, for baselines and fingerprints."""
        return hashlib.sha256(self._value).hexdigest()

    def __repr__(self) -> str:
        return f"Secret({self.redacted()})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Span:
    """A match inside a blob: byte offsets plus 1-based line and column of the start."""

    start: int
    end: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes to scan and where they came from. ``depth`` counts archive nesting."""

    origin: Origin
    data: bytes
    depth: int
    # Set for text recovered from a source map's sourcesContent: the findings inside it are
    # located at the original file, and the sourcemap analyzer must not recurse into it.
    derived: bool = False
    # A member larger than the walker's window arrives as overlapping pieces: ``offset`` is the
    # position of data[0] in the member, ``lines_before`` the newlines before it, and only keyword
    # hits in ``data[scan_from:scan_to]`` belong to this piece (the rest is shared context).
    offset: int = 0
    lines_before: int = 0
    scan_from: int = 0
    scan_to: int | None = None

    @property
    def whole(self) -> bool:
        """True unless this blob is one piece of a member too large to hold at once."""
        return self.offset == 0 and self.scan_from == 0 and self.scan_to is None


_ARCHIVE_EXT = re.compile(
    r"(?:\.tar\.(?:gz|bz2|xz)|\.(?:tgz|tar|zip|whl|gz|bz2|xz|egg|jar|vsix|nupkg))$", re.IGNORECASE
)
_VERSIONED = re.compile(r"^(.+?)[-_]v?\d+(?:\.\d+)*(?:[-.+_].*)?$")


def human_size(size: int) -> str:
    """``795 B``, ``12.4 kB``, ``30.4 MB`` (decimal units, as package registries show them)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.2f} GB"


def versionless(path: str) -> str:
    """A path with release version numbers removed, so fingerprints survive version bumps."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    ext = _ARCHIVE_EXT.search(name)
    suffix = ext.group() if ext else ""
    stem = name[: len(name) - len(suffix)]
    versioned = _VERSIONED.match(stem)
    return (versioned.group(1) if versioned else stem) + suffix


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not count: a config allow entry, an inline comment, or the baseline."""

    kind: Literal["allow", "inline", "baseline"]
    reason: str


@dataclass(frozen=True, slots=True)
class InlineAllow:
    """A ``leakguard:allow SELECTOR reason`` comment on a finding's line, as found (a fact: whether it
    suppresses the finding is the policy's call). ``distance``: bytes between it and the finding."""

    selector: str
    reason: str
    distance: int = 0


@dataclass(frozen=True, slots=True)
class Finding:
    """One reportable observation. ``fingerprint`` never depends on a line number."""

    rule_id: str
    category: Category
    severity: Severity
    origin: Origin
    message: str
    span: Span | None = None
    secret: Secret | None = None
    # What makes the finding stable when no secret is involved (a member name, a link target).
    key: str = ""
    suppression: Suppression | None = None
    # Set by a release diff (--against): the same fingerprint was already in the previous release.
    carried_over: bool = False
    # Inline allow comments on the finding's line (see InlineAllow).
    allows: tuple[InlineAllow, ...] = ()
    # The package's identity from its own metadata (``npm:@acme/tool``, ``pypi:acme-tool``), when
    # it declares one: what fingerprints name instead of the artifact's file name.
    package: str = ""
    # Facts the policy weighs, as (name, value) pairs: ``proof`` (why the value is known real: a
    # provider checksum, a live-mode prefix), a map's ``files``/``bytes``/``from``, ``also`` (rule
    # ids merged into this finding), ``fixture`` (the test or docs path it was lowered for).
    evidence: tuple[tuple[str, str], ...] = ()
    # Findings this one stands for (one finding for many maps of an artifact).
    related: tuple[Finding, ...] = ()

    def fact(self, name: str) -> str | None:
        """The first value of an evidence ``name``, or None."""
        return next((value for key, value in self.evidence if key == name), None)

    @property
    def fingerprint(self) -> str:
        """rule id + package (its identity, else the artifact's name without version) + member path +
        sha256 of the secret (or the key). Renaming the file or piping it on stdin keeps it."""
        return self._digest(self.package or versionless(self.origin.artifact))

    @property
    def legacy_fingerprint(self) -> str:
        """The fingerprint by the artifact's file name that leakguard used before package identities;
        baselines and allow entries written then still match it."""
        return self._digest(versionless(self.origin.artifact))

    def fingerprints(self) -> tuple[str, ...]:
        """Every fingerprint an exception may name this finding by."""
        current, legacy = self.fingerprint, self.legacy_fingerprint
        return (current,) if current == legacy else (current, legacy)

    def _digest(self, artifact: str) -> str:
        parts = [self.rule_id, artifact, *self.origin.chain[1:]]
        parts.append(self.secret.digest() if self.secret is not None else self.key)
        return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


ProblemKind = Literal["corrupt", "limit", "unsupported", "unreadable", "internal"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that could not be scanned. A problem is never a pass. ``trace`` holds the traceback
    of an internal error (leakguard's own bug), printed with ``--debug``."""

    origin: Origin
    kind: ProblemKind
    detail: str
    trace: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Unscanned:
    """A member the ledger records as not scanned, and why."""

    origin: Origin
    reason: str
    by_policy: bool = False


@dataclass(frozen=True, slots=True)
class Artifact:
    """A target the user named, as recognised: npm tarball, wheel, sdist, archive, directory, file."""

    path: str
    kind: str
    name: str | None
    version: str | None
    sha256: str | None
    members: int
    bytes: int
    license: str | None = None
    repository: str | None = None  # where the package says its source is published

    @property
    def identity(self) -> str:
        """The package as its metadata names it (``npm:NAME``, ``pypi:normalised-name``), or ""."""
        if not self.name:
            return ""
        if self.kind == "npm":
            return f"npm:{self.name}"
        if self.kind in ("wheel", "sdist"):
            return "pypi:" + re.sub(r"[-_.]+", "-", self.name).lower()  # PEP 503 normalisation
        return ""


@dataclass(frozen=True, slots=True)
class ArtifactEnd:
    """Walker event after a target's last member: what it was, and every member path in it."""

    artifact: Artifact
    paths: frozenset[str]
    # (path, size, crc32) of every top-level regular member read whole, sorted by path.
    members: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class MemberChange:
    """A member added (old None), removed (new None) or changed between two releases; sizes in bytes."""

    path: str
    old: int | None
    new: int | None


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    """What changed between a previous release and this one."""

    old: str
    new: str
    added: tuple[MemberChange, ...]
    removed: tuple[MemberChange, ...]
    changed: tuple[MemberChange, ...]
    old_size: int
    new_size: int
    new_findings: tuple[str, ...] = ()  # fingerprints present in the new release only


@dataclass(frozen=True, slots=True)
class Stats:
    """Totals for the one-line summary."""

    artifacts: int = 0
    members: int = 0
    bytes_scanned: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision: what blocks, what was reported below the threshold, what could not be read."""

    blocking: tuple[Finding, ...]
    reported: tuple[Finding, ...]
    problems: tuple[Problem, ...]
    artifacts: tuple[Artifact, ...] = ()
    unscanned: tuple[Unscanned, ...] = ()
    fail_on: Severity = Severity.HIGH
    stats: Stats = field(default_factory=Stats)
    suppressed: tuple[Finding, ...] = ()
    diffs: tuple[ReleaseDiff, ...] = ()
    # Every member read, as (origin chain, unpacked bytes): see ArtifactResult.layout.
    layout: tuple[tuple[tuple[str, ...], int], ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        """SCAN_ERROR if anything could not be read, else BLOCKED if anything blocks, else PASS.

        A scan error outranks findings because an unread member may hide worse; the findings are
        still reported. USAGE never comes from a verdict: it is decided before scanning starts.
        """
        if self.problems:
            return ExitCode.SCAN_ERROR
        if self.blocking:
            return ExitCode.BLOCKED
        return ExitCode.PASS

    @property
    def status(self) -> Literal["pass", "fail", "error"]:
        """The JSON report's ``verdict`` word."""
        code = self.exit_code
        if code is ExitCode.SCAN_ERROR:
            return "error"
        return "fail" if code is ExitCode.BLOCKED else "pass"


class BytesPattern(Protocol):
    """What confirmation needs of a rule's regex: a compiled ``re.Pattern[bytes]``, or the packaged
    rules' ``LazyPattern`` (compiled on first use)."""

    @property
    def pattern(self) -> bytes: ...

    def match(self, string: bytes, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[bytes] | None: ...

    def finditer(self, string: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[bytes]]: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled, validated content rule (built from a ``RuleSpec`` by ``leakguard.ruleset``)."""

    id: str
    title: str
    category: Category
    severity: Severity
    keywords: tuple[bytes, ...]
    pattern: BytesPattern
    secret_group: int
    min_entropy: float | None
    validator: str | None
    paths: tuple[str, ...]
    window: int
    references: tuple[str, ...]
    examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    source: str = ""
    # The match starts at the keyword: the regex runs anchored at each hit (re.match), not over a
    # window (re.finditer). Much cheaper for rules whose keyword is common (URL schemes).
    anchored: bool = False
    # A match alone shows the credential is real, not a test value: a live-mode prefix
    # (``sk_live_``), a key pair. Such a finding is never lowered as a fixture.
    proves_real: bool = False

    @property
    def family(self) -> str:
        """The provider family or format the rule belongs to: its id's first part (``github.pat``
        -> ``github``), as rule ids are ``<family>.<kind>``."""
        return self.id.split(".", 1)[0]
