"""Sensitive files and shipped source code, by path: ``rules/files.toml`` -> ``FileRule`` -> ``FileDetector``.

A file rule is a set of gitignore-style patterns (pathspec's ``GitIgnoreSpec``) matched against the
path inside the package (``package_path``: npm's ``package/`` and an sdist's ``name-version/`` are
removed, as installers remove them), plus optionally a named content check (``CONTENT_CHECKS``), a
named package condition (``CONDITIONS``) and the artifact kinds it applies to.

What the app calls, and when (everything here is pure: no I/O, no state between calls):

``FileDetector.member(origin, data, kind_hint)``
    For each member blob that is not ``derived``, once per member: the whole member, or the first
    piece (``offset == 0``) of one too large to hold at once. It judges the rules that have a
    content check, since only then are the bytes at hand, and returns their findings at the
    member's origin. Only what the artifact itself ships is judged: top-level members
    (``origin.chain`` of length 2) and single-file targets (length 1); members of nested archives
    return ``[]`` (their content is still scanned by the credential rules). ``kind_hint`` is the
    artifact's kind when the caller knows it (an ``Artifact.kind``), or ``""``: the kind is only
    certain at the artifact's end, so ``""`` means "infer it from the origin" (``infer_kind``).
    Content-rule patterns match at any depth, so the hint only affects the finding's key.

``FileDetector.finish(paths, artifact, manifest_json)``
    At each ``ArtifactEnd``, with ``end.paths``, ``end.artifact`` and the npm manifest as a dict
    (``npm_manifest()`` of the top-level ``package/package.json`` blob, or of ``package.json`` in a
    directory target; None for other kinds). It judges the rules without a content check, which
    need the whole member list: directories (``.git/`` once per directory root, with the count of
    files under it), aggregates (one finding per artifact), and the shipped-source rules whose
    conditions read package.json's entry points or look for compiled extensions. For a
    single-file target (kind ``file``, no members) the target's own path is judged.

Findings carry the rule's category and severity, a message saying what ships and why it matters,
and ``key = "<rule id>:<path inside the package>"`` (the rule id alone for an aggregate), so their
fingerprints survive re-packing. A file that is both sensitive and holds a credential gets both
findings: the credential one comes from the content matcher, this module only adds the file one.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pathspec

from leakguard import rulecache
from leakguard.errors import RuleError
from leakguard.match.placeholders import is_placeholder
from leakguard.model import Artifact, Category, Finding, Origin, Severity, human_size

WHERE = "rules/files.toml"

# Artifact kinds as the walker names them (leakguard.walk.kinds.Manifest.describe).
KINDS: tuple[str, ...] = ("npm", "wheel", "sdist", "archive", "directory", "file")

# Content checks read at most this much of a member: every marker they look for sits in the head
# of the file, except a map's ``sources``, which are read wherever they are.
HEAD = 1024 * 1024

# -- content checks: bytes -> a short detail for the message, or None (not a finding) -------------

_ENV_LINE = re.compile(rb"(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*([^\r\n]*)")
_SMALL_NUMBER = re.compile(rb"^\d{1,6}$")


def _env_value(raw: bytes) -> bytes:
    """The value of a ``KEY=value`` line: quotes removed, or an unquoted value cut at `` #``."""
    raw = raw.strip()
    if raw[:1] in (b'"', b"'"):
        end = raw.find(raw[:1], 1)
        return raw[1:end] if end != -1 else raw[1:]
    return re.split(rb"[ \t]#", raw, maxsplit=1)[0].strip()


def _set_values(data: bytes) -> list[str]:
    """Names of the keys whose value is set: not empty, not a placeholder (``is_placeholder``:
    ``<your-key>``, ``${VAR}``, ``changeme``...), and not a short number (a port or a timeout)."""
    names: list[str] = []
    for match in _ENV_LINE.finditer(data[:HEAD]):
        value = _env_value(match.group(2))
        if value and not is_placeholder(value) and not _SMALL_NUMBER.match(value):
            names.append(match.group(1).decode("ascii"))
    return names


def _names(names: list[str]) -> str:
    shown = ", ".join(dict.fromkeys(names[:3]))
    return shown + (", ..." if len(names) > 3 else "")


