"""Sensitive files and shipped original sources, by path (``rules/files.toml``), with content checks.

Rules are matched against the path inside the package (npm's ``package/`` and an sdist's
``name-version/`` are removed). A rule may require a named content check (``CONTENT_CHECKS``), a
package condition (``CONDITIONS``), report one finding per directory root (``.git/``) or one
finding per artifact listing the files (``aggregate``). Only top-level members are judged here;
every member, wherever it is, is still scanned by the content rules.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pathspec

from leakguard.errors import RuleError
from leakguard.match.placeholders import is_placeholder
from leakguard.model import ArtifactEnd, Category, Finding, Origin, Severity

# -- content checks ---------------------------------------------------------------------------

_ENV_LINE = re.compile(rb"(?m)^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.]*[ \t]*=[ \t]*(.*?)[ \t]*$")
_NPMRC_CRED = re.compile(rb"(?m)(?:_authToken|_auth|_password|password)[ \t]*=[ \t]*(\S+)")


def _real_value(value: bytes) -> bool:
    value = value.split(b" #", 1)[0].strip().strip(b"'\"")
    return bool(value) and not is_placeholder(value)


def env_values(data: bytes) -> bool:
    """At least one ``KEY=value`` line whose value is not empty and not a placeholder."""
    return any(_real_value(m.group(1)) for m in _ENV_LINE.finditer(data[:1_000_000]))


def npmrc_credentials(data: bytes) -> bool:
    """A literal credential; ``${NPM_TOKEN}`` references are what .npmrc files should hold."""
    return any(not m.group(1).startswith(b"${") and _real_value(m.group(1)) for m in _NPMRC_CRED.finditer(data))


def private_key(data: bytes) -> bool:
    """PEM, OpenSSH or PuTTY private key material."""
    return b"PRIVATE KEY-----" in data or b"PuTTY-User-Key-File-" in data


_ABS = (b'"/Users/', b'"/home/', b"///Users/", b"///home/", b':\\\\Users\\\\', b"file:///C:/Users/")


def absolute_paths(data: bytes) -> bool:
    """A developer's home directory in a map (``/Users/<name>/``, ``/home/<name>/``, ``C:\\Users\\``)."""
    return any(marker in data for marker in _ABS)


CONTENT_CHECKS: dict[str, Callable[[bytes], bool]] = {
    "env-values": env_values,
    "npmrc-credentials": npmrc_credentials,
    "private-key": private_key,
    "absolute-paths": absolute_paths,
}

# -- package conditions -----------------------------------------------------------------------


def _entry_points(manifest: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for key in ("main", "module", "exports", "bin", "browser"):
        collect(manifest.get(key))
    return found


def compiled_entry(paths: frozenset[str], manifest: dict[str, Any] | None) -> bool:
    """npm: every entry point (main, module, exports, bin) is compiled JavaScript."""
    if manifest is None:
        return False
    entries = _entry_points(manifest)
    return bool(entries) and all(e.endswith((".js", ".cjs", ".mjs", ".json", ".node")) for e in entries)


def compiled_extension(paths: frozenset[str], manifest: dict[str, Any] | None) -> bool:
    """A compiled extension module ships (.so, .pyd, .dylib)."""
    return any(p.endswith((".so", ".pyd", ".dylib")) or ".so." in p for p in paths)


CONDITIONS: dict[str, Callable[[frozenset[str], dict[str, Any] | None], bool]] = {
    "compiled-entry": compiled_entry,
    "compiled-extension": compiled_extension,
}

# -- rules ------------------------------------------------------------------------------------

_KEYS = frozenset({"id", "title", "category", "severity", "patterns", "reason", "content", "when", "directory",
                   "aggregate", "examples", "negative-examples", "references"})


@dataclass(frozen=True, slots=True)
class FileRule:
    """A validated path rule."""

    id: str
    title: str
    category: Category
    severity: Severity
    patterns: tuple[str, ...]
    spec: pathspec.GitIgnoreSpec
    reason: str
    content: str | None
    when: str | None
    directory: bool
    aggregate: bool
    examples: tuple[str, ...]
    negative_examples: tuple[str, ...]


def _parse(table: dict[str, Any], where: str) -> FileRule:
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", rule_id):
        raise RuleError.in_rule(where, repr(rule_id), "id: expected a dotted lower-case id")

    def fail(problem: str) -> RuleError:
        return RuleError.in_rule(where, rule_id, problem)

    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}")
    try:
        category = Category(table.get("category", "sensitive-file"))
        severity = Severity.parse(str(table.get("severity", "")))
    except ValueError as exc:
        raise fail(f"category or severity: {exc}") from None
    patterns = table.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise fail("patterns: expected a non-empty list of gitignore-style patterns")
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    except Exception as exc:
        raise fail(f"patterns: {exc}") from None
    content, when = table.get("content"), table.get("when")
    if content is not None and content not in CONTENT_CHECKS:
        raise fail(f"content: unknown check {content!r}; known: {', '.join(CONTENT_CHECKS)}")
    if when is not None and when not in CONDITIONS:
        raise fail(f"when: unknown condition {when!r}; known: {', '.join(CONDITIONS)}")
    examples, negatives = table.get("examples", []), table.get("negative-examples", [])
    if len(examples) < 2 or len(negatives) < 2:
        raise fail("needs at least 2 examples and 2 negative-examples (paths)")
    reason = table.get("reason")
    if not isinstance(reason, str) or not reason:
        raise fail("reason: say why the file should not ship")
    return FileRule(rule_id, str(table.get("title", rule_id)), category, severity, tuple(patterns), spec, reason,
                    content, when, bool(table.get("directory", False)), bool(table.get("aggregate", False)),
                    tuple(examples), tuple(negatives))


