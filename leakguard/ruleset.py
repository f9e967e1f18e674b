"""Content rules: ``rules/**/*.toml`` -> ``RuleSpec`` (checked TOML) -> ``Rule`` (compiled).

A rule file holds ``[[rules]]`` tables. Every error names the file and the rule id. The packaged
rules are found with ``rulecache.packaged`` (the ``leakguard.rules`` package's folder, or
importlib.resources' view of it inside a zip), so they load from a wheel, an sdist or a checkout alike.
"""

from __future__ import annotations

import functools
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leakguard import redos, rulecache
from leakguard.errors import RuleError
from leakguard.model import BytesPattern, Category, Rule, Severity
from leakguard.textfile import parsed, read_text

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# Directories and files under rules/ that hold content rules, in load order (an explicit list).
CONTENT_RULE_DIRS: tuple[str, ...] = ("credentials",)
CONTENT_RULE_FILES: tuple[str, ...] = ("endpoints.toml",)

DEFAULT_WINDOW = 256
MAX_WINDOW = 16384  # must stay below half the walker's window overlap (walk/limits.py)

_ALLOWED_KEYS = frozenset(
    {
        "id", "title", "category", "severity", "keywords", "regex", "secret-group", "min-entropy",
        "validator", "paths", "window", "references", "examples", "negative-examples",
        "no-keywords-reason", "anchored", "proves-real",
    }
)
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+$")


class LazyPattern:
    """A bytes regex compiled the first time it is used. The packaged rules are checked by
    ``leakguard rules check`` and the test suite, so a scan need not compile all of them at start-up:
    most never confirm a hit, and those that do are compiled in the process that confirms it."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: bytes) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[bytes] | None = None

    def compiled(self) -> re.Pattern[bytes]:
        """The compiled regex (compiled now if it was not yet)."""
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return self._compiled

    def match(self, string: bytes, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[bytes] | None:
        return self.compiled().match(string, pos, endpos)

    def finditer(self, string: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[bytes]]:
        return self.compiled().finditer(string, pos, endpos)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as written in TOML, with every key type-checked but nothing compiled yet."""

    id: str
    title: str
    category: str
    severity: str
    keywords: tuple[str, ...]
    regex: str
    secret_group: int | None
    min_entropy: float | None
    validator: str | None
    paths: tuple[str, ...]
    window: int
    references: tuple[str, ...]
    examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    no_keywords_reason: str | None
    source: str
    anchored: bool = False
    proves_real: bool = False


