"""Configuration: ``[tool.leakguard]`` in pyproject.toml, top-level keys in ``.leakguard.toml``.

Found by walking up from the current directory (``.leakguard.toml`` wins over ``pyproject.toml`` in
the same directory, as ``ruff.toml`` does), or named with ``--config``. Every key is validated: an
unknown key or a wrong type is a ``ConfigError`` naming the file, the key and what was expected.
Nothing in a config can make leakguard run code or fetch anything: values are data only.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from leakguard.errors import ConfigError
from leakguard.model import Category, Severity
from leakguard.policy.allowlist import AllowEntry, parse_entries
from leakguard.policy.fixtures import FIXTURE_PATHS
from leakguard.textfile import parsed, read_text
from leakguard.walk.limits import Limits

CONFIG_NAMES = (".leakguard.toml", "pyproject.toml")


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings. ``source`` is the file they came from, or None for defaults."""

    fail_on: Severity = Severity.HIGH
    public_sources: bool = False
    limits: Limits = field(default_factory=Limits)
    exclude: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    rules: tuple[Path, ...] = ()
    codenames: tuple[str, ...] = ()
    codename_patterns: tuple[str, ...] = ()
    public_codenames: tuple[str, ...] = ()
    codenames_sha256: tuple[str, ...] = ()
    internal_domains: tuple[str, ...] = ()
    allow: tuple[AllowEntry, ...] = ()
    baseline: Path | None = None
    ship: tuple[str, ...] = ()
    max_unpacked_size: int | None = None
    max_file_size: int | None = None
    max_growth: float = 0.5
    # Test and documentation paths, where a credential is reported one severity lower (fixtures.py).
    fixture_paths: tuple[str, ...] = FIXTURE_PATHS
    source: Path | None = None


def _severity(path: str, key: str, value: object) -> Severity:
    if not isinstance(value, str):
        raise ConfigError.bad_key(path, key, f"expected a severity string, got {type(value).__name__}")
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError.bad_key(path, key, str(exc)) from None


def _bool(path: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError.bad_key(path, key, f"expected true or false, got {value!r}")
    return value


def _strings(path: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError.bad_key(path, key, "expected a list of strings")
    return tuple(value)


def _hashes(path: str, key: str, value: object) -> tuple[str, ...]:
    items = _strings(path, key, value)
    for item in items:
        if len(item) != 64 or any(c not in "0123456789abcdef" for c in item):
            expected = "expected sha256 hex digests (leakguard codename-hash NAME)"
            raise ConfigError.bad_key(path, key, f"{item[:16]!r}...: {expected}")
    return items


def _positive(kind: type, path: str, key: str, value: object) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) or value <= 0:
        raise ConfigError.bad_key(path, key, f"expected a positive {'number' if kind is float else 'integer'}")
    return kind(value)


_LIMIT_FIELDS: dict[str, tuple[str, type]] = {
    "max-depth": ("max_depth", int),
    "max-total-bytes": ("max_total_bytes", int),
    "max-ratio": ("max_ratio", float),
    "max-members": ("max_members", int),
    "max-member-bytes": ("max_member_bytes", int),
}


def _limits(path: str, key: str, value: object) -> Limits:
    if not isinstance(value, dict):
        raise ConfigError.bad_key(path, key, "expected a table")
    changes = {}
    for name, item in value.items():
        if name not in _LIMIT_FIELDS:
            expected = ", ".join(_LIMIT_FIELDS)
            raise ConfigError.bad_key(path, f"{key}.{name}", f"unknown limit; expected one of {expected}")
        attr, kind = _LIMIT_FIELDS[name]
        changes[attr] = _positive(kind, path, f"{key}.{name}", item)
    return dataclasses.replace(Limits(), **changes)


def _overrides(path: str, key: str, value: object) -> tuple[tuple[str, Severity], ...]:
    if not isinstance(value, dict):
        raise ConfigError.bad_key(path, key, "expected a table of rule id or category = severity")
    return tuple((name, _severity(path, f"{key}.{name}", item)) for name, item in value.items())


def _path(base: Path) -> Callable[[str, str, object], Path]:
    def parse(path: str, key: str, value: object) -> Path:
        if not isinstance(value, str) or not value:
            raise ConfigError.bad_key(path, key, "expected a file path string")
        return base / value

    return parse


def _patterns(path: str, key: str, value: object) -> tuple[str, ...]:
    items = _strings(path, key, value)
    try:
        pathspec.GitIgnoreSpec.from_lines(items)
    except Exception as exc:
        raise ConfigError.bad_key(path, key, f"bad gitignore-style pattern: {exc}") from None
    return items


_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}


