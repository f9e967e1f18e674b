"""``leakguard findings`` output: stored findings as text, JSON, SARIF or CSV. Pure: rows in, text out.

A row is what ``Store.findings`` returns (artifact columns and finding columns). No format can show
a secret: the database has only its redacted preview.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

from leakguard.about import version

FIELDS = ("scanned_at", "spec", "filename", "sha256", "rule", "category", "severity", "blocking", "location",
          "fingerprint", "preview", "message")
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in FIELDS}
    out["scanned_at"] = row["scanned_at"].isoformat(timespec="seconds") + "Z" if row.get("scanned_at") else None
    out["blocking"] = bool(row.get("blocking"))
    return out


def text(rows: Sequence[dict[str, Any]]) -> str:
    """One block per artifact, findings worst first; a count at the end."""
    lines: list[str] = []
    current = None
    for row in sorted(rows, key=lambda r: (r["scanned_at"], r["spec"], r["filename"], -r["severity_rank"])):
        artifact = (row["spec"], row["filename"])
        if artifact != current:
            current = artifact
            lines.append(f"{row['spec']} ({row['filename']})" if row["registry"] != "local" else row["spec"])
        preview = f": {row['preview']}" if row.get("preview") else ""
        lines.append(f"  {row['severity'].upper():<8} {row['rule']}  {row['location']}")
        lines.append(f"           {row['message']}{preview}  [{row['fingerprint']}]")
    fingerprints = len({r["fingerprint"] for r in rows})
    lines.append(f"{len(rows)} findings, {fingerprints} distinct fingerprints")
    return "\n".join(lines) + "\n"


def as_json(rows: Sequence[dict[str, Any]]) -> str:
    """``{"version": 1, "findings": [...]}``."""
    return json.dumps({"version": 1, "findings": [_plain(r) for r in rows]}, indent=2, ensure_ascii=False) + "\n"


def as_csv(rows: Sequence[dict[str, Any]]) -> str:
    """A header line, then one finding per line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_plain(row))
    return out.getvalue()


def sarif(rows: Sequence[dict[str, Any]]) -> str:
    """SARIF 2.1.0: one run, rules with security-severity, results located at the artifact member,
    ``partialFingerprints`` for deduplication by code scanning."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for row in rows:
        rules.setdefault(row["rule"], {
            "id": row["rule"], "shortDescription": {"text": row["rule"]},
            "properties": {"security-severity": _SECURITY[row["severity"]], "tags": ["security", row["category"]]},
        })
        path, line = _split_location(row["location"])
        region = {"startLine": line} if line else None
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": path.replace("!/", "/")}}}
        if region is not None:
            location["physicalLocation"]["region"] = region
        results.append({
            "ruleId": row["rule"], "level": _LEVEL[row["severity"]],
            "message": {"text": row["message"] + (f": {row['preview']}" if row.get("preview") else "")},
            "locations": [location], "partialFingerprints": {"leakguard/v1": row["fingerprint"]},
        })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "leakguard", "version": version(), "rules": list(rules.values())}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _split_location(location: str) -> tuple[str, int | None]:
    """``a.tgz!/package/x.js:12:3`` -> (``a.tgz!/package/x.js``, 12)."""
    head, sep, column = location.rpartition(":")
    if sep and column.isdigit():
        path, sep2, line = head.rpartition(":")
        if sep2 and line.isdigit():
            return path, int(line)
    return location, None


FORMATS: dict[str, Callable[[Sequence[dict[str, Any]]], str]] = {
    "text": text, "json": as_json, "sarif": sarif, "csv": as_csv,
}
