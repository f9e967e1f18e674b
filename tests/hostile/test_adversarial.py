"""Adversarial archives: each yields a precise finding or scan error, quickly, without a crash."""

from __future__ import annotations

import io
import struct
import tarfile
import time
import zipfile
from pathlib import Path

from leakguard.app import scan
from leakguard.model import ExitCode
from leakguard.policy.config import Config
from tests.helpers.archives import Special, tar_bytes, write, zip_bytes
from tests.helpers.tokens import github_token


def _timed_scan(path: Path, config: Config | None = None):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    verdict = scan([str(path)], config or Config())
    assert time.monotonic() - started < 20
    return verdict


def test_overlapping_zip_entries(tmp_path: Path) -> None:
    # One deflated MiB of zeros, referenced by 300 central-directory entries (the "overlapping"
    # zip bomb shape): every read counts against the budget, so the ratio limit stops it.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (1 << 20))
    data = raw.getvalue()
    cd_at = data.rfind(b"PK\x01\x02")
    eocd_at = data.rfind(b"PK\x05\x06")
    record = data[cd_at:eocd_at]
    name_len = struct.unpack("<H", record[28:30])[0]
    copies = []
    for i in range(300):
        name = f"z{i:05d}.bin".encode()
        copies.append(record[:28] + struct.pack("<H", len(name)) + record[30:46] + name + record[46 + name_len:])
    central = b"".join(copies)
    eocd = bytearray(data[eocd_at:])
    eocd[8:10] = eocd[10:12] = struct.pack("<H", 300)
    eocd[12:16] = struct.pack("<I", len(central))
    eocd[16:20] = struct.pack("<I", cd_at)
    path = write(tmp_path, "overlap.zip", data[:cd_at] + central + bytes(eocd))
    verdict = _timed_scan(path)
    assert verdict.exit_code in (ExitCode.BLOCKED, ExitCode.SCAN_ERROR)
    assert any(f.rule_id == "walk.limit" for f in verdict.blocking) or verdict.problems


def test_42_zip_style_fan_out(tmp_path: Path) -> None:
    leaf = zip_bytes({"zeros.bin": b"\0" * (4 << 20)})
    level = zip_bytes({f"l{i}.zip": leaf for i in range(10)})
    top = zip_bytes({f"m{i}.zip": level for i in range(10)})
    verdict = _timed_scan(write(tmp_path, "42.zip", top))
    assert [f.rule_id for f in verdict.blocking] == ["walk.limit"]
    assert "max-ratio" in verdict.blocking[0].message or "max-total-bytes" in verdict.blocking[0].message


def test_pax_header_that_lies_about_size(tmp_path: Path) -> None:
    token = github_token(seed=600)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("a.txt")
        data = b"A" * 3000
        info.size = len(data)
        info.pax_headers = {"comment": "x"}
        archive.addfile(info, io.BytesIO(data))
        later = tarfile.TarInfo("later.txt")
        payload = f"t='{token}'".encode()
        later.size = len(payload)
        archive.addfile(later, io.BytesIO(payload))
    blob = bytearray(raw.getvalue())
    # The pax record "size" overrides the ustar size: claim 10 bytes where 3000 follow.
    lie = b"12 size=10\n"
    pax = blob.find(b"comment=x\n")
    record = b"18 comment=x\n"
    start = blob.rfind(b"1", 0, pax)
    blob[start : start + len(record) - 1] = (lie + b" " * (len(record) - 1 - len(lie)))[: len(record) - 1]
    path = write(tmp_path, "pax.tar", bytes(blob))
    verdict = _timed_scan(path)
    # Either the lie is caught as corruption, or every member is still read: never a quiet pass.
    assert verdict.exit_code is not ExitCode.PASS


def test_lookalike_and_nul_names(tmp_path: Path) -> None:
    names = ["..\u2215..\u2215etc\u2215passwd", "\uff0e\uff0e/x", "a\u2024\u2024/b"]
    path = write(tmp_path, "look.zip", zip_bytes({n: "x" for n in names}))
    verdict = _timed_scan(path)
    assert sorted(f.rule_id for f in verdict.blocking) == ["walk.unsafe-path"] * len(names)


def test_link_chains_and_loops(tmp_path: Path) -> None:
    members = {"p/a": Special("symlink", "b"), "p/b": Special("symlink", "a"),  # a loop
               "p/c": Special("symlink", "d"), "p/d": Special("symlink", "sub/e"),
               "p/sub/e": Special("symlink", "../../../etc/passwd")}  # a chain that ends outside
    path = write(tmp_path, "links.tgz", tar_bytes(members))
    verdict = _timed_scan(path)
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [("walk.link-escapes", "p/sub/e")]
    assert {u.origin.inner for u in verdict.unscanned} == {"p/a", "p/b", "p/c", "p/d", "p/sub/e"}


def test_gigabytes_of_zeros_stop_at_the_limit_quickly(tmp_path: Path) -> None:
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(2048)]  # 2 GiB of zeros, ~2 MB compressed
    parts.append(compressor.flush())
    path = write(tmp_path, "zeros.gz", b"".join(parts))
    verdict = _timed_scan(path)
    assert [f.rule_id for f in verdict.blocking] == ["walk.limit"]
