"""The line around a finding, recorded where the bytes are (``--context`` shows it).

Recorded at detection time, because only then are the member's bytes at hand: inside a nested
archive, a sourcesContent entry or a decoded payload alike. What is kept is the text before and after
the matched value on its line, never the value: reports put the value back in the form
``leakguard.redact`` decides. Other matches on the same line are written in that form too, and a
window never ends inside one. A long line (minified code, a map's one JSON line) keeps a window of
``REACH`` bytes on each side. A URL's user and password are hidden even when no rule matched them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from leakguard.model import Finding
from leakguard.redact import shown

REACH = 60  # bytes kept on each side of the value
MAX_LINE = 2 * REACH + 40  # a line up to this long is kept whole
ELLIPSIS = "…"
# The user and password of a URL (scheme://user:password@host), even when no rule matched them.
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@\"'<>`]+@")


def around(finding: Finding, data: bytes, offset: int = 0, others: Sequence[Finding] = ()
           ) -> tuple[str, str] | None:
    """``(before, after)``: the text beside the finding's value on its line in ``data`` (whose
    first byte is at member offset ``offset``), other values on it redacted; None without a span."""
    span = finding.span
    if span is None or finding.secret is None:
        return None
    start, end = span.start - offset, span.end - offset
    if not 0 <= start <= end <= len(data):
        return None
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end == -1 else line_end
    lo, hi = line_start, line_end
    if line_end - line_start > MAX_LINE:
        lo, hi = max(line_start, start - REACH), min(line_end, end + REACH)
    spans = sorted((f.span.start - offset, f.span.end - offset, f) for f in others
                   if f is not finding and f.span is not None and f.secret is not None)
    for other_start, other_end, _ in spans:  # a window never ends inside another value
        if other_start < lo < other_end:
            lo = other_end
        if other_start < hi < other_end:
            hi = other_start
    inside = [(s, e, f) for s, e, f in spans if lo <= s and e <= hi and (e <= start or s >= end)]
    before = _text(data, lo, start, inside)
    after = _text(data, end, hi, inside)
    before = (ELLIPSIS if lo > line_start else "") + before.lstrip()
    after = after.rstrip("\r \t") + (ELLIPSIS if hi < line_end else "")
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
