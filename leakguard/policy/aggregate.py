"""One finding per artifact, rule and severity where one finding per place would bury the rest: the
source maps of a release (next 15.1.3 has 2,197) and the fixtures its tests and documentation keep
(paramiko's sdist holds 24 test keys). The finding names the count, the total, the first places,
and carries every finding it stands for (``Finding.related``: JSON ``related``, SARIF
``relatedLocations``).

It runs after the exceptions: each finding is still allowed, baselined and carried over on its own,
and a baseline written from a verdict names the findings an aggregate stands for (``flatten``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from leakguard.model import Category, Finding, Origin, Severity, human_size

WHAT = {
    "source-map.embedded-sources": "first-party source files that are not shipped in the package",
    "source-map.shipped-sources": "first-party source files that also ship as files",
    "source-map.third-party-sources": "third-party source files only",
    "source-map.no-content": "no sources (no sourcesContent)",
}
SHOWN = 3
_Group = tuple[str, str, str, Severity, bool]


def _int(finding: Finding, name: str) -> int:
    value = finding.fact(name)
    return int(value) if value is not None and value.isdigit() else 0


def _group(finding: Finding) -> _Group | None:
    if finding.suppression is not None:
        return None
    if finding.category is Category.SOURCE_MAP and finding.rule_id in WHAT:
        kind = "maps"
    elif finding.fact("fixture") is not None:
        kind = "fixtures"
    else:
        return None
    # What the previous release had apart from what is new: what is new must show.
    return (kind, finding.origin.artifact, finding.rule_id, finding.severity, finding.carried_over)


def aggregate(findings: list[Finding]) -> list[Finding]:
    """``findings`` with the unsuppressed map findings, and the unsuppressed findings lowered in
    fixture paths, of each artifact, rule, severity and carried-over state folded into one, where
    there are two or more."""
    groups: dict[_Group, list[Finding]] = defaultdict(list)
    rest: list[Finding] = []
    for finding in findings:
        key = _group(finding)
        if key is None:
            rest.append(finding)
        else:
            groups[key].append(finding)
    for (kind, *_), group in groups.items():
        rest.extend(group if len(group) == 1 else [_maps(group) if kind == "maps" else _fixtures(group)])
    return rest


def flatten(findings: Iterable[Finding]) -> Iterator[Finding]:
    """Each finding, and in place of an aggregate the findings it stands for."""
    for finding in findings:
        yield from finding.related or (finding,)


def _maps(group: list[Finding]) -> Finding:
    maps = sorted(group, key=lambda f: (-_int(f, "bytes"), str(f.origin)))
    first = maps[0]
    files, size = sum(_int(f, "files") for f in maps), sum(_int(f, "bytes") for f in maps)
    largest = ", ".join(f"{f.origin.inner} ({_files(_int(f, 'files'))}, {human_size(_int(f, 'bytes'))})"
                        for f in maps[:SHOWN])
    more = f", and {len(maps) - SHOWN:,} more" if len(maps) > SHOWN else ""
    embeds = f"embed {files:,} {WHAT[first.rule_id]} ({human_size(size)})" if files else "embed no sources"
    message = f"{len(maps):,} source maps {embeds}; largest: {largest}{more}{first.fact('why') or ''}"
    return Finding(first.rule_id, first.category, first.severity, _root(first), message,
                   key=f"maps:{first.severity.label}", package=first.package,
                   carried_over=all(f.carried_over for f in maps),
                   evidence=(("maps", str(len(maps))), ("files", str(files)), ("bytes", str(size))),
                   related=tuple(maps))


def _fixtures(group: list[Finding]) -> Finding:
    found = sorted(group, key=lambda f: (str(f.origin), f.span.start if f.span else -1))
    first = found[0]
    places = Counter(f.fact("fixture") or "" for f in found)
    where = ", ".join(place for place, _ in places.most_common(SHOWN))
    more = f", and {len(places) - SHOWN:,} more" if len(places) > SHOWN else ""
    title = first.message.split(" (lowered to ", 1)[0]
    message = (f"{len(found):,} findings in test or documentation paths ({where}{more}), lowered to "
               f"{first.severity.label} (see fixture-paths); the first: {first.origin}: {title}")
    return Finding(first.rule_id, first.category, first.severity, _root(first), message,
                   key=f"fixtures:{first.severity.label}", package=first.package,
                   carried_over=all(f.carried_over for f in found),
                   evidence=(("findings", str(len(found))), ("fixture", where)), related=tuple(found))


def _root(first: Finding) -> Origin:
    return Origin(first.origin.chain[:1], first.origin.in_directory)


def _files(count: int) -> str:
    return f"{count:,} file{'' if count == 1 else 's'}"
