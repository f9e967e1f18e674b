"""One finding per artifact, kind and severity of source map, not one per map: a release with 2,197
maps (next 15.1.3) reads as one screenful. The finding names the count, the total, the largest maps
first, and carries every map (``Finding.related``: JSON ``related``, SARIF ``relatedLocations``).

It runs after the exceptions: each map is still allowed, baselined and carried over on its own.
"""

from __future__ import annotations

from collections import defaultdict

from leakguard.model import Category, Finding, Origin, Severity, human_size

WHAT = {
    "source-map.embedded-sources": "first-party source files that are not shipped in the package",
    "source-map.shipped-sources": "first-party source files that also ship as files",
    "source-map.third-party-sources": "third-party source files only",
    "source-map.no-content": "no sources (no sourcesContent)",
}
SHOWN = 3


def _int(finding: Finding, name: str) -> int:
    value = finding.fact(name)
    return int(value) if value is not None and value.isdigit() else 0


def aggregate(findings: list[Finding]) -> list[Finding]:
    """``findings`` with the unsuppressed map findings of each artifact, rule, severity and
    carried-over state folded into one, where there are two or more."""
    groups: dict[tuple[str, str, Severity, bool], list[Finding]] = defaultdict(list)
    rest: list[Finding] = []
    for finding in findings:
        if finding.category is Category.SOURCE_MAP and finding.rule_id in WHAT and finding.suppression is None:
            # Maps the previous release had apart from new ones: what is new must show.
            groups[(finding.origin.artifact, finding.rule_id, finding.severity, finding.carried_over)].append(finding)
        else:
            rest.append(finding)
    for group in groups.values():
        rest.extend(group if len(group) == 1 else [_one(group)])
    return rest


def _one(group: list[Finding]) -> Finding:
    maps = sorted(group, key=lambda f: (-_int(f, "bytes"), str(f.origin)))
    first = maps[0]
    files, size = sum(_int(f, "files") for f in maps), sum(_int(f, "bytes") for f in maps)
    largest = ", ".join(f"{f.origin.inner} ({_int(f, 'files'):,} files, {human_size(_int(f, 'bytes'))})"
                        for f in maps[:SHOWN])
    more = f", and {len(maps) - SHOWN:,} more" if len(maps) > SHOWN else ""
    embeds = f"embed {files:,} {WHAT[first.rule_id]} ({human_size(size)})" if files else "embed no sources"
    message = f"{len(maps):,} source maps {embeds}; largest: {largest}{more}{first.fact('why') or ''}"
    root = Origin(first.origin.chain[:1], first.origin.in_directory)
    return Finding(first.rule_id, first.category, first.severity, root, message,
                   key=f"maps:{first.severity.label}", package=first.package,
                   carried_over=all(f.carried_over for f in maps),
                   evidence=(("maps", str(len(maps))), ("files", str(files)), ("bytes", str(size))),
                   related=tuple(maps))
