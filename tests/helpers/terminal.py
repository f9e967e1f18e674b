"""Run the CLI with its stderr on a pseudo-terminal, as a user at a terminal would see it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes, bytes]:
    """``python -m leakguard ARGS`` with stderr on a pty and ``CI`` unset: (exit code, stdout, what the
    terminal showed)."""
    leader, follower = pty.openpty()
    full = {k: v for k, v in {**os.environ, **env}.items() if k != "CI"}
    result = subprocess.run([sys.executable, "-m", "leakguard", *args], stdout=subprocess.PIPE, stderr=follower,
                            env=full, cwd=cwd, timeout=60)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the pty is closed once the process is gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return result.returncode, result.stdout, seen
