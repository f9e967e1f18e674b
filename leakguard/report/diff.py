"""The release diff (``leakguard diff OLD NEW``): members added, removed and changed, size deltas,
and the findings that are new in NEW. Pure functions over a verdict made with ``against``."""

from __future__ import annotations

import json

from leakguard.model import MemberChange, Verdict, human_size
from leakguard.report.json import diff_dict, finding_dict
from leakguard.report.safe import clean, json_text


def _delta(change: MemberChange) -> int:
    return (change.new or 0) - (change.old or 0)


def _signed(size: int) -> str:
    return ("+" if size >= 0 else "-") + human_size(abs(size))


def render_text(verdict: Verdict, *, redact: bool = True) -> str:
    """Human-readable diff, one artifact pair after another."""
    out: list[str] = []
    new_fps = {fp for d in verdict.diffs for fp in d.new_findings}
    for diff in verdict.diffs:
        out.append(f"{diff.old} -> {diff.new}")
        for label, items in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
            for item in items:
                sizes = f"{human_size(item.old or 0)} -> {human_size(item.new or 0)}" if label == "changed" else ""
                out.append(f"  {label:<8} {item.path}  {_signed(_delta(item))}" + (f"  ({sizes})" if sizes else ""))
        if not (diff.added or diff.removed or diff.changed):
            out.append("  no member changed")
        growth = diff.new_size - diff.old_size
        out.append(f"  unpacked size {human_size(diff.old_size)} -> {human_size(diff.new_size)} ({_signed(growth)})")
        out.append("")
    fresh = [f for f in (*verdict.blocking, *verdict.reported) if f.fingerprint in new_fps]
    out.append(f"{len(fresh)} finding{'s' if len(fresh) != 1 else ''} new in this release")
    for finding in fresh:
        secret = ""
        if finding.secret is not None:
            value = finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace")
            secret = f": {value}"
        out.append(f"  {finding.severity.name:<8} {finding.rule_id}  {finding.origin}  {finding.message}{secret}")
    return "\n".join(clean(line) for line in out) + "\n"


def render_json(verdict: Verdict, *, redact: bool = True) -> str:
    """The diff as JSON: the pairs, and the new findings in the JSON report's finding shape."""
    new_fps = {fp for d in verdict.diffs for fp in d.new_findings}
    doc = {
        "version": 1,
        "diffs": [diff_dict(d) for d in verdict.diffs],
        "new_findings": [finding_dict(f, blocking=f in verdict.blocking, redact=redact)
                         for f in (*verdict.blocking, *verdict.reported) if f.fingerprint in new_fps],
    }
    return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
