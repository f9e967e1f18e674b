"""Regex confirmation inside windows around keyword hits, then the validators.

A rule's regex never runs over a whole member: only over the merged windows of its keyword hits.
Each candidate must pass, in order: the placeholder filter, the rule's minimum entropy and the
rule's validator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from leakguard.match.placeholders import is_placeholder
from leakguard.match.validators import STRONG_VALIDATORS, VALIDATORS, WHOLE_MATCH_VALIDATORS, shannon_entropy
from leakguard.model import Category, Rule
from leakguard.ruleset import LazyPattern


def merge_windows(starts: Iterable[int], keyword_len: int, window: int, size: int) -> list[tuple[int, int]]:
    """Windows ``[start - window, start + keyword_len + window)`` clipped and merged when they overlap."""
    merged: list[tuple[int, int]] = []
    for start in sorted(starts):
        lo, hi = max(0, start - window), min(size, start + keyword_len + window)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def accept(rule: Rule, secret: bytes, whole: bytes = b"") -> bool:
    """Does a regex match survive the shared filters and the rule's own checks? ``whole`` is the
    regex's whole match, for the validators that judge it (``WHOLE_MATCH_VALIDATORS``)."""
    # Placeholders are a credential notion: a codename or hostname is what it is.
    if rule.category is Category.CREDENTIAL and rule.validator not in STRONG_VALIDATORS and is_placeholder(secret):
        return False
    if rule.min_entropy is not None and shannon_entropy(secret) < rule.min_entropy:
        return False
    if rule.validator is None:
        return True
    return VALIDATORS[rule.validator](whole if rule.validator in WHOLE_MATCH_VALIDATORS else secret)


def confirm_at(rule: Rule, data: bytes, starts: Iterable[int]) -> Iterator[tuple[int, int, bytes]]:
    """``(start, end, secret)`` of accepted matches beginning exactly at keyword hits."""
    seen: set[tuple[int, int]] = set()
    pattern = rule.pattern
    match_at = pattern.compiled().match if isinstance(pattern, LazyPattern) else pattern.match
    window, size = rule.window, len(data)
    for start in sorted(set(starts)):
        end = start + window
        match = match_at(data, start, end if end < size else size)
        if match is None:
            continue
        span = match.span(rule.secret_group)
        if span[0] < 0 or span in seen:
            continue
        seen.add(span)
        secret = data[span[0] : span[1]]
        if accept(rule, secret, match.group()):
            yield span[0], span[1], secret


def confirm(rule: Rule, data: bytes, windows: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int, bytes]]:
    """``(start, end, secret)`` of every accepted match of ``rule`` inside ``windows``."""
    seen: set[tuple[int, int]] = set()
    for lo, hi in windows:
        for match in rule.pattern.finditer(data, lo, hi):
            start, end = match.span(rule.secret_group)
            if start < 0 or (start, end) in seen:
                continue
            seen.add((start, end))
            secret = data[start:end]
            if accept(rule, secret, match.group()):
                yield start, end, secret
