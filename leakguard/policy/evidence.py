"""Step 1 of the decision: severities that depend on more than the match itself.

- A source map embedding first-party sources that the package does not ship: critical when the
  package's licence is proprietary or missing, else high; low with ``public-sources = true``.
- A codename listed in ``public-codenames`` is already public: info, never blocking.
"""

from __future__ import annotations

import dataclasses

from leakguard.model import Artifact, Category, Finding, Severity
from leakguard.policy.config import Config
from leakguard.policy.licences import is_proprietary

EMBEDDED = "source-map.embedded-sources"


def normalise(name: str) -> str:
    """The form codenames are compared in: stripped and lower-case."""
    return name.strip().lower()


class Evidence:
    """Weighs findings against their artifact and the configuration."""

    def __init__(self, config: Config) -> None:
        self.public_sources = config.public_sources
        self.public = frozenset(normalise(n) for n in config.public_codenames)

    def weigh(self, finding: Finding, artifact: Artifact | None) -> Finding:
        """``finding`` with the severity its evidence calls for."""
        if finding.rule_id == EMBEDDED:
            return self._embedded(finding, artifact)
        if finding.category is Category.CODENAME and finding.secret is not None and self.public:
            name = normalise(finding.secret.reveal().decode("utf-8", "replace"))
            if name in self.public:
                return dataclasses.replace(finding, severity=Severity.INFO,
                                           message=finding.message + " (listed in public-codenames)")
        return finding

    def _embedded(self, finding: Finding, artifact: Artifact | None) -> Finding:
        if self.public_sources:
            return dataclasses.replace(finding, severity=Severity.LOW,
                                       message=finding.message + " (public-sources = true)")
        if is_proprietary(artifact.license if artifact is not None else None):
            return dataclasses.replace(finding, severity=Severity.CRITICAL,
                                       message=finding.message + "; the package licence is proprietary or missing")
        return dataclasses.replace(finding, severity=Severity.HIGH)
