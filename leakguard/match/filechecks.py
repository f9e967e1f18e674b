"""The named checks of the file rules (``rules/files.toml``): content checks, bytes -> a short detail
for the message (or None: not a finding), and package conditions, (paths inside the package, npm
manifest) -> whether the rule applies. Explicit registries: ``CONTENT_CHECKS``, ``CONDITIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from leakguard.match.placeholders import is_placeholder
from leakguard.match.validators import pem_private_key, putty_private_key
from leakguard.model import human_size

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
    return [name.decode("ascii") for name, _ in _values(data)]


def _names(names: list[str]) -> str:
    shown = ", ".join(dict.fromkeys(names[:3]))
    return shown + (", ..." if len(names) > 3 else "")


# Key names that say the value is a secret, whatever it looks like.
_SECRET_NAME = re.compile(rb"(?i)secret|token|passw|pwd|key|auth|credential|private|session|cookie|dsn|database_url")
_URL_PASSWORD = re.compile(rb"://[^/\s:@]+:[^/\s@]+@")


def _toy(name: bytes, value: bytes) -> bool:
    """A value that guards nothing: under a key name that does not say secret, short (12 bytes at
    most), a number, a boolean or a plain lower-case word (``env``, ``1``, ``true``, ``development``),
    and no URL with a password."""
    if _SECRET_NAME.search(name) or _URL_PASSWORD.search(value):
        return False
    return len(value) <= 12 and re.fullmatch(rb"[0-9]+|[a-z][a-z0-9._-]*|[A-Z][a-z]+", value) is not None


def _values(data: bytes) -> list[tuple[bytes, bytes]]:
    """(name, value) of the lines that set a value (see ``_set_values``)."""
    found = []
    for match in _ENV_LINE.finditer(data[:HEAD]):
        value = _env_value(match.group(2))
        if value and not is_placeholder(value) and not _SMALL_NUMBER.match(value):
            found.append((match.group(1), value))
    return found


def env_file(data: bytes) -> str | None:
    """A .env that sets a value that is not a toy (it should not ship at all); the detail counts
    them. One that only sets toy values is ``env_toy``'s."""
    names = _set_values(data)
    if not names or all(_toy(name, value) for name, value in _values(data)):
        return None
    return f"{len(names)} value{'s' if len(names) != 1 else ''}: {_names(names)}"


def env_toy(data: bytes) -> str | None:
    """A .env whose values are all toys (``FOO=env``, ``DEBUG=1``), or that sets none (scipy's
    ``.envrc``: ``use flake``): shipping it leaks nothing (any credential in it is reported as one
    anyway)."""
    values = _values(data)
    if not values:
        return "no value but empty ones, placeholders and short numbers"
    if not all(_toy(name, value) for name, value in values):
        return None
    return f"{len(values)} toy value{'s' if len(values) != 1 else ''}: {_names([n.decode('ascii') for n, _ in values])}"


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


def private_key(data: bytes) -> str | None:
    """A PEM private key block holding real key structure (``validators.pem_private_key``: a stub
    or ``...`` is not a key), or a PuTTY key; certificates are fine."""
    for match in _PEM_PRIVATE.finditer(data[:HEAD]):
        end = data.find(b"-----END", match.end())
        block = data[match.start() : end + 64 if end != -1 else match.end() + 8192]
        if pem_private_key(block):
            return f"{match.group(1).decode('ascii')} block"
    if data.startswith(b"PuTTY-User-Key-File-") and putty_private_key(data[:HEAD]):
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
    "env-toy": env_toy,
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
