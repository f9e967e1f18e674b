"""Workers that die, on the local engine: the fake registry SIGKILLs the worker process that asks
for a file, as the kernel's OOM killer would. (The same on Dask: tests/audit/test_dask.py.)"""

from __future__ import annotations

from pathlib import Path

from leakguard.audit import schema
from tests.audit.conftest import publish_mixed, rows
from tests.conftest import run_cli
from tests.helpers.fake_registries import Fakes


def test_a_killed_workers_artifact_is_retried_and_lands_once(fakes: Fakes, db_url: str) -> None:
    targets = publish_mixed(fakes, 6)
    fakes.kill["/files/p2-1.0.0.tgz"] = 1
    result = run_cli("audit", "--db", db_url, "--workers", "2", "--registry", fakes.base, "--no-config", *targets)
    assert result.returncode == 0, result.stderr
    assert fakes.requests("/files/p2-1.0.0.tgz") == ["/files/p2-1.0.0.tgz"] * 2
    stored = {r["spec"]: r for r in rows(db_url, schema.artifacts)}
    assert sorted(stored) == sorted(targets)
    assert {s: r["verdict"] for s, r in stored.items()} == {t: ("fail" if int(t[5]) % 2 == 0 else "pass")
                                                            for t in targets}
    assert len(rows(db_url, schema.findings)) == 3


def test_a_poison_artifact_is_quarantined_and_the_run_goes_on(fakes: Fakes, tmp_path: Path) -> None:
    targets = publish_mixed(fakes, 6)
    fakes.kill["/files/p3-1.0.0.tgz"] = -1
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--workers", "2", "--registry", fakes.base, "--no-config", *targets)
    assert result.returncode == 3
    assert "6 artifacts stored (1 could not be scanned)" in result.stderr
    assert result.stderr.count("\n") == 1  # the summary: no worker's traceback
    # Its first death came with other tasks in flight (whose was it?); then it ran alone and died 3 times.
    assert fakes.requests("/files/p3-1.0.0.tgz") == ["/files/p3-1.0.0.tgz"] * 4
    stored = {r["spec"]: r for r in rows(db, schema.artifacts)}
    poison = stored.pop("npm:p3@1.0.0")
    assert poison["verdict"] == "error" and poison["quarantined"] and poison["attempts"] == 3
    assert "died 3 times" in str(poison["error"])
    assert {r["verdict"] for r in stored.values()} == {"fail", "pass"} and len(stored) == 5
    again = run_cli("audit", "--db", db, "--workers", "2", "--registry", fakes.base, "--no-config", *targets)
    assert again.returncode == 0 and "6 skipped as already stored" in again.stderr
    assert len(fakes.requests("/files/p3-1.0.0.tgz")) == 4