def env_file(data: bytes) -> str | None:
    """Always a finding (a .env should not ship at all); the detail counts the values it sets."""
    names = _set_values(data)
    if not names:
        return "no values set"
    return f"{len(names)} value{'s' if len(names) != 1 else ''}: {_names(names)}"


def env_values(data: bytes) -> str | None:
    """A template is a finding only when some ``KEY=value`` line holds a value that is not a
    placeholder; the detail names the keys, never the values."""
    names = _set_values(data)
    if not names:
        return None
    return f"{len(names)} value{'s' if len(names) != 1 else ''} that {'are' if len(names) != 1 else 'is'} " \
           f"not a placeholder: {_names(names)}"


# npm's auth settings, global or scoped to a registry: ``//registry.example/:_authToken=...``.
# https://docs.npmjs.com/cli/configuring-npm/npmrc#auth-related-configuration
_NPMRC_AUTH = re.compile(rb"(?im)^[ \t]*(//[^\s=]*:)?(_authToken|_auth|_password|password)[ \t]*=[ \t]*([^\r\n]*)")


def npmrc_credentials(data: bytes) -> str | None:
    """A literal credential; ``${NPM_TOKEN}`` references are what a committed .npmrc should hold."""
    literal = [m for m in _NPMRC_AUTH.finditer(data[:HEAD]) if _literal(_env_value(m.group(3)))]
    if not literal:
        return None
    where = sorted({(m.group(1) or b"").decode("utf-8", "replace").rstrip(":") or "default registry"
                    for m in literal})
    return f"{len(literal)} literal credential{'s' if len(literal) != 1 else ''} for {', '.join(where)}"


def _literal(value: bytes) -> bool:
    return bool(value) and not is_placeholder(value)


# RFC 7468 labels: PRIVATE KEY, RSA/EC/DSA/OPENSSH/ENCRYPTED PRIVATE KEY, PGP PRIVATE KEY BLOCK.
_PEM_PRIVATE = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/=]{16,}")
_MIN_KEY_MATERIAL = 64  # base64 characters: a key body, not a "-----BEGIN PRIVATE KEY-----..." stub


def private_key(data: bytes) -> str | None:
    """A PEM private key block with key material in it, or a PuTTY key; certificates are fine."""
    for match in _PEM_PRIVATE.finditer(data[:HEAD]):
        end = data.find(b"-----END", match.end())
        body = data[match.end() : end if end != -1 else match.end() + 8192]
        if sum(len(run) for run in _BASE64_RUN.findall(body)) >= _MIN_KEY_MATERIAL:
            return f"{match.group(1).decode('ascii')} block"
    if data.startswith(b"PuTTY-User-Key-File-") and b"Private-Lines:" in data[:HEAD]:
        return "PuTTY private key"
    return None


_DUMP_HEADERS: tuple[tuple[bytes, str], ...] = (
    (b"-- MySQL dump", "mysqldump output"),
    (b"-- MariaDB dump", "mariadb-dump output"),
    (b"-- PostgreSQL database dump", "pg_dump output"),
    (b"PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;", "sqlite3 .dump output"),
)


def database_dump(data: bytes) -> str | None:
    """A dump by its tool's own header; a migration or a schema file is not one."""
    if data.startswith(b"PGDMP"):
        return f"pg_dump custom-format archive, {human_size(len(data))}"
    if data.startswith(b"REDIS") and data[5:9].isdigit():
        return f"Redis RDB snapshot, {human_size(len(data))}"
    head = data[:4096]
    for marker, what in _DUMP_HEADERS:
        if marker in head:
            return f"{what}, {human_size(len(data))}"
    return None


def sqlite(data: bytes) -> str | None:
    """An SQLite 3 database file (https://www.sqlite.org/fileformat.html: the 16-byte header string)."""
    return f"SQLite database, {human_size(len(data))}" if data.startswith(b"SQLite format 3\x00") else None


