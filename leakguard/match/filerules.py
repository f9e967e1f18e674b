"""File rules as data: ``rules/files.toml`` -> ``FileRuleSpec`` (checked TOML) -> ``FileRule`` (compiled,
examples verified). A file rule is a set of gitignore-style patterns matched against the path inside
the package, plus optionally a named content check or package condition (``filechecks``).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pathspec

from leakguard import rulecache
from leakguard.errors import RuleError
from leakguard.match.filechecks import CONDITIONS, CONTENT_CHECKS
from leakguard.model import Category, Severity

WHERE = "rules/files.toml"

# Artifact kinds as the walker names them (leakguard.walk.kinds.Manifest.describe).
KINDS: tuple[str, ...] = ("npm", "wheel", "sdist", "archive", "directory", "file")


# -- rules: TOML -> FileRuleSpec (checked) -> FileRule (compiled, examples verified) ---------------

_ALLOWED_KEYS = frozenset({
    "id", "title", "category", "severity", "reason", "patterns", "content", "when", "kinds", "aggregate",
    "references", "examples", "negative-examples",
})
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+$")
_CATEGORIES = (Category.SENSITIVE_FILE, Category.SOURCE_CODE)


@dataclass(frozen=True, slots=True)
class FileRuleSpec:
    """A ``[[files]]`` table with every key type-checked, nothing compiled yet."""

    id: str
    title: str
    category: str
    severity: str
    reason: str
    patterns: tuple[str, ...]
    content: str | None
    when: str | None
    kinds: tuple[str, ...]
    aggregate: bool
    references: tuple[str, ...]
    examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class FileRule:
    """A compiled, validated file rule. ``matches`` takes a path inside the package."""

    id: str
    title: str
    category: Category
    severity: Severity
    reason: str
    patterns: tuple[str, ...]
    content: str | None
    when: str | None
    kinds: tuple[str, ...]
    aggregate: bool
    references: tuple[str, ...]
    examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    spec: LazySpec = field(repr=False, compare=False)
    # One text that every path an including pattern selects holds, per including pattern (None
    # when some pattern has none): a path holding none of them is not matched, whatever the
    # negations say. Checked with ``in``, before any regex is compiled or run.
    literals: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    def matches(self, path: str) -> bool:
        """True if the gitignore-style patterns select ``path`` (``dir/`` for a directory)."""
        if not self.may_match(path):
            return False
        return self.spec.match_file(path)

    def may_match(self, path: str) -> bool:
        """False only for a path the patterns cannot select: it holds none of ``literals``. Paths
        that pathspec rewrites before matching always may."""
        if self.literals is None or rewritten(path):
            return True
        # A loop, not any() over a generator: this runs once per member and content rule.
        for literal in self.literals:  # noqa: SIM110
            if literal in path:
                return True
        return False

    @property
    def what(self) -> str:
        """The title as it reads inside a sentence: "Environment variables" -> "environment variables"."""
        title = self.title
        return title[0].lower() + title[1:] if title[1:2].islower() else title


def parse_spec(raw: Mapping[str, Any], where: str = WHERE) -> FileRuleSpec:
    """Type-check one ``[[files]]`` table."""
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        raise RuleError.in_rule(where, repr(rule_id), "id: expected a dotted lower-case id like 'file.dotenv'")

    def fail(problem: str) -> RuleError:
        return RuleError.in_rule(where, rule_id, problem)

    unknown = sorted(set(raw) - _ALLOWED_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}")

    def text(key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{key}: expected a non-empty string")
        return value

    def optional(key: str) -> str | None:
        return text(key) if key in raw else None

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(f"{key}: expected a list of non-empty strings")
        return tuple(value)

    aggregate = raw.get("aggregate", False)
    if not isinstance(aggregate, bool):
        raise fail("aggregate: expected true or false")
    return FileRuleSpec(
        id=rule_id,
        title=text("title"),
        category=text("category"),
        severity=text("severity"),
        reason=text("reason"),
        patterns=strings("patterns"),
        content=optional("content"),
        when=optional("when"),
        kinds=strings("kinds") if "kinds" in raw else KINDS,
        aggregate=aggregate,
        references=strings("references"),
        examples=strings("examples"),
        negative_examples=strings("negative-examples"),
        source=where,
    )


def _check_patterns(spec: FileRuleSpec, fail: Callable[[str], RuleError], *, checked: bool) -> None:
    if not spec.patterns:
        raise fail("patterns: expected at least one gitignore-style pattern")
    for pattern in spec.patterns if checked else ():
        try:
            [compiled] = pathspec.GitIgnoreSpec.from_lines([pattern]).patterns
        except ValueError as exc:
            raise fail(f"pattern {pattern!r}: {exc}") from None
        if compiled.include is None:
            raise fail(f"pattern {pattern!r} selects nothing (blank, a comment or not a valid pattern)")
    if not any(not p.startswith("!") for p in spec.patterns):
        raise fail("patterns: every pattern is a negation, so nothing can match")


def compile_spec(spec: FileRuleSpec, *, checked: bool = True) -> FileRule:
    """Compile the patterns and check everything else, examples included; ``RuleError`` names the
    rule. Without ``checked`` (the packaged rules, which ``leakguard rules check`` and the suite
    check) each pattern is not compiled on its own first and the examples are not run."""

    def fail(problem: str) -> RuleError:
        return RuleError.in_rule(spec.source, spec.id, problem)

    try:
        severity = Severity.parse(spec.severity)
    except ValueError as exc:
        raise fail(f"severity: {exc}") from None
    category = next((c for c in _CATEGORIES if c.value == spec.category), None)
    if category is None:
        raise fail(f"category: expected one of {', '.join(c.value for c in _CATEGORIES)}, got {spec.category!r}")
    _check_patterns(spec, fail, checked=checked)
    if spec.content is not None:
        if spec.content not in CONTENT_CHECKS:
            raise fail(f"content: unknown check {spec.content!r}; known: {', '.join(CONTENT_CHECKS)}")
        # Content is judged one member at a time (FileDetector.member): no folders, no aggregates.
        if spec.aggregate or any(p.endswith("/") for p in spec.patterns):
            raise fail("content: a content check judges single files; drop 'aggregate' and directory patterns")
    if spec.when is not None and spec.when not in CONDITIONS:
        raise fail(f"when: unknown condition {spec.when!r}; known: {', '.join(CONDITIONS)}")
    if spec.content is not None and spec.when is not None:
        raise fail("content and when: a rule has one or the other")
    bad_kinds = [k for k in spec.kinds if k not in KINDS]
    if bad_kinds or not spec.kinds:
        raise fail(f"kinds: expected some of {', '.join(KINDS)}, got {list(spec.kinds)!r}")
    bad_refs = [r for r in spec.references if not r.startswith("https://")]
    if bad_refs:
        raise fail(f"references: expected https:// addresses, got {bad_refs[0]!r}")
    if len(spec.examples) < 2 or len(spec.negative_examples) < 2:
        raise fail("needs at least 2 examples and 2 negative-examples (paths inside the package)")
    rule = FileRule(
        id=spec.id,
        title=spec.title,
        category=category,
        severity=severity,
        reason=spec.reason,
        patterns=spec.patterns,
        content=spec.content,
        when=spec.when,
        kinds=spec.kinds,
        aggregate=spec.aggregate,
        references=spec.references,
        examples=spec.examples,
        negative_examples=spec.negative_examples,
        spec=LazySpec(spec.patterns),
        literals=_literals(spec.patterns),
    )
    problems = check_examples(rule) if checked else []
    if problems:
        raise fail(problems[0].removeprefix(f"{rule.id}: "))
    return rule


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


# pathspec's class for gitignore patterns (its name differs between pathspec releases): its
# ``pattern_to_regex`` gives each pattern's regex without compiling it.
_PATTERN_CLASS = type(pathspec.GitIgnoreSpec.from_lines(["x"]).patterns[0])


class LazySpec:
    """A rule's patterns, compiled the first time a path gets past its literals
    (``FileRule.may_match``): first every including pattern's regex merged in one (a path none of
    them selects is not matched, whatever the negations say), then, for the paths that pass it,
    the ``pathspec.GitIgnoreSpec`` itself. Most rules never see such a path, so most never pay
    for compiling their regexes at start-up."""

    __slots__ = ("_quick", "_ready", "_spec", "lines")

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self._quick: re.Pattern[str] | None = None
        self._ready = False
        self._spec: pathspec.GitIgnoreSpec | None = None

    def match_file(self, path: str) -> bool:
        if not self._ready:
            self._quick, self._ready = _including(self.lines), True
        if self._quick is not None and self._quick.search(path) is None and not rewritten(path):
            return False
        if self._spec is None:
            self._spec = pathspec.GitIgnoreSpec.from_lines(self.lines)
        return bool(self._spec.match_file(path))


def _including(lines: tuple[str, ...]) -> re.Pattern[str] | None:
    regexes = []
    for line in lines:
        regex, include = _PATTERN_CLASS.pattern_to_regex(line)
        if include and isinstance(regex, str):
            if "(?P=" in regex:
                return None  # a back-reference cannot be merged: no shortcut for this rule
            regexes.append("(?:" + _NAMED_GROUP.sub("(?:", regex) + ")")
    return re.compile("|".join(regexes)) if regexes else None


def rewritten(path: str) -> bool:
    """pathspec rewrites such a path before matching (drops a leading ``/``, turns backslashes
    into separators on Windows), so neither the literals nor the merged regex may judge it."""
    return path.startswith("/") or "\\" in path


def _literals(lines: tuple[str, ...]) -> tuple[str, ...] | None:
    """The longest text each including pattern requires of a path it selects, or None when one of
    them requires none (``*``, ``**/?``)."""
    literals = []
    for line in lines:
        _, include = _PATTERN_CLASS.pattern_to_regex(line)
        if include:
            literal = required_text(line)
            if not literal:
                return None
            literals.append(literal)
    return tuple(dict.fromkeys(literals)) or None


def required_text(pattern: str) -> str:
    """The longest run of a gitignore pattern's own characters inside one path segment: text that
    every path the pattern selects contains. Wildcards and separators end a run, an escape adds
    the escaped character, and nothing from a ``[`` class onwards counts. Runs are stripped of
    spaces (gitignore drops trailing ones): a shorter text is still required."""
    runs, run, pos = [], "", 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "\\":
            if pos + 1 == len(pattern):
                break  # a trailing backslash: leave it to pathspec
            run, pos = run + pattern[pos + 1], pos + 2
            continue
        if char in "*?[/":
            runs.append(run)
            run = ""
            if char == "[":
                break
        else:
            run += char
        pos += 1
    runs.append(run)
    return max((r.strip() for r in runs), key=len)


def check_examples(rule: FileRule) -> list[str]:
    """``"<id>: ..."`` for each example path that does not match and each negative example that does."""
    problems = [f"{rule.id}: example does not match: {p!r}" for p in rule.examples if not rule.matches(p)]
    problems += [f"{rule.id}: negative example matches: {p!r}" for p in rule.negative_examples if rule.matches(p)]
    return problems


def parse_file_rules(text: str, where: str = WHERE, *, checked: bool = True) -> tuple[FileRule, ...]:
    """Parse, validate and compile a whole file-rules document (``checked``: see ``compile_spec``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{where}: not valid TOML: {exc}") from None
    return parse_doc_rules(doc, where, checked=checked)


def parse_doc_rules(doc: dict[str, Any], where: str = WHERE, *, checked: bool = True) -> tuple[FileRule, ...]:
    """``parse_file_rules`` of a document's TOML already parsed."""
    unknown = sorted(set(doc) - {"files"})
    if unknown:
        raise RuleError(f"{where}: unknown top-level key {unknown[0]!r} (expected [[files]] tables)")
    tables = doc.get("files", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RuleError(f"{where}: files: expected [[files]] tables")
    rules = tuple(compile_spec(parse_spec(table, where), checked=checked) for table in tables)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError.in_rule(where, rule.id, "duplicate id")
        seen.add(rule.id)
    return rules


@functools.cache
def load_file_rules(checked: bool = False) -> tuple[FileRule, ...]:
    """The packaged ``rules/files.toml`` (``leakguard.rules`` in an install), compiled; read once per
    process (the rules are immutable). ``checked`` runs every check of a user's rule file too
    (``leakguard rules check``)."""
    try:
        (doc,) = rulecache.load(rulecache.packaged(), ["files.toml"])
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{WHERE}: not valid TOML: {exc}") from None
    return parse_doc_rules(doc, WHERE, checked=checked)
