"""The audit database: open (and migrate) it, record outcomes in batches, read cursors and findings.

Only the coordinator writes, and each ``record`` call is one transaction that holds a batch of
outcomes *and* the feed cursor that covers them: a crash replays at most one batch, and the replay
adds nothing (artifacts are unique by digest and rules version). SQLite runs in WAL mode so that
``leakguard findings`` can read while an audit writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leakguard.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from leakguard.audit.work import Outcome

DEFAULT_URL = "sqlite:///leakguard-audit.db"
_CHUNK = 500  # digests per IN (...) query: well under SQLite's 32,766 bound variables


def _require(module: str, extra: str) -> None:
    """Import ``module`` or say in one line which extra brings it (exit 2)."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise UsageError(f"this command needs the {extra} extra: pip install 'leakguard[{extra}]'") from None


def engine_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3; SQLite URLs pass through."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise UsageError(f"--db {url}: expected sqlite:///FILE or postgresql://USER@HOST/DB")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent after a crash; commits are cheaper
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@dataclass(frozen=True, slots=True)
class Query:
    """What ``leakguard findings`` asks for; every field narrows the answer."""

    since: Any = None  # datetime (UTC, naive): artifacts scanned at or after it
    severity: int | None = None  # at least this Severity value
    rule: str | None = None  # a rule id, or a family prefix (``github`` matches ``github.*``)
    artifact: str | None = None  # a spec or file name, or a name (``npm:left-pad``)
    new: bool = False  # fingerprints first seen in the last run


class Store:
    """An open audit database. ``Store.open(url)`` creates or upgrades the schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str = DEFAULT_URL) -> Store:
        """Connect, create the schema in an empty database or upgrade an older one. ``UsageError``
        (exit 2) for a database written by a newer leakguard, or a URL that cannot be used."""
        _require("sqlalchemy", "audit")
        full = engine_url(url)
        if full.startswith("postgresql"):
            _require("psycopg", "postgres")
        import sqlalchemy
        from sqlalchemy import event

        try:
            engine = sqlalchemy.create_engine(full, future=True)
        except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
            raise UsageError(f"--db {url}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        try:
            store._migrate(url)
        except sqlalchemy.exc.OperationalError as exc:
            engine.dispose()
            raise UsageError(f"--db {url}: cannot open the database: {str(exc.orig).strip().splitlines()[0]}") from None
        return store

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def _migrate(self, url: str) -> None:
        from sqlalchemy import inspect, select

        from leakguard.audit import schema

        with self.engine.begin() as conn:
            found = 0
            if inspect(conn).has_table("leakguard_meta"):
                row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
                found = int(row[0]) if row is not None else 0
            elif inspect(conn).get_table_names():
                raise UsageError(f"--db {url}: the database holds other tables; give leakguard a database of its own")
            if found > schema.SCHEMA_VERSION:
                raise UsageError(
                    f"--db {url}: the database has schema version {found}, written by a newer leakguard; "
                    f"this one ({_version()}) knows version {schema.SCHEMA_VERSION}: upgrade leakguard")
            for step in range(found + 1, schema.SCHEMA_VERSION + 1):
                schema.MIGRATIONS[step](conn)
                _upsert(conn, schema.meta, {"key": "schema_version", "value": str(step)}, ["key"])

    def version(self) -> int:
        """The schema version stored in the database."""
        from sqlalchemy import select

        from leakguard.audit.schema import meta

        with self.engine.connect() as conn:
            return int(conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    def begin_run(self, command: str, engine: str, rules_version: str) -> int:
        """A new row in ``runs``; its id tags what this run stores."""
        from sqlalchemy import insert

        from leakguard.audit.schema import runs
        from leakguard.audit.work import utcnow

        with self.engine.begin() as conn:
            row = conn.execute(insert(runs).values(
                command=command, started_at=utcnow(), engine=engine, leakguard_version=_version(),
                rules_version=rules_version, artifacts=0, findings=0, failed=0, skipped=0,
            ).returning(runs.c.id)).scalar_one()
        return int(row)

    def finish_run(self, run_id: int, *, skipped: int = 0) -> None:
        """Stamp the run's end and its totals (counted from what it stored)."""
        from sqlalchemy import func, select, update

        from leakguard.audit.schema import artifacts, findings, runs
        from leakguard.audit.work import utcnow

        with self.engine.begin() as conn:
            mine = artifacts.c.run_id == run_id
            stored = conn.execute(select(func.count()).where(mine)).scalar_one()
            failed = conn.execute(select(func.count()).where(mine, artifacts.c.verdict == "error")).scalar_one()
            found = conn.execute(select(func.count()).select_from(findings.join(artifacts)).where(mine)).scalar_one()
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=utcnow(), artifacts=stored, failed=failed, findings=found, skipped=skipped))

    def known(self, digests: Iterable[str], rules_version: str) -> set[str]:
        """The digests already stored with this rules version (scanned, failed or quarantined)."""
        from sqlalchemy import select

        from leakguard.audit.schema import artifacts

        wanted = list(dict.fromkeys(digests))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                found.update(conn.execute(select(artifacts.c.digest).where(
                    artifacts.c.digest.in_(chunk), artifacts.c.rules_version == rules_version)).scalars())
        return found

    def record(self, run_id: int, outcomes: Sequence[Outcome], cursor: tuple[str, str] | None = None) -> int:
        """Store a batch of outcomes and, in the same transaction, the feed cursor that covers them.
        An outcome whose digest is already stored (a replayed batch) adds nothing. Returns the
        number of artifacts added."""
        from leakguard.audit import schema
        from leakguard.audit.work import utcnow

        with self.engine.begin() as conn:
            fresh = _fresh(conn, outcomes)
            for outcome in fresh:
                _insert_outcome(conn, run_id, outcome)
            if cursor is not None:
                _upsert(conn, schema.cursors, {"feed": cursor[0], "cursor": cursor[1], "updated_at": utcnow()},
                        ["feed"])
        return len(fresh)

    def cursor(self, feed: str) -> str | None:
        """The stored cursor of a feed, or None before its first batch."""
        from sqlalchemy import select

        from leakguard.audit.schema import cursors

        with self.engine.connect() as conn:
            value = conn.execute(select(cursors.c.cursor).where(cursors.c.feed == feed)).scalar_one_or_none()
        return None if value is None else str(value)

    def last_run(self) -> int | None:
        """The id of the most recent run, if any."""
        from sqlalchemy import func, select

        from leakguard.audit.schema import runs

        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(runs.c.id))).scalar_one_or_none()
        return None if value is None else int(value)

    def findings(self, query: Query) -> list[dict[str, Any]]:
        """Stored findings with their artifact, oldest first (see ``leakguard.audit.query``)."""
        from leakguard.audit.query import select_findings

        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select_findings(query, self.last_run()))]