def core_dump(data: bytes) -> str | None:
    """A memory dump by its header: ELF ``e_type == ET_CORE``, Mach-O ``MH_CORE``, a Windows
    minidump (``MDMP``) or a Java heap dump (``JAVA PROFILE``)."""
    if data[:4] == b"\x7fELF" and len(data) >= 18:
        order: Any = "little" if data[5] == 1 else "big"  # EI_DATA
        if int.from_bytes(data[16:18], order) == 4:
            return f"ELF core dump, {human_size(len(data))}"
    if len(data) >= 16 and data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
                                        b"\xfe\xed\xfa\xce"):
        order = "little" if data[0] in (0xCF, 0xCE) else "big"
        if int.from_bytes(data[12:16], order) == 4:
            return f"Mach-O core dump, {human_size(len(data))}"
    if data.startswith(b"MDMP"):
        return f"Windows minidump, {human_size(len(data))}"
    if data.startswith(b"JAVA PROFILE "):
        return f"Java heap dump, {human_size(len(data))}"
    return None


# ECMA-426: ``sources`` (and ``sourceRoot``, prefixed to each) name the original files; index maps
# hold several ``sources`` arrays, one per section. ``"sourcesContent"`` does not match ``"sources"``.
_SOURCES_KEYS = (b'"sources"', b'"sourceRoot"')
_SOURCES_HEAD = b'"source'
_COLON = re.compile(rb"\s*:\s*")
_JSON_ITEM = re.compile(rb'\s*(?:"((?:[^"\\]|\\.)*)"|null)\s*([,\]])')
_JSON_STRING = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_EMPTY_REST = re.compile(rb"\s*\]")
# /Users/<name>/, /home/<name>/, C:\Users\<name>\ (JSON-escaped backslashes) or C:/Users/<name>/.
_HOME = re.compile(rb"(/Users/|/home/|[A-Za-z]:(?:\\\\|/)Users(?:\\\\|/))([^/\\\"]+)(?:/|\\\\)")
# Every _HOME match holds one of these. A match holds no quote, so it lies inside one string of an
# array: a whole array without any of them has no source to look at one by one.
_HOME_MARKS = (b"/home/", b"Users")
# A whole JSON array of strings and nulls, in one match (possessive: no backtracking state).
_JSON_ARRAY = re.compile(rb'\[(?:\s*+(?:"(?:[^"\\]++|\\.)*+"|null)\s*+,)*+\s*+(?:"(?:[^"\\]++|\\.)*+"|null)?+\s*+\]')


def _keys(data: bytes) -> list[tuple[int, bytes]]:
    """Where each ``"sources"`` and ``"sourceRoot"`` key's value starts, in order. Found with one
    ``bytes.find`` pass for their common head: a regex search over a 60 MB map costs a quarter of
    a second. Inside a JSON string a quote is escaped, so ``"sources"`` in the raw bytes is a key
    or a whole string."""
    found = []
    pos = data.find(_SOURCES_HEAD)
    while pos != -1:
        key = next((k for k in _SOURCES_KEYS if data.startswith(k, pos)), None)
        if key is not None and (colon := _COLON.match(data, pos + len(key))) is not None:
            found.append((colon.end(), key))
        pos = data.find(_SOURCES_HEAD, pos + 1)
    return found


def _source_strings(data: bytes, *, skim: bool = True) -> Iterator[bytes]:
    """The raw strings of every ``sources`` array and ``sourceRoot``. With ``skim``, an array
    none of whose strings can hold a home folder yields nothing (see ``_HOME_MARKS``)."""
    for pos, key in _keys(data):
        if key == b'"sourceRoot"':
            root = _JSON_STRING.match(data, pos)
            if root is not None:
                yield root.group(1)
            continue
        if data[pos : pos + 1] != b"[":
            continue
        whole = _JSON_ARRAY.match(data, pos) if skim else None
        if whole is not None and not any(data.find(mark, pos, whole.end()) != -1 for mark in _HOME_MARKS):
            continue  # (a map of thousands of sources: one regex match instead of one per item)
        pos += 1
        if _EMPTY_REST.match(data, pos):  # not data[pos:]: that copies the rest of a 60 MB map
            continue
        while (item := _JSON_ITEM.match(data, pos)) is not None:
            if item.group(1) is not None:
                yield item.group(1)
            if item.group(2) == b"]":
                break
            pos = item.end()


def build_paths(data: bytes) -> str | None:
    """A source map whose ``sources`` hold a home directory of the machine that built it."""
    homes: dict[str, int] = {}
    for source in _source_strings(data):
        found = _HOME.search(source)
        if found is not None:
            home = (found.group(1) + found.group(2)).decode("utf-8", "replace").replace("\\\\", "\\")
            home += "\\" if "\\" in home else "/"
            homes[home] = homes.get(home, 0) + 1
    if not homes:
        return None
    first = max(homes.items(), key=lambda item: item[1])[0]
    total = sum(homes.values())
    return f"{first} in {total} source{'s' if total != 1 else ''}" + (
        f", and {len(homes) - 1} other home folder{'s' if len(homes) > 2 else ''}" if len(homes) > 1 else "")


