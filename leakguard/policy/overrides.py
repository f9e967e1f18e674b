"""Step 2 of the decision: the configuration's ``disable`` and ``severity`` overrides."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from leakguard.model import Finding
from leakguard.policy.allowlist import rule_selects
from leakguard.policy.config import Config


def selected(finding: Finding, names: Iterable[str]) -> bool:
    """Does any of ``names`` (rule ids, families, categories) select the finding?"""
    return any(rule_selects(name, finding.rule_id, finding.category) for name in names)


def adjust(finding: Finding, config: Config) -> Finding | None:
    """Apply ``disable`` and ``severity`` overrides (a rule id beats a family or category).
    None = disabled. Walker and policy findings are overridden like any other: the configuration
    is the user's documented decision. What could not be read at all is a ``Problem``, which no
    configuration turns into a pass."""
    if selected(finding, config.disable):
        return None
    by_rule = [sev for name, sev in config.severity if name == finding.rule_id]
    by_group = [sev for name, sev in config.severity if name != finding.rule_id and selected(finding, [name])]
    chosen = by_rule or by_group
    if chosen:
        return dataclasses.replace(finding, severity=chosen[-1])
    return finding
