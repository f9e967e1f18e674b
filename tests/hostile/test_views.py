"""Archives that readers see differently, and formats that hide a zip: the scan sees every view
(or reports the disagreement as a blocking finding), never passes silently. Issue 22, round two."""

from __future__ import annotations

import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.model import ExitCode, Verdict
from leakguard.policy.config import Config
from leakguard.walk import tar
from tests.helpers import bombs
from tests.helpers.archives import npm_tarball, wheel, write, zip_bytes
from tests.helpers.tokens import github_token


def _verdict(tmp_path: Path, name: str, data: bytes) -> Verdict:
    return scan([str(write(tmp_path, name, data))], Config(), jobs=1)


def _rules(verdict: Verdict) -> set[tuple[str, str]]:
    return {(f.rule_id, f.origin.inner) for f in verdict.blocking}


def _secret(seed: int) -> bytes:
    return f"t = '{github_token(seed=seed)}'\n".encode()


# -- tar ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gap", [bytes(512), bytes(1024 * 40), b"\x01" * 512], ids=["zero", "zeros", "junk"])
def test_blocks_between_members_are_read_past_and_reported(tmp_path: Path, gap: bytes) -> None:
    data = bombs.tar_member("package/a.js", b"1") + gap + bombs.tar_member("package/b.js", _secret(1)) + bombs.END
    verdict = _verdict(tmp_path, "gap.tar", data)
    rules = _rules(verdict)
    assert ("github.pat-classic", "package/b.js") in rules  # what tar --ignore-zeros and npm install
    assert any(rule == "walk.ambiguous-archive" for rule, _ in rules)


def test_zero_blocks_before_the_first_member(tmp_path: Path) -> None:
    data = bytes(2048) + bombs.tar_member("package/b.js", _secret(2)) + bombs.END
    verdict = _verdict(tmp_path, "lead.tar", data)
    assert ("github.pat-classic", "package/b.js") in _rules(verdict)
    assert ("walk.ambiguous-archive", str(verdict.artifacts[0].path)) in {
        (f.rule_id, f.origin.inner) for f in verdict.blocking}


def test_pax_header_over_a_mebibyte_is_read_as_npm_reads_it(tmp_path: Path) -> None:
    # tarfile applies the pax size and swallows the next member; npm's tar ignores a pax header
    # over 1 MiB and installs that member. The scan reads it as npm does, and blocks.
    big = b"x" * (1024 * 1024 + 100)
    records = _pax(b"size=600") + _pax(b"comment=" + big)
    pax = bombs.tar_header("PaxHeader/a", len(records), b"x") + records + bombs.padding(len(records))
    data = pax + bombs.tar_member("package/a.js", b"1") + bombs.tar_member("package/index.js.map", _secret(3))
    verdict = _verdict(tmp_path, "pax.tar", data + bombs.END)
    rules = _rules(verdict)
    assert ("github.pat-classic", "package/index.js.map") in rules
    assert ("walk.ambiguous-archive", str(verdict.artifacts[0].path)) in {
        (f.rule_id, f.origin.inner) for f in verdict.blocking}


def _pax(body: bytes) -> bytes:
    length = len(body) + 3
    while len(f"{length} ".encode()) + len(body) + 1 != length:
        length = len(f"{length} ".encode()) + len(body) + 1
    return f"{length} ".encode() + body + b"\n"


def test_pax_size_that_differs_from_the_header_is_reported(tmp_path: Path) -> None:
    records = _pax(b"size=3")
    data = (bombs.tar_header("PaxHeader/a", len(records), b"x") + records + bombs.padding(len(records))
            + bombs.tar_header("package/a.js", 3) + b"abc" + bombs.padding(3) + bombs.END)
    verdict = _verdict(tmp_path, "size.tar", data)
    assert verdict.exit_code is ExitCode.PASS  # agreeing sizes: nothing to report
    data = data.replace(b"size=3", b"size=0")
    verdict = _verdict(tmp_path, "lie.tar", data)
    assert verdict.exit_code is not ExitCode.PASS
    assert ("walk.ambiguous-archive", "package/a.js") in _rules(verdict)


def test_long_name_chains_and_negative_sizes_are_damage(tmp_path: Path) -> None:
    chain = b"".join(bombs.tar_header("././@LongLink", 2, b"L") + b"a\0" + bombs.padding(2) for _ in range(5000))
    verdict = _verdict(tmp_path, "chain.tar", chain + bombs.tar_member("a.js", b"1") + bombs.END)
    assert verdict.exit_code is ExitCode.SCAN_ERROR
    assert "more than 8 pax or long-name headers" in verdict.problems[0].detail
    negative = bombs.tar_header("a.js", 0, raw_size=b"\xff" * 12)
    verdict = _verdict(tmp_path, "negative.tar", negative + bombs.END)
    assert verdict.exit_code is ExitCode.SCAN_ERROR
    assert "negative member size" in verdict.problems[0].detail


def test_pax_records_are_parsed_in_linear_time() -> None:
    # The shape of CPython's pax ReDoS (CVE-2024-6232): a long run that its regex backtracks on.
    hostile = b"1" * 200_000 + b" " + b"x" * 200_000
    with pytest.raises(tar.TarDamage):
        tar.parse_pax(hostile)
    assert tar.parse_pax(_pax(b"path=a/b") + _pax(b"size=12")) == {"path": "a/b", "size": "12"}


