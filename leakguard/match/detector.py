"""The detector: everything detection compiles once per scan from the configuration. It holds no
policy (public codenames, allows, severities by licence): those are ``leakguard.policy``'s.

Built in the parent process and inherited by forked workers (``leakguard.execute.Processes``); it
keeps two memos of its own (hashed words, matchers for hashed names found), which are per process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from leakguard.match import Matcher, custom, decode, prefilter, sourcemap
from leakguard.match.files import FileDetector
from leakguard.match.hashed import HashedNames
from leakguard.model import Rule
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


def wide_forms(names: Sequence[Rule]) -> tuple[bytes, ...]:
    """The UTF-16LE forms of the codename rules' keywords (see ``content.may_name``)."""
    return tuple(decode.wide(keyword) for rule in names for keyword in rule.keywords)


@dataclass(frozen=True)
class Detector:
    """Compiled matchers and detectors; reusable across artifacts and scans with one config."""

    matcher: Matcher  # every content rule: packaged, the config's rule files, codenames, internal domains
    names: Matcher | None  # the codename rules alone: member paths, UTF-16 strings of binaries
    wide: tuple[bytes, ...]  # UTF-16LE forms of codename keywords (markers of ``matcher`` with ahocorasick-rs)
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
        wide = wide_forms(names)
        # The UTF-16LE forms of codename keywords, as markers, let a binary's UTF-16 strings be read
        # only when a codename may be in them. Not with pyahocorasick: its input table maps the bytes
        # no keyword holds, NUL among them, to one byte the automaton skips fast (see
        # prefilter.PyAhoCorasick); a keyword holding NUL costs binaries more than the strings it
        # spares (claude-code 2.1.88's: +0.14 s).
        rs = prefilter.resolve(engine) == "ahocorasick-rs"
        matcher = Matcher.from_rules(rules, engine, (*MARKERS, *(wide if rs else ())))
        return cls(matcher, Matcher(names, engine) if names else None, wide,
                   HashedNames(frozenset(config.codenames_sha256)), FileDetector.default(), engine)

    def hashed_matcher(self, found: frozenset[str]) -> Matcher:
        """A matcher for codenames found by their hash, named by the hash (memo per set of names)."""
        matcher = self._hashed_matchers.get(found)
        if matcher is None:
            rules = [dataclasses.replace(r, id=f"codename.sha256-{custom.codename_hash(n)[:12]}")
                     for n in sorted(found) for r in custom.codename_rules([n], [])]
            matcher = self._hashed_matchers[found] = Matcher(rules, self.engine)
        return matcher
