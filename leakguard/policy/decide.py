"""``decide(results, config, ...) -> Verdict``: the release decision, in one ordered pass.

1. **Evidence** (``evidence``, ``duplicates``, ``fixtures``): severities that depend on more than
   the match: a map's licence, repository and ``public-sources``; ``public-codenames``; one finding
   for a key that is both a sensitive file and a credential; one severity lower in ``fixture-paths``
   unless something proves the value real.
2. **Configured findings** (``release``): ``ship`` and the size budgets; with a previous release,
   risky new members and growth.
3. **Overrides** (``overrides``): ``disable`` and ``severity``.
4. **Exceptions** (``allowlist``, ``baseline``): inline allows, then ``allow`` entries, then the
   baseline; each suppression keeps its reason.
5. **Carried over** (``release``): findings the previous release already had; codenames it had do
   not block. Then the maps of an artifact are reported as one finding per kind and severity
   (``aggregate``).
6. **Fail-on**: what is at or above the threshold and not suppressed blocks.

Fails closed: any ``Problem`` (something that could not be read) makes the verdict an error, and
unscannable members arrive as blocking walker findings, which no rule or path exception can hide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from leakguard.facts import ArtifactResult
from leakguard.model import Category, Finding, Origin, ReleaseDiff, Stats, Verdict
from leakguard.policy import release
from leakguard.policy.aggregate import aggregate
from leakguard.policy.allowlist import Allowlist, inline
from leakguard.policy.baseline import Baseline
from leakguard.policy.config import Config
from leakguard.policy.duplicates import merge
from leakguard.policy.evidence import Evidence
from leakguard.policy.fixtures import Fixtures
from leakguard.policy.overrides import adjust


def blocks(finding: Finding, config: Config) -> bool:
    """At or above fail-on, not suppressed, and not a codename the previous release already had."""
    if finding.suppression is not None or finding.severity < config.fail_on:
        return False
    return not (finding.carried_over and finding.category is Category.CODENAME)


def _order(finding: Finding) -> tuple[object, ...]:
    span = finding.span
    return (finding.origin.artifact, -finding.severity, str(finding.origin), span.start if span else -1,
            finding.rule_id)


def decide(
    results: Sequence[ArtifactResult],
    config: Config,
    *,
    baseline: Baseline | None = None,
    previous: Sequence[ArtifactResult] = (),
    strict_allows: bool = False,
    today: dt.date | None = None,
) -> Verdict:
    """The release decision over every artifact scanned. Output order is deterministic: artifact,
    worst first, location."""
    evidence, fixtures = Evidence(config), Fixtures(config.fixture_paths)
    artifacts = {r.end.artifact.path: r.end.artifact for r in results}
    weighed = [evidence.weigh(f, artifacts.get(f.origin.artifact)) for r in results for f in r.findings]
    findings = [fixtures.lower(f) for f in merge(weighed)]
    for result in results:
        findings.extend(release.check(result.end, config))
    diffs: list[ReleaseDiff] = []
    if previous:
        findings, diffs = release.carry_over(previous, results, findings, config)
    kept = _exceptions(findings, config, baseline, today)
    allow = kept.allow
    where = Origin((str(config.source) if config.source is not None else "config",))
    for audit in allow.audit(where, strict=strict_allows):
        kept.found.setdefault((audit.fingerprint, None), audit)
    ordered = sorted(aggregate(list(kept.found.values())), key=_order)
    return Verdict(
        blocking=tuple(f for f in ordered if blocks(f, config)),
        reported=tuple(f for f in ordered if f.suppression is None and not blocks(f, config)),
        problems=tuple(p for r in (*results, *previous) for p in r.problems),
        artifacts=tuple(r.end.artifact for r in results),
        unscanned=tuple(u for r in results for u in r.unscanned),
        fail_on=config.fail_on,
        stats=_stats(results),
        suppressed=tuple(f for f in ordered if f.suppression is not None),
        diffs=tuple(diffs),
        layout=tuple(item for r in results for item in r.layout),
    )


@dataclasses.dataclass(slots=True)
class _Kept:
    allow: Allowlist
    found: dict[tuple[object, ...], Finding]


def _exceptions(findings: Iterable[Finding], config: Config, baseline: Baseline | None, today: dt.date | None
                ) -> _Kept:
    """Overrides, then inline allows, allow entries and the baseline; one finding per fingerprint
    and place."""
    allow = Allowlist(config.allow, today)
    index = baseline.by_fingerprint if baseline is not None else {}
    kept: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        adjusted = adjust(finding, config)
        if adjusted is None:
            continue
        adjusted = inline(adjusted)
        if adjusted.suppression is None:
            adjusted = allow.apply(adjusted)
        if adjusted.suppression is None and baseline is not None:
            adjusted = baseline.apply(adjusted, index)
        span = adjusted.span
        key = (adjusted.fingerprint, span.start if span else None)
        # The same finding twice (a member name the archive holds twice: extractors disagree which
        # copy wins): an exception of one copy never hides the other.
        if key not in kept or (kept[key].suppression is not None and adjusted.suppression is None):
            kept[key] = adjusted
    return _Kept(allow, kept)


def _stats(results: Sequence[ArtifactResult]) -> Stats:
    return Stats(artifacts=len(results), members=sum(r.end.artifact.members for r in results),
                 bytes_scanned=sum(r.stats.bytes_scanned for r in results),
                 seconds=sum(r.stats.seconds for r in results))