def _str_tuple(raw: Mapping[str, Any], key: str, where: str, rule_id: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError.in_rule(where, rule_id, f"{key}: expected a list of strings")
    return tuple(value)


def _flag(raw: Mapping[str, Any], key: str, where: str, rule_id: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise RuleError.in_rule(where, rule_id, f"{key}: expected true or false")
    return value


def parse_spec(raw: Mapping[str, Any], where: str) -> RuleSpec:
    """Check one ``[[rules]]`` table and return its spec."""
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        raise RuleError.in_rule(where, repr(rule_id), "id: expected a dotted lower-case id like 'github.pat'")
    unknown = sorted(set(raw) - _ALLOWED_KEYS)
    if unknown:
        raise RuleError.in_rule(where, rule_id, f"unknown key {unknown[0]!r}")

    def text(key: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value:
            raise RuleError.in_rule(where, rule_id, f"{key}: expected a non-empty string")
        return value

    def optional(key: str, kind: type | tuple[type, ...]) -> Any:
        value = raw.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise RuleError.in_rule(where, rule_id, f"{key}: expected {getattr(kind, '__name__', 'a number')}")
        return value

    window = optional("window", int)
    entropy = optional("min-entropy", (int, float))
    return RuleSpec(
        id=rule_id,
        title=text("title"),
        category=text("category", "credential"),
        severity=text("severity"),
        keywords=_str_tuple(raw, "keywords", where, rule_id),
        regex=text("regex"),
        secret_group=optional("secret-group", int),
        min_entropy=float(entropy) if entropy is not None else None,
        validator=optional("validator", str),
        paths=_str_tuple(raw, "paths", where, rule_id),
        window=DEFAULT_WINDOW if window is None else window,
        references=_str_tuple(raw, "references", where, rule_id),
        examples=_str_tuple(raw, "examples", where, rule_id),
        negative_examples=_str_tuple(raw, "negative-examples", where, rule_id),
        no_keywords_reason=optional("no-keywords-reason", str),
        source=where,
        anchored=_flag(raw, "anchored", where, rule_id),
        proves_real=_flag(raw, "proves-real", where, rule_id),
    )


# Tokens of a regex that matter for counting its groups: an escape, a character class, "(?P<" and
# a "(" that does not start an extension.
_GROUP_TOKENS = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\(\?P<|\((?!\?)", re.S)


def count_groups(regex: str) -> int:
    """The capturing groups of ``regex`` without compiling it (for rules compiled lazily). The suite
    compares it with ``re.compile`` for every packaged rule and for random regexes."""
    return sum(1 for token in _GROUP_TOKENS.finditer(regex) if token.group()[0] == "(")


def _labels(spec: RuleSpec) -> tuple[Severity, Category]:
    try:
        severity = Severity.parse(spec.severity)
    except ValueError as exc:
        raise RuleError.in_rule(spec.source, spec.id, f"severity: {exc}") from None
    try:
        return severity, Category(spec.category)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise RuleError.in_rule(spec.source, spec.id, f"category: expected one of {known}") from None


def compile_spec(spec: RuleSpec, *, lazy: bool = False) -> Rule:
    """Turn a spec into a compiled rule, or raise ``RuleError`` naming file and rule. With ``lazy``
    (the packaged rules) the regex is compiled on first use instead."""

    def fail(problem: str) -> RuleError:
        return RuleError.in_rule(spec.source, spec.id, problem)

    severity, category = _labels(spec)
    pattern: BytesPattern
    if lazy:
        pattern = LazyPattern(spec.regex.encode("utf-8"))
        groups = count_groups(spec.regex)
    else:
        try:
            pattern = re.compile(spec.regex.encode("utf-8"))
        except re.error as exc:
            raise fail(f"regex does not compile: {exc}") from None
        groups = pattern.groups
    for keyword in spec.keywords:
        if not keyword or keyword != keyword.lower() or not keyword.isascii():
            raise fail(f"keyword {keyword!r} must be non-empty lower-case ASCII")
    if spec.anchored and not spec.keywords:
        raise fail("anchored: an anchored rule needs keywords (its match starts at one)")
    if not spec.keywords and not spec.no_keywords_reason:
        raise fail("keywords: a rule without keywords must say why in no-keywords-reason")
    group = spec.secret_group
    if group is None:
        group = 1 if groups else 0
    if not 0 <= group <= groups:
        raise fail(f"secret-group {group} but the regex has {groups} groups")
    if not 1 <= spec.window <= MAX_WINDOW:
        raise fail(f"window: expected 1..{MAX_WINDOW}")
    if not spec.references:
        raise fail("references: cite the provider's published format")
    if len(spec.examples) < 2 or len(spec.negative_examples) < 2:
        raise fail("needs at least 2 examples and 2 negative-examples")
    return Rule(
        id=spec.id,
        title=spec.title,
        category=category,
        severity=severity,
        keywords=tuple(k.encode("ascii") for k in spec.keywords),
        pattern=pattern,
        secret_group=group,
        min_entropy=spec.min_entropy,
        validator=spec.validator,
        paths=spec.paths,
        window=spec.window,
        references=spec.references,
        examples=spec.examples,
        negative_examples=spec.negative_examples,
        source=spec.source,
        anchored=spec.anchored,
        proves_real=spec.proves_real,
    )


def parse_file(text: str, where: str, *, lazy: bool = False) -> list[Rule]:
    """Parse and compile every rule of one TOML file (``lazy``: see ``compile_spec``)."""
    try:
        data = parsed(tomllib.loads, text, where, "rule file", RuleError)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{where}: not valid TOML: {exc}") from None
    return parse_doc(data, where, lazy=lazy)


def parse_doc(data: dict[str, Any], where: str, *, lazy: bool = False) -> list[Rule]:
    """``parse_file`` of a file's TOML already parsed."""
    unknown = sorted(set(data) - {"rules"})
    if unknown:
        raise RuleError(f"{where}: unknown top-level key {unknown[0]!r} (expected [[rules]] tables)")
    tables = data.get("rules", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RuleError(f"{where}: rules: expected [[rules]] tables")
    return [compile_spec(parse_spec(table, where), lazy=lazy) for table in tables]


def _check_unique(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    seen: dict[str, str] = {}
    out = []
    for rule in rules:
        if rule.id in seen:
            raise RuleError.in_rule(rule.source, rule.id, f"duplicate id (also in {seen[rule.id]})")
        seen[rule.id] = rule.source
        out.append(rule)
    return tuple(out)


def _toml_files(root: Traversable) -> list[Traversable]:
    return sorted((f for f in root.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


@functools.cache
def _packaged(lazy: bool) -> tuple[Rule, ...]:
    """The rules shipped in the package: read once per process (rules are immutable; a library
    caller or the fuzzer scanning many times does not parse 78 TOML files each time)."""
    package = rulecache.packaged()
    names = [f"{sub}/{item.name}" for sub in CONTENT_RULE_DIRS for item in _toml_files(package / sub)]
    names += CONTENT_RULE_FILES
    try:
        docs = rulecache.load(package, names)
    except tomllib.TOMLDecodeError:
        for name in names:  # the RuleError names the broken file
            parse_file((package / name).read_text(encoding="utf-8"), f"rules/{name}")
        raise
    return tuple(rule for name, doc in zip(names, docs, strict=True)
                 for rule in parse_doc(doc, f"rules/{name}", lazy=lazy))


def load_rules(extra: Iterable[Path] = (), *, compile_all: bool = False) -> tuple[Rule, ...]:
    """The packaged content rules plus rule files the user names, validated. The user's regexes are
    compiled now (a bad one is a config error before the scan starts); the packaged ones on first
    use, unless ``compile_all`` (``leakguard rules check``)."""
    rules = list(_packaged(not compile_all))
    for path in extra:
        loaded = parse_file(read_text(path, "rule file", RuleError), str(path))
        for rule in loaded:  # a user's regex runs over attacker-controlled text: no catastrophic backtracking
            why = redos.risk(rule.pattern.pattern)
            if why is not None:
                raise RuleError.in_rule(str(path), rule.id, f"regex {redos.advice(why)}")
        rules.extend(loaded)
    return _check_unique(rules)
