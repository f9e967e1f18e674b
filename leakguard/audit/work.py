"""The values an audit passes between coordinator, workers and store: frozen and picklable.

A ``Task`` is one artifact to audit (where to get it and the digest it must have); an ``Outcome``
is what a worker made of it (the verdict and the findings, each already reduced to what may be
stored: a fingerprint and a redacted preview, never the secret).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

Registry = Literal["npm", "pypi", "local"]
VerdictWord = Literal["pass", "fail", "error"]


@dataclass(frozen=True, slots=True)
class Task:
    """One artifact: a registry file (``url`` with its published ``digest``) or a local ``path``.

    ``digest`` is ``ALGORITHM:HEX`` as the registry publishes it (npm ``sha512``, PyPI ``sha256``)
    or as the coordinator computed it for a local target: the key that skips work already stored.
    """

    spec: str
    registry: Registry
    filename: str
    digest: str
    url: str = ""
    path: str = ""
    name: str | None = None
    version: str | None = None
    size: int | None = None  # as the registry announces it, if it does

    @property
    def label(self) -> str:
        """What reports call it: ``npm:left-pad@1.3.0 (left-pad-1.3.0.tgz)``, or the path."""
        return f"{self.spec} ({self.filename})" if self.registry != "local" else self.spec


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as the database keeps it: no secret, only its fingerprint and a preview."""

    rule: str
    category: str
    severity: str
    severity_rank: int
    blocking: bool
    location: str
    fingerprint: str
    preview: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a task. ``verdict`` is ``error`` when the artifact could not be (wholly) scanned;
    ``error`` says why. ``quarantined`` marks a task that failed on every retry (killed worker,
    timeout): it is stored once and skipped from then on, so it never stalls a run."""

    task: Task
    verdict: VerdictWord
    scanned_at: datetime.datetime
    rules_version: str
    sha256: str | None = None
    size: int | None = None
    findings: tuple[StoredFinding, ...] = ()
    error: str | None = None
    quarantined: bool = False
    attempts: int = 1


def utcnow() -> datetime.datetime:
    """Now in UTC, naive: how both databases store times."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
