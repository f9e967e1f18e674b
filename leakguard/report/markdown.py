"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``. Deterministic output.

Member names and messages come from the artifact under scan, so everything taken from it is
escaped: a name with ``|`` must not split a table cell, one with a backtick must not end a code
span, and ``<`` or ``[`` must not become HTML or a link in a comment that others read.
"""

from __future__ import annotations

import re
from typing import Literal

from leakguard.model import Finding, Origin, Verdict, human_size
from leakguard.report.safe import clean
from leakguard.report.sarif import relative_artifact

# A pull-request comment holds at most 65,536 characters; a few hundred findings would overflow it.
MAX_ROWS = 100
_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}
# CommonMark: any ASCII punctuation may be backslash-escaped; these are the ones that start markup.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~!#&])")
# What GitHub turns into a notification or a link outside code: @user, @org/team, scheme://, www.
_DEFANG = re.compile(r"@(?=[A-Za-z0-9])|:(?=//)|w(?=ww\.)", re.IGNORECASE)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _oneline(text: str) -> str:
    return " ".join(text.splitlines())


def text(value: str) -> str:
    """Plain text safe in a table cell or a list item: markup characters backslash-escaped,
    controls made visible, and mentions and links defanged (``@`` and ``://`` with a word joiner
    inside, which GitHub neither pings nor links, and a reader still reads)."""
    value = _MARKUP.sub(r"\\\1", _oneline(clean(value)))
    return _DEFANG.sub(lambda m: m.group()[0] + "\u2060" + m.group()[1:], value)


def code(value: str, *, in_table: bool) -> str:
    """A code span holding ``value`` verbatim. Backticks cannot be escaped inside a span, so the
    fence is one backtick longer than the longest run inside (CommonMark 6.1); in a GFM table a
    ``|`` must still be written ``\\|``, even inside a span (GFM 4.10)."""
    value = _oneline(clean(value))
    if in_table:
        value = value.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end when both ends have one, so pad those too.
    spaced = value.startswith(" ") and value.endswith(" ") and bool(value.strip())
    pad = " " if value.startswith("`") or value.endswith("`") or spaced else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def where(origin: Origin) -> str:
    """``str(origin)`` with the artifact made relative: readable in a comment, the same on any runner."""
    return str(Origin((relative_artifact(origin.artifact), *origin.chain[1:]), origin.in_directory))


def _location(finding: Finding) -> str:
    span = finding.span
    place = where(finding.origin)
    place = f"{place}:{span.line}:{span.column}" if span else place
    return code(place, in_table=True)


def _evidence(finding: Finding, redact: bool) -> str:
    message = text(finding.message)
    if finding.secret is not None:
        value = finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace")
        message += ": " + code(value, in_table=True)
    if finding.suppression is not None:
        message += text(f" (suppressed by {finding.suppression.kind}: {finding.suppression.reason})")
    if finding.carried_over:
        message += " (carried over)"
    return message


def _headline(verdict: Verdict) -> str:
    parts = [f"{_plural(len(verdict.blocking), 'blocking finding')} at `{verdict.fail_on.label}` or above",
             f"{len(verdict.reported):,} below the threshold"]
    if verdict.suppressed:
        parts.append(f"{len(verdict.suppressed):,} suppressed")
    if verdict.problems:
        parts.append(_plural(len(verdict.problems), "scan error"))
    return ", ".join(parts) + "."


Row = tuple[Finding, Literal["yes", "no", "suppressed"]]


def _table(rows: list[Row], redact: bool) -> list[str]:
    out = ["| severity | blocking | rule | location | message |", "|---|---|---|---|---|"]
    for finding, blocking in rows[:MAX_ROWS]:
        out.append(f"| {finding.severity.label} | {blocking} | {code(finding.rule_id, in_table=True)} "
                   f"| {_location(finding)} | {_evidence(finding, redact)} |")
    out.append("")
    if len(rows) > MAX_ROWS:
        out += [f"{len(rows) - MAX_ROWS:,} more not shown; the JSON or SARIF report lists every finding.", ""]
    return out


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """The verdict as Markdown: heading, headline, findings table (blocking first, worst first),
    scan errors, members not scanned, and a footer with the scan totals."""
    del color  # Markdown has no colour
    status = verdict.status
    out = [f"## {_ICON[status]} leakguard: {status.upper()}", "", _headline(verdict), ""]
    groups: list[list[Row]] = [
        [(f, "yes") for f in verdict.blocking],
        [(f, "no") for f in verdict.reported],
        [(f, "suppressed") for f in verdict.suppressed],
    ]
    # sorted() is stable: within a severity the verdict's own (deterministic) order is kept.
    rows = [row for group in groups for row in sorted(group, key=lambda r: -r[0].severity)]
    out += _table(rows, redact) if rows else ["No findings.", ""]
    if verdict.problems:
        out += ["### Scan errors", ""]
        out += [f"- {code(where(p.origin), in_table=False)}: {p.kind}: {text(p.detail)}" for p in verdict.problems]
        out.append("")
    unscanned = [u for u in verdict.unscanned if not u.by_policy]
    if unscanned:
        out += ["### Not scanned", ""]
        out += [f"- {code(where(u.origin), in_table=False)}: {text(u.reason)}" for u in unscanned]
        out.append("")
    stats = verdict.stats
    out += ["---", "",
            f"<sub>leakguard scanned {_plural(stats.artifacts, 'artifact')}, {_plural(stats.members, 'member')}, "
            f"{human_size(stats.bytes_scanned)} in {stats.seconds:.2f}s; fail-on {verdict.fail_on.label}.</sub>"]
    return "\n".join(out) + "\n"
