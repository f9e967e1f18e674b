"""Output paths are checked before anything is scanned or fetched (an unwritable one exits 2 at
once), and reports and baselines are created with the user's umask, as ``init`` writes its config."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("option", [("-o", "missing/report.json"), ("--report", "sarif:missing/report.sarif")])
def test_an_unwritable_output_fails_before_the_scan(tmp_path: Path, option: tuple[str, str]) -> None:
    # The target is a registry spec whose registry does not answer: fetching it would exit 3.
    registry = f"http://127.0.0.1:{_closed_port()}"
    result = run_cli("scan", *option, "--registry", registry, "npm:left-pad@1.3.0", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "missing/report" in result.stderr and "no such directory" in result.stderr
    assert "left-pad" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_directory_as_output_fails_before_the_scan(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    registry = f"http://127.0.0.1:{_closed_port()}"
    result = run_cli("scan", "--report", "json:out", "--registry", registry, "npm:left-pad@1.3.0", cwd=tmp_path)
    assert result.returncode == 2 and "out: is a directory" in result.stderr


def test_baseline_output_is_checked_before_the_scan(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    result = run_cli("baseline", "create", "-o", "nowhere/b.json", "a.txt", cwd=tmp_path)
    assert result.returncode == 2 and "nowhere/b.json" in result.stderr


def _run_with_umask(umask: int, args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "leakguard", *args], cwd=cwd, capture_output=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"}, preexec_fn=lambda: os.umask(umask))


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_reports_and_baselines_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    scanned = _run_with_umask(umask, ["scan", "-o", "r.json", "--format", "json", "--report", "sarif:r.sarif",
                                      "a.txt"], tmp_path)
    assert scanned.returncode == 0, scanned.stderr
    created = _run_with_umask(umask, ["baseline", "create", "-o", "b.json", "a.txt"], tmp_path)
    assert created.returncode == 0, created.stderr
    for name in ("r.json", "r.sarif", "b.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