CONTENT_CHECKS: dict[str, Callable[[bytes], str | None]] = {
    "env-file": env_file,
    "env-values": env_values,
    "npmrc-credentials": npmrc_credentials,
    "private-key": private_key,
    "database-dump": database_dump,
    "sqlite": sqlite,
    "core-dump": core_dump,
    "build-paths": build_paths,
}

# -- package conditions: (paths inside the package, npm manifest) -> applies? ------------------------

_SOURCE_EXT = (".ts", ".tsx", ".mts", ".cts", ".jsx", ".vue", ".svelte", ".coffee")
_TYPES_EXT = (".d.ts", ".d.mts", ".d.cts")
_JS_EXT = (".js", ".cjs", ".mjs")
# Export conditions that name type declarations, not code (TypeScript's "types", legacy "typings").
_TYPE_CONDITIONS = frozenset({"types", "typings"})


def _entry_points(manifest: Mapping[str, Any]) -> list[str]:
    """Every file package.json says the package runs from: main, module, browser (string form),
    bin, and every leaf of exports except type conditions. Without main or exports npm loads
    ``index.js`` (https://docs.npmjs.com/cli/configuring-npm/package-json#main)."""
    found: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in _TYPE_CONDITIONS:
                    collect(item)

    for key in ("main", "module", "exports", "bin"):
        collect(manifest.get(key))
    if isinstance(manifest.get("browser"), str):
        found.append(manifest["browser"])
    if manifest.get("main") is None and manifest.get("exports") is None:
        found.append("index.js")
    return [_clean(entry) for entry in found]


def _clean(path: str) -> str:
    path = path.strip().replace("\\", "/")
    while path.startswith(("./", "/")):
        path = path[1:] if path.startswith("/") else path[2:]
    return path


def _ships_js(entry: str, paths: frozenset[str]) -> bool:
    """The entry resolves to a shipped JavaScript file (Node's resolution: as is, + .js, /index.js)."""
    if "*" in entry:  # exports subpath pattern: "./*": "./dist/*.js"
        head, _, tail = entry.partition("*")
        return tail.endswith(_JS_EXT) and any(p.startswith(head) and p.endswith(tail) for p in paths)
    if entry.endswith(_JS_EXT):
        return entry in paths
    base = entry.rstrip("/")
    return any(candidate in paths for candidate in (base + ".js", base + "/index.js"))


def compiled_entry(paths: frozenset[str], manifest: Mapping[str, Any] | None) -> bool:
    """npm: package.json's entry points are compiled JavaScript that ships, and none of them is a
    source file (a package whose main is ``src/index.ts`` runs from its sources on purpose)."""
    if manifest is None:
        return False
    entries = [e for e in _entry_points(manifest) if not e.endswith(_TYPES_EXT)]
    if any(e.endswith(_SOURCE_EXT) for e in entries):
        return False
    return any(_ships_js(e, paths) for e in entries)


_EXTENSION_MODULE = re.compile(r"\.(?:pyd|so(?:\.\d+)*)$")


def compiled_extension(paths: frozenset[str], manifest: Mapping[str, Any] | None) -> bool:
    """A compiled extension module or shared library ships (``.so``, ``.so.1``, ``.pyd``)."""
    return any(_EXTENSION_MODULE.search(p) for p in paths)


