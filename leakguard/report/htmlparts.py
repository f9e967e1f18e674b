"""Pieces of the HTML report: escaping, the release diff and the scan errors (``report/html.py``
puts the page together)."""

from __future__ import annotations

import html

from leakguard.model import MemberChange, ReleaseDiff, Verdict, human_size
from leakguard.report.safe import clean

# At most this many changed members per diff in the table; the JSON report lists all of them.
MAX_CHANGES = 200


def escape(text: str) -> str:
    """Text from the artifact, safe in an HTML element or a quoted attribute."""
    return html.escape(clean(text), quote=True)


def _signed(size: int) -> str:
    return ("+" if size >= 0 else "-") + human_size(abs(size))


def _percent(old: int, new: int) -> str:
    return f", {(new - old) / old * 100:+.0f}%" if old else ""


def _change_row(kind: str, change: MemberChange) -> str:
    old, new = change.old or 0, change.new or 0
    if kind == "changed":
        kind = "grown" if new > old else "shrunk" if new < old else "changed"
    return (f"<tr class=\"{kind}\"><td>{kind}</td><td><code>{escape(change.path)}</code></td>"
            f"<td>{'' if change.old is None else human_size(old)}</td>"
            f"<td>{'' if change.new is None else human_size(new)}</td><td>{_signed(new - old)}</td></tr>")


def growth(verdict: Verdict) -> str:
    """One line per release diff, for the page's header: the unpacked size before and after."""
    out = []
    for diff in verdict.diffs:
        change = diff.new_size - diff.old_size
        out.append(f"<p class=\"growth\">Against <code>{escape(diff.old)}</code>: unpacked size "
                   f"<b>{human_size(diff.old_size)} &rarr; {human_size(diff.new_size)}</b> "
                   f"({_signed(change)}{_percent(diff.old_size, diff.new_size)}); {len(diff.added):,} added, "
                   f"{len(diff.removed):,} removed, {len(diff.changed):,} changed.</p>")
    return "".join(out)


def _diff(diff: ReleaseDiff) -> str:
    items = [("added", c) for c in diff.added] + [("removed", c) for c in diff.removed]
    items += [("changed", c) for c in diff.changed]
    items.sort(key=lambda kc: -abs((kc[1].new or 0) - (kc[1].old or 0)))
    rows = "".join(_change_row(kind, c) for kind, c in items[:MAX_CHANGES])
    more = f"<p>{len(items) - MAX_CHANGES:,} more not shown.</p>" if len(items) > MAX_CHANGES else ""
    table = ("<table class=\"changes\"><thead><tr><th>change</th><th>member</th><th>before</th><th>after</th>"
             f"<th>delta</th></tr></thead><tbody>{rows}</tbody></table>{more}") if rows else "<p>No member changed.</p>"
    return f"<h3><code>{escape(diff.old)}</code> &rarr; <code>{escape(diff.new)}</code></h3>{table}"


def changes_section(verdict: Verdict) -> str:
    """What changed since the previous release (``--against``), member by member, largest change first."""
    if not verdict.diffs:
        return ""
    return f"<section id=\"changes\"><h2>Changes since the previous release</h2>" \
        f"{''.join(_diff(d) for d in verdict.diffs)}</section>"


def problems_section(verdict: Verdict) -> str:
    """Scan errors and members not scanned (a scan error is never a pass)."""
    out = []
    if verdict.problems:
        items = "".join(f"<li><code>{escape(str(p.origin))}</code>: {escape(p.kind)}: {escape(p.detail)}</li>"
                        for p in verdict.problems)
        out.append(f"<section id=\"errors\"><h2>Scan errors</h2><ul>{items}</ul></section>")
    unscanned = [u for u in verdict.unscanned if not u.by_policy]
    if unscanned:
        items = "".join(f"<li><code>{escape(str(u.origin))}</code>: {escape(u.reason)}</li>" for u in unscanned)
        out.append(f"<section id=\"unscanned\"><h2>Not scanned</h2><ul>{items}</ul></section>")
    return "".join(out)
