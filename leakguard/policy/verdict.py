"""decide(findings, ...) -> Verdict: overrides, exceptions, the fail-on threshold.

Order: ``disable`` and ``severity`` overrides, then exceptions (inline comments are marked while
scanning; config ``allow`` entries; the baseline), then the threshold. Fails closed: any
``Problem`` (something that could not be read) makes the verdict an error, and unscannable members
arrive as blocking ``policy`` findings from the walker, which no rule or path exception can hide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from leakguard.model import Artifact, Category, Finding, Origin, Problem, Stats, Unscanned, Verdict
from leakguard.policy.allowlist import Allowlist, rule_selects
from leakguard.policy.baseline import Baseline
from leakguard.policy.config import Config


def _selected(finding: Finding, names: Iterable[str]) -> bool:
    return any(rule_selects(name, finding.rule_id, finding.category) for name in names)


def adjust(finding: Finding, config: Config) -> Finding | None:
    """Apply ``disable`` and ``severity`` overrides (a rule id beats a family or category).
    None = disabled. Walker findings (``walk.*``) cannot be disabled or lowered: they are how
    unscannable content fails closed."""
    walker = finding.rule_id.startswith("walk.")
    if not walker and _selected(finding, config.disable):
        return None
    by_rule = [sev for name, sev in config.severity if name == finding.rule_id]
    by_group = [sev for name, sev in config.severity if name != finding.rule_id and _selected(finding, [name])]
    chosen = by_rule or by_group
    if chosen and not (walker and chosen[-1] < finding.severity):
        return dataclasses.replace(finding, severity=chosen[-1])
    return finding


def _order(finding: Finding) -> tuple[object, ...]:
    span = finding.span
    return (finding.origin.artifact, -finding.severity, str(finding.origin), span.start if span else -1,
            finding.rule_id)


def blocks(finding: Finding, config: Config) -> bool:
    """At or above fail-on, not suppressed, and not a codename the previous release already had."""
    if finding.suppression is not None or finding.severity < config.fail_on:
        return False
    return not (finding.carried_over and finding.category is Category.CODENAME)


def decide(
    findings: Iterable[Finding],
    problems: Iterable[Problem],
    config: Config,
    *,
    artifacts: Iterable[Artifact] = (),
    unscanned: Iterable[Unscanned] = (),
    stats: Stats | None = None,
    baseline: Baseline | None = None,
    strict_allows: bool = False,
    today: dt.date | None = None,
) -> Verdict:
    """The release decision. Output order is deterministic: artifact, worst first, location."""
    allow = Allowlist(config.allow, today)
    index = baseline.by_fingerprint if baseline is not None else {}
    kept: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        adjusted = adjust(finding, config)
        if adjusted is None:
            continue
        if adjusted.suppression is None:
            adjusted = allow.apply(adjusted)
        if adjusted.suppression is None and baseline is not None:
            adjusted = baseline.apply(adjusted, index)
        span = adjusted.span
        kept.setdefault((adjusted.fingerprint, span.start if span else None), adjusted)
    where = Origin((str(config.source) if config.source is not None else "config",))
    for audit in allow.audit(where, strict=strict_allows):
        kept.setdefault((audit.fingerprint, None), audit)
    ordered = sorted(kept.values(), key=_order)
    return Verdict(
        blocking=tuple(f for f in ordered if blocks(f, config)),
        reported=tuple(f for f in ordered if f.suppression is None and not blocks(f, config)),
        problems=tuple(problems),
        artifacts=tuple(artifacts),
        unscanned=tuple(unscanned),
        fail_on=config.fail_on,
        stats=stats or Stats(),
        suppressed=tuple(f for f in ordered if f.suppression is not None),
    )