CONDITIONS: dict[str, Callable[[frozenset[str], Mapping[str, Any] | None], bool]] = {
    "compiled-entry": compiled_entry,
    "compiled-extension": compiled_extension,
}

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
        if self.literals is None or _rewritten(path):
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
    the ``pathspec.GitIgnoreSpec`` itself. Most rules never see such a path: compiling the merged
    regexes of all 33 rules cost 22 ms of every start, and building their specs ~230 more regex
    compilations."""

    __slots__ = ("_quick", "_ready", "_spec", "lines")

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self._quick: re.Pattern[str] | None = None
        self._ready = False
        self._spec: pathspec.GitIgnoreSpec | None = None

    def match_file(self, path: str) -> bool:
        if not self._ready:
            self._quick, self._ready = _including(self.lines), True
        if self._quick is not None and self._quick.search(path) is None and not _rewritten(path):
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


def _rewritten(path: str) -> bool:
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


# -- paths --------------------------------------------------------------------------------------

_SDIST_ROOT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*-\d[^/]*$")
_NOT_SDIST_ROOT = (".dist-info", ".data", ".egg-info")


def package_path(path: str, kind: str) -> str:
    """The path inside the package, which rules are matched against.

    npm tarballs and sdists keep everything under one top folder (``package/``, ``name-version/``)
    that installers strip (npm extracts with ``strip: 1``); wheels, plain archives and directories
    are rooted where they are. A single-file target's path is made relative (drive, leading ``/``,
    ``./`` and ``..`` removed), so ``/home/me/proj/.env`` is judged as ``home/me/proj/.env``.
    """
    path = path.replace("\\", "/") if kind == "file" else path
    while path.startswith("./"):
        path = path[2:]
    if kind in ("npm", "sdist"):
        _, sep, rest = path.partition("/")
        return rest if sep else path
    if kind == "file":
        path = re.sub(r"^[A-Za-z]:", "", path)
        return "/".join(part for part in path.split("/") if part not in ("", ".", ".."))
    return path


def infer_kind(origin: Origin) -> str:
    """The artifact kind as far as one member's origin tells: ``file`` for a single-file target,
    ``directory`` for a directory target, ``npm`` under ``package/``, ``wheel`` for a ``.whl``,
    ``sdist`` under ``name-version/`` of a tarball, else ``archive``."""
    if len(origin.chain) == 1:
        return "file"
    if origin.in_directory:
        return "directory"
    head, sep, _ = origin.chain[1].removeprefix("./").partition("/")
    name = origin.artifact.lower()
    if sep and head == "package":
        return "npm"
    if name.endswith(".whl"):
        return "wheel"
    if sep and _SDIST_ROOT.match(head) and not head.endswith(_NOT_SDIST_ROOT) and ".tar" in name:
        return "sdist"
    return "archive"


def npm_manifest(data: bytes) -> dict[str, Any] | None:
    """package.json as a dict, or None when it is not a JSON object (``finish`` then skips the
    rules that depend on it)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: a hostile, deeply nested file
        return None
    return doc if isinstance(doc, dict) else None


# -- the detector -------------------------------------------------------------------------------


def _plural(count: int, word: str = "file") -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


@dataclass(frozen=True, slots=True)
class _Hits:
    """One rule's matches in one artifact, as (path inside the package, member path) pairs: the
    files under a folder the rule selects, by that folder, and the other files."""

    folders: dict[str, list[tuple[str, str]]]
    loose: list[tuple[str, str]]

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.folders.values()) + len(self.loose)


