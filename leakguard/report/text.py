"""The human report: grouped by artifact, worst first, one line per finding plus its evidence."""

from __future__ import annotations

from leakguard.model import Artifact, Finding, Severity, Verdict, human_size
from leakguard.report.safe import clean

_COLORS = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"


def location(finding: Finding) -> str:
    """``artifact!/member:line:column``."""
    span = finding.span
    return f"{finding.origin}:{span.line}:{span.column}" if span else str(finding.origin)


def _describe(artifact: Artifact) -> str:
    ident = " ".join(x for x in (artifact.name, artifact.version) if x)
    kind = artifact.kind + (f" {ident}" if ident else "")
    return ", ".join([kind, f"{artifact.members:,} members", human_size(artifact.bytes)])


def _lines(finding: Finding, *, blocking: bool, redact: bool, color: bool) -> list[str]:
    label = f"{finding.severity.name:<8}"
    if color:
        label = f"{_COLORS[finding.severity]}{label}{_RESET}"
    tail = ("" if blocking else "  (not blocking)") + ("  (carried over)" if finding.carried_over else "")
    evidence = finding.message
    if finding.secret is not None:
        value = finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace")
        evidence += f": {value}"
    return [f"  {label} {clean(finding.rule_id)}  {clean(location(finding))}{tail}", f"           {clean(evidence)}"]


def render(verdict: Verdict, *, redact: bool = True, color: bool = False, verbose: bool = False,
           quiet: bool = False) -> str:
    """The report as text, ending with the verdict and a one-line summary."""
    out: list[str] = []
    if not quiet:
        # Below-threshold findings are counted in the verdict line; --verbose lists them.
        shown = [(f, True) for f in verdict.blocking] + [(f, False) for f in verdict.reported if verbose]
        by_artifact = {a.path: a for a in verdict.artifacts}
        groups: dict[str, list[tuple[Finding, bool]]] = {}
        for finding, blocking in shown:
            groups.setdefault(finding.origin.artifact, []).append((finding, blocking))
        for path, items in groups.items():
            artifact = by_artifact.get(path)
            out.append(clean(f"{path}" + (f"  ({_describe(artifact)})" if artifact else "")))
            items.sort(key=lambda fb: (-fb[0].severity, not fb[1]))
            for finding, blocking in items:
                out.extend(_lines(finding, blocking=blocking, redact=redact, color=color))
            out.append("")
        for change in verdict.diffs:
            growth = change.new_size - change.old_size
            out.append(clean(f"against {change.old}: {len(change.added)} added, {len(change.removed)} removed, "
                       f"{len(change.changed)} changed; unpacked {human_size(change.old_size)} -> "
                       f"{human_size(change.new_size)} ({'+' if growth >= 0 else '-'}{human_size(abs(growth))})"))
        carried = [f for f in (*verdict.blocking, *verdict.reported) if f.carried_over]
        if carried:
            plural = "s" if len(carried) != 1 else ""
            out.append(f"{len(carried)} finding{plural} carried over from the previous release")
        if verdict.diffs or carried:
            out.append("")
        for problem in verdict.problems:
            out.append(clean(f"error: {problem.origin}: {problem.kind}: {problem.detail}"))
        not_scanned = [u for u in verdict.unscanned if verbose or not u.by_policy]
        for item in not_scanned:
            out.append(clean(f"not scanned: {item.origin}: {item.reason}"))
        if verdict.problems or not_scanned:
            out.append("")
    out.append(_verdict_line(verdict, color=color))
    stats = verdict.stats
    out.append(
        f"scanned {stats.artifacts} artifact{'s' if stats.artifacts != 1 else ''}, {stats.members:,} members, "
        f"{human_size(stats.bytes_scanned)} in {stats.seconds:.2f}s"
    )
    return "\n".join(out) + "\n"


def _verdict_line(verdict: Verdict, *, color: bool) -> str:
    fail_on = verdict.fail_on.label
    below = len([f for f in verdict.reported if f.severity > Severity.INFO])
    extra = f"; {below} below the threshold (--verbose lists them)" if below else ""
    if verdict.problems:
        n = len(verdict.problems)
        word = f"ERROR: {n} target{'s' if n != 1 else ''} or member{'s' if n != 1 else ''} could not be scanned"
        if verdict.blocking:
            word += f"; {len(verdict.blocking)} blocking finding{'s' if len(verdict.blocking) != 1 else ''}"
        line, tint = word + extra, "\033[1;31m"
    elif verdict.blocking:
        n = len(verdict.blocking)
        line, tint = f"FAIL: {n} blocking finding{'s' if n != 1 else ''} (fail-on {fail_on}){extra}", "\033[1;31m"
    else:
        line, tint = f"PASS: no findings at {fail_on} or above{extra}", "\033[1;32m"
    return f"{tint}{line}{_RESET}" if color else line
