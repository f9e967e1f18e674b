"""The content matcher: ``Matcher.from_rules(rules).scan(blob)`` -> findings.

Prefilter (one automaton over every keyword of every rule) -> windows per rule -> regex
confirmation and validators -> one finding per accepted secret span. Overlapping matches of
several rules keep the most severe (a provider rule wins over a generic one).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pathspec

from leakguard.errors import RuleError
from leakguard.match import prefilter
from leakguard.match.confirm import confirm, confirm_at, merge_windows
from leakguard.match.validators import PROOF_VALIDATORS, VALIDATORS
from leakguard.model import Blob, Finding, Rule, Secret, Span


def locate(data: bytes, start: int, end: int) -> Span:
    """1-based line and column (in bytes) of ``start``; counts newlines in C, not per byte in Python."""
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return Span(start, end, line, column)


@dataclass(frozen=True, slots=True)
class _Keyword:
    text: bytes
    rules: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Prescan:
    """One automaton pass over a blob (or ranges of it), kept for its matching: the keyword hits
    per rule, and where each marker occurs. A marker is a keyword of no rule that the scanner's
    other readers need (``"version"`` for ``sourcemap.looks_like_map``, ``sourceMappingURL=`` for
    ``sourcemap.links``): found in the pass that runs anyway, instead of one more search of the
    whole blob each."""

    ranges: tuple[tuple[int, int], ...]
    per_rule: dict[int, list[int]]
    marks: dict[bytes, list[int]]  # the markers found (case-folded), each with its sorted starts
    markers: frozenset[bytes]  # every marker of the matcher (case-folded)

    def at(self, marker: bytes) -> list[int] | None:
        """Sorted starts of ``marker`` (case-folded, as every keyword), or None if the matcher
        was built without it."""
        folded = marker.lower()
        places = self.marks.get(folded)
        if places is not None:
            return places
        return [] if folded in self.markers else None


class Matcher:
    """Compiled matcher over a rule set; immutable once built and safe to share with forked workers."""

    def __init__(self, rules: Sequence[Rule], engine: str = "auto", markers: Sequence[bytes] = ()) -> None:
        self.rules = tuple(rules)
        for rule in self.rules:  # rules name their validator; the registry is this layer's
            if rule.validator is not None and rule.validator not in VALIDATORS:
                known = ", ".join(sorted(VALIDATORS))
                raise RuleError.in_rule(rule.source, rule.id, f"validator: unknown {rule.validator!r}; known: {known}")
        by_keyword: dict[bytes, list[int]] = defaultdict(list)
        for index, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                by_keyword[keyword].append(index)
        for marker in markers:
            by_keyword.setdefault(marker.lower(), [])
        self._keywords = tuple(_Keyword(k, tuple(v)) for k, v in by_keyword.items())
        self._marker_set = frozenset(marker.lower() for marker in markers)
        self._markers = {index: k.text for index, k in enumerate(self._keywords) if k.text in self._marker_set}
        self._always = tuple(i for i, r in enumerate(self.rules) if not r.keywords)
        self._overlap = max((len(k.text) for k in self._keywords), default=1)
        # A byte that no keyword holds and that is no letter (case folding maps none to it): it
        # joins texts for any_hits, and no keyword occurrence can straddle two of them.
        held = {byte for k in self._keywords for byte in k.text}
        self._separator = next((bytes((b,)) for b in range(256)
                                if b not in held and not bytes((b,)).isalpha()), None)
        self._prefilter = prefilter.build([k.text for k in self._keywords], engine)
        self._paths = {
            i: pathspec.GitIgnoreSpec.from_lines(r.paths) for i, r in enumerate(self.rules) if r.paths
        }

    @classmethod
    def from_rules(cls, rules: Sequence[Rule], engine: str = "auto", markers: Sequence[bytes] = ()) -> Matcher:
        """Build a matcher; ``engine`` is ``auto``, ``pyahocorasick`` or ``ahocorasick-rs``;
        ``markers`` are keywords of no rule whose places ``prescan`` reports (see ``Prescan``)."""
        return cls(rules, engine, markers)

    @property
    def engine(self) -> str:
        """The prefilter engine in use."""
        return self._prefilter.name

    def candidates(self, data: bytes, lo: int = 0, hi: int | None = None) -> dict[int, list[int]]:
        """Keyword hit starts in ``data[lo:hi]`` grouped by rule index."""
        return self.prescan(data, [(lo, len(data) if hi is None else hi)]).per_rule

    def any_hits(self, texts: Sequence[bytes]) -> list[bool]:
        """For each of ``texts`` (short ones: member paths), whether ``matches`` could find
        anything in it. One automaton pass over them all, joined by a byte no keyword holds."""
        if self._always or self._separator is None:
            return [True] * len(texts)
        joined = self._separator.join(texts)
        ends: list[int] = []
        end = -1
        for text in texts:
            end += len(text) + 1
            ends.append(end)  # where the separator after each text is (or would be)
        hit = [False] * len(texts)
        for starts in self.prescan(joined).per_rule.values():  # (markers are no rule's)
            for start in starts:
                hit[bisect.bisect_left(ends, start)] = True
        return hit

    def prescan(self, data: bytes, ranges: Sequence[tuple[int, int]] | None = None) -> Prescan:
        """The keyword hits and marker places in ``ranges`` of ``data`` (all of it by default),
        for ``scan`` over the same ranges and for the marker's readers."""
        spans = ((0, len(data)),) if ranges is None else tuple(ranges)
        per_rule: dict[int, list[int]] = defaultdict(list)
        marks: dict[bytes, list[int]] = {}
        markers = self._markers
        keywords = self._keywords
        for lo, hi in spans:
            for kw_index, start in prefilter.scan_range(self._prefilter, data, lo, hi, self._overlap):
                for rule_index in keywords[kw_index].rules:
                    per_rule[rule_index].append(start)
                marker = markers.get(kw_index)
                if marker is not None:
                    marks.setdefault(marker, []).append(start)
        for places in marks.values():
            places.sort()
        return Prescan(spans, per_rule, marks, self._marker_set)

    def matches(self, data: bytes, path: str = "", lo: int = 0, hi: int | None = None,
                prescan: Prescan | None = None) -> list[tuple[Rule, int, int, bytes]]:
        """``(rule, start, end, secret)`` for every accepted match whose keyword hit is in ``[lo, hi)``.
        With ``prescan`` (of ranges that hold ``[lo, hi)``), its hits are used instead of a new pass."""
        if prescan is None:
            hits = self.candidates(data, lo, hi)
        else:
            end = len(data) if hi is None else hi
            if prescan.ranges == ((lo, end),):
                hits = dict(prescan.per_rule)
            else:
                hits = {}
                for index, starts in prescan.per_rule.items():
                    inside = [s for s in starts if lo <= s < end]
                    if inside:
                        hits[index] = inside
        if not hits and not self._always:
            return []  # most members' paths, and many small members: no keyword at all
        for index in self._always:
            hits.setdefault(index, []).append(lo)
        found: list[tuple[Rule, int, int, bytes]] = []
        for index in sorted(hits):
            rule = self.rules[index]
            spec = self._paths.get(index)
            if spec is not None and not spec.match_file(path):
                continue
            if rule.anchored:
                found.extend((rule, s, e, secret) for s, e, secret in confirm_at(rule, data, hits[index]))
                continue
            if not rule.keywords:
                windows = [(lo, len(data) if hi is None else hi)]
            else:
                klen = min(len(k) for k in rule.keywords)
                windows = merge_windows(hits[index], klen, rule.window, len(data))
            found.extend((rule, s, e, secret) for s, e, secret in confirm(rule, data, windows))
        return _most_severe(found)

    def scan(self, blob: Blob, ranges: Sequence[tuple[int, int]] | None = None,
             prescan: Prescan | None = None) -> Iterator[Finding]:
        """Findings of every rule in one blob (or in ``ranges`` of it), in offset order. With
        ``prescan`` (made over the same ranges), its keyword hits are used.

        A piece of a large member scans only its own part and reports member offsets and lines.
        """
        if ranges is None:
            ranges = [(blob.scan_from, len(blob.data) if blob.scan_to is None else blob.scan_to)]
        data = blob.data
        # Lines are counted incrementally between findings in offset order: counting from the
        # start for every finding is quadratic in a large member with many findings.
        found = sorted((m for lo, hi in ranges for m in self.matches(data, blob.origin.inner, lo, hi, prescan)),
                       key=lambda m: (m[1], m[0].id))
        line, counted, line_start = 1, 0, 0
        for rule, start, end, secret in found:
            newlines = data.count(b"\n", counted, start)
            if newlines:
                line += newlines
                line_start = data.rfind(b"\n", counted, start) + 1
            counted = start
            span = Span(start, end, line, start - line_start + 1)
            if not blob.whole:
                span = Span(start + blob.offset, end + blob.offset, line + blob.lines_before, span.column)
            yield Finding(
                rule_id=rule.id,
                category=rule.category,
                severity=rule.severity,
                origin=blob.origin,
                message=rule.title,
                span=span,
                secret=Secret(secret),
                evidence=_proof(rule),
            )