class _PathIndex:
    """An artifact's member paths, searched for each rule's literals at once: a path holding none
    of a rule's literals cannot match it. One ``str.find`` per literal over all paths joined,
    instead of a check per rule and path (33 rules times 1,773 paths took 0.07 s)."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self._joined = "\n".join(paths)
        self._starts = [0]
        for path in paths[:-1]:
            self._starts.append(self._starts[-1] + len(path) + 1)
        # Paths that pathspec rewrites before matching are candidates for every rule.
        self._always = {i for i, path in enumerate(paths) if _rewritten(path)}

    def candidates(self, rule: FileRule) -> list[str]:
        """The paths that ``rule`` may select, in order."""
        if rule.literals is None:
            return self.paths
        found = set(self._always)
        joined, starts = self._joined, self._starts
        for literal in rule.literals:
            pos = joined.find(literal)
            while pos != -1:
                found.add(bisect.bisect_right(starts, pos) - 1)
                pos = joined.find(literal, pos + 1)
        return [self.paths[i] for i in sorted(found)]


@dataclass(frozen=True, slots=True)
class FileDetector:
    """Path findings for members and artifacts; see the module docstring for when to call what."""

    rules: tuple[FileRule, ...]

    @classmethod
    def default(cls) -> FileDetector:
        """The detector over the packaged ``rules/files.toml``."""
        return cls(load_file_rules())

    def member(self, origin: Origin, data: bytes, kind_hint: str = "") -> list[Finding]:
        """Findings of the content-checked rules for one member (or single-file target)."""
        if len(origin.chain) > 2:
            return []  # inside a nested archive: not what this artifact ships at its top level
        if kind_hint and kind_hint not in KINDS:
            raise ValueError(f"kind_hint: expected one of {', '.join(KINDS)} or '', got {kind_hint!r}")
        kind = "file" if len(origin.chain) == 1 else (kind_hint or infer_kind(origin))
        inside = package_path(origin.inner, kind)
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.content is None or kind not in rule.kinds or not rule.matches(inside):
                continue
            detail = CONTENT_CHECKS[rule.content](data)
            if detail is not None:
                findings.append(Finding(rule.id, rule.category, rule.severity, origin,
                                        f"{origin.inner} ships {rule.what} ({detail}); {rule.reason}",
                                        key=f"{rule.id}:{inside}"))
        return findings

    def finish(self, paths: Iterable[str], artifact: Artifact, manifest_json: Mapping[str, Any] | None
               ) -> list[Finding]:
        """Findings of the path-only rules for one artifact, given every top-level member path."""
        kind = artifact.kind
        root = Origin((artifact.path,), in_directory=kind == "directory")
        if kind == "file":
            return self._single_file(root, artifact.path)
        members = {package_path(p, kind): p for p in sorted(paths) if not p.endswith("/")}
        inside = frozenset(members)
        index = _PathIndex(list(members))
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.content is not None or kind not in rule.kinds:
                continue
            if rule.when is not None and not CONDITIONS[rule.when](inside, manifest_json):
                continue
            hits = self._hits(rule, {path: members[path] for path in index.candidates(rule)})
            if hits.total:
                findings.extend(self._report(rule, root, hits))
        return findings

    def _single_file(self, root: Origin, path: str) -> list[Finding]:
        inside = package_path(path, "file")
        return [
            Finding(rule.id, rule.category, rule.severity, root, f"{path} ships {rule.what}; {rule.reason}",
                    key=f"{rule.id}:{inside}")
            for rule in self.rules
            if rule.content is None and rule.when is None and "file" in rule.kinds and rule.matches(inside)
        ]

    @staticmethod
    def _hits(rule: FileRule, members: Mapping[str, str]) -> _Hits:
        """The members ``rule`` selects (``members``: candidates, in order; see ``_PathIndex``)."""
        folders: dict[str, list[tuple[str, str]]] = {}
        loose: list[tuple[str, str]] = []
        is_folder: dict[str, bool] = {}
        for inside, member in members.items():
            if not rule.matches(inside):
                continue
            # The shallowest folder that the rule selects as a folder ("dir/") is reported once.
            parts = inside.split("/")
            top = None
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth]) + "/"
                if folder not in is_folder:
                    is_folder[folder] = rule.matches(folder)
                if is_folder[folder]:
                    top = folder
                    break
            if top is None:
                loose.append((inside, member))
            else:
                folders.setdefault(top, []).append((inside, member))
        return _Hits(folders, loose)

    @staticmethod
    def _report(rule: FileRule, root: Origin, hits: _Hits) -> list[Finding]:
        if rule.aggregate:
            items = [f"{folder} ({_plural(len(files))})" for folder, files in sorted(hits.folders.items())]
            items += sorted(inside for inside, _ in hits.loose)
            sample = ", ".join(items[:4]) + (f", and {len(items) - 4} more" if len(items) > 4 else "")
            total = hits.total
            return [Finding(rule.id, rule.category, rule.severity, root,
                            f"{rule.title}: {_plural(total)} ship{'s' if total == 1 else ''} ({sample}); {rule.reason}",
                            key=rule.id)]
        findings = []
        for folder, files in sorted(hits.folders.items()):
            inside, first = files[0]
            member = first[: len(first) - len(inside)] + folder  # with the package/ or name-version/ prefix
            findings.append(Finding(rule.id, rule.category, rule.severity, root.child(member),
                                    f"{member} ships {rule.what} ({_plural(len(files))}); {rule.reason}",
                                    key=f"{rule.id}:{folder}"))
        for inside, member in sorted(hits.loose):
            findings.append(Finding(rule.id, rule.category, rule.severity, root.child(member),
                                    f"{member} ships {rule.what}; {rule.reason}", key=f"{rule.id}:{inside}"))
        return findings

