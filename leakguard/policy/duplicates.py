"""One key, one finding: a file that is both a sensitive file (``file.private-key``) and holds a
credential (``private-key.pkcs8``) is reported once, as the credential, with the file rule's id as
evidence (``also``) and the worse of the two severities."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from leakguard.model import Category, Finding


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` with each sensitive-file finding folded into the credential findings of the same
    member, when it has any."""
    items = list(findings)
    credentials: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, finding in enumerate(items):
        if finding.category is Category.CREDENTIAL:
            credentials[finding.origin.chain].append(index)
    merged: list[Finding | None] = list(items)
    for index, finding in enumerate(items):
        if finding.category is not Category.SENSITIVE_FILE or finding.origin.chain not in credentials:
            continue
        merged[index] = None
        for target in credentials[finding.origin.chain]:
            current = merged[target]
            assert current is not None
            merged[target] = dataclasses.replace(
                current, severity=max(current.severity, finding.severity),
                evidence=(*current.evidence, ("also", finding.rule_id)))
    return [f for f in merged if f is not None]
