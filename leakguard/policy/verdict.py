"""decide(findings, ...) -> Verdict: severity overrides, disabled rules, the fail-on threshold.

Fails closed: any ``Problem`` (something that could not be read) makes the verdict an error, and
unscannable members already arrive as blocking ``policy`` findings from the walker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from leakguard.model import Artifact, Finding, Problem, Stats, Unscanned, Verdict
from leakguard.policy.config import Config


def _selected(finding: Finding, names: Iterable[str]) -> bool:
    return any(
        name == finding.rule_id or name == finding.category.value or finding.rule_id.startswith(name + ".")
        for name in names
    )


def adjust(finding: Finding, config: Config) -> Finding | None:
    """Apply ``disable`` and ``severity`` overrides (a rule id beats a category). None = disabled.

    Walker findings (``walk.*``) cannot be disabled: they are how unscannable content fails closed.
    """
    if not finding.rule_id.startswith("walk.") and _selected(finding, config.disable):
        return None
    by_rule = [sev for name, sev in config.severity if name == finding.rule_id]
    by_group = [sev for name, sev in config.severity if name != finding.rule_id and _selected(finding, [name])]
    chosen = by_rule or by_group
    if chosen and not (finding.rule_id.startswith("walk.") and chosen[-1] < finding.severity):
        return dataclasses.replace(finding, severity=chosen[-1])
    return finding


def _order(finding: Finding) -> tuple[object, ...]:
    span = finding.span
    return (
        finding.origin.artifact,
        -finding.severity,
        str(finding.origin),
        span.start if span else -1,
        finding.rule_id,
    )


def decide(
    findings: Iterable[Finding],
    problems: Iterable[Problem],
    config: Config,
    *,
    artifacts: Iterable[Artifact] = (),
    unscanned: Iterable[Unscanned] = (),
    stats: Stats | None = None,
) -> Verdict:
    """The release decision. Output order is deterministic: artifact, worst first, location."""
    kept: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        adjusted = adjust(finding, config)
        if adjusted is None:
            continue
        span = adjusted.span
        kept.setdefault((adjusted.fingerprint, span.start if span else None), adjusted)
    ordered = sorted(kept.values(), key=_order)
    blocking = tuple(f for f in ordered if f.severity >= config.fail_on)
    reported = tuple(f for f in ordered if f.severity < config.fail_on)
    return Verdict(
        blocking=blocking,
        reported=reported,
        problems=tuple(problems),
        artifacts=tuple(artifacts),
        unscanned=tuple(unscanned),
        fail_on=config.fail_on,
        stats=stats or Stats(),
    )
