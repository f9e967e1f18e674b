"""GitHub Actions workflow commands: one annotation per finding, then the verdict.

``::error file=dist/x.tgz/package/a.js,line=3,col=7,title=github.pat-classic::GitHub token: ghp_…(40)``.
Escaping follows the runner's ``ActionCommand`` (actions/toolkit ``command.ts``): ``%``, CR and LF
in the message; additionally ``:`` and ``,`` in property values. Without it a member named
``a\\n::add-mask::x`` or a message with a newline could issue workflow commands of its own.
"""

from __future__ import annotations

from typing import Literal, assert_never

from leakguard.model import Finding, Origin, Verdict
from leakguard.report.safe import clean
from leakguard.report.sarif import level, relative_path

Command = Literal["error", "warning", "notice"]


def escape_data(text: str) -> str:
    """Escape a command's message (after ``::``); control, bidi and undecodable characters
    become visible escapes first (``safe.clean``), which also keeps CR and LF out."""
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding, blocking: bool) -> Command:
    match level(finding.severity, blocking=blocking):
        case "error":
            return "error"
        case "warning":
            return "warning"
        case "note":
            return "notice"
        case other:
            assert_never(other)


def _line(command: Command, message: str, *, origin: Origin | None = None, line: int | None = None,
          col: int | None = None, title: str | None = None) -> str:
    props: list[str] = []
    if origin is not None:
        # Relative to the workspace, as GitHub resolves it; for a directory target (``scan .``)
        # that is the member's own path, so the annotation lands on the file in the diff.
        props.append(f"file={escape_property(relative_path(origin))}")
    if line is not None:
        props.append(f"line={line}")
    if col is not None:
        props.append(f"col={col}")
    if title is not None:
        props.append(f"title={escape_property(title)}")
    head = f"::{command} {','.join(props)}" if props else f"::{command}"
    return f"{head}::{escape_data(message)}"


def _finding(finding: Finding, *, blocking: bool, redact: bool) -> str:
    message = finding.message
    if finding.secret is not None:
        message += ": " + (finding.secret.redacted() if redact else finding.secret.reveal().decode("utf-8", "replace"))
    span = finding.span
    return _line(_command(finding, blocking), message, origin=finding.origin, line=span.line if span else None,
                 col=span.column if span else None, title=finding.rule_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(verdict: Verdict) -> str:
    """``error: 1 scan error, 3 blocking findings at high or above, 5 below``."""
    parts = []
    if verdict.problems:
        parts.append(_plural(len(verdict.problems), "scan error"))
    parts.append(f"{_plural(len(verdict.blocking), 'blocking finding')} at {verdict.fail_on.label} or above")
    parts.append(f"{len(verdict.reported)} below")
    if verdict.suppressed:
        parts.append(f"{len(verdict.suppressed)} suppressed")
    return f"{verdict.status}: {', '.join(parts)}"


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """Annotations: error for blocking, warning for medium/high below fail-on, notice for low/info.

    Suppressed findings are not annotated. Scan errors are errors; members left unscanned for a
    reason other than policy (an encrypted entry, say) are warnings; the last line is the verdict.
    """
    del color  # the runner renders annotations itself
    lines = [_finding(f, blocking=True, redact=redact) for f in verdict.blocking]
    lines += [_finding(f, blocking=False, redact=redact) for f in verdict.reported]
    lines += [_line("error", f"{p.kind}: {p.detail}", origin=p.origin, title="leakguard scan error")
              for p in verdict.problems]
    lines += [_line("warning", f"not scanned: {u.reason}", origin=u.origin, title="leakguard not scanned")
              for u in verdict.unscanned if not u.by_policy]
    lines.append(_line("notice", f"leakguard verdict: {summary(verdict)}"))
    return "\n".join(lines) + "\n"
