"""Exceptions that stay honest: config ``allow`` entries and inline ``leakguard:allow`` comments.

An allow entry needs a reason; it may name a rule (id, family prefix or category), a path
(gitignore-style, matched against the member path inside the artifact and against the display
path), a fingerprint, and an expiry date. An expired entry no longer applies and is itself a
blocking finding; an entry that matched nothing is reported (blocking with ``--strict-allows``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pathspec

from leakguard.errors import ConfigError
from leakguard.model import Category, Finding, Origin, Severity, Suppression

_KEYS = frozenset({"rule", "path", "fingerprint", "reason", "expires"})


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """One ``allow`` table. At least one of rule, path, fingerprint is set; reason always is."""

    index: int
    reason: str
    rule: str | None = None
    path: str | None = None
    fingerprint: str | None = None
    expires: dt.date | None = None

    def label(self) -> str:
        """How messages name the entry: ``allow[2] (rule=x, path=y)``."""
        parts = [f"{k}={v}" for k, v in (("rule", self.rule), ("path", self.path), ("fingerprint", self.fingerprint))
                 if v]
        return f"allow[{self.index}] ({', '.join(parts)})"


def parse_entries(value: object, source: str) -> tuple[AllowEntry, ...]:
    """Validate the config's ``allow`` array of tables."""
    if not isinstance(value, list):
        raise ConfigError.bad_key(source, "allow", "expected an array of tables")
    entries = []
    for index, item in enumerate(value):
        key = f"allow[{index}]"
        if not isinstance(item, dict):
            raise ConfigError.bad_key(source, key, "expected a table {rule, path, fingerprint, reason, expires}")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            expected = ", ".join(sorted(_KEYS))
            raise ConfigError.bad_key(source, f"{key}.{unknown[0]}", f"unknown key; expected {expected}")
        for name in ("rule", "path", "fingerprint", "reason"):
            if name in item and (not isinstance(item[name], str) or not item[name].strip()):
                raise ConfigError.bad_key(source, f"{key}.{name}", "expected a non-empty string")
        if "reason" not in item:
            raise ConfigError.bad_key(source, f"{key}.reason", "a reason is required for every exception")
        if not any(name in item for name in ("rule", "path", "fingerprint")):
            raise ConfigError.bad_key(source, key, "name at least one of rule, path or fingerprint")
        expires = item.get("expires")
        if expires is not None:
            if isinstance(expires, str):
                try:
                    expires = dt.date.fromisoformat(expires)
                except ValueError:
                    raise ConfigError.bad_key(source, f"{key}.expires", "expected a date like 2027-01-31") from None
            if isinstance(expires, dt.datetime):
                expires = expires.date()
            if not isinstance(expires, dt.date):
                raise ConfigError.bad_key(source, f"{key}.expires", "expected a date like 2027-01-31")
        if "path" in item:
            try:
                pathspec.GitIgnoreSpec.from_lines([item["path"]])
            except Exception as exc:
                raise ConfigError.bad_key(source, f"{key}.path", f"bad pattern: {exc}") from None
        entries.append(AllowEntry(index, item["reason"].strip(), item.get("rule"), item.get("path"),
                                  item.get("fingerprint"), expires))
    return tuple(entries)


def rule_selects(name: str, rule_id: str, category: Category) -> bool:
    """A rule selector: an exact id, a family prefix (``github`` covers ``github.pat``) or a category."""
    return name == rule_id or rule_id.startswith(name + ".") or name == category.value


def member_path(origin: Origin) -> str:
    """The path inside the artifact, members joined by ``/`` (the artifact itself if it is a file)."""
    inner = [part.lstrip("/") for part in origin.chain[1:]]
    return "/".join(inner) if inner else origin.artifact


class Allowlist:
    """Applies allow entries; remembers which ones matched."""

    def __init__(self, entries: Sequence[AllowEntry], today: dt.date | None = None) -> None:
        self.today = today or dt.date.today()
        self.entries = tuple(entries)
        self._specs: Mapping[int, pathspec.GitIgnoreSpec] = {
            e.index: pathspec.GitIgnoreSpec.from_lines([e.path]) for e in entries if e.path
        }
        self.used: set[int] = set()

    def _active(self) -> Iterable[AllowEntry]:
        return (e for e in self.entries if e.expires is None or e.expires >= self.today)

    def match(self, finding: Finding) -> AllowEntry | None:
        """The first active entry that covers ``finding``."""
        for entry in self._active():
            if entry.fingerprint is not None and entry.fingerprint not in finding.fingerprints():
                continue
            if entry.rule is not None and not rule_selects(entry.rule, finding.rule_id, finding.category):
                continue
            if entry.path is not None:
                spec = self._specs[entry.index]
                if not (spec.match_file(member_path(finding.origin)) or spec.match_file(str(finding.origin))):
                    continue
            self.used.add(entry.index)
            return entry
        return None

    def apply(self, finding: Finding) -> Finding:
        """The finding, marked suppressed when an entry covers it."""
        entry = self.match(finding)
        if entry is None:
            return finding
        return dataclasses.replace(finding, suppression=Suppression("allow", entry.reason))

    def audit(self, origin: Origin, *, strict: bool) -> list[Finding]:
        """Expired entries (blocking) and entries that matched nothing (blocking when strict)."""
        out = []
        for entry in self.entries:
            if entry.expires is not None and entry.expires < self.today:
                out.append(Finding("policy.allow-expired", Category.POLICY, Severity.HIGH, origin,
                                   f"{entry.label()} expired on {entry.expires.isoformat()}: {entry.reason}",
                                   key=f"allow-expired:{entry.index}:{entry.rule}:{entry.path}:{entry.fingerprint}"))
            elif entry.index not in self.used:
                out.append(Finding("policy.allow-unused", Category.POLICY,
                                   Severity.HIGH if strict else Severity.LOW, origin,
                                   f"{entry.label()} matched nothing; remove it or fix it",
                                   key=f"allow-unused:{entry.index}:{entry.rule}:{entry.path}:{entry.fingerprint}"))
        return out


# How far (bytes) an inline allow may be from its finding: a line of code holds both; a one-line
# minified bundle of megabytes must not let one comment allow everything on it.
INLINE_REACH = 256


def inline(finding: Finding) -> Finding:
    """``leakguard:allow RULE-ID reason`` in a comment on the finding's line, within
    ``INLINE_REACH`` bytes of it (recorded by detection as ``Finding.allows``), suppresses that
    rule there."""
    for allow in finding.allows:
        if allow.distance <= INLINE_REACH and rule_selects(allow.selector, finding.rule_id, finding.category):
            reason = allow.reason or "inline allow without a reason"
            return dataclasses.replace(finding, suppression=Suppression("inline", reason))
    return finding
