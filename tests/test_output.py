"""Where a report goes (-o, --report): atomically to a regular file, straight into a device or
FIFO, never through a link to a file (issue 22: ``-o /dev/null`` as root replaced the device)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path


def _scan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "a.txt").write_text("hello\n")
    return subprocess.run([sys.executable, "-m", "leakguard", "scan", "-j", "1", *args, "a.txt"], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)


def test_dev_null_stays_a_device(tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    result = _scan(tmp_path, "--format", "json", "-o", "/dev/null", "--report", "sarif:/dev/null")
    assert result.returncode == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = _scan(tmp_path, "--format", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received and received[0].startswith(b"{")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_link_to_a_file_is_never_replaced_nor_written_through(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    (tmp_path / "report.json").symlink_to(target)
    result = _scan(tmp_path, "--format", "json", "-o", "report.json")
    assert result.returncode == 2
    assert "report.json: is a symbolic link" in result.stderr
    assert target.read_text() == "keep me\n" and (tmp_path / "report.json").is_symlink()


def test_a_regular_file_is_replaced_atomically(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("old")
    result = _scan(tmp_path, "--format", "json", "-o", "report.json")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report.json").read_text().startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "report.json"]  # no temporary file left
