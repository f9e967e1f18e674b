"""gzip is inflated by ISA-L when the ``[fast]`` extra is installed, by the standard library
otherwise. Both readers run every test here: same bytes out, the same verdict on damaged and
hostile streams, the same limits."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard.app import scan
from leakguard.model import Blob, ExitCode, Finding, Problem
from leakguard.policy.config import Config
from leakguard.walk import compressed, walk
from leakguard.walk.limits import Limits
from tests.helpers.archives import npm_tarball, tar_bytes, write
from tests.helpers.tokens import github_token

READERS = ["zlib", "isal"]  # isal comes with the test extra, as with [fast]


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = request.param
    assert name in compressed.GZIP_READERS, f"{name} inflater not installed (pip install -e '.[test]')"
    monkeypatch.setattr(compressed, "GZIP", compressed.GZIP_READERS[name])
    yield name


def _events(path: Path, limits: Limits | None = None) -> list[object]:
    return list(walk([str(path)], limits or Limits(ratio_floor=1024 * 1024)))


def test_fast_inflater_is_the_default_when_installed() -> None:
    assert compressed.GZIP is compressed.GZIP_READERS["isal"]


def test_npm_tarball_inflates_to_the_same_members(tmp_path: Path, reader: str) -> None:
    token = github_token(seed=811)
    files = {"index.js": f"const t = '{token}';\n", "big.js": os.urandom(300_000).hex()}
    path = write(tmp_path, "w.tgz", npm_tarball(files))
    blobs = {str(e.origin).rsplit("!/", 1)[1]: e.data for e in _events(path) if isinstance(e, Blob)}
    assert blobs["package/index.js"] == files["index.js"].encode()
    assert blobs["package/big.js"] == files["big.js"].encode()
    verdict = scan([str(path)], Config())
    assert verdict.exit_code is ExitCode.BLOCKED
    assert "github.pat-classic" in {f.rule_id for f in verdict.blocking}


def _damaged() -> dict[str, bytes]:
    good = tar_bytes({"a.txt": "hello " * 20_000, "b.txt": "x"}, compression="gz")
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    bad_crc = bytearray(good)
    bad_crc[-8:-4] = struct.pack("<I", (zlib.crc32(b"") + 1) & 0xFFFFFFFF)
    bad_size = bytearray(good)
    bad_size[-4:] = struct.pack("<I", 7)
    return {
        "cut": good[: len(good) // 2],
        "flipped": bytes(flipped),
        "bad-crc": bytes(bad_crc),
        "bad-size": bytes(bad_size),
        "no-trailer": good[:-8],
        "header-only": good[:10],
    }


@pytest.mark.parametrize("damage", sorted(_damaged()))
def test_damaged_gzip_is_a_scan_error_never_a_pass(tmp_path: Path, reader: str, damage: str) -> None:
    path = write(tmp_path, "d.tgz", _damaged()[damage])
    events = _events(path)
    assert [e.kind for e in events if isinstance(e, Problem)] == ["corrupt"]
    assert scan([str(path)], Config()).exit_code is ExitCode.SCAN_ERROR


def test_trailing_garbage_and_concatenated_members(tmp_path: Path, reader: str) -> None:
    two = gzip.compress(b"first line\n") + gzip.compress(b"second line\n")
    events = _events(write(tmp_path, "two.txt.gz", two))
    assert [e.data for e in events if isinstance(e, Blob)] == [b"first line\nsecond line\n"]
    garbage = write(tmp_path, "g.txt.gz", gzip.compress(b"text\n") + b"not gzip at all")
    assert scan([str(garbage)], Config()).exit_code is ExitCode.SCAN_ERROR


def test_bomb_limits_hold(tmp_path: Path, reader: str) -> None:
    bomb = write(tmp_path, "zeros.gz", gzip.compress(b"\0" * (32 * 1024 * 1024), compresslevel=9))
    events = _events(bomb, Limits(ratio_floor=1024 * 1024, max_ratio=100))
    limits = [e.message for e in events if isinstance(e, Finding) and e.rule_id == "walk.limit"]
    assert len(limits) == 1 and "max-ratio" in limits[0]
    assert scan([str(bomb)], Config(limits=Limits(ratio_floor=1024 * 1024, max_ratio=100))).exit_code \
        is not ExitCode.PASS


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200_000), st.integers(0, 9), st.integers(1, 70_000))
def test_both_inflaters_read_the_same_bytes(data: bytes, level: int, step: int) -> None:
    packed = gzip.compress(data, compresslevel=level)
    outputs = []
    for name in READERS:
        stream = compressed.GZIP_READERS[name](io.BytesIO(packed))
        out = bytearray()
        while chunk := stream.read(step):
            out += chunk
        outputs.append(bytes(out))
    assert outputs == [data, data]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=20_000), max_size=5))
def test_member_crc_is_zlibs_crc32_chunk_by_chunk(chunks: list[bytes]) -> None:
    # Release diffs compare member CRCs across runs, with or without the [fast] extra.
    crc = 0
    for chunk in chunks:
        crc = compressed.crc32(chunk, crc)
    assert crc == zlib.crc32(b"".join(chunks))


def test_fast_crc_is_the_default_when_installed() -> None:
    from isal import isal_zlib

    assert compressed.crc32 is isal_zlib.crc32
