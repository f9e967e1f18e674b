"""The audit database on SQLite and on a real PostgreSQL: schema versions and migrations, batches
that land once, the cursor in the same transaction as its batch, and no secret ever stored."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
import sqlalchemy

from leakguard.audit import schema
from leakguard.audit.store import Query, Store
from leakguard.audit.work import Outcome, StoredFinding, Task, utcnow
from leakguard.errors import UsageError
from tests.conftest import run_cli


def _outcome(n: int, rules: str = "r1", findings: int = 1) -> Outcome:
    task = Task(spec=f"npm:p{n}@1.0.0", registry="npm", filename=f"p{n}-1.0.0.tgz", digest=f"sha512:{n:0128x}",
                url=f"http://x/p{n}.tgz", name=f"p{n}", version="1.0.0")
    found = tuple(StoredFinding("github.pat-classic", "credential", "critical", 4, True, f"p{n}.tgz!/index.js:{i}:1",
                                f"fp{n % 3}-{i}", "ghp_…(40)", "GitHub token") for i in range(findings))
    return Outcome(task=task, verdict="fail" if findings else "pass", scanned_at=utcnow(), rules_version=rules,
                   sha256=f"{n:064x}", size=100, findings=found)


def _count(store: Store, table: sqlalchemy.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)).scalar_one())


def test_a_batch_lands_once_and_a_replay_adds_nothing(db_url: str) -> None:
    store = Store.open(db_url)
    run = store.begin_run("audit", "local", "r1")
    batch = [_outcome(n) for n in range(5)]
    assert store.record(run, batch, ("npm feed", '{"seq": 5}')) == 5
    assert store.record(run, [*batch, batch[0]], ("npm feed", '{"seq": 5}')) == 0  # a replayed batch
    assert _count(store, schema.artifacts) == 5
    assert _count(store, schema.findings) == 5
    assert store.known([o.task.digest for o in batch] + ["sha512:00"], "r1") == {o.task.digest for o in batch}
    assert store.known([batch[0].task.digest], "r2") == set()  # a new rules version audits again
    assert store.cursor("npm feed") == '{"seq": 5}'
    store.close()


def test_the_cursor_is_stored_only_with_its_batch(db_url: str) -> None:
    store = Store.open(db_url)
    run = store.begin_run("watch npm", "local", "r1")
    store.record(run, [_outcome(1)], ("npm feed", '{"seq": 1}'))
    # A batch that fails halfway (a finding row the schema refuses) leaves neither its artifacts nor its cursor.
    bad = _outcome(3)
    bad = dataclasses.replace(bad, findings=(dataclasses.replace(bad.findings[0], rule=None),))  # type: ignore[arg-type]
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        store.record(run, [_outcome(2), bad], ("npm feed", '{"seq": 3}'))
    assert store.cursor("npm feed") == '{"seq": 1}'
    assert store.known([_outcome(2).task.digest], "r1") == set()
    store.close()


def test_fingerprints_alert_once_and_new_means_first_seen_in_the_last_run(db_url: str) -> None:
    store = Store.open(db_url)
    first = store.begin_run("audit", "local", "r1")
    store.record(first, [_outcome(n) for n in range(3)])  # fingerprints fp0-0, fp1-0, fp2-0
    second = store.begin_run("audit", "local", "r1")
    store.record(second, [_outcome(n, findings=2) for n in range(3, 6)])  # fp0-0 again, and fp*-1 new
    assert _count(store, schema.fingerprints) == 6
    new = store.findings(Query(new=True))
    assert {r["fingerprint"] for r in new} == {"fp0-1", "fp1-1", "fp2-1"}
    assert {r["spec"] for r in store.findings(Query(artifact="npm:p4"))} == {"npm:p4@1.0.0"}
    assert {r["spec"] for r in store.findings(Query(artifact="p5-1.0.0.tgz"))} == {"npm:p5@1.0.0"}
    assert len(store.findings(Query(rule="github"))) == 9 and store.findings(Query(rule="git")) == []
    assert len(store.findings(Query(severity=4))) == 9 and store.findings(Query(severity=5)) == []
    assert store.findings(Query(since=utcnow())) == []
    assert len(store.findings(Query(since=utcnow() - datetime.timedelta(minutes=5)))) == 9
    store.close()


def test_an_older_database_is_upgraded_with_its_fingerprints_backfilled(db_url: str) -> None:
    engine = sqlalchemy.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:  # a database as version 1 of the schema left it
        schema.MIGRATIONS[1](conn)
        conn.execute(sqlalchemy.insert(schema.meta).values(key="schema_version", value="1"))
        conn.execute(sqlalchemy.insert(schema.runs).values(id=1, command="audit", started_at=utcnow(), engine="local",
                                                           leakguard_version="0.0.9", rules_version="r0", artifacts=1,
                                                           findings=1, failed=0, skipped=0))
        conn.execute(sqlalchemy.insert(schema.artifacts).values(
            id=1, run_id=1, spec="npm:old@1.0.0", registry="npm", filename="old-1.0.0.tgz", digest="sha512:aa",
            scanned_at=utcnow(), verdict="fail", rules_version="r0", quarantined=False, attempts=1))
        conn.execute(sqlalchemy.insert(schema.findings).values(
            artifact_id=1, rule="github.pat-classic", category="credential", severity="critical", severity_rank=4,
            blocking=True, location="old-1.0.0.tgz!/index.js:1:1", fingerprint="oldfp", message="GitHub token"))
    engine.dispose()
    store = Store.open(db_url)
    assert store.version() == schema.SCHEMA_VERSION == 2
    with store.engine.connect() as conn:
        rows = conn.execute(sqlalchemy.select(schema.fingerprints)).all()
    assert [(r.fingerprint, r.rule, r.first_run_id) for r in rows] == [("oldfp", "github.pat-classic", 1)]
    store.close()


def test_a_newer_database_is_refused_in_one_line(db_url: str) -> None:
    Store.open(db_url).close()
    engine = sqlalchemy.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sqlalchemy.update(schema.meta).values(value="99"))
    engine.dispose()
    with pytest.raises(UsageError, match="schema version 99, written by a newer leakguard"):
        Store.open(db_url)
    result = run_cli("findings", "--db", db_url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "schema version 99, written by a newer leakguard" in result.stderr and "upgrade leakguard" in result.stderr


def test_bad_database_urls_are_usage_errors(tmp_path: object) -> None:
    assert run_cli("findings", "--db", "mysql://x/y").returncode == 2
    result = run_cli("findings", "--db", "sqlite:////nonexistent/dir/x.db")
    assert result.returncode == 2 and "cannot open the database" in result.stderr