def _version() -> str:
    from leakguard.about import version

    return version()


def _fresh(conn: Connection, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes not stored yet, each digest once (the first wins)."""
    from sqlalchemy import select

    from leakguard.audit.schema import artifacts

    stored: set[tuple[str, str]] = set()
    pairs = {(o.task.digest, o.rules_version) for o in outcomes}
    for version in {v for _, v in pairs}:
        digests = [d for d, v in pairs if v == version]
        for start in range(0, len(digests), _CHUNK):
            rows = conn.execute(select(artifacts.c.digest).where(
                artifacts.c.digest.in_(digests[start:start + _CHUNK]), artifacts.c.rules_version == version))
            stored.update((digest, version) for digest in rows.scalars())
    fresh = []
    for outcome in outcomes:
        key = (outcome.task.digest, outcome.rules_version)
        if key not in stored:
            stored.add(key)
            fresh.append(outcome)
    return fresh


def _insert_outcome(conn: Connection, run_id: int, outcome: Outcome) -> None:
    from sqlalchemy import insert

    from leakguard.audit.schema import artifacts, findings, fingerprints

    task = outcome.task
    artifact_id = conn.execute(insert(artifacts).values(
        run_id=run_id, spec=task.spec, registry=task.registry, name=task.name, version=task.version,
        filename=task.filename, digest=task.digest, sha256=outcome.sha256, size=outcome.size,
        scanned_at=outcome.scanned_at, verdict=outcome.verdict, rules_version=outcome.rules_version,
        error=outcome.error, quarantined=outcome.quarantined, attempts=outcome.attempts,
    ).returning(artifacts.c.id)).scalar_one()
    rows = list({(f.fingerprint, f.location): {"artifact_id": artifact_id, **dataclasses.asdict(f)}
                 for f in outcome.findings}.values())
    if not rows:
        return
    conn.execute(insert(findings), rows)
    for row in {r["fingerprint"]: r for r in rows}.values():
        _insert_absent(conn, fingerprints, {"fingerprint": row["fingerprint"], "rule": row["rule"],
                                            "first_run_id": run_id, "first_seen_at": outcome.scanned_at},
                       ["fingerprint"])


def _dialect_insert(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _insert_absent(conn: Connection, table: Any, values: dict[str, Any], keys: list[str]) -> None:
    conn.execute(_dialect_insert(conn, table).values(**values).on_conflict_do_nothing(index_elements=keys))


def _upsert(conn: Connection, table: Any, values: dict[str, Any], keys: list[str]) -> None:
    statement = _dialect_insert(conn, table).values(**values)
    update = {k: v for k, v in values.items() if k not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=update))