def _proof(rule: Rule) -> tuple[tuple[str, str], ...]:
    """Why a match of ``rule`` is known to be a real credential: its provider checksum or
    structure validated, or the rule says a match alone shows it (``proves-real``)."""
    if rule.validator in PROOF_VALIDATORS:
        return (("proof", f"the {rule.validator} validated"),)
    if rule.proves_real:
        return (("proof", f"{rule.id} matches only real credentials"),)
    return ()


def _most_severe(found: list[tuple[Rule, int, int, bytes]]) -> list[tuple[Rule, int, int, bytes]]:
    """Drop matches overlapping a more severe (or, on a tie, longer) match of another rule."""
    ranked = sorted(found, key=lambda m: (-m[0].severity, -(m[2] - m[1]), m[1], m[0].id))
    kept: list[tuple[Rule, int, int, bytes]] = []
    for match in ranked:
        if not any(match[1] < k[2] and k[1] < match[2] for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: (m[1], m[0].id))


def example_paths(rule: Rule) -> list[str]:
    """Member paths an example is tried under: one per ``paths`` pattern (``**/.npmrc`` -> ``.npmrc``)."""
    if not rule.paths:
        return [""]
    return [p.removeprefix("**/").replace("**", "x").replace("*", "x").rstrip("/") or "x" for p in rule.paths]


def example_matches(matcher: Matcher, rule: Rule, text: str) -> bool:
    """Does ``text`` produce a finding of ``rule`` under any of its example paths?"""
    data = text.encode("utf-8")
    return any(r.id == rule.id for path in example_paths(rule) for r, *_ in matcher.matches(data, path))


def check_rule(rule: Rule, engine: str = "auto") -> list[str]:
    """Problems with one rule's examples: an example that does not match, a negative that does."""
    matcher = Matcher([rule], engine)
    problems = []
    for example in rule.examples:
        if not example_matches(matcher, rule, example):
            problems.append(f"{rule.source}: {rule.id}: example does not match: {example[:60]!r}")
    for negative in rule.negative_examples:
        if example_matches(matcher, rule, negative):
            problems.append(f"{rule.source}: {rule.id}: negative example matches: {negative[:60]!r}")
    return problems
