"""Baselines: a JSON file of fingerprints that an existing release already carries.

Entries are keyed by ``Finding.fingerprint`` (rule id + member path without the artifact's version +
sha256 of the secret), never by line number, so they survive version bumps and line moves, and
never suppress a different secret at the same place. The file holds no secret and no timestamp,
and is sorted, so it diffs cleanly under review.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from leakguard.errors import ConfigError
from leakguard.model import Finding, Suppression, versionless
from leakguard.policy.aggregate import flatten
from leakguard.textfile import parsed, read_text

VERSION = 1
DEFAULT_REASON = "present when the baseline was created"


@dataclass(frozen=True, slots=True)
class Entry:
    """One baselined finding."""

    fingerprint: str
    rule: str
    path: str
    reason: str = DEFAULT_REASON


def display_path(finding: Finding) -> str:
    """The path a person reads in the baseline: the package (or the artifact's name without its
    version), then members."""
    return "!/".join((finding.package or versionless(finding.origin.artifact), *finding.origin.chain[1:]))


def entry_for(finding: Finding, reason: str = DEFAULT_REASON) -> Entry:
    """The baseline entry of a finding."""
    return Entry(finding.fingerprint, finding.rule_id, display_path(finding), reason)


@dataclass(frozen=True, slots=True)
class Baseline:
    """Loaded entries, looked up by fingerprint."""

    entries: tuple[Entry, ...]
    source: str = ""

    @property
    def by_fingerprint(self) -> dict[str, Entry]:
        """Entries keyed by fingerprint."""
        return {e.fingerprint: e for e in self.entries}

    def apply(self, finding: Finding, index: dict[str, Entry]) -> Finding:
        """The finding, suppressed if its fingerprint is baselined (or the fingerprint by file name
        that baselines written before package identities hold)."""
        entry = next((index[f] for f in finding.fingerprints() if f in index), None)
        if entry is None:
            return finding
        return dataclasses.replace(finding, suppression=Suppression("baseline", entry.reason))


def load(path: Path) -> Baseline:
    """Read and validate a baseline file; every problem is a ``ConfigError`` naming the file."""
    text = read_text(path, "baseline", ConfigError)
    try:
        doc = parsed(json.loads, text, path, "baseline", ConfigError)
    except ValueError as exc:
        raise ConfigError(f"{path}: baseline is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("entries"), list):
        raise ConfigError(f"{path}: not a leakguard baseline (expected version {VERSION} with entries)")
    entries = []
    for index, item in enumerate(doc["entries"]):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("fingerprint", "rule", "path")):
            raise ConfigError(f"{path}: entries[{index}]: expected fingerprint, rule and path strings")
        reason = item.get("reason", DEFAULT_REASON)
        entries.append(Entry(item["fingerprint"], item["rule"], item["path"],
                             reason if isinstance(reason, str) else DEFAULT_REASON))
    return Baseline(tuple(entries), str(path))


def render(entries: Iterable[Entry]) -> str:
    """The baseline file's text: sorted, no secrets, no timestamps."""
    unique = {e.fingerprint: e for e in entries}
    ordered = sorted(unique.values(), key=lambda e: (e.path, e.rule, e.fingerprint))
    doc = {"version": VERSION, "entries": [dataclasses.asdict(e) for e in ordered]}
    return json.dumps(doc, indent=2) + "\n"


def create(findings: Iterable[Finding]) -> list[Entry]:
    """Entries for every finding of a scan (those an aggregate stands for, each on its own)."""
    return [entry_for(f) for f in flatten(findings)]


def update(existing: Baseline, findings: Iterable[Finding]) -> list[Entry]:
    """Existing entries (reasons kept) plus entries for new findings."""
    known = existing.by_fingerprint
    return [*existing.entries,
            *(entry_for(f) for f in flatten(findings) if not known.keys() & set(f.fingerprints()))]


def prune(existing: Baseline, findings: Iterable[Finding]) -> list[Entry]:
    """Existing entries that a scan still produces."""
    seen = {fingerprint for f in flatten(findings) for fingerprint in f.fingerprints()}
    return [e for e in existing.entries if e.fingerprint in seen]
