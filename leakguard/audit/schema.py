"""The audit database's schema, as SQLAlchemy Core tables, and its migrations.

One schema serves SQLite and PostgreSQL. ``SCHEMA_VERSION`` is stored in ``leakguard_meta``;
``MIGRATIONS[n]`` takes a database from version ``n - 1`` to ``n`` inside one transaction, so a
newer leakguard upgrades an older database step by step and an older leakguard refuses a newer one
(``Store.open`` says so in one line). A fresh database runs every step from 1. No table holds a
secret: a finding keeps its fingerprint and a redacted preview only.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)

SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table(
    "leakguard_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(32), nullable=False),  # audit | watch npm | watch pypi
    Column("started_at", DateTime, nullable=False),  # UTC, naive: the same on both databases
    Column("finished_at", DateTime),
    Column("engine", String(32), nullable=False),
    Column("leakguard_version", String(64), nullable=False),
    Column("rules_version", String(64), nullable=False),
    Column("artifacts", Integer, nullable=False, default=0),
    Column("findings", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
)

artifacts = Table(
    "artifacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("spec", Text, nullable=False),  # what the user or the feed named: npm:x@1.0.0, a path
    Column("registry", String(16), nullable=False),  # npm | pypi | local
    Column("name", Text),
    Column("version", Text),
    Column("filename", Text, nullable=False),
    # The digest that identifies the content before download (npm publishes sha512, PyPI sha256;
    # local files are hashed by the coordinator): "sha512:<hex>". The dedup key with the rules version.
    Column("digest", String(140), nullable=False),
    Column("sha256", String(64)),  # of the bytes scanned; NULL when the download failed
    Column("size", BigInteger),
    Column("scanned_at", DateTime, nullable=False),
    Column("verdict", String(8), nullable=False),  # pass | fail | error
    Column("rules_version", String(64), nullable=False),
    Column("error", Text),  # why it could not be scanned (verdict error)
    Column("quarantined", Boolean, nullable=False, default=False),  # failed after every retry
    Column("attempts", Integer, nullable=False, default=1),
    UniqueConstraint("digest", "rules_version", name="uq_artifacts_digest_rules"),
)
Index("ix_artifacts_name", artifacts.c.registry, artifacts.c.name, artifacts.c.version)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("artifact_id", Integer, ForeignKey("artifacts.id"), nullable=False),
    Column("rule", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("severity_rank", Integer, nullable=False),  # Severity's value, so queries can say ">= high"
    Column("blocking", Boolean, nullable=False),
    Column("location", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("preview", Text),  # the redacted secret (ghp_…(40)), never the value
    Column("message", Text, nullable=False),
    UniqueConstraint("artifact_id", "fingerprint", "location", name="uq_findings_once"),
)
Index("ix_findings_fingerprint", findings.c.fingerprint)

cursors = Table(
    "feed_cursors", metadata,
    Column("feed", String(255), primary_key=True),  # "npm https://replicate.npmjs.com"
    Column("cursor", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Version 2: fingerprints are the alerting unit. One row per fingerprint, with the run that first
# saw it (``findings --new``), however many releases carry it.
fingerprints = Table(
    "fingerprints", metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("rule", String(128), nullable=False),
    Column("first_run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("first_seen_at", DateTime, nullable=False),
)
Index("ix_fingerprints_first_run", fingerprints.c.first_run_id)

_V1 = (meta, runs, artifacts, findings, cursors)


def _v1(conn: Connection) -> None:
    for table in _V1:
        table.create(conn)


def _v2(conn: Connection) -> None:
    fingerprints.create(conn)
    # Backfill: each fingerprint's first run is the earliest run that stored a finding with it.
    first = (
        select(findings.c.fingerprint, func.min(findings.c.rule), func.min(artifacts.c.run_id),
               func.min(artifacts.c.scanned_at))
        .join(artifacts, findings.c.artifact_id == artifacts.c.id)
        .group_by(findings.c.fingerprint)
    )
    conn.execute(insert(fingerprints).from_select(
        ["fingerprint", "rule", "first_run_id", "first_seen_at"], first))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1, 2: _v2}
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
