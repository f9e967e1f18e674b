"""Coverage-guided fuzzing of the walker and the source-map parser with atheris.

    pip install atheris && python fuzz/fuzz_walk.py -max_total_time=300 fuzz/corpus

Every input is scanned from memory with small limits. A crash is any exception other than the
errors leakguard raises on purpose; atheris writes the input to crash-<hash>. Copy such an input
into tests/hostile/crashes/ and it becomes a regression test (tests/hostile/test_crashes.py).
"""

from __future__ import annotations

import io
import sys

import atheris

with atheris.instrument_imports():
    from leakguard.app import scan
    from leakguard.errors import LeakguardError
    from leakguard.model import ExitCode
    from leakguard.policy.config import Config
    from leakguard.walk.limits import Limits

CONFIG = Config(limits=Limits(max_total_bytes=16 * 1024 * 1024, ratio_floor=1024 * 1024, max_members=5000))


def test_one_input(data: bytes) -> None:
    try:
        verdict = scan(["-"], CONFIG, stdin=io.BytesIO(data), jobs=1)
    except LeakguardError:
        return

    if verdict.problems and verdict.exit_code is ExitCode.PASS:
        raise AssertionError("a problem was reported but the verdict is pass")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
