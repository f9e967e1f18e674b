"""Audits on a real Dask cluster: a ``LocalCluster`` the CLI starts itself, and an existing cluster
reached with ``--scheduler`` (started here, once). Workers are killed for real by the fake registry
(SIGKILL to the process that asks for the file), as the kernel's OOM killer would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask
import distributed
import pytest

from leakguard.audit import schema
from tests.audit.conftest import publish_mixed, rows
from tests.conftest import run_cli
from tests.helpers.fake_registries import Fakes


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """An existing cluster: two single-threaded worker processes under nannies (which restart a killed one)."""
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}), distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50) as cluster:
        yield str(cluster.scheduler_address)


def _findings(db: str) -> set[tuple[str, str, str]]:
    return {(str(f["rule"]), str(f["location"]), str(f["fingerprint"])) for f in rows(db, schema.findings)}


def test_dask_finds_what_local_processes_find(fakes: Fakes, tmp_path: Path, scheduler: str) -> None:
    targets = publish_mixed(fakes, 6)
    local, dask = f"sqlite:///{tmp_path / 'local.db'}", f"sqlite:///{tmp_path / 'dask.db'}"
    common = ("--registry", fakes.base, "--no-config", *targets)
    assert run_cli("audit", "--db", local, *common).returncode == 0
    result = run_cli("audit", "--db", dask, "--engine", "dask", "--scheduler", scheduler, *common)
    assert result.returncode == 0, result.stderr
    assert len(_findings(dask)) == 3 and _findings(dask) == _findings(local)
    assert [r["engine"] for r in rows(dask, schema.runs)] == ["dask"]
    again = run_cli("audit", "--db", dask, "--engine", "dask", "--scheduler", scheduler, *common)
    assert "0 artifacts stored (0 could not be scanned), 6 skipped" in again.stderr


def test_a_killed_workers_artifact_is_retried_and_lands_once(fakes: Fakes, tmp_path: Path, scheduler: str) -> None:
    targets = publish_mixed(fakes, 4)
    fakes.kill["/files/p0-1.0.0.tgz"] = 1  # the first worker to ask dies; the scheduler retries elsewhere
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--engine", "dask", "--scheduler", scheduler, "--registry", fakes.base,
                     "--no-config", *targets)
    assert result.returncode == 0, result.stderr
    assert fakes.requests("/files/p0-1.0.0.tgz") == ["/files/p0-1.0.0.tgz"] * 2
    stored = {r["spec"]: r for r in rows(db, schema.artifacts)}
    assert len(stored) == 4 and stored["npm:p0@1.0.0"]["verdict"] == "fail"
    assert [f["rule"] for f in rows(db, schema.findings) if f["artifact_id"] == stored["npm:p0@1.0.0"]["id"]] == [
        "github.pat-classic"]


def test_a_poison_artifact_is_quarantined_and_the_run_goes_on(fakes: Fakes, tmp_path: Path, scheduler: str) -> None:
    targets = publish_mixed(fakes, 4)
    fakes.kill["/files/p1-1.0.0.tgz"] = -1  # every worker that touches it dies
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--engine", "dask", "--scheduler", scheduler, "--registry", fakes.base,
                     "--no-config", *targets)
    assert result.returncode == 3
    assert "4 artifacts stored (1 could not be scanned)" in result.stderr
    stored = {r["spec"]: r for r in rows(db, schema.artifacts)}
    poison = stored["npm:p1@1.0.0"]
    assert poison["verdict"] == "error" and poison["quarantined"] and "KilledWorker" in str(poison["error"])
    assert {s: r["verdict"] for s, r in stored.items() if s != "npm:p1@1.0.0"} == {
        "npm:p0@1.0.0": "fail", "npm:p2@1.0.0": "fail", "npm:p3@1.0.0": "pass"}
    # Quarantined: a later run skips it instead of killing workers again.
    again = run_cli("audit", "--db", db, "--engine", "dask", "--scheduler", scheduler, "--registry", fakes.base,
                    "--no-config", *targets)
    assert again.returncode == 0 and "4 skipped as already stored" in again.stderr


def test_the_cli_starts_a_local_cluster(fakes: Fakes, tmp_path: Path) -> None:
    targets = publish_mixed(fakes, 2)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--engine", "dask", "--workers", "1", "--registry", fakes.base,
                     "--no-config", *targets)
    assert result.returncode == 0, result.stderr
    assert {r["spec"]: r["verdict"] for r in rows(db, schema.artifacts)} == {"npm:p0@1.0.0": "fail",
                                                                             "npm:p1@1.0.0": "pass"}
    unreachable = run_cli("audit", "--db", db, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "x.tgz")
    assert unreachable.returncode == 2 and unreachable.stderr.count("\n") == 1


def test_the_request_rate_stays_within_the_limit_on_dask(fakes: Fakes, tmp_path: Path, scheduler: str) -> None:
    from tests.audit.test_politeness import most_in_one_second

    targets = publish_mixed(fakes, 16)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--engine", "dask", "--scheduler", scheduler, "--registry", fakes.base,
                     "--no-config", "--rate", "8", "--downloads", "1", *targets)
    assert result.returncode == 0, result.stderr
    times = [t for t, _, _ in fakes.log]
    assert len(times) == 32  # the coordinator's packument reads and the workers' downloads share the tokens
    assert most_in_one_second(times) <= 8 + 2  # as on the local engine (test_politeness)
    assert len(rows(db, schema.artifacts)) == 16
