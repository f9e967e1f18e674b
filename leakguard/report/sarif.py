"""SARIF 2.1.0 for GitHub code scanning: one run per invocation.

GitHub reads only the first location of a result, wants relative URIs (an archive member is written
as a path: ``dist/x.tgz/package/cli.js.map``), deduplicates on ``partialFingerprints`` and ranks
alerts by the rule's ``properties.security-severity``. The exact location chain, which a path cannot
always carry (a member may itself contain ``/`` or ``..``), is kept in the result's ``properties``.
Scan errors become tool execution notifications, so a run that could not read everything says so.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from typing import Any, Literal, assert_never
from urllib.parse import quote

from leakguard import about
from leakguard.model import Category, Finding, Origin, Severity, Verdict
from leakguard.report.safe import json_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Partial fingerprint key: bump the suffix if Finding.fingerprint ever changes meaning, so GitHub
# opens new alerts instead of silently matching unrelated old ones.
FINGERPRINT_KEY = "leakguard/v1"
# semver.org's recommended regex (SARIF §3.19.3: semanticVersion SHALL be SemVer 2.0.0).
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# RFC 3986 pchar minus ":" (a colon in the first segment would read as a scheme) plus "/".
_URI_SAFE = "/!$&'()*+,;=@-._~"

Level = Literal["error", "warning", "note"]


def security_severity(severity: Severity) -> str:
    """GitHub's ``security-severity`` score for a severity (critical >= 9.0, high 7.0-8.9,
    medium 4.0-6.9, low 0.1-3.9), as the string GitHub's documentation shows."""
    match severity:
        case Severity.CRITICAL:
            return "9.5"
        case Severity.HIGH:
            return "8.0"
        case Severity.MEDIUM:
            return "5.5"
        case Severity.LOW:
            return "3.0"
        case Severity.INFO:
            return "1.0"
        case _:
            assert_never(severity)


def _category_text(category: Category) -> str:
    match category:
        case Category.CREDENTIAL:
            return "Credential in a release artifact"
        case Category.SOURCE_MAP:
            return "Source map in a release artifact"
        case Category.SOURCE_CODE:
            return "Source code in a release artifact"
        case Category.CODENAME:
            return "Internal codename in a release artifact"
        case Category.INTERNAL_ENDPOINT:
            return "Internal endpoint in a release artifact"
        case Category.SENSITIVE_FILE:
            return "Sensitive file in a release artifact"
        case Category.POLICY:
            return "Release policy violation"
        case _:
            assert_never(category)


def level(severity: Severity, *, blocking: bool) -> Level:
    """``error`` if it blocks the release, ``warning`` for medium/high below fail-on, else ``note``.

    Shared with the GitHub annotation reporter, whose commands are named after the same levels
    (``note`` there is ``notice``)."""
    if blocking:
        return "error"
    match severity:
        case Severity.CRITICAL | Severity.HIGH | Severity.MEDIUM:
            return "warning"
        case Severity.LOW | Severity.INFO:
            return "note"
        case _:
            assert_never(severity)



def relative_artifact(path: str) -> str:
    """A target path made relative: to the working directory when it lies under it (in CI, the
    checkout), else with its leading slash dropped; ``/`` separators; ``.`` for the directory itself."""
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:  # Windows: another drive
            rel = os.pardir
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            rel = os.path.splitdrive(path)[1].lstrip("\\/")
        path = rel
    return posixpath.normpath(path.replace(os.sep, "/")) if path else "."


def relative_path(origin: Origin) -> str:
    """A repository-relative ``/`` path for an origin; members are path segments after the artifact.

    The artifact is made relative by :func:`relative_artifact`; an artifact that is the working
    directory itself (``leakguard scan .``) leaves just the member path. Member names are kept
    verbatim: they are archive entries, not file-system paths, so ``..`` in a source map's
    ``sources`` is not resolved.
    """
    head = relative_artifact(origin.artifact)
    parts = ([] if head == "." else [head]) + [part.strip("/") for part in origin.chain[1:]]
    return "/".join(parts) or "."


def relative_uri(origin: Origin) -> str:
    """:func:`relative_path` as a URI reference: spaces, ``#``, ``?``, ``%`` and ``:`` percent-encoded."""
    # A name that is not UTF-8 holds its bytes as surrogates: percent-encoded as those bytes.
    return quote(relative_path(origin), safe=_URI_SAFE, errors="surrogateescape")


