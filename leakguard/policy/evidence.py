"""Step 1 of the decision: severities that depend on more than the match itself.

A source map that embeds first-party sources the package does not ship as files is weighed by the
evidence of intent the package gives (README's source-map table):

| the package                                              | severity |
|---|---|
| declares no licence, or a proprietary one (``UNLICENSED``) | critical |
| declares an OSI licence but no public source repository   | high     |
| declares an OSI licence and a public source repository    | medium   |
| sets ``public-sources = true`` in its leakguard config     | low      |

Sources it also ships as files, and third-party sources, are low where the map is found.
A codename listed in ``public-codenames`` is already public: info, never blocking.
"""

from __future__ import annotations

import dataclasses

from leakguard.model import Artifact, Category, Finding, Severity
from leakguard.policy.config import Config
from leakguard.policy.licences import classify, public_repository

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
        severity, why, facts = self._intent(artifact)
        return dataclasses.replace(finding, severity=severity, evidence=(*finding.evidence, *facts, ("why", why)),
                                   message=f"{finding.message}{why}")

    def _intent(self, artifact: Artifact | None) -> tuple[Severity, str, tuple[tuple[str, str], ...]]:
        """The severity of hidden first-party sources, the words that say why (appended to the
        message), and the facts it rests on."""
        if self.public_sources:
            return Severity.LOW, " (public-sources = true)", ()
        licence = artifact.license if artifact is not None else None
        kind = classify(licence)
        if kind == "proprietary":
            return Severity.CRITICAL, "; the package licence is proprietary or missing", (("licence", licence or ""),)
        repository = public_repository(artifact.repository if artifact is not None else None)
        facts = (("licence", licence or ""), ("repository", repository or ""))
        if kind == "osi" and repository is not None:
            return (Severity.MEDIUM, f"; the package is {licence} with its source at {repository}: set "
                    "public-sources = true if the maps are published on purpose", facts)
        if kind == "osi":
            return Severity.HIGH, f"; the licence ({licence}) is open but the package names no public repository", facts
        return Severity.HIGH, f"; the licence ({licence}) is not an open-source licence", facts
