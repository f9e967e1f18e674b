"""``leakguard watch``: the npm feed (late, duplicate and premature entries) and PyPI's journal,
with the cursor stored with the results it covers, and a coordinator killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy

from leakguard.audit import schema
from tests.audit.conftest import clean_tarball, leaky_tarball, leaky_wheel, rows
from tests.conftest import run_cli
from tests.helpers.archives import sdist
from tests.helpers.fake_registries import Fakes


def _watch(fakes: Fakes, db: str, feed: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("watch", feed, "--once", "--db", db, "--feed", fakes.base, "--registry", fakes.base,
                   "--index-url", fakes.base, "--workers", "2", "--no-config", *args)


def test_npm_late_and_duplicate_entries(fakes: Fakes, db_url: str) -> None:
    leaky, _ = leaky_tarball("alpha", "1.0.0", seed=1)
    fakes.publish_npm("alpha", "1.0.0", leaky)
    fakes.publish_npm("beta", "1.0.0", clean_tarball("beta", "1.0.0"))
    fakes.changes.append((2, "beta"))  # delivered twice
    fakes.changes.append((3, "gamma"))  # the feed runs ahead of the registry: no packument yet
    first = _watch(fakes, db_url, "npm", "--since", "0")
    assert first.returncode == 0, first.stderr
    assert sorted(r["spec"] for r in rows(db_url, schema.artifacts)) == ["npm:alpha@1.0.0", "npm:beta@1.0.0"]
    assert [json.loads(c["cursor"]) for c in rows(db_url, schema.cursors)] == [{"seq": 3}]

    # Late: gamma's packument appears, and delta's entry arrives behind the cursor already passed.
    fakes.publish_npm("gamma", "1.0.0", clean_tarball("gamma", "1.0.0"), feed=False)
    fakes.publish_npm("delta", "2.0.0", clean_tarball("delta", "2.0.0"), feed=False)
    fakes.changes.insert(0, (2, "delta"))
    fakes.changes.append((3, "gamma"))
    epsilon, _ = leaky_tarball("epsilon", "0.1.0", seed=4)
    fakes.publish_npm("epsilon", "0.1.0", epsilon)  # seq 4
    fakes.publish_npm("alpha", "1.0.1", clean_tarball("alpha", "1.0.1"))  # seq 5: a new version of a known name
    second = _watch(fakes, db_url, "npm")  # resumes from the stored cursor, re-reading the window behind it
    assert second.returncode == 0, second.stderr
    specs = sorted(r["spec"] for r in rows(db_url, schema.artifacts))
    assert specs == ["npm:alpha@1.0.0", "npm:alpha@1.0.1", "npm:beta@1.0.0", "npm:delta@2.0.0", "npm:epsilon@0.1.0",
                     "npm:gamma@1.0.0"]
    assert [json.loads(c["cursor"]) for c in rows(db_url, schema.cursors)] == [{"seq": 5}]
    assert "2 skipped as already stored" in second.stderr  # alpha 1.0.0 and beta, re-read in the window
    third = _watch(fakes, db_url, "npm")
    assert "0 artifacts stored" in third.stderr and len(rows(db_url, schema.artifacts)) == 6


def test_pypi_journal(fakes: Fakes, db_url: str) -> None:
    wheel, _ = leaky_wheel("sneaky", "0.3", seed=2)
    fakes.publish_pypi("sneaky", "0.3", {"sneaky-0.3-py3-none-any.whl": wheel,
                                         "sneaky-0.3.tar.gz": sdist({"README": "hi\n"}, name="sneaky", version="0.3")})
    fakes.journal.append(("sneaky", "0.3", 0, "new release", 103))  # not a file: nothing to audit
    fakes.journal.append(("gone", "1.0", 0, "add source file gone-1.0.tar.gz", 104))  # removed since: not on the page
    first = _watch(fakes, db_url, "pypi", "--since", "100")
    assert first.returncode == 0, first.stderr
    assert sorted(r["filename"] for r in rows(db_url, schema.artifacts)) == [
        "sneaky-0.3-py3-none-any.whl", "sneaky-0.3.tar.gz"]
    assert {(f["rule"], f["blocking"]) for f in rows(db_url, schema.findings)} == {("github.pat-classic", True)}
    assert [json.loads(c["cursor"]) for c in rows(db_url, schema.cursors)] == [{"serial": 104}]

    fakes.publish_pypi("sneaky", "0.4", {"sneaky-0.4.tar.gz": sdist({"README": "new\n"}, name="sneaky", version="0.4")})
    second = _watch(fakes, db_url, "pypi")
    assert second.returncode == 0, second.stderr
    assert sorted(r["spec"] for r in rows(db_url, schema.artifacts)) == ["pypi:sneaky==0.3", "pypi:sneaky==0.3",
                                                                          "pypi:sneaky==0.4"]
    assert [json.loads(c["cursor"]) for c in rows(db_url, schema.cursors)] == [{"serial": 105}]


def _stored(db: str) -> tuple[int, int]:
    """(artifacts stored, the cursor's seq) as another reader sees them mid-run."""
    try:
        artifacts = len(rows(db, schema.artifacts))
        cursors = rows(db, schema.cursors)
    except sqlalchemy.exc.DBAPIError:  # the tables are not created yet
        return 0, 0
    return artifacts, (json.loads(str(cursors[0]["cursor"]))["seq"] if cursors else 0)


def test_a_coordinator_killed_mid_run_resumes_without_gaps_or_duplicates(fakes: Fakes, db_url: str) -> None:
    names = [f"pkg{n:02d}" for n in range(30)]
    for n, name in enumerate(names):
        data = leaky_tarball(name, "1.0.0", seed=n)[0] if n % 3 == 0 else clean_tarball(name, "1.0.0")
        fakes.publish_npm(name, "1.0.0", data)
    fakes.slow = 0.1
    argv = [sys.executable, "-m", "leakguard", "watch", "npm", "--once", "--db", db_url, "--feed", fakes.base,
            "--registry", fakes.base, "--workers", "2", "--no-config", "--since", "0", "--limit", "5",
            "--window", "0"]
    coordinator = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while _stored(db_url)[1] < 10 and time.monotonic() < deadline and coordinator.poll() is None:
            time.sleep(0.05)
        os.killpg(coordinator.pid, signal.SIGKILL)  # the coordinator and its workers, as in a crash
    finally:
        coordinator.wait()
    stored, seq = _stored(db_url)
    assert 10 <= seq < 30 and stored < 30, "killed after two pages and before the end"
    assert stored >= seq  # every page the cursor covers is stored
    packuments_before = len([p for p in fakes.requests("/pkg")])
    fakes.slow = 0.0
    resumed = run_cli(*argv[3:-6], "--limit", "5", "--window", "0")  # no --since: the stored cursor
    assert resumed.returncode == 0, resumed.stderr
    artifacts = rows(db_url, schema.artifacts)
    assert sorted(r["spec"] for r in artifacts) == [f"npm:{name}@1.0.0" for name in names]  # no gap, no duplicate
    assert len(rows(db_url, schema.findings)) == 10
    # The replay starts at the stored cursor: no packument of a page the cursor covers is read again.
    reread = {p.lstrip("/") for p in fakes.requests("/pkg")[packuments_before:]}
    assert reread == set(names[seq:])
    assert [json.loads(str(c["cursor"])) for c in rows(db_url, schema.cursors)] == [{"seq": 30}]


def test_watch_polls_and_stores_each_page_as_it_comes(fakes: Fakes, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    fakes.publish_npm("first", "1.0.0", clean_tarball("first", "1.0.0"))
    argv = [sys.executable, "-m", "leakguard", "watch", "npm", "--db", db, "--feed", fakes.base, "--registry",
            fakes.base, "--workers", "1", "--no-config", "--since", "0", "--poll", "0.2"]
    follower = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def wait_for(count: int) -> list[str]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and follower.poll() is None:
            if _stored(db)[0] >= count:
                break
            time.sleep(0.1)
        return sorted(str(r["spec"]) for r in rows(db, schema.artifacts))

    try:
        assert wait_for(1) == ["npm:first@1.0.0"]
        fakes.publish_npm("second", "2.0.0", clean_tarball("second", "2.0.0"))  # while it polls
        assert wait_for(2) == ["npm:first@1.0.0", "npm:second@2.0.0"]
    finally:
        os.killpg(follower.pid, signal.SIGTERM)
        _, stderr = follower.communicate(timeout=60)
    assert follower.returncode == 143 and "leakguard: terminated" in stderr.decode()