def test_duplicate_members_block(tmp_path: Path) -> None:
    data = bombs.tar_member("package/a.js", b"// leakguard:allow\n") + bombs.tar_member("./package/a.js", _secret(4))
    verdict = _verdict(tmp_path, "dup.tar", data + bombs.END)
    assert ("walk.duplicate-member", "./package/a.js") in _rules(verdict)
    zipped = bombs.zip_from([("a.py", b"x = 1\n"), ("a.py", _secret(5))])
    verdict = _verdict(tmp_path, "dup.whl", zipped)
    assert ("walk.duplicate-member", "a.py") in _rules(verdict)
    assert ("github.pat-classic", "a.py") in _rules(verdict)


# -- zip ------------------------------------------------------------------------------------------


def test_local_entry_the_central_directory_hides(tmp_path: Path) -> None:
    data = bombs.zip_from([("a.py", b"x = 1\n")], hidden=[("hidden.py", _secret(6))])
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["a.py"]  # pip's view
    verdict = _verdict(tmp_path, "hidden.whl", data)
    rules = _rules(verdict)
    assert ("github.pat-classic", "hidden.py") in rules
    assert ("walk.ambiguous-archive", "hidden.py") in rules


def test_local_header_and_directory_disagree_on_size(tmp_path: Path) -> None:
    payload = b"x = 1\n" + _secret(7)
    data = bytearray(bombs.zip_from([("a.py", payload)]))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<II", data, central + 20, 6, 6)  # the directory says 6 bytes: pip sees "x = 1"
    data[central + 16 : central + 20] = struct.pack("<I", zlib.crc32(payload[:6]))
    verdict = _verdict(tmp_path, "views.whl", bytes(data))
    rules = _rules(verdict)
    assert ("walk.ambiguous-archive", "a.py (local header)") in rules
    assert ("github.pat-classic", "a.py (local header)") in rules


def test_zip_symlink_is_read_to_path_max_only(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, b"\0" * (64 * 1024 * 1024))  # a "link" of 64 MiB
    verdict = _verdict(tmp_path, "link.zip", raw.getvalue())
    assert ("walk.ambiguous-archive", "link") in _rules(verdict)
    encrypted = zip_bytes({}, symlinks={"l": "target"})
    at = encrypted.find(b"PK\x01\x02")
    flagged = bytearray(encrypted)
    flagged[at + 8] |= 1
    flagged[6] |= 1
    verdict = _verdict(tmp_path, "enc.zip", bytes(flagged))
    assert ("walk.encrypted", "l") in _rules(verdict)


# -- formats that hide a zip or a compression ----------------------------------------------------


def test_zipapp_crx_and_lzma_are_opened(tmp_path: Path) -> None:
    inner = zip_bytes({"__main__.py": _secret(8).decode()})
    pyz = b"#!/usr/bin/env python3\n" + inner
    assert ("github.pat-classic", "__main__.py") in _rules(_verdict(tmp_path, "app.pyz", pyz))
    crx = b"Cr24" + struct.pack("<II", 3, 8) + b"\x08\x01\x12\x04abcd" + inner
    assert ("github.pat-classic", "__main__.py") in _rules(_verdict(tmp_path, "ext.crx", crx))
    nested = wheel({"tool/app.pyz": pyz})
    assert ("github.pat-classic", "__main__.py") in _rules(_verdict(tmp_path, "w-1.0-py3-none-any.whl", nested))
    packed = lzma.compress(_secret(9), format=lzma.FORMAT_ALONE)
    tarball = npm_tarball({"data.lzma": packed})
    assert ("github.pat-classic", "package/data.lzma") in _rules(_verdict(tmp_path, "p-1.0.0.tgz", tarball))


# -- errors: library damage only -----------------------------------------------------------------


def test_a_bug_is_not_reported_as_a_corrupt_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard.walk import names

    def broken(name: str) -> str:
        raise KeyError(name)

    monkeypatch.setattr(names, "extracted", broken)
    path = write(tmp_path, "a.tgz", npm_tarball({"a.js": "1"}))
    # The walker does not catch it: the scan reports the artifact as an internal error (exit 3).
    verdict = scan([str(path)], Config(), jobs=1)
    assert verdict.exit_code is ExitCode.SCAN_ERROR
    assert [p.kind for p in verdict.problems] == ["internal"]
    assert "internal error (KeyError)" in verdict.problems[0].detail


def test_deeply_nested_package_json_does_not_crash(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    data = tarfile_with({"package/package.json": deep.encode(), "package/a.js": _secret(10)})
    verdict = _verdict(tmp_path, "deep-1.0.0.tgz", data)
    assert ("github.pat-classic", "package/a.js") in _rules(verdict)


def tarfile_with(members: dict[str, bytes]) -> bytes:
    """A gzipped tar of the members, as given (no package.json added)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for name, value in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(value)
            archive.addfile(info, io.BytesIO(value))
    return raw.getvalue()


def test_source_map_larger_than_the_window_blocks(tmp_path: Path) -> None:
    """Only a whole map is analysed as one: a larger map still has its pieces scanned for
    credentials, and blocks (found by name or by its keys)."""
    import dataclasses

    from leakguard.walk.limits import Limits

    limits = dataclasses.replace(Limits(), window_bytes=256 * 1024, window_overlap=16 * 1024)
    body = b'{"version": 3, "sources": ["../src/a.ts"], "sourcesContent": ["' + b"x" * 400_000 + b'"]}'
    for name in ("package/cli.js.map", "package/bundle.json"):
        data = npm_tarball({name.removeprefix("package/"): body})
        verdict = scan([str(write(tmp_path, "big-1.0.0.tgz", data))], Config(limits=limits), jobs=1)
        assert ("walk.limit", name) in _rules(verdict)
        assert any("not analysed as a source map" in f.message for f in verdict.blocking)
