"""A picture of the release: one self-contained HTML page (no network: inline CSS and script).

The page holds the verdict, the release diff, a treemap of every member by unpacked size coloured by
the worst finding inside (``report/treemap.py`` computes it, ``html.js`` draws it and filters the
table), and every finding with its next step. Tables are complete without the script.

Member names, messages and (with ``--show-secrets``) secrets come from the artifact: everything is
escaped for HTML, the embedded JSON escapes ``<``, ``>``, ``&`` and U+2028/9 so that no name can end
its script element, and a Content-Security-Policy allows only the page's own script (by hash) and
no fetch at all, so that even a mistake in escaping could neither run a planted script nor call out.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import json
import re
from typing import Any, Literal

from leakguard import about
from leakguard.model import Finding, Severity, Verdict, human_size
from leakguard.redact import shown
from leakguard.report import treemap
from leakguard.report.advice import next_step
from leakguard.report.htmlparts import changes_section, escape, growth, problems_section
from leakguard.report.safe import clean, json_text

Status = Literal["blocking", "reported", "suppressed"]
# Within the JSON block every '<' is escaped, so neither '</script' nor '<!--' can occur; U+2028/9
# are escaped too for any reader that treats the block as JavaScript.
_JSON_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})
_CODE = re.compile(r"`([^`]+)`")
_STATUS_TEXT = {"blocking": "blocking", "reported": "below threshold", "suppressed": "suppressed"}


def _asset(name: str) -> str:
    return importlib.resources.files("leakguard.report").joinpath(name).read_text(encoding="utf-8")


def _rows(verdict: Verdict) -> list[tuple[Finding, Status]]:
    """Blocking, then below the threshold, then suppressed; worst first within each (stable)."""
    groups: list[list[tuple[Finding, Status]]] = [
        [(f, "blocking") for f in verdict.blocking],
        [(f, "reported") for f in verdict.reported],
        [(f, "suppressed") for f in verdict.suppressed],
    ]
    return [row for group in groups for row in sorted(group, key=lambda r: -r[0].severity)]


def _shown(data: dict[str, Any]) -> dict[str, Any]:
    """The treemap's names as the page shows them: controls, bidi marks and undecodable bytes visible."""
    nodes = [[parent, clean(name), *rest] for parent, name, *rest in data["nodes"]]
    return {**data, "nodes": nodes, "exact": {k: clean(v) for k, v in data["exact"].items()}}


