"""Ctrl-C and SIGTERM stop a scan cleanly: exit 130/143, no traceback, no half-written report."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from tests.helpers.bombs import tar_header

# The start of a tgz whose one member promises 10 MB, flushed so a reader can decode it, then no
# more: the scan reads what came and waits for the rest. (Stdin is read as a stream, so data it
# can already tell is damaged would end the scan instead.)
_deflate = zlib.compressobj(6, zlib.DEFLATED, 31)
STALLED = _deflate.compress(tar_header("package/big.js", 10_000_000) + b"x" * 1000) + _deflate.flush(zlib.Z_SYNC_FLUSH)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_scan_cleanly(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leakguard", "scan", "--format", "json", "-o", "report.json", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(STALLED)
    proc.stdin.flush()
    time.sleep(1.5)  # started and blocked reading
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert b"Traceback" not in out + err
    assert err.decode().strip() in ("leakguard: interrupted", "leakguard: terminated")
    assert list(tmp_path.iterdir()) == []  # no report, no temporary file


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_scan_while_the_walker_is_blocked(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """The walker thread is blocked reading a pipe that stays open: the scan must not wait for it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "leakguard", "scan", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
        start_new_session=True,  # its workers too can be killed if it hangs
    )
    assert proc.stdin is not None
    proc.stdin.write(STALLED)
    proc.stdin.flush()
    time.sleep(1.5)
    proc.send_signal(sig)
    try:
        assert proc.wait(timeout=10) == code  # stdin is still open
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
