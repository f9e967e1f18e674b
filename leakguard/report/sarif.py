"""SARIF 2.1.0 for GitHub code scanning: one run per invocation.

GitHub reads the first location of a result, wants relative URIs (an archive member is written as
a path: ``dist/x.tgz/package/cli.js.map``), deduplicates on ``partialFingerprints``, and ranks by
the rule's ``properties.security-severity``. The exact location chain is kept in ``properties``.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from leakguard.model import Finding, Origin, Severity, Verdict

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _version() -> str:
    try:
        return version("leakguard")
    except PackageNotFoundError:
        return "0.0.0"


def relative_uri(origin: Origin) -> str:
    """A relative path for the artifact chain; absolute artifacts are made relative to the cwd
    when they are under it, else their leading slash is dropped."""
    path = origin.path
    if os.path.isabs(origin.artifact):
        try:
            rel = os.path.relpath(origin.artifact)
        except ValueError:
            rel = origin.artifact
        head = rel if not rel.startswith("..") else origin.artifact.lstrip("/")
        path = "/".join([head.replace(os.sep, "/"), *(p.strip("/") for p in origin.chain[1:])])
    return path


def _level(finding: Finding, blocking: bool) -> str:
    if blocking:
        return "error"
    return "warning" if finding.severity >= Severity.MEDIUM else "note"


def _message(finding: Finding, redact: bool) -> str:
    if finding.secret is None:
        return finding.message
    value = finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace")
    return f"{finding.message}: {value}"


def _suppressions(finding: Finding) -> list[dict[str, Any]]:
    """SARIF suppressions: inline comments are in source; allow entries and baselines external."""
    if finding.suppression is None:
        return []
    kind = "inSource" if finding.suppression.kind == "inline" else "external"
    return [{"kind": kind, "status": "accepted", "justification": f"{finding.suppression.kind}: "
             f"{finding.suppression.reason}"}]


def _result(finding: Finding, rule_index: int, blocking: bool, redact: bool) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": relative_uri(finding.origin)}}
    if finding.span is not None:
        location["region"] = {"startLine": finding.span.line, "startColumn": finding.span.column}
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _level(finding, blocking),
        "message": {"text": _message(finding, redact)},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"leakguard/v1": finding.fingerprint},
        "properties": {
            "leakguard/chain": list(finding.origin.chain),
            "category": finding.category.value,
            "severity": finding.severity.label,
            "blocking": blocking,
            "carried_over": finding.carried_over,
        },
    }
    suppressions = _suppressions(finding)
    if suppressions:
        result["suppressions"] = suppressions
    return result


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """The verdict as one SARIF 2.1.0 log with one run."""
    del color
    entries = [(f, True) for f in verdict.blocking] + [(f, False) for f in verdict.reported] + [
        (f, False) for f in verdict.suppressed
    ]
    rules: dict[str, int] = {}
    descriptors: list[dict[str, Any]] = []
    for finding, _ in entries:
        if finding.rule_id in rules:
            continue
        rules[finding.rule_id] = len(descriptors)
        descriptors.append({
            "id": finding.rule_id,
            "name": finding.rule_id,
            "shortDescription": {"text": finding.message if finding.secret is not None else finding.rule_id},
            "defaultConfiguration": {"level": "error" if finding.severity >= verdict.fail_on else "warning"},
            "properties": {
                "security-severity": SECURITY_SEVERITY[finding.severity],
                "tags": ["security", finding.category.value],
            },
        })
    notifications = [
        {"level": "error", "message": {"text": f"{p.origin}: {p.kind}: {p.detail}"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": relative_uri(p.origin)}}}]}
        for p in verdict.problems
    ]
    run = {
        "tool": {"driver": {
            "name": "leakguard",
            "semanticVersion": _version(),
            "informationUri": "https://pypi.org/project/leakguard/",
            "rules": descriptors,
        }},
        "automationDetails": {"id": "leakguard/"},
        "invocations": [{"executionSuccessful": not verdict.problems, "toolExecutionNotifications": notifications}],
        "results": [_result(f, rules[f.rule_id], blocking, redact) for f, blocking in entries],
        "properties": {"verdict": verdict.status, "fail_on": verdict.fail_on.label},
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
