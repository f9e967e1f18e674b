"""What runs in a worker: download one artifact, verify it, scan it, and return an ``Outcome``.

``audit_one(context, task)`` is a module-level function (pickled by reference) that never raises
for anything an artifact or a registry can do: a failed download, a digest mismatch or damage inside
the artifact becomes an ``error`` outcome, stored like any other. It never writes to the database.
The download is deleted once scanned. The walker's limits come with the config, in every worker.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leakguard.audit.gate import Gate, Politeness
from leakguard.audit.http import Client, FetchError
from leakguard.audit.work import Outcome, StoredFinding, Task, VerdictWord, utcnow
from leakguard.errors import LeakguardError

if TYPE_CHECKING:
    from leakguard.match.detector import Detector
    from leakguard.model import Finding, Verdict
    from leakguard.policy.config import Config


@dataclass(frozen=True)
class Context:
    """What every worker is given once: the config, the gate, the bounds, where downloads go."""

    config: Config
    gate: Gate
    politeness: Politeness
    rules_version: str
    spool: str  # a directory for downloads ("": the worker's temporary directory; each task takes a folder in it)
    engine: str = "auto"  # the keyword engine
    # Built once per process and kept: the detector (compiled rules) and the registries' clients.
    # Never pickled: a Dask worker builds its own (see __getstate__).
    _built: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def client(self, registry: str) -> Client:
        """The polite client of a registry (one per registry and process)."""
        found = self._built.get(registry)
        if found is None:
            found = self._built[registry] = Client(self.gate, self.politeness, registry)
        return found

    def detector(self) -> Detector:
        """The compiled detector for the config, built on first use in this process. The local
        engine builds it before its workers fork, so they share it; building it per artifact would
        cost more than scanning a small one."""
        found = self._built.get("detector")
        if found is None:
            from leakguard.match.detector import Detector

            found = self._built["detector"] = Detector.build(self.config, self.engine)
        return found

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_built": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)


def _stored(finding: Finding, *, blocking: bool) -> StoredFinding:
    span = finding.span
    location = str(finding.origin) + (f":{span.line}:{span.column}" if span is not None else "")
    return StoredFinding(
        rule=finding.rule_id, category=finding.category.value, severity=finding.severity.label,
        severity_rank=int(finding.severity), blocking=blocking, location=location,
        fingerprint=finding.fingerprint, preview=finding.secret.redacted() if finding.secret is not None else None,
        message=finding.message,
    )


def _scan(path: str, label: str, context: Context) -> Verdict:
    """One artifact through the library: facts in this process, then the policy's decision."""
    from leakguard.model import Source
    from leakguard.pipeline import scan_artifact
    from leakguard.policy.decision import decide

    result = scan_artifact(Source(path, label), context.config, detector=context.detector())
    return decide([result], context.config)


def _sha256(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _judged(task: Task, context: Context, path: str, sha256: str | None, size: int | None) -> Outcome:
    # Named by file name: a finding's fingerprint drops the version from it (model.versionless), so the
    # same secret in the next release has the same fingerprint and alerts once.
    verdict = _scan(path, task.filename if task.registry != "local" else task.spec, context)
    found = tuple(_stored(f, blocking=True) for f in verdict.blocking)
    found += tuple(_stored(f, blocking=False) for f in verdict.reported)
    error = "; ".join(f"{p.origin}: {p.kind}: {p.detail}" for p in verdict.problems) or None
    word: VerdictWord = "error" if verdict.problems else ("fail" if verdict.blocking else "pass")
    return Outcome(task=task, verdict=word, scanned_at=utcnow(), rules_version=context.rules_version,
                   sha256=sha256, size=size, findings=found, error=error)


def audit_one(context: Context, task: Task) -> Outcome:
    """Download (registry tasks), verify, scan and judge one artifact. See the module docstring."""
    folder = ""
    try:
        if task.registry == "local":
            if os.path.isdir(task.path):
                return _judged(task, context, task.path, None, None)
            sha256, size = _sha256(task.path)
            return _judged(task, context, task.path, sha256, size)
        folder = tempfile.mkdtemp(prefix="leakguard-task-", dir=context.spool or None)
        algorithm, _, expected = task.digest.partition(":")
        fetched = context.client(task.registry).download(task.url, Path(folder) / "artifact", algorithm, expected)
        return _judged(task, context, str(fetched.path), fetched.sha256, fetched.size)
    except (FetchError, LeakguardError, OSError) as exc:
        return failed(task, context.rules_version, str(exc) or type(exc).__name__)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def failed(task: Task, rules_version: str, error: str, *, quarantined: bool = False, attempts: int = 1) -> Outcome:
    """An ``error`` outcome: nothing could be scanned (or the engine gave up on the task)."""
    return Outcome(task=task, verdict="error", scanned_at=utcnow(), rules_version=rules_version, error=error,
                   quarantined=quarantined, attempts=attempts)


def make_spool() -> str:
    """A fresh directory for a run's downloads (removed by the caller)."""
    return tempfile.mkdtemp(prefix="leakguard-audit-")

