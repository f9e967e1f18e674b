"""NumPy arrays of floating-point numbers inside .npz archives are data, not text: only their header
is read (scipy 1.18.1's sdist inflates to about 6 GB of dense float matrices). Every other array is
read like any member."""

from __future__ import annotations

import struct
from pathlib import Path

from leakguard.app import scan
from leakguard.policy.config import Config
from leakguard.walk.npy import numeric
from tests.helpers.archives import sdist, write, zip_bytes
from tests.helpers.tokens import github_token


def npy(descr: str, shape: str, data: bytes, *, version: int = 1) -> bytes:
    """An .npy file as numpy writes it: magic, version, header length, a padded dict literal."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({shape}), }}".encode()
    prefix = 10 if version == 1 else 12
    header += b" " * (-(prefix + len(header) + 1) % 64) + b"\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + data


def test_the_header_says_which_arrays_are_numbers() -> None:
    assert numeric(npy("<f8", "305, 1571", b"")) == "float64 array of shape (305, 1571)"
    assert numeric(npy("<c16", "3,", b"", version=2)) == "complex128 array of shape (3,)"
    assert numeric(npy("|u1", "40,", b"")) is None  # bytes: may hold text
    assert numeric(npy("<U8", "2,", b"")) is None  # strings
    assert numeric(npy("|O", "2,", b"")) is None  # objects (pickles)
    assert numeric(npy("<f8", "3,", b"")[:20]) is None  # a header cut short
    assert numeric(b"\x93NUMPY\x09\x00" + npy("<f8", "3,", b"")[8:]) is None  # an unknown version


def test_float_arrays_in_an_npz_are_listed_not_inflated(tmp_path: Path) -> None:
    floats = npy("<f8", "4096, 4352", bytes(8 * 4096 * 4352))  # 136 MiB of zeros: past the ratio floor
    token = github_token(seed=41)
    text = npy("|u1", "40,", f"t={token}".encode().ljust(40))
    npz = zip_bytes({"A_eq.npy": floats, "names.npy": text})
    pkg = write(tmp_path, "sp.tgz", sdist({"benchmarks/data/STOCFOR3.npz": npz, "src/a.py": "x = 1\n"}, name="sp"))
    verdict = scan([str(pkg)], Config())
    [skipped] = verdict.unscanned
    assert skipped.by_policy and skipped.origin.inner == "A_eq.npy"
    assert skipped.reason.startswith("float64 array of shape (4096, 4352)")
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [("github.pat-classic", "names.npy")]
    assert not [f for f in verdict.blocking if f.rule_id == "walk.limit"]
