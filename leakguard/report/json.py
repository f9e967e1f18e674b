"""The JSON report, version 1. Later versions add keys; they never remove or rename one."""

from __future__ import annotations

import json
from typing import Any

from leakguard.model import Finding, MemberChange, ReleaseDiff, Verdict
from leakguard.report.safe import json_text

VERSION = 1


def finding_dict(finding: Finding, *, blocking: bool, redact: bool) -> dict[str, Any]:
    """One finding as the report shows it. The secret appears only when ``redact`` is False."""
    span = finding.span
    out: dict[str, Any] = {
        "rule": finding.rule_id,
        "category": finding.category.value,
        "severity": finding.severity.label,
        "blocking": blocking,
        "message": finding.message,
        "location": {
            "path": str(finding.origin),
            "line": span.line if span else None,
            "column": span.column if span else None,
        },
        "fingerprint": finding.fingerprint,
        "suppressed": (
            {"kind": finding.suppression.kind, "reason": finding.suppression.reason}
            if finding.suppression is not None else None
        ),
        "carried_over": finding.carried_over,
    }
    if finding.secret is not None:
        out["secret"] = (
            finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace")
        )
    if finding.evidence:  # facts the policy weighed (a name given twice lists both values)
        evidence: dict[str, str] = {}
        for key, value in finding.evidence:
            if key != "why":
                evidence[key] = f"{evidence[key]}, {value}" if key in evidence else value
        out["evidence"] = evidence
    if finding.related:
        out["related"] = [{"path": str(r.origin), "message": r.message, "fingerprint": r.fingerprint,
                           "severity": r.severity.label} for r in finding.related]
    return out


def diff_dict(diff: ReleaseDiff) -> dict[str, Any]:
    """One release diff; shared with ``leakguard diff --format json``."""

    def items(changes: tuple[MemberChange, ...]) -> list[dict[str, Any]]:
        return [{"path": c.path, "old_size": c.old, "new_size": c.new, "delta": (c.new or 0) - (c.old or 0)}
                for c in changes]

    return {
        "old": diff.old,
        "new": diff.new,
        "added": items(diff.added),
        "removed": items(diff.removed),
        "changed": items(diff.changed),
        "old_size": diff.old_size,
        "new_size": diff.new_size,
        "new_findings": list(diff.new_findings),
    }


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """The whole verdict as indented JSON."""
    del color  # JSON has no colour
    doc = {
        "version": VERSION,
        "verdict": verdict.status,
        "fail_on": verdict.fail_on.label,
        "artifacts": [
            {
                "path": a.path,
                "kind": a.kind,
                "name": a.name,
                "version": a.version,
                "sha256": a.sha256,
                "members": a.members,
                "bytes": a.bytes,
                "license": a.license,
                "repository": a.repository,
            }
            for a in verdict.artifacts
        ],
        "findings": [finding_dict(f, blocking=True, redact=redact) for f in verdict.blocking]
        + [finding_dict(f, blocking=False, redact=redact) for f in verdict.reported]
        + [finding_dict(f, blocking=False, redact=redact) for f in verdict.suppressed],
        "errors": [{"path": str(p.origin), "message": f"{p.kind}: {p.detail}"} for p in verdict.problems],
        "unscanned": [
            {"path": str(u.origin), "reason": u.reason, "by_policy": u.by_policy} for u in verdict.unscanned
        ],
        "diff": [diff_dict(d) for d in verdict.diffs] if verdict.diffs else None,
        "summary": {
            "artifacts": verdict.stats.artifacts,
            "members": verdict.stats.members,
            "bytes_scanned": verdict.stats.bytes_scanned,
            "seconds": round(verdict.stats.seconds, 3),
        },
    }
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
