"""GitHub Actions workflow commands: one annotation per finding, then the verdict."""

from __future__ import annotations

from leakguard.model import Finding, Severity, Verdict
from leakguard.report.sarif import relative_uri


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _line(command: str, finding: Finding, redact: bool) -> str:
    origin = finding.origin
    path = "/".join(origin.chain) if origin.in_directory and len(origin.chain) > 1 else relative_uri(origin)
    props = [f"file={_prop(path)}"]
    if finding.span is not None:
        props += [f"line={finding.span.line}", f"col={finding.span.column}"]
    props.append(f"title={_prop(finding.rule_id)}")
    message = finding.message
    if finding.secret is not None:
        message += ": " + (finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace"))
    return f"::{command} {','.join(props)}::{_data(message)}"


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """Annotations: error for blocking, warning for medium/high below fail-on, notice for the rest."""
    del color
    lines = [_line("error", f, redact) for f in verdict.blocking]
    for finding in verdict.reported:
        lines.append(_line("warning" if finding.severity >= Severity.MEDIUM else "notice", finding, redact))
    lines += [f"::error title=leakguard scan error::{_data(f'{p.origin}: {p.kind}: {p.detail}')}"
              for p in verdict.problems]
    lines.append(f"::notice title=leakguard::{_data(f'verdict {verdict.status}: {len(verdict.blocking)} blocking')}")
    return "\n".join(lines) + "\n"
