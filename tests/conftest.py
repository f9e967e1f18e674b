"""Shared fixtures. Tests build real archives in ``tmp_path``; none touches the network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ["pyahocorasick", "ahocorasick-rs"]


def run_cli(*args: str, cwd: Path | None = None, input: bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m leakguard`` in a subprocess, as a user would."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "leakguard", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=full_env,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture
def cli_in(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the CLI with ``tmp_path`` as the working directory (so no repo config is discovered)."""

    def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=tmp_path, input=input)

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    """``pytest --update-golden`` rewrites tests/golden/ from the current reporters."""
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden report files")
