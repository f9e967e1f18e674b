"""The walker on real archives built here: every format, nesting, limits and hostile input.

Assertions are exact: origins, rule ids, exit codes."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import random
import tarfile
import zipfile
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.model import ArtifactEnd, Blob, ExitCode, Finding, Problem, Unscanned
from leakguard.policy.config import Config
from leakguard.walk import walk
from leakguard.walk.limits import Limits
from tests.helpers.archives import Special, compress, npm_tarball, sdist, tar_bytes, wheel, write, zip_bytes
from tests.helpers.tokens import github_token

SMALL = Limits(ratio_floor=1024 * 1024)


def _events(path: Path | str, limits: Limits = SMALL) -> list[object]:
    return list(walk([str(path)], limits))


def _blobs(events: list[object]) -> dict[str, bytes]:
    return {str(e.origin): e.data for e in events if isinstance(e, Blob)}


def _end(events: list[object]) -> ArtifactEnd:
    [end] = [e for e in events if isinstance(e, ArtifactEnd)]
    return end


def _rules(events: list[object]) -> set[tuple[str, str]]:
    return {(e.rule_id, str(e.origin)) for e in events if isinstance(e, Finding)}


# -- formats ------------------------------------------------------------------------------------

@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_tar_in_every_compression_and_format(tmp_path: Path, compression: str, fmt: int) -> None:
    path = write(tmp_path, "a.bin", tar_bytes({"dir/a.txt": "alpha\n", "dir/b.txt": "beta\n"}, compression=compression, fmt=fmt))
    events = _events(path)
    assert _blobs(events) == {f"{path}!/dir/a.txt": b"alpha\n", f"{path}!/dir/b.txt": b"beta\n"}
    assert _end(events).artifact.kind == "archive"
    assert _rules(events) == set()  # .bin promises nothing


def test_formats_by_content_not_name(tmp_path: Path) -> None:
    data = npm_tarball({"index.js": "x"})
    path = write(tmp_path, "looks-like.zip", data)
    events = _events(path)
    assert _rules(events) == {("walk.format-mismatch", str(path))}
    assert f"{path}!/package/index.js" in _blobs(events)
    text = write(tmp_path, "fake.tgz", b"just text, not gzip\n")
    text_events = _events(text)
    assert _rules(text_events) == {("walk.format-mismatch", str(text))}
    assert _blobs(text_events) == {str(text): b"just text, not gzip\n"}


@pytest.mark.parametrize("name", ["app.jar", "ext.vsix", "pkg.nupkg", "lib.egg", "src.zip"])
def test_zip_family(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, zip_bytes({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n", "a/b.txt": "b"}))
    events = _events(path)
    assert set(_blobs(events)) == {f"{path}!/META-INF/MANIFEST.MF", f"{path}!/a/b.txt"}
    assert _rules(events) == set()


def test_artifact_kinds(tmp_path: Path) -> None:
    npm = _end(_events(write(tmp_path, "n.tgz", npm_tarball({"a.js": "x"}, name="@acme/n", version="2.0.0",
                                                          license="UNLICENSED")))).artifact
    assert (npm.kind, npm.name, npm.version, npm.license) == ("npm", "@acme/n", "2.0.0", "UNLICENSED")
    whl = _end(_events(write(tmp_path, "w.whl", wheel({"w/__init__.py": ""}, name="w", version="3.1")))).artifact
    assert (whl.kind, whl.name, whl.version) == ("wheel", "w", "3.1")
    sd = _end(_events(write(tmp_path, "s.tar.gz", sdist({"s/__init__.py": ""}, name="s", version="0.9")))).artifact
    assert (sd.kind, sd.name, sd.version) == ("sdist", "s", "0.9")
    zipped = zip_bytes({"s-0.9/PKG-INFO": "Metadata-Version: 2.1\nName: s\nVersion: 0.9\n", "s-0.9/s.py": ""})
    zsd = _end(_events(write(tmp_path, "s-0.9.zip", zipped))).artifact
    assert (zsd.kind, zsd.name) == ("sdist", "s")
    plain = _end(_events(write(tmp_path, "p.tar", tar_bytes({"x": "y"}, compression="")))).artifact
    assert (plain.kind, plain.name, plain.members) == ("archive", None, 1)
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.js").write_text("x")
    (folder / "package.json").write_text('{"name": "f", "version": "1.0.0"}')
    events = _events(folder)
    d = _end(events).artifact
    assert (d.kind, d.name, d.version, d.sha256) == ("directory", "f", "1.0.0", None)
    assert set(_blobs(events)) == {f"{folder}/package.json", f"{folder}/sub/a.js"}
    single = _end(_events(write(tmp_path, "notes.txt", b"hello"))).artifact
    assert (single.kind, single.members, single.sha256) == ("file", 1, hashlib.sha256(b"hello").hexdigest())
    # An archive's digest is taken in a thread of its own while the walk reads it: still the
    # digest of the whole file (here several reads of the hashing thread long).
    data = npm_tarball({"lib/blob.bin": random.Random(7).randbytes(3 * 1024 * 1024), "a.js": "x"})
    assert len(data) > 3 * 1024 * 1024
    assert _end(_events(write(tmp_path, "big.tgz", data))).artifact.sha256 == hashlib.sha256(data).hexdigest()


def test_stdin(tmp_path: Path) -> None:
    events = list(walk(["-"], SMALL, stdin=io.BytesIO(npm_tarball({"a.js": "x"}))))
    assert set(_blobs(events)) == {"<stdin>!/package/package.json", "<stdin>!/package/a.js"}


def test_nested_zip_in_tgz_in_zip(tmp_path: Path) -> None:
    innermost = zip_bytes({"deep/secret.txt": "found me"})
    middle = npm_tarball({"assets/inner.zip": innermost})
    outer = zip_bytes({"release/middle.tgz": middle})
    path = write(tmp_path, "outer.zip", outer)
    blobs = _blobs(_events(path))
    key = f"{path}!/release/middle.tgz!/package/assets/inner.zip!/deep/secret.txt"
    assert blobs[key] == b"found me"


@pytest.mark.parametrize(("suffix", "packer"), [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)])
def test_single_file_compressed_members(tmp_path: Path, suffix: str, packer) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "w.whl", wheel({f"w/data/model.json{suffix}": packer(b'{"a": 1}')}))
    assert _blobs(_events(path))[f"{path}!/w/data/model.json{suffix}"] == b'{"a": 1}'


def test_coverage_ledger_accounts_for_every_member(tmp_path: Path) -> None:
    members = {"package/package.json": "{}", "package/a.js": "x", "package/link": Special("symlink", "a.js"),
               "package/dir": Special("dir"), "package/fifo": Special("fifo")}
    path = write(tmp_path, "l.tgz", tar_bytes(members))
    events = _events(path)
    seen = {str(e.origin) for e in events if isinstance(e, (Blob, Unscanned))}
    assert seen == {f"{path}!/package/{n}" for n in ("package.json", "a.js", "link", "fifo")}
    assert _end(events).paths == {"package/package.json", "package/a.js", "package/link", "package/fifo"}


# -- limits -------------------------------------------------------------------------------------

def _limit(events: list[object]) -> list[str]:
    return [e.message for e in events if isinstance(e, Finding) and e.rule_id == "walk.limit"]


def test_depth_limit(tmp_path: Path) -> None:
    data = zip_bytes({"leaf.txt": "x"})
    for level in range(6):
        data = zip_bytes({f"level{level}.zip": data})
    path = write(tmp_path, "nest.zip", data)
    messages = _limit(_events(path, Limits(max_depth=3)))
    assert len(messages) == 1 and "max-depth" in messages[0]
    assert _limit(_events(path, Limits(max_depth=8))) == []
    assert scan([str(path)], Config(limits=Limits(max_depth=3))).exit_code is ExitCode.BLOCKED


def test_total_bytes_and_member_limits(tmp_path: Path) -> None:
    path = write(tmp_path, "big.tgz", tar_bytes({f"f{i}.txt": os.urandom(4000).hex() for i in range(20)}))
    stopped = _events(path, Limits(max_total_bytes=50_000))
    assert any("max-total-bytes" in m for m in _limit(stopped))
    # A limit ends the walk early; the artifact is still named by its digest.
    assert _end(stopped).artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert any("max-members" in m for m in _limit(_events(path, Limits(max_members=5))))
    assert any("max-member-bytes" in m for m in _limit(_events(path, Limits(max_member_bytes=1000))))
    assert _limit(_events(path)) == []


def test_ratio_limit_on_a_gzip_of_zeros(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    path = write(tmp_path, "zeros.gz", bomb)
    messages = _limit(_events(path, Limits(ratio_floor=1024 * 1024, max_ratio=100)))
    assert len(messages) == 1 and "max-ratio" in messages[0]


def test_zip_claiming_small_sizes_cannot_inflate(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"\0" * 10_000_000)
    data = bytearray(raw.getvalue())
    # Forge the uncompressed size in the central directory to 100 bytes.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    path = write(tmp_path, "forged.zip", bytes(data))
    verdict = scan([str(path)], Config(limits=SMALL))
    assert verdict.exit_code is ExitCode.SCAN_ERROR
    assert [p.kind for p in verdict.problems] == ["corrupt"]


def test_windows_and_token_at_every_boundary(tmp_path: Path) -> None:
    window, overlap = 256 * 1024, 64 * 1024
    limits = Limits(window_bytes=window, window_overlap=overlap, ratio_floor=10**9)
    line = b"x" * 99 + b"\n"
    body = bytearray(line * (1_300_000 // 100))
    tokens = []
    # piece k+1 starts at k * (window - overlap) + ...; plant a token across each cut the walker makes
    starts = []
    offset, size = 0, window + 1
    while offset + size < len(body):
        starts.append(offset + size - overlap // 2)  # where one piece stops reporting and the next takes over
        offset += size - overlap
        size = window
    for seed, cut in enumerate(starts):
        token = github_token(seed=400 + seed).encode()
        body[cut - 21 : cut + 21] = b"=" + token + b";"  # the token's first half before the cut
        tokens.append((token, body.count(b"\n", 0, cut - 20) + 1))
    path = write(tmp_path, "big.tgz", npm_tarball({"dist/bundle.js": bytes(body)}))
    events = _events(path, limits)
    pieces = [e for e in events if isinstance(e, Blob) and e.origin.inner == "package/dist/bundle.js"]
    assert len(pieces) > 3
    verdict = scan([str(path)], Config(limits=limits))
    found = sorted((f.secret.reveal() if f.secret else b"", f.span.line if f.span else 0) for f in verdict.blocking)
    assert found == sorted(tokens)


# -- hostile input ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../escape.txt", "/etc/cron.d/x", "C:/Windows/x.dll", "a\\..\\..\\b.txt", "ok/../../x"])
def test_unsafe_names(tmp_path: Path, name: str) -> None:
    token = github_token(seed=500)
    path = write(tmp_path, "u.zip", zip_bytes({name: f"t='{token}'"}))
    verdict = scan([str(path)], Config())
    assert {f.rule_id for f in verdict.blocking} == {"walk.unsafe-path", "github.pat-classic"}


def test_links_are_never_followed(tmp_path: Path) -> None:
    members = {"package/package.json": "{}", "package/inside": Special("symlink", "package.json"),
               "package/outside": Special("symlink", "../../etc/passwd"), "package/abs": Special("symlink", "/etc/shadow"),
               "package/hard": Special("hardlink", "../x"), "package/hard-ok": Special("hardlink", "package/package.json")}
    path = write(tmp_path, "links.tgz", tar_bytes(members))
    events = _events(path)
    assert _rules(events) == {("walk.link-escapes", f"{path}!/package/{n}") for n in ("outside", "abs", "hard")}
    assert {str(e.origin) for e in events if isinstance(e, Unscanned) and e.by_policy} == {
        f"{path}!/package/{n}" for n in ("inside", "outside", "abs", "hard", "hard-ok")}


def test_zip_symlink(tmp_path: Path) -> None:
    path = write(tmp_path, "s.zip", zip_bytes({"a.txt": "x"}, symlinks={"evil": "/etc/passwd", "fine": "a.txt"}))
    assert _rules(_events(path)) == {("walk.link-escapes", f"{path}!/evil")}


def test_devices_fifos_encrypted_and_unsupported(tmp_path: Path) -> None:
    path = write(tmp_path, "d.tgz", tar_bytes({"dev/null": Special("chr"), "dev/sda": Special("blk"), "pipe": Special("fifo")}))
    assert _rules(_events(path)) == {("walk.special-file", f"{path}!/{n}") for n in ("dev/null", "dev/sda", "pipe")}
    enc = write(tmp_path, "e.zip", zip_bytes({"secret.txt": "x", "open.txt": "y"}, encrypted=["secret.txt"]))
    events = _events(enc)
    assert _rules(events) == {("walk.encrypted", f"{enc}!/secret.txt")}
    assert f"{enc}!/open.txt" in _blobs(events)
    zst = write(tmp_path, "z.tgz", npm_tarball({"data.zst": b"\x28\xb5\x2f\xfd" + b"\0" * 20}))
    assert ("walk.unsupported-format", f"{zst}!/package/data.zst") in _rules(_events(zst))
    for archive in (path, enc, zst):
        assert scan([str(archive)], Config()).exit_code is ExitCode.BLOCKED


def test_corrupt_archives_are_scan_errors_and_the_rest_is_reported(tmp_path: Path) -> None:
    token = github_token(seed=501)
    good = npm_tarball({"a.js": f"t='{token}'", "b.js": os.urandom(20000).hex()})
    cut = write(tmp_path, "cut.tgz", good[: len(good) // 2])
    verdict = scan([str(cut)], Config())
    assert verdict.exit_code is ExitCode.SCAN_ERROR
    assert [p.kind for p in verdict.problems] == ["corrupt"]
    assert "github.pat-classic" in {f.rule_id for f in verdict.blocking}
    raw = bytearray(zip_bytes({"a.txt": "hello world " * 100, "b.txt": f"t='{token}'"}))
    raw[raw.find(b"PK\x01\x02") - 10] ^= 0xFF  # damage a.txt's data: bad CRC (zip members are independent)
    crc = write(tmp_path, "crc.zip", bytes(raw))
    events = _events(crc)
    assert [type(e).__name__ for e in events if isinstance(e, Problem)] == ["Problem"]
    assert scan([str(crc)], Config()).exit_code is ExitCode.SCAN_ERROR


def test_directory_symlinks_are_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"t='{github_token(seed=502)}'")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.txt").write_text("x")
    os.symlink(outside, pkg / "link.txt")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    events = _events(pkg)
    assert set(_blobs(events)) == {f"{pkg}/a.txt"}
    assert _rules(events) == {("walk.link-escapes", f"{pkg}/link.txt")}
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_invalid_utf8_names_and_duplicates(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1") as archive:
        for name in ("caf\xe9.txt", "dup.txt", "dup.txt"):
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))
    path = write(tmp_path, "names.tar", raw.getvalue())
    verdict = scan([str(path)], Config())
    # A name that is not UTF-8 is read; a duplicate blocks: extractors disagree which copy wins.
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [("walk.duplicate-member", "dup.txt")]
    assert verdict.stats.members == 3


def test_thousand_levels_of_gzip_and_many_empty_members(tmp_path: Path) -> None:
    data = b"x"
    for _ in range(50):
        data = compress(data, "gz")
    path = write(tmp_path, "onion.gz", data)
    assert any("max-depth" in m for m in _limit(_events(path)))
    many = tar_bytes({f"e{i}": "" for i in range(3000)}, compression="gz")
    events = _events(write(tmp_path, "many.tgz", many), Limits(max_members=1000))
    assert any("max-members" in m for m in _limit(events))
