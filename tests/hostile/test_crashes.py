"""Inputs the fuzzer (fuzz/fuzz_walk.py) once crashed on: each must now scan to a verdict that
is not a pass, without an exception escaping."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.model import ExitCode
from leakguard.policy.config import Config

CRASHES = sorted((Path(__file__).parent / "crashes").iterdir())


@pytest.mark.parametrize("path", CRASHES, ids=[p.name for p in CRASHES])
def test_former_crash(path: Path) -> None:
    verdict = scan(["-"], Config(), stdin=io.BytesIO(path.read_bytes()), jobs=1)
    assert verdict.exit_code is not ExitCode.PASS
    assert verdict.problems or verdict.blocking


def test_there_are_regression_inputs() -> None:
    assert CRASHES
