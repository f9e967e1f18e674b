"""The line around a finding, recorded where the bytes are (``--context`` shows it).

Recorded at detection time, because only then are the member's bytes at hand: inside a nested
archive, a sourcesContent entry or a decoded payload alike. What is kept is the text before and after
the matched value on its line, never the value: reports put the value back in the form
``leakguard.redact`` decides. Other matches on the same line are written in that form too, and a
window never ends inside one. A long line (minified code, a map's one JSON line) keeps a window of
``REACH`` bytes on each side. A URL's user and password are hidden even when no rule matched them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from leakguard.model import Finding
from leakguard.redact import shown

REACH = 60  # bytes kept on each side of the value
MAX_LINE = 2 * REACH + 40  # a line up to this long is kept whole
ELLIPSIS = "…"
# The user and password of a URL (scheme://user:password@host), even when no rule matched them.
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@\"'<>`]+@")


@dataclass(frozen=True, slots=True)
class Values:
    """The matched values of one piece of bytes, by position, so that each finding's context finds
    its neighbours without looking at all of them (a minified line may hold thousands)."""

    spans: tuple[tuple[int, int, Finding], ...]  # (start, end, finding), sorted by start
    starts: tuple[int, ...]
    long: tuple[tuple[int, int, Finding], ...]  # values longer than LONG: checked against every window

    @classmethod
    def of(cls, findings: Iterable[Finding], offset: int) -> Values:
        """The values among ``findings`` (their spans made relative to ``offset``)."""
        spans = sorted(((f.span.start - offset, f.span.end - offset, f) for f in findings
                        if f.span is not None and f.secret is not None), key=lambda t: (t[0], t[1]))
        return cls(tuple(spans), tuple(t[0] for t in spans), tuple(t for t in spans if t[1] - t[0] > LONG))

    def near(self, lo: int, hi: int) -> list[tuple[int, int, Finding]]:
        """The values that overlap ``[lo, hi)``."""
        first = bisect.bisect_left(self.starts, lo - LONG)
        last = bisect.bisect_left(self.starts, hi)
        found = {id(t[2]): t for t in (*self.spans[first:last], *self.long) if t[0] < hi and t[1] > lo}
        return sorted(found.values(), key=lambda t: (t[0], t[1]))


LONG = 4096  # a value longer than this (a key block) is checked against every window


def _line(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Where the line around ``[start, end)`` starts and ends, looking at most ``MAX_LINE`` bytes
    either way (-1: further than that, a long line: the cost of a finding stays bounded)."""
    bound = max(0, start - MAX_LINE)
    newline = data.rfind(b"\n", bound, start)
    line_start = newline + 1 if newline >= 0 else (0 if bound == 0 else -1)
    top = min(len(data), end + MAX_LINE)
    newline = data.find(b"\n", end, top)
    line_end = newline if newline >= 0 else (len(data) if top == len(data) else -1)
    return line_start, line_end


def around(finding: Finding, data: bytes, offset: int = 0, values: Values | None = None
           ) -> tuple[str, str] | None:
    """``(before, after)``: the text beside the finding's value on its line in ``data`` (whose
    first byte is at member offset ``offset``), the other ``values`` on it redacted; None without a
    span."""
    span = finding.span
    if span is None or finding.secret is None:
        return None
    start, end = span.start - offset, span.end - offset
    if not 0 <= start <= end <= len(data):
        return None
    line_start, line_end = _line(data, start, end)
    if line_start < 0 or line_end < 0 or line_end - line_start > MAX_LINE:
        lo = max(line_start, start - REACH, 0)
        hi = min(len(data) if line_end < 0 else line_end, end + REACH)
    else:
        lo, hi = line_start, line_end
    others = [t for t in (values.near(lo, hi) if values is not None else []) if t[2] is not finding]
    for other_start, other_end, _ in others:  # a window never ends inside another value
        if other_start < lo < other_end:
            lo = other_end
        if other_start < hi < other_end:
            hi = other_start
    inside = [(s, e, f) for s, e, f in others if lo <= s and e <= hi and (e <= start or s >= end)]
    before = (ELLIPSIS if lo > line_start else "") + _text(data, lo, start, inside).lstrip()
    after = _text(data, end, hi, inside).rstrip("\r \t") + (ELLIPSIS if line_end < 0 or hi < line_end else "")
    before, after = _USERINFO.sub(r"\1…@", before), _USERINFO.sub(r"\1…@", after)
    value = finding.secret.reveal().decode("utf-8", "replace")
    if len(value) >= 4:  # the same value again on the line, unmatched: never shown
        hidden = shown(finding) or ""
        before, after = before.replace(value, hidden), after.replace(value, hidden)
    return before, after


def _text(data: bytes, lo: int, hi: int, inside: list[tuple[int, int, Finding]]) -> str:
    """``data[lo:hi]`` decoded, with the values of ``inside`` in their shown form."""
    out, at = [], lo
    for start, end, finding in inside:
        if lo <= start and end <= hi:
            out.append(data[at:start].decode("utf-8", "replace"))
            out.append(shown(finding) or "")
            at = end
    out.append(data[at:hi].decode("utf-8", "replace"))
    return "".join(out)
