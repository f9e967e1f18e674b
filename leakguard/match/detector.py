"""The detector: everything detection compiles once per scan from the configuration. It holds no
policy (public codenames, allows, severities by licence): those are ``leakguard.policy``'s.

Built in the parent process and inherited by forked workers (``leakguard.execute.Processes``); it
keeps two memos of its own (hashed words, matchers for hashed names found), which are per process.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from leakguard.match import Matcher, custom, sourcemap
from leakguard.match.files import FileDetector
from leakguard.match.hashed import HashedNames
from leakguard.ruleset import load_rules


class Settings(Protocol):
    """What detection reads of the configuration (``leakguard.policy.config.Config`` has it all)."""

    @property
    def source(self) -> Path | None: ...
    @property
    def rules(self) -> tuple[Path, ...]: ...
    @property
    def codenames(self) -> tuple[str, ...]: ...
    @property
    def codename_patterns(self) -> tuple[str, ...]: ...
    @property
    def codenames_sha256(self) -> tuple[str, ...]: ...
    @property
    def internal_domains(self) -> tuple[str, ...]: ...

# Keywords of no rule, found by the automaton's pass over each member for the readers that need them.
MARKERS = (sourcemap.VERSION_MARKER, sourcemap.LINK_MARKER)


@dataclass(frozen=True)
class Detector:
    """Compiled matchers and detectors; reusable across artifacts and scans with one config."""

    matcher: Matcher  # every content rule: packaged, the config's rule files, codenames, internal domains
    names: Matcher | None  # the codename rules alone: member paths
    hashed: HashedNames  # codenames configured as sha256 hashes
    files: FileDetector
    engine: str
    _hashed_matchers: dict[frozenset[str], Matcher] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, config: Settings, engine: str = "auto") -> Detector:
        """Packaged rules + the config's rule files + codenames and internal domains."""
        source = str(config.source) if config.source is not None else "command line"
        names = custom.codename_rules(config.codenames, config.codename_patterns, source=source)
        rules = (*load_rules(config.rules), *names, *custom.domain_rules(config.internal_domains, source=source))
        matcher = Matcher.from_rules(rules, engine, MARKERS)
        return cls(matcher, Matcher(names, engine) if names else None,
                   HashedNames(frozenset(config.codenames_sha256)), FileDetector.default(), engine)

    def hashed_matcher(self, found: frozenset[str]) -> Matcher:
        """A matcher for codenames found by their hash, named by the hash (memo per set of names)."""
        matcher = self._hashed_matchers.get(found)
        if matcher is None:
            rules = [dataclasses.replace(r, id=f"codename.sha256-{custom.codename_hash(n)[:12]}")
                     for n in sorted(found) for r in custom.codename_rules([n], [])]
            matcher = self._hashed_matchers[found] = Matcher(rules, self.engine)
        return matcher
