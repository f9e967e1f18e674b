"""``leakguard:allow RULE-ID reason`` comments: found next to a finding and recorded on it as facts,
with the finding's context (``match.context``): what its line says, read while its bytes are at hand.

Detection only reads them; whether one suppresses its finding is the policy's decision
(``leakguard.policy.decide``, in ``policy/decision.py``), which also judges their reasons and how far they are from it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from leakguard.match import context
from leakguard.model import Finding, InlineAllow

MARK = b"leakguard:allow"
_INLINE = re.compile(rb"leakguard:allow[ \t]+([A-Za-z0-9_.-]+)(?:[ \t]+([^\r\n*]*?))?[ \t]*(?:\*/|-->|$)", re.MULTILINE)


# How far either way a finding's line is searched for allow comments: far beyond the reach within
# which one counts (the policy's 256 bytes), and bounded, so a minified line of thousands of
# findings is not read once per finding.
WINDOW = 4096


def directives(data: bytes, start: int, end: int) -> tuple[InlineAllow, ...]:
    """The allow comments on the line of ``data[start:end]`` within ``WINDOW`` bytes of it, each
    with its distance in bytes from that span (0 when it touches it)."""
    low, high = max(0, start - WINDOW), min(len(data), end + WINDOW)
    before = data.rfind(b"\n", low, start)
    line_start = before + 1 if before != -1 else low
    line_end = data.find(b"\n", end, high)
    if line_end == -1:
        line_end = high
    if data.find(MARK, line_start, line_end) == -1:
        return ()
    found = []
    for match in _INLINE.finditer(data, line_start, line_end):
        reason = (match.group(2) or b"").decode("utf-8", "replace").strip()
        distance = max(0, match.start() - end, start - match.end())
        column = match.start() - data.rfind(b"\n", 0, match.start())  # comments are rare: read back once
        found.append(InlineAllow(match.group(1).decode("ascii"), reason, distance, match.start(), column))
    return tuple(found)


def annotate(finding: Finding, data: bytes, offset: int = 0, values: context.Values | None = None) -> Finding:
    """``finding`` with what its line in ``data`` (whose first byte is at member offset ``offset``)
    says about it: the allow comments on it, and its context (``values``: the findings of the same
    bytes, whose values the context must not show either)."""
    span = finding.span
    if span is None:
        return finding
    found = tuple(dataclasses.replace(a, at=a.at + offset)
                  for a in directives(data, span.start - offset, span.end - offset))
    return dataclasses.replace(finding, allows=found, context=context.around(finding, data, offset, values))


def annotated(findings: Iterable[Finding], data: bytes, offset: int = 0) -> list[Finding]:
    """``annotate`` for every finding of the same bytes."""
    found = list(findings)
    values = context.Values.of(found, offset)
    return [annotate(f, data, offset, values) for f in found]
