"""Reports never hand the reader what the artifact put in a name: terminal escapes, bidi
overrides, workflow commands, mentions and links, undecodable bytes (issue 22)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leakguard.report.safe import clean
from tests.helpers import bombs
from tests.helpers.tokens import github_token

# ESC [2J (clear), OSC 8 hyperlink, CR + erase line, a bidi override, a workflow command after a
# newline, a mention, a link, and a byte that is not UTF-8.
NAME = (b"package/\x1b[2J\x1b]8;;https://evil.example\x07x\x1b]8;;\x07\r\x1b[K"
        b"\xe2\x80\xaegnp.exe\n::error::pwned @acme/security https://evil.example \xff.js")


def _tarball(tmp_path: Path) -> Path:
    """A tar whose one member (named NAME, as a GNU long name) holds a token."""
    long_name = bombs.tar_header("././@LongLink", len(NAME) + 1, b"L") + NAME + b"\0" + bombs.padding(len(NAME) + 1)
    data = long_name + bombs.tar_member("package/x", f"t = '{github_token(seed=2210)}'\n".encode())
    path = tmp_path / "evil-1.0.0.tar"
    path.write_bytes(data + bombs.END)
    return path


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "leakguard", "scan", "-j", "1", *args], cwd=tmp_path,
                          capture_output=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120)


def test_clean_escapes_controls_bidi_and_undecodable_bytes() -> None:
    assert clean("a\x1b[2Jb\rc\nd\te\u202ef\x85g\udcffh") == "a\\x1b[2Jb\\rc\\nd\te\\u202ef\\x85g\\xffh"


def test_text_report(tmp_path: Path) -> None:
    result = _run(tmp_path, _tarball(tmp_path).name)
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert not any(line.startswith("::") for line in out.splitlines())
    assert "\\x1b[2J" in out and "\\u202e" in out and "\\n::error::pwned" in out and "\\xff.js" in out


def test_github_annotations(tmp_path: Path) -> None:
    result = _run(tmp_path, "--format", "github", _tarball(tmp_path).name)
    lines = result.stdout.decode("utf-8").splitlines()
    assert all(line.startswith(("::error file=", "::warning file=", "::notice ", "::notice::")) for line in lines)
    assert all("\x1b" not in line for line in lines)
    assert any("%0A" not in line and "\\n%3A%3Aerror%3A%3Apwned" in line for line in lines)


def test_markdown(tmp_path: Path) -> None:
    result = _run(tmp_path, "--format", "markdown", _tarball(tmp_path).name)
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out and "\u202e" not in out
    # Names sit in code spans (no mention, no link inside them); text outside is defanged.
    for line in out.splitlines():
        outside = "".join(part for i, part in enumerate(line.split("`")) if i % 2 == 0)
        assert "@acme" not in outside and "https://" not in outside


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_keep_undecodable_names(tmp_path: Path, fmt: str) -> None:
    result = _run(tmp_path, "--format", fmt, "-o", f"report.{fmt}", _tarball(tmp_path).name)
    assert result.returncode == 1, result.stderr
    doc = json.loads((tmp_path / f"report.{fmt}").read_text(encoding="utf-8"))
    # The name decodes to what the archive holds: its 0xff byte as surrogateescape's U+DCFF.
    name = NAME.decode("utf-8", "surrogateescape")
    if fmt == "json":
        assert [f["location"]["path"] for f in doc["findings"]] == [f"evil-1.0.0.tar!/{name}"]
    else:
        [result] = doc["runs"][0]["results"]
        assert result["properties"]["leakguard/chain"] == ["evil-1.0.0.tar", name]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("%FF.js")
