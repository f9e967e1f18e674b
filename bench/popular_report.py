"""bench/popular.py's report: results in, Markdown out (``POPULAR.md``). Pure but for ``write``,
which keeps the hand-written analysis that follows ``KEEP``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEEP = "## Analysis"
PLACEHOLDER = f"{KEEP}\n\nNot written yet: for every blocking finding and every kind of medium finding, why it fires.\n"
EXAMPLES = 3  # locations shown per rule and file


@dataclasses.dataclass(frozen=True, slots=True)
class Shown:
    """A finding as the report shows it: no secret, only its rule, where and why."""

    rule: str
    severity: str
    location: str
    reason: str
    related: int = 0  # the findings an aggregated finding stands for
    fixture: bool = False  # lowered by the fixture policy (a test or documentation path)


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """The scan of one pinned file. ``verdict`` is leakguard's (``pass``, ``fail``, or ``error`` when
    members could not be scanned, which blocks too: the gate fails closed), or ``unscanned`` when
    the bench could not fetch or scan the file (``error`` says why). ``blocking`` holds leakguard's
    scan errors too, as rule ``scan-error``."""

    registry: str
    name: str
    version: str
    file: str
    expect: str
    verdict: str
    blocking: tuple[Shown, ...]
    medium: tuple[Shown, ...]
    low: int
    seconds: float | None
    wall: float
    error: str = ""

    @property
    def label(self) -> str:
        """``npm:NAME@VERSION`` or ``pypi:NAME==VERSION``, and the file for PyPI."""
        if self.registry == "npm":
            return f"npm:{self.name}@{self.version}"
        return f"pypi:{self.name}=={self.version} ({self.file})"

    @property
    def as_expected(self) -> bool:
        """A leak the list marks ``block`` fails; everything else passes."""
        return self.verdict == ("fail" if self.expect == "block" else "pass")


def _cell(text: str, limit: int = 110) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def _commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no",
                                "leakguard", "rules"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"`{head}`" + (" with uncommitted changes" if dirty else "")


def _by_rule(results: Sequence[Result], pick: str) -> list[str]:
    findings: Counter[str] = Counter()
    where: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        for shown in getattr(result, pick):
            findings[shown.rule] += 1
            where[shown.rule][result.label] += 1
    rows = ["| rule | findings | files |", "|---|---|---|"]
    for rule, count in findings.most_common():
        files = ", ".join(f"{label} ({n})" for label, n in where[rule].most_common())
        rows.append(f"| `{rule}` | {count} | {_cell(files, 400)} |")
    return rows if findings else ["None."]


def _summary(results: Sequence[Result], seconds: float, complete: bool) -> list[str]:
    releases = {(r.registry, r.name, r.version) for r in results}
    blocked = {(r.registry, r.name, r.version) for r in results if r.verdict in ("fail", "error")}
    failed = {(r.registry, r.name, r.version) for r in results if r.verdict == "error"}
    leaks = {(r.registry, r.name, r.version) for r in results if r.verdict == "fail" and r.expect == "block"}
    wrong = sorted({r.label for r in results if not r.as_expected and r.verdict != "unscanned"})
    errors = [r for r in results if r.verdict == "unscanned"]
    medium = sum(len(r.medium) for r in results)
    lowered = sum(1 for r in results for shown in r.medium if shown.fixture)
    places = sum(max(shown.related, 1) for r in results for shown in r.medium if shown.fixture)
    low = sum(r.low for r in results)
    count = max(len(releases), 1)
    lines = [
        f"- **{len(releases)} releases** ({len(results)} files): "
        f"{len({r.name for r in results if r.registry == 'npm'})} npm, "
        f"{len({r.name for r in results if r.registry == 'pypi'})} PyPI"
        + ("" if complete else " (a part of the list: `--only`)") + ".",
        f"- **{len(blocked)} blocked** ({len(failed)} of them with members leakguard could not scan, a "
        f"scan error, which fails closed), {len(leaks)} of them a real leak the list expects to block; "
        f"{len(wrong)} file{'s' * (len(wrong) != 1)} with a verdict other than expected"
        + (": " + ", ".join(wrong) if wrong else "") + ".",
        f"- **Mean medium findings per release: {medium / count:.2f}** ({medium} in all, {lowered} of them "
        f"lowered from high in a test or documentation path, which stand for {places} place{'s' * (places != 1)}: one "
        "finding names every lowered place of one rule in one file); "
        f"mean low: {low / count:.2f} ({low}).",
        f"- Files the bench could not fetch or scan: {len(errors)}"
        + "".join(f"; {r.label}: {_cell(r.error, 200)}" for r in errors) + ".",
        f"- Wall time of the whole run: {seconds / 60:.1f} min.",
    ]
    return lines


def _blocking_cell(result: Result) -> str:
    if result.verdict == "unscanned":
        return "unscanned: " + _cell(result.error, 80)
    rules = Counter(s.rule for s in result.blocking)
    return ", ".join(f"`{rule}` x{n}" if n > 1 else f"`{rule}`" for rule, n in rules.most_common()) or "-"


def _table(results: Sequence[Result]) -> list[str]:
    rows = ["| release | file | verdict | blocking | medium | low | scan s | wall s |",
            "|---|---|---|---|---|---|---|---|"]
    for r in results:
        release = f"{r.registry}:{r.name}@{r.version}" if r.registry == "npm" else f"pypi:{r.name}=={r.version}"
        verdict = r.verdict + ("" if r.as_expected else f" (expected {r.expect})")
        seconds = f"{r.seconds:.1f}" if r.seconds is not None else "-"
        rows.append(f"| {release} | {r.file} | {verdict} | {_blocking_cell(r)} | {len(r.medium)} | {r.low} "
                    f"| {seconds} | {r.wall:.1f} |")
    return rows


def _details(results: Sequence[Result], pick: str, heading: str) -> list[str]:
    lines: list[str] = []
    for result in results:
        findings: tuple[Shown, ...] = getattr(result, pick)
        if not findings:
            continue
        lines += ["", f"### {heading} in {result.label}", ""]
        by_rule: defaultdict[str, list[Shown]] = defaultdict(list)
        for shown in findings:
            by_rule[shown.rule].append(shown)
        for rule, group in sorted(by_rule.items(), key=lambda item: -len(item[1])):
            more = f" ({len(group)} findings; the first {EXAMPLES})" if len(group) > EXAMPLES else ""
            lines.append(f"- `{rule}` ({group[0].severity}){more}:")
            for one in group[:EXAMPLES]:
                related = f" [stands for {one.related}]" if one.related else ""
                lines.append(f"  - `{_cell(one.location, 160)}`{related}: {_cell(one.reason, 240)}")
    return lines


def render(results: Sequence[Result], seconds: float, *, complete: bool = True) -> str:
    """The report's generated part, up to (not including) the analysis."""
    lines = [
        "# Popular releases, scanned with no config",
        "",
        f"Written by `python bench/popular.py` on {dt.date.today().isoformat()} at {_commit()}. Each file of "
        "the pinned list (`bench/popular.json`) is fetched through `leakguard.registry` and checked against "
        "its pin, then scanned as a new user would: `leakguard scan SPEC --no-config --format json` (the "
        "default `--fail-on high`; `--only FILE` for PyPI). A release is blocked when any of its files is. "
        "Scan seconds are leakguard's own (`summary.seconds`), wall seconds the whole command; both are "
        "informative only (a shared 2-core machine).",
        "",
        "## Summary",
        "",
        *_summary(results, seconds, complete),
        "",
        "### Blocking findings by rule",
        "",
        *_by_rule(results, "blocking"),
        "",
        "### Medium findings by rule",
        "",
        *_by_rule(results, "medium"),
        "",
        "## Releases",
        "",
        *_table(results),
        "",
        "## Blocking findings",
        *(_details(results, "blocking", "Blocking") or ["", "None."]),
        "",
        "## Medium findings",
        *(_details(results, "medium", "Medium") or ["", "None."]),
        "",
    ]
    return "\n".join(lines) + "\n"


def write(path: Path, generated: str) -> None:
    """Write the report, keeping what an earlier one had from ``KEEP`` on (the hand-written analysis)."""
    old = path.read_text() if path.is_file() else ""
    at = old.find("\n" + KEEP + "\n")
    kept = old[at + 1:] if at >= 0 else PLACEHOLDER
    path.write_text(generated + kept)
