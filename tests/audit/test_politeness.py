"""Politeness towards registries: the request rate stays within the limit however many workers
there are, Retry-After and 5xx are honoured, downloads stop at the size cap. The assertions are
bounds that a slow machine can only make easier to meet: at most N requests in any second, at
least the Retry-After between a 429 and the next request."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.audit import schema
from tests.audit.conftest import clean_tarball, rows
from tests.conftest import run_cli
from tests.helpers.fake_registries import Fakes


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.parametrize("workers", ["1", "4"])
def test_the_request_rate_stays_within_the_limit(fakes: Fakes, tmp_path: Path, workers: str) -> None:
    targets = []
    for n in range(16):
        fakes.publish_npm(f"pkg{n}", "1.0.0", clean_tarball(f"pkg{n}", "1.0.0"))
        targets.append(f"npm:pkg{n}@1.0.0")
    result = run_cli("audit", "--db", f"sqlite:///{tmp_path / 'a.db'}", "--registry", fakes.base, "--no-config",
                     "--workers", workers, "--rate", "8", *targets)
    assert result.returncode == 0, result.stderr
    times = [t for t, _, _ in fakes.log]
    assert len(times) == 32  # a packument and a tarball each, from the coordinator and the workers
    # The gate starts one request per 1/rate: at most rate + 1 in a second. The server sees them
    # arrive a little later, each after its own delay on a busy machine: one more is measurement.
    assert most_in_one_second(times) <= 8 + 2
    assert len(rows(f"sqlite:///{tmp_path / 'a.db'}", schema.artifacts)) == 16


def test_retry_after_and_5xx_are_honoured(fakes: Fakes, tmp_path: Path) -> None:
    for name in ("slowdown", "other"):
        fakes.publish_npm(name, "1.0.0", clean_tarball(name, "1.0.0"))
    fakes.fail["/files/slowdown-1.0.0.tgz"] = [(429, {"Retry-After": "2"}), (503, {}), (502, {})]
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--registry", fakes.base, "--no-config", "--workers", "1",
                     "npm:slowdown@1.0.0", "npm:other@1.0.0")
    assert result.returncode == 0, result.stderr
    assert {r["spec"]: r["verdict"] for r in rows(db, schema.artifacts)} == {
        "npm:slowdown@1.0.0": "pass", "npm:other@1.0.0": "pass"}
    asked = [(t, p) for t, _, p in fakes.log if p == "/files/slowdown-1.0.0.tgz"]
    assert len(asked) == 4  # 429, 503, 502, then the file
    refused_at = asked[0][0]
    assert asked[1][0] - refused_at >= 2.0
    # The 429 paused the whole registry, not only the request that got it.
    assert not [p for t, _, p in fakes.log if refused_at < t < refused_at + 2.0]


def test_a_registry_that_keeps_failing_is_an_error_not_a_hang(fakes: Fakes, tmp_path: Path) -> None:
    fakes.publish_npm("broken", "1.0.0", clean_tarball("broken", "1.0.0"))
    fakes.fail["/files/broken-1.0.0.tgz"] = [(500, {})] * 10
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--registry", fakes.base, "--no-config", "--retries", "2", "npm:broken@1.0.0")
    assert result.returncode == 3
    [row] = rows(db, schema.artifacts)
    assert row["verdict"] == "error" and "answered HTTP 500" in str(row["error"])
    assert fakes.requests("/files/") == ["/files/broken-1.0.0.tgz"] * 3


def test_downloads_stop_at_the_size_cap(fakes: Fakes, tmp_path: Path) -> None:
    fakes.publish_npm("big", "1.0.0", clean_tarball("big", "1.0.0") + bytes(range(256)) * 40)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli("audit", "--db", db, "--registry", fakes.base, "--no-config", "--max-download", "8kB",
                     "npm:big@1.0.0")
    assert result.returncode == 3
    [row] = rows(db, schema.artifacts)
    assert row["verdict"] == "error" and "larger than the download cap (8,000 bytes)" in str(row["error"])
    assert run_cli("audit", "--max-download", "lots", "x.tgz").returncode == 2
