"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY``. Deterministic output."""

from __future__ import annotations

from leakguard.model import Finding, Verdict, human_size

_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _location(finding: Finding) -> str:
    span = finding.span
    where = f"{finding.origin}:{span.line}:{span.column}" if span else str(finding.origin)
    return f"`{_cell(where)}`"


def _evidence(finding: Finding, redact: bool) -> str:
    text = finding.message
    if finding.secret is not None:
        text += ": " + (finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace"))
    if finding.suppression is not None:
        text += f" (suppressed by {finding.suppression.kind}: {finding.suppression.reason})"
    if finding.carried_over:
        text += " (carried over)"
    return _cell(text)


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """The verdict as Markdown."""
    del color
    status = verdict.status
    out = [f"## {_ICON[status]} leakguard: {status.upper()}", ""]
    stats = verdict.stats
    out.append(f"{len(verdict.blocking)} blocking finding(s) at `{verdict.fail_on.label}` or above, "
               f"{len(verdict.reported)} below, {len(verdict.suppressed)} suppressed; "
               f"{stats.artifacts} artifact(s), {stats.members:,} members, {human_size(stats.bytes_scanned)} scanned.")
    out.append("")
    rows = [(f, "yes") for f in verdict.blocking] + [(f, "no") for f in verdict.reported] + [
        (f, "suppressed") for f in verdict.suppressed]
    if rows:
        out += ["| severity | blocking | rule | location | evidence |", "|---|---|---|---|---|"]
        out += [f"| {f.severity.label} | {b} | `{f.rule_id}` | {_location(f)} | {_evidence(f, redact)} |"
                for f, b in rows]
        out.append("")
    if verdict.problems:
        out += ["### Scan errors", ""]
        out += [f"- `{_cell(str(p.origin))}`: {p.kind}: {_cell(p.detail)}" for p in verdict.problems]
        out.append("")
    unscanned = [u for u in verdict.unscanned if not u.by_policy]
    if unscanned:
        out += ["### Not scanned", ""]
        out += [f"- `{_cell(str(u.origin))}`: {_cell(u.reason)}" for u in unscanned]
        out.append("")
    return "\n".join(out)