def _json(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return json_text(text).translate(_JSON_UNSAFE)


def _headline(verdict: Verdict) -> str:
    n = len(verdict.blocking)
    parts = [f"{n:,} blocking finding{'' if n == 1 else 's'} at {verdict.fail_on.label} or above",
             f"{len(verdict.reported):,} below the threshold", f"{len(verdict.suppressed):,} suppressed"]
    if verdict.problems:
        parts.append(f"{len(verdict.problems):,} scan error{'' if len(verdict.problems) == 1 else 's'}")
    return ", ".join(parts)


def _header(verdict: Verdict) -> str:
    status = verdict.status
    items = []
    for a in verdict.artifacts:
        ident = " ".join(x for x in (a.name, a.version) if x)
        facts = [a.kind + (f" {ident}" if ident else ""), f"{a.members:,} members", human_size(a.bytes)]
        if a.license:
            facts.append(f"licence {a.license}")
        items.append(f"<li><code>{escape(a.path)}</code> ({escape(', '.join(facts))})</li>")
    listing = f"<ul class=\"artifacts\">{''.join(items)}</ul>" if items else ""
    return (f"<header><h1><span class=\"status {status}\">{status.upper()}</span> leakguard</h1>"
            f"<p id=\"headline\">{escape(_headline(verdict))}.</p>{listing}{growth(verdict)}</header>")


def _map_section() -> str:
    legend = "".join(f"<span class=\"sw s{int(s)}\"></span>{s.label} " for s in reversed(Severity))
    return (
        "<section id=\"treemap\"><h2>What the release holds</h2>"
        "<p class=\"hint\">Every member by unpacked size, coloured by the worst finding inside. Click to open a "
        "member, a nested archive or a source map; click the path above it (or press Escape) to go back up.</p>"
        f"<p class=\"legend\">{legend}<span class=\"sw s-1\"></span>no finding "
        "<span class=\"sw added\"></span>added <span class=\"sw grown\"></span>grown</p>"
        "<nav id=\"crumbs\" aria-label=\"treemap path\"></nav><div id=\"map\"></div><div id=\"tip\" hidden></div>"
        "<noscript><p>The treemap and the filters need JavaScript; the tables are complete without it.</p>"
        "</noscript></section>"
    )


def _evidence(finding: Finding, redact: bool) -> str:
    out = escape(finding.message)
    value = shown(finding, redact=redact)
    if value is not None:
        out += f": <code class=\"secret\">{escape(value)}</code>"
    if finding.carried_over:
        out += " <span class=\"tag\">carried over</span>"
    return out


def _row(index: int, finding: Finding, status: Status, node: int, redact: bool) -> str:
    span = finding.span
    where = str(finding.origin) + (f":{span.line}:{span.column}" if span else "")
    state = _STATUS_TEXT[status]
    if finding.suppression is not None:
        state += f" ({finding.suppression.kind}: {finding.suppression.reason})"
    step = _CODE.sub(r"<code>\1</code>", escape(next_step(finding)))
    sev, cat = finding.severity.label, finding.category.value
    return (f"<tr id=\"f{index}\" data-sev=\"{sev}\" data-cat=\"{cat}\" data-status=\"{status}\" "
            f"data-node=\"{node}\"><td class=\"sev s{int(finding.severity)}\">{sev}</td><td>{escape(state)}</td>"
            f"<td>{cat}</td><td><code>{escape(finding.rule_id)}</code></td>"
            f"<td><a class=\"loc\" href=\"#treemap\" data-node=\"{node}\">{escape(where)}</a></td>"
            f"<td>{_evidence(finding, redact)}</td><td class=\"step\">{step}</td></tr>")


def _filters(rows: list[tuple[Finding, Status]]) -> str:
    boxes = []
    for severity in reversed(Severity):
        count = sum(1 for f, _ in rows if f.severity is severity)
        boxes.append(f"<label><input type=\"checkbox\" name=\"sev\" value=\"{severity.label}\" checked> "
                     f"{severity.label} ({count:,})</label>")
    categories = sorted({f.category.value for f, _ in rows})
    cats = "".join(f"<option value=\"{c}\">{c}</option>" for c in categories)
    statuses = "".join(f"<option value=\"{s}\">{text}</option>" for s, text in _STATUS_TEXT.items())
    return (f"<form id=\"filters\"><fieldset><legend>severity</legend>{''.join(boxes)}</fieldset>"
            f"<label>category <select name=\"cat\"><option value=\"\">all</option>{cats}</select></label> "
            f"<label>status <select name=\"status\"><option value=\"\">all</option>{statuses}</select></label> "
            f"<output id=\"shown\">{len(rows):,} of {len(rows):,} shown</output></form>")


def _findings(rows: list[tuple[Finding, Status]], nodes: tuple[int, ...], redact: bool) -> str:
    if not rows:
        return "<section id=\"findings\"><h2>Findings</h2><p>No findings.</p></section>"
    body = "".join(_row(i, f, s, node, redact) for i, ((f, s), node) in enumerate(zip(rows, nodes, strict=True)))
    return (f"<section id=\"findings\"><h2>Findings</h2>{_filters(rows)}<table id=\"findings-table\"><thead><tr>"
            "<th>severity</th><th>status</th><th>category</th><th>rule</th><th>location</th><th>finding</th>"
            f"<th>next step</th></tr></thead><tbody>{body}</tbody></table></section>")


def render(verdict: Verdict, *, redact: bool = True, color: bool = False) -> str:
    """The verdict as one self-contained HTML page. Secrets appear only when ``redact`` is False."""
    del color  # the page has its own colours
    rows = _rows(verdict)
    picture = treemap.build(verdict, [f for f, _ in rows])
    script = _asset("html.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
              "base-uri 'none'; form-action 'none'")
    names = [a.path.rsplit("/", 1)[-1] for a in verdict.artifacts]
    title = f"leakguard {verdict.status.upper()}" + (f": {', '.join(names)}" if names else "")
    stats = verdict.stats
    footer = (f"<footer>leakguard scanned {stats.artifacts:,} artifact{'' if stats.artifacts == 1 else 's'}, "
              f"{stats.members:,} members, {human_size(stats.bytes_scanned)} in {stats.seconds:.2f}s; "
              f"fail-on {verdict.fail_on.label}.</footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<meta name=\"generator\" content=\"leakguard {escape(about.version())}\">"
        f"<title>{escape(title)}</title><style>{_asset('html.css')}</style></head><body>\n"
        f"{_header(verdict)}\n{_map_section()}\n{changes_section(verdict)}\n"
        f"{_findings(rows, picture.finding_nodes, redact)}\n{problems_section(verdict)}\n{footer}\n"
        f"<script type=\"application/json\" id=\"leakguard-data\">{_json(_shown(picture.data))}</script>\n"
        f"<script>{script}</script>\n</body></html>\n"
    )