def parse_file_rules(text: str, where: str = "rules/files.toml") -> tuple[FileRule, ...]:
    """Parse and validate a file-rules document."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{where}: not valid TOML: {exc}") from None
    tables = doc.get("files", [])
    if set(doc) - {"files"} or not isinstance(tables, list):
        raise RuleError(f"{where}: expected only [[files]] tables")
    rules = tuple(_parse(t, where) for t in tables)
    ids = [r.id for r in rules]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise RuleError.in_rule(where, duplicate, "duplicate id")
    return rules


def load_file_rules() -> tuple[FileRule, ...]:
    """The packaged ``rules/files.toml``."""
    text = (resources.files("leakguard.rules") / "files.toml").read_text(encoding="utf-8")
    return parse_file_rules(text)


def check_examples(rule: FileRule) -> list[str]:
    """Example paths that do not match, negative example paths that do."""
    problems = [f"{rule.id}: example does not match: {p!r}" for p in rule.examples if not rule.spec.match_file(p)]
    problems += [f"{rule.id}: negative example matches: {p!r}" for p in rule.negative_examples
                 if rule.spec.match_file(p)]
    return problems


# -- the detector -----------------------------------------------------------------------------

_SDIST_ROOT = re.compile(r"^[A-Za-z0-9_.+-]+-\d[^/]*/")


def relative(path: str, kind: str) -> str:
    """The path inside the package for an artifact kind."""
    if kind == "npm" and path.startswith("package/"):
        return path[len("package/") :]
    if kind == "sdist":
        return _SDIST_ROOT.sub("", path, count=1)
    return path


def _candidates(path: str) -> set[str]:
    # Before the artifact's kind is known, try the path as it is and without its first folder.
    return {path, path.split("/", 1)[-1]}


@dataclass(slots=True)
class FileDetector:
    """Collects what content checks need while walking; judges each artifact at its end."""

    rules: tuple[FileRule, ...]
    _content: dict[tuple[str, str], bool] = field(default_factory=dict)
    _manifest: dict[str, Any] | None = None

    def member(self, origin: Origin, data: bytes) -> None:
        """Offer a top-level member's bytes (``origin`` of depth 2: artifact, member)."""
        if len(origin.chain) != 2:
            return
        path = origin.chain[1]
        if path in ("package/package.json", "package.json"):
            try:
                doc = json.loads(data)
            except (ValueError, UnicodeDecodeError):
                doc = None
            self._manifest = doc if isinstance(doc, dict) else None
        for rule in self.rules:
            if rule.content is not None and any(rule.spec.match_file(c) for c in _candidates(path)):
                self._content[(rule.id, path)] = CONTENT_CHECKS[rule.content](data)

    def finish(self, end: ArtifactEnd) -> list[Finding]:
        """Findings for one artifact; resets the per-artifact state."""
        artifact = end.artifact
        root = Origin((artifact.path,), in_directory=artifact.kind == "directory")
        rel = {p: relative(p, artifact.kind) for p in end.paths}
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.when is not None and not CONDITIONS[rule.when](frozenset(rel.values()), self._manifest):
                continue
            hits = sorted(p for p, r in rel.items() if rule.spec.match_file(r)
                          and (rule.content is None or self._content.get((rule.id, p), False)))
            if not hits:
                continue
            if rule.directory:
                findings.extend(self._directories(rule, root, hits, artifact.kind))
            elif rule.aggregate:
                sample = ", ".join(rel[p] for p in hits[:3]) + (", ..." if len(hits) > 3 else "")
                findings.append(Finding(rule.id, rule.category, rule.severity, root,
                                        f"{rule.title}: {len(hits):,} file{'s' if len(hits) != 1 else ''} ship "
                                        f"({sample}); {rule.reason}", key=rule.id))
            else:
                findings.extend(Finding(rule.id, rule.category, rule.severity, root.child(p),
                                        f"{rule.title}: {rel[p]} ships; {rule.reason}", key=rel[p]) for p in hits)
        self._content.clear()
        self._manifest = None
        return findings

    @staticmethod
    def _directories(rule: FileRule, root: Origin, hits: Iterable[str], kind: str) -> list[Finding]:
        names = {p.strip("/") for p in rule.patterns if p.endswith("/")}
        roots: dict[str, int] = {}
        for path in hits:
            parts = path.split("/")
            for i, part in enumerate(parts[:-1]):
                if part in names:
                    top = "/".join(parts[: i + 1]) + "/"
                    roots[top] = roots.get(top, 0) + 1
                    break
        findings = []
        for top, count in sorted(roots.items()):
            shown = relative(top, kind)
            findings.append(Finding(rule.id, rule.category, rule.severity, root.child(top),
                                    f"{rule.title}: {shown} ships ({count:,} file{'s' if count != 1 else ''}); "
                                    f"{rule.reason}", key=shown))
        return findings
