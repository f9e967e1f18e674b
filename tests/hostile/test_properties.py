"""Property tests: arbitrary and mutated inputs never crash the walker or the parsers, never
write files, and never pass when something could not be read."""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import tempfile
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from leakguard.app import scan
from leakguard.errors import LeakguardError
from leakguard.match import sourcemap
from leakguard.model import ExitCode
from leakguard.policy import baseline
from leakguard.policy.config import Config
from leakguard.ruleset import parse_file
from leakguard.walk import walk
from leakguard.walk.limits import Limits
from tests.helpers.archives import npm_tarball, source_map, tar_bytes, wheel, zip_bytes

SMALL = Limits(max_total_bytes=8 * 1024 * 1024, ratio_floor=1024 * 1024, max_members=2000)

SEEDS = {
    "tgz": npm_tarball({"index.js": "module.exports = 1;\n", "a.js.map": source_map([("../src/a.ts", "x\n")])}),
    "zip": wheel({"w/__init__.py": "x = 1\n", "w/data.json": '{"a": 1}'}),
    "tar": tar_bytes({"a/b.txt": "hello\n", "a/c.txt": "world\n"}, compression=""),
    "tbz": tar_bytes({"a.txt": "hello\n" * 50}, compression="bz2"),
    "txz": tar_bytes({"a.txt": "hello\n" * 50}, compression="xz"),
    "nested": zip_bytes({"inner.tgz": npm_tarball({"x.js": "1"})}),
}


def _scan_bytes(data: bytes) -> None:
    """Scan ``data`` from stdin with small limits; assert the invariants. The scan runs in an empty
    working directory that must stay empty; the shared temp dir must gain nothing of leakguard's
    (other processes on the machine may create their own files there)."""
    before = set(os.listdir(tempfile.gettempdir()))
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)
        try:
            started = time.monotonic()
            verdict = scan(["-"], Config(limits=SMALL), stdin=io.BytesIO(data), jobs=1)
            assert time.monotonic() - started < 10
            assert os.listdir(empty) == []
        finally:
            os.chdir(here)
    if verdict.problems or any(not u.by_policy for u in verdict.unscanned):
        assert verdict.exit_code is not ExitCode.PASS
    new = set(os.listdir(tempfile.gettempdir())) - before
    assert not [name for name in new if "leakguard" in name or name.startswith((".download-", ".report"))]


@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    _scan_bytes(data)


@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_truncated_archives(kind: str, draw: st.DataObject) -> None:
    seed = SEEDS[kind]
    cut = draw.draw(st.integers(min_value=0, max_value=len(seed) - 1))
    _scan_bytes(seed[:cut])


@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_bit_flips(kind: str, draw: st.DataObject) -> None:
    data = bytearray(SEEDS[kind])
    for _ in range(draw.draw(st.integers(min_value=1, max_value=8))):
        pos = draw.draw(st.integers(min_value=0, max_value=len(data) - 1))
        data[pos] ^= 1 << draw.draw(st.integers(min_value=0, max_value=7))
    _scan_bytes(bytes(data))


def test_truncated_tar_is_never_a_pass() -> None:
    raw = SEEDS["tar"]
    content_end = 4 * 512  # two members: a header block and a data block each, then zero blocks
    assert raw[content_end : content_end + 512] == bytes(512)
    # Every cut that loses content or the end marker: at a header boundary the archive looks
    # shorter, not broken, so the walker must notice the missing end-of-archive marker.
    for cut in range(512, content_end + 1, 256):
        verdict = scan(["-"], Config(limits=SMALL), stdin=io.BytesIO(raw[:cut]), jobs=1)
        assert verdict.exit_code is not ExitCode.PASS, cut


@given(st.binary(max_size=2048))
def test_sourcemap_parser_never_raises(data: bytes) -> None:
    whole = b'{"version": 3, ' + data
    try:
        parsed = sourcemap.parse(whole)
    except sourcemap.MapError:
        return  # damage is reported as such, never another exception
    if parsed is not None:
        for entry in parsed.entries():
            sourcemap.decode_entry(whole[entry.start : entry.end])


@given(st.text(max_size=400))
def test_rule_files_fail_cleanly(text: str) -> None:
    with contextlib.suppress(LeakguardError):
        parse_file(text, "fuzz.toml")


@given(st.binary(max_size=400))
def test_baselines_fail_cleanly(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.json"
        path.write_bytes(data)
        with contextlib.suppress(LeakguardError):
            baseline.load(path)


@given(st.text(max_size=300))
def test_config_files_fail_cleanly(text: str) -> None:
    from leakguard.policy.config import load_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".leakguard.toml"
        path.write_bytes(text.encode("utf-8", "replace"))
        with contextlib.suppress(LeakguardError):
            load_file(path)


def test_walk_of_every_seed_reads_everything() -> None:
    for kind, data in SEEDS.items():
        events = list(walk(["-"], SMALL, stdin=io.BytesIO(data)))
        assert not any(type(e).__name__ == "Problem" for e in events), kind


def test_member_claiming_4gb_is_corrupt_not_allocated() -> None:
    info = tarfile.TarInfo("package/huge.bin")
    info.size = 4 * 1024**3
    data = info.tobuf(tarfile.GNU_FORMAT) + b"x" * 4096  # the header lies: 4 KiB follow, not 4 GiB
    started = time.monotonic()
    verdict = scan(["-"], Config(limits=SMALL), stdin=io.BytesIO(data), jobs=1)
    assert time.monotonic() - started < 5
    assert verdict.exit_code is not ExitCode.PASS