def _size(path: str, key: str, value: object) -> int:
    """A byte count: an integer, or a string like "50 MB" / "2GiB"."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*", value.lower())
        if match:
            return int(float(match.group(1)) * _UNITS[match.group(2) or ""])
    raise ConfigError.bad_key(path, key, 'expected a size: bytes as an integer, or a string like "50 MB"')


def _growth(path: str, key: str, value: object) -> float:
    """A fraction (0.5) or a percentage string ("+50%")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*\+?(\d+(?:\.\d+)?)\s*%\s*", value)
        if match:
            return float(match.group(1)) / 100
    raise ConfigError.bad_key(path, key, 'expected a fraction like 0.5 or a percentage like "+50%"')


def _rule_files(base: Path) -> Callable[[str, str, object], tuple[Path, ...]]:
    def parse(path: str, key: str, value: object) -> tuple[Path, ...]:
        return tuple(base / item for item in _strings(path, key, value))

    return parse


def parse(data: Mapping[str, Any], path: str, base: Path) -> Config:
    """Validate a config table (already located inside its file) into a ``Config``."""
    parsers: dict[str, tuple[str, Callable[[str, str, object], Any]]] = {
        "fail-on": ("fail_on", _severity),
        "public-sources": ("public_sources", _bool),
        "limits": ("limits", _limits),
        "exclude": ("exclude", _strings),
        "disable": ("disable", _strings),
        "severity": ("severity", _overrides),
        "rules": ("rules", _rule_files(base)),
        "codenames": ("codenames", _strings),
        "codename-patterns": ("codename_patterns", _strings),
        "public-codenames": ("public_codenames", _strings),
        "codenames-sha256": ("codenames_sha256", _hashes),
        "internal-domains": ("internal_domains", _strings),
        "allow": ("allow", lambda path, _key, value: parse_entries(value, path)),
        "baseline": ("baseline", _path(base)),
        "ship": ("ship", _patterns),
        "max-unpacked-size": ("max_unpacked_size", _size),
        "max-file-size": ("max_file_size", _size),
        "max-growth": ("max_growth", _growth),
        "fixture-paths": ("fixture_paths", _patterns),
    }
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in parsers:
            raise ConfigError.bad_key(path, key, f"unknown key; expected one of {', '.join(sorted(parsers))}")
        attr, parser = parsers[key]
        values[attr] = parser(path, key, value)
    categories = {c.value for c in Category}
    for name, _ in values.get("severity", ()):
        if "." not in name and name not in categories:
            raise ConfigError.bad_key(path, f"severity.{name}", "expected a rule id (with a dot) or a category")
    return Config(**values, source=Path(path))


def load_file(path: Path) -> Config:
    """Load a named config file: a pyproject.toml (its ``[tool.leakguard]``) or a .leakguard.toml."""
    text = read_text(path, "config", ConfigError)
    try:
        doc = parsed(tomllib.loads, text, path, "config", ConfigError)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        tool = doc.get("tool", {})
        table = tool.get("leakguard", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError.bad_key(str(path), "tool.leakguard", "expected a table")
        doc = table
    return parse(doc, str(path), path.parent)


def discover(start: Path) -> Path | None:
    """The nearest config file at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / ".leakguard.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_section(pyproject):
            return pyproject
    return None


def _has_section(pyproject: Path) -> bool:
    # A pyproject.toml that does not parse cannot be ruled out as leakguard's config: fail closed.
    text = read_text(pyproject, "config", ConfigError)
    try:
        doc = parsed(tomllib.loads, text, pyproject, "config", ConfigError)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
    tool = doc.get("tool")
    return isinstance(tool, dict) and "leakguard" in tool


def load_config(path: Path | None = None, *, start: Path | None = None, discover_config: bool = True) -> Config:
    """The config named by ``path``, else the nearest one above ``start`` (default: cwd), else defaults."""
    if path is not None:
        return load_file(path)
    if discover_config:
        found = discover(start if start is not None else Path.cwd())
        if found is not None:
            return load_file(found)
    return Config()