def _message(finding: Finding, redact: bool) -> str:
    if finding.secret is None:
        return finding.message
    value = finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace")
    return f"{finding.message}: {value}"


def _suppressions(finding: Finding) -> list[dict[str, Any]]:
    """SARIF ``suppressions`` (§3.35) for a finding: the hook for anything that does not count.

    An inline ``leakguard:allow`` comment is ``inSource``; a config allow entry or a baseline entry
    is ``external``. GitHub closes alerts whose result carries an accepted suppression, so an
    allowed finding still reaches code scanning without opening an alert. Returns ``[]`` for a
    finding that counts (SARIF: absent ``suppressions`` means "not suppressed").
    """
    suppression = finding.suppression
    if suppression is None:
        return []
    match suppression.kind:
        case "inline":
            kind = "inSource"
        case "allow" | "baseline":
            kind = "external"
        case _:
            assert_never(suppression.kind)
    return [{"kind": kind, "status": "accepted", "justification": f"{suppression.kind}: {suppression.reason}"}]


def _result(finding: Finding, rule_index: int, blocking: bool, redact: bool) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": relative_uri(finding.origin)}}
    if finding.span is not None:
        location["region"] = {"startLine": finding.span.line, "startColumn": finding.span.column}
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity, blocking=blocking),
        "message": {"text": _message(finding, redact)},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "leakguard/chain": list(finding.origin.chain),
            "category": finding.category.value,
            "severity": finding.severity.label,
            "blocking": blocking,
            "carried_over": finding.carried_over,
        },
    }
    if finding.related:  # the maps one finding stands for, each where it is
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": {"artifactLocation": {"uri": relative_uri(r.origin)}},
             "message": {"text": _message(r, redact)}}
            for i, r in enumerate(finding.related, 1)]
    suppressions = _suppressions(finding)
    if suppressions:
        result["suppressions"] = suppressions
    return result


def _descriptor(rule_id: str, findings: list[Finding], verdict: Verdict) -> dict[str, Any]:
    """One reportingDescriptor. GitHub titles alerts with ``shortDescription``, so it must describe
    the rule, not one finding: a content match's message is its rule title (same for every match,
    each with a span); any other message names a member and falls back to the category's text."""
    first = findings[0]
    messages = {f.message for f in findings}
    if len(messages) == 1 and all(f.span is not None and f.secret is not None for f in findings):
        text = first.message
    else:
        text = f"{_category_text(first.category)} ({rule_id})"
    worst = max(f.severity for f in findings)
    categories = sorted({f.category.value for f in findings})
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": text},
        "defaultConfiguration": {"level": level(worst, blocking=worst >= verdict.fail_on)},
        "properties": {"security-severity": security_severity(worst), "tags": ["security", *categories]},
    }


def _notification(origin: Origin, text: str, note_level: Level) -> dict[str, Any]:
    return {
        "level": note_level,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": relative_uri(origin)}}}],
    }


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """The verdict as one SARIF 2.1.0 log with one run; secrets redacted unless ``redact`` is False."""
    del color  # SARIF has no colour
    entries = [(f, True) for f in verdict.blocking] + [(f, False) for f in verdict.reported] + [
        (f, False) for f in verdict.suppressed
    ]
    by_rule: dict[str, list[Finding]] = {}
    for finding, _ in entries:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    index = {rule_id: i for i, rule_id in enumerate(by_rule)}
    notifications = [_notification(p.origin, f"{p.origin}: {p.kind}: {p.detail}", "error") for p in verdict.problems]
    # Not a failure, but a hole in the scan the reader should see (an encrypted member, say).
    notifications += [_notification(u.origin, f"{u.origin}: not scanned: {u.reason}", "warning")
                      for u in verdict.unscanned if not u.by_policy]
    driver: dict[str, Any] = {"name": "leakguard", "version": about.version()}
    if _SEMVER.match(driver["version"]):
        driver["semanticVersion"] = driver["version"]
    driver["informationUri"] = "https://pypi.org/project/leakguard/"
    driver["rules"] = [_descriptor(rule_id, findings, verdict) for rule_id, findings in by_rule.items()]
    run = {
        "tool": {"driver": driver},
        "automationDetails": {"id": "leakguard/"},
        "invocations": [{"executionSuccessful": not verdict.problems, "toolExecutionNotifications": notifications}],
        "results": [_result(f, index[f.rule_id], blocking, redact) for f, blocking in entries],
        "properties": {"verdict": verdict.status, "fail_on": verdict.fail_on.label},
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
