"""The SELECT behind ``leakguard findings``: stored findings joined to their artifacts, narrowed by
a ``Query``. Kept apart from the store so that the filters read in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from leakguard.audit.schema import artifacts, findings, fingerprints

if TYPE_CHECKING:
    from leakguard.audit.store import Query

COLUMNS = (
    artifacts.c.spec, artifacts.c.registry, artifacts.c.name, artifacts.c.version, artifacts.c.filename,
    artifacts.c.sha256, artifacts.c.scanned_at, artifacts.c.run_id, artifacts.c.verdict,
    findings.c.rule, findings.c.category, findings.c.severity, findings.c.severity_rank, findings.c.blocking,
    findings.c.location, findings.c.fingerprint, findings.c.preview, findings.c.message,
)


def _artifact(spec: str) -> Any:
    """A spec, a file name, or a package named without a version (``npm:left-pad``, ``pypi:requests``)."""
    registry, _, name = spec.partition(":")
    exact = or_(artifacts.c.spec == spec, artifacts.c.filename == spec)
    if registry in ("npm", "pypi") and name:
        return or_(exact, and_(artifacts.c.registry == registry, artifacts.c.name == name))
    return exact


def select_findings(query: Query, last_run: int | None) -> Any:
    """The statement for ``query``; ``last_run`` is what ``--new`` compares with."""
    statement = select(*COLUMNS).join(artifacts, findings.c.artifact_id == artifacts.c.id)
    if query.since is not None:
        statement = statement.where(artifacts.c.scanned_at >= query.since)
    if query.severity is not None:
        statement = statement.where(findings.c.severity_rank >= query.severity)
    if query.rule is not None:
        statement = statement.where(or_(findings.c.rule == query.rule, findings.c.rule.startswith(query.rule + ".")))
    if query.artifact is not None:
        statement = statement.where(_artifact(query.artifact))
    if query.new:
        # Fingerprints are the alerting unit: those first seen in the last run, each once (its first finding).
        first = select(fingerprints.c.fingerprint).where(fingerprints.c.first_run_id == (last_run or -1))
        statement = statement.where(findings.c.fingerprint.in_(first), artifacts.c.run_id == (last_run or -1))
    return statement.order_by(artifacts.c.scanned_at, artifacts.c.id, findings.c.id)
