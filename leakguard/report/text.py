"""The human report: grouped by artifact, worst first; each finding with its evidence and one next
step. Findings below the threshold, suppressed and carried over are counted in the verdict line and
listed with ``verbose``; ``quiet`` prints the verdict line alone."""

from __future__ import annotations

from leakguard.model import Artifact, Finding, Severity, Verdict, human_size
from leakguard.redact import shown
from leakguard.report.advice import next_step
from leakguard.report.safe import clean

_COLORS = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"
_INDENT = " " * 11


def plural(count: int, word: str) -> str:
    """``1 member``, ``2 members``, ``1,204 files``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def location(finding: Finding) -> str:
    """``artifact!/member:line:column``."""
    span = finding.span
    return f"{finding.origin}:{span.line}:{span.column}" if span else str(finding.origin)


def _describe(artifact: Artifact) -> str:
    ident = " ".join(x for x in (artifact.name, artifact.version) if x)
    kind = artifact.kind + (f" {ident}" if ident else "")
    return ", ".join([kind, plural(artifact.members, "member"), human_size(artifact.bytes)])


def _status(finding: Finding, blocking: bool) -> str:
    if finding.suppression is not None:
        return f"  (suppressed by {finding.suppression.kind}: {finding.suppression.reason})"
    return ("" if blocking else "  (not blocking)") + ("  (carried over)" if finding.carried_over else "")


def _lines(finding: Finding, *, blocking: bool, redact: bool, color: bool, context: bool) -> list[str]:
    label = f"{finding.severity.name:<8}"
    if color:
        label = f"{_COLORS[finding.severity]}{label}{_RESET}"
    value = shown(finding, redact=redact)
    evidence = finding.message + (f": {value}" if value is not None else "")
    out = [f"  {label} {clean(finding.rule_id)}  {clean(location(finding))}{clean(_status(finding, blocking))}",
           f"{_INDENT}{clean(evidence)}"]
    if context and finding.context is not None:
        before, after = finding.context
        out.append(f"{_INDENT}context: {clean(before + (value or '') + after)}")
    out.append(f"{_INDENT}next: {clean(next_step(finding))}")
    return out


def render(verdict: Verdict, *, redact: bool = True, color: bool = False, verbose: bool = False,
           quiet: bool = False, context: bool = False) -> str:
    """The report as text, ending with the verdict and a one-line summary (``quiet``: the verdict
    line alone)."""
    if quiet:
        return _verdict_line(verdict, color=color, verbose=verbose) + "\n"
    out: list[str] = []
    shown_ = [(f, True) for f in verdict.blocking]
    if verbose:
        shown_ += [(f, False) for f in (*verdict.reported, *verdict.suppressed)]
    by_artifact = {a.path: a for a in verdict.artifacts}
    groups: dict[str, list[tuple[Finding, bool]]] = {}
    for finding, blocking in shown_:
        groups.setdefault(finding.origin.artifact, []).append((finding, blocking))
    for path, items in groups.items():
        artifact = by_artifact.get(path)
        out.append(clean(f"{path}" + (f"  ({_describe(artifact)})" if artifact else "")))
        items.sort(key=lambda fb: (fb[0].suppression is not None, -fb[0].severity, not fb[1]))
        for finding, blocking in items:
            out.extend(_lines(finding, blocking=blocking, redact=redact, color=color, context=context))
        out.append("")
    out += _diffs(verdict)
    for problem in verdict.problems:
        out.append(clean(f"error: {problem.origin}: {problem.kind}: {problem.detail}"))
    not_scanned = [u for u in verdict.unscanned if verbose or not u.by_policy]
    for item in not_scanned:
        out.append(clean(f"not scanned: {item.origin}: {item.reason}"))
    if verdict.problems or not_scanned:
        out.append("")
    out.append(_verdict_line(verdict, color=color, verbose=verbose))
    stats = verdict.stats
    out.append(f"scanned {plural(stats.artifacts, 'artifact')}, {plural(stats.members, 'member')}, "
               f"{human_size(stats.bytes_scanned)} in {stats.seconds:.2f}s")
    return "\n".join(out) + "\n"


def _diffs(verdict: Verdict) -> list[str]:
    out = []
    for change in verdict.diffs:
        growth = change.new_size - change.old_size
        out.append(clean(f"against {change.old}: {len(change.added)} added, {len(change.removed)} removed, "
                         f"{len(change.changed)} changed; unpacked {human_size(change.old_size)} -> "
                         f"{human_size(change.new_size)} ({'+' if growth >= 0 else '-'}{human_size(abs(growth))})"))
    carried = [f for f in (*verdict.blocking, *verdict.reported) if f.carried_over]
    if carried:
        out.append(f"{plural(len(carried), 'finding')} carried over from the previous release")
    return [*out, ""] if out else out


def _tail(verdict: Verdict, *, verbose: bool) -> str:
    """``; 2 below the threshold, 1 suppressed (--verbose lists them)``."""
    below = len([f for f in verdict.reported if f.severity > Severity.INFO])
    suppressed = len(verdict.suppressed)
    parts = [f"{below:,} below the threshold"] if below else []
    parts += [f"{suppressed:,} suppressed"] if suppressed else []
    if not parts:
        return ""
    return "; " + ", ".join(parts) + ("" if verbose else " (--verbose lists them)")


def _verdict_line(verdict: Verdict, *, color: bool, verbose: bool) -> str:
    fail_on = verdict.fail_on.label
    extra = _tail(verdict, verbose=verbose)
    if verdict.problems:
        n = len(verdict.problems)
        word = f"ERROR: {n} target{'s' if n != 1 else ''} or member{'s' if n != 1 else ''} could not be scanned"
        if verdict.blocking:
            word += f"; {plural(len(verdict.blocking), 'blocking finding')}"
        line, tint = word + extra, "\033[1;31m"
    elif verdict.blocking:
        blocking = plural(len(verdict.blocking), "blocking finding")
        line, tint = f"FAIL: {blocking} (fail-on {fail_on}){extra}", "\033[1;31m"
    else:
        line, tint = f"PASS: no findings at {fail_on} or above{extra}", "\033[1;32m"
    return f"{tint}{line}{_RESET}" if color else line
