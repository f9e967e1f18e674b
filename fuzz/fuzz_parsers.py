"""Coverage-guided fuzzing of each parser on its own, with atheris.

    pip install atheris && python fuzz/fuzz_parsers.py -max_total_time=600 fuzz/corpus-parsers

The first byte of an input picks the target, the rest is its data:

    0 tar      walk.tar.entries, every member read
    1 zip      walk.zip.entries, every member read
    2 gzip     3 bzip2   4 xz   5 lzma      walk.compressed.reader, read to the end
    6 map      a source map, through the whole scan (the analyzer finds it by content)
    7 config   policy.config.load_file      8 baseline  policy.baseline.load
    9 rules    ruleset.parse_file, then redos.risk on each regex

A crash is any exception other than those the module raises on purpose for bad input (the
walker's ``Damage`` and ``LimitHit``, leakguard's errors). Copy a crashing input for the walker
into tests/hostile/crashes/ and it becomes a regression test.
"""

from __future__ import annotations

import io
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from leakguard import redos
    from leakguard.app import scan
    from leakguard.errors import LeakguardError
    from leakguard.model import ExitCode
    from leakguard.policy import baseline
    from leakguard.policy.config import Config, load_file
    from leakguard.ruleset import parse_file
    from leakguard.walk import compressed, tar, zip
    from leakguard.walk.entry import Damage
    from leakguard.walk.limits import LimitHit, Limits

LIMITS = Limits(max_total_bytes=16 * 1024 * 1024, ratio_floor=1024 * 1024, max_members=5000)
CONFIG = Config(limits=LIMITS)
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-parsers-"))
BUDGET = 16 * 1024 * 1024


def _drain(stream: io.RawIOBase | object) -> None:
    total = 0
    while total < BUDGET:
        chunk = stream.read(65536)  # type: ignore[attr-defined]
        if not chunk:
            return
        total += len(chunk)


def _charge(size: int) -> None:
    if size > BUDGET:
        raise LimitHit("max_total_bytes", "fuzz budget")


def _tar(data: bytes) -> None:
    for entry in tar.entries(io.BytesIO(data), charge=_charge):
        if entry.open is not None:
            _drain(entry.open())


def _zip(data: bytes) -> None:
    for entry in zip.entries(io.BytesIO(data), max_entries=5000, charge=_charge):
        if entry.open is not None:
            with entry.open() as stream:
                _drain(stream)


def _compressed(fmt: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        _drain(compressed.reader(fmt, io.BytesIO(data)))

    return run


def _map(data: bytes) -> None:
    verdict = scan(["-"], CONFIG, stdin=io.BytesIO(b'{"version": 3, ' + data), jobs=1)
    if verdict.problems and verdict.exit_code is ExitCode.PASS:
        raise AssertionError("a problem was reported but the verdict is pass")


def _file(name: str, load: Callable[[Path], object]) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        path = FOLDER / name
        path.write_bytes(data)
        load(path)

    return run


def _rules(data: bytes) -> None:
    for rule in parse_file(data.decode("utf-8", "replace"), "fuzz.toml"):
        redos.risk(rule.pattern.pattern)


TARGETS: list[Callable[[bytes], None]] = [
    _tar, _zip, _compressed("gzip"), _compressed("bzip2"), _compressed("xz"), _compressed("lzma"), _map,
    _file(".leakguard.toml", load_file), _file("baseline.json", baseline.load), _rules,
]


def test_one_input(data: bytes) -> None:
    """Run the target the first byte picks on the rest."""
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    try:
        target(data[1:])
    except (Damage, LimitHit, LeakguardError):
        return



if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
