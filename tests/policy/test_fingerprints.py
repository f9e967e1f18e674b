"""Fingerprints name the package by its own metadata, not the file it came in: renaming the tarball
or piping it on stdin keeps every baseline entry working, and baselines written before (keyed by the
file name) still apply."""

from __future__ import annotations

import json
from pathlib import Path

from leakguard.app import scan
from leakguard.model import Finding
from leakguard.policy.config import Config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, wheel, write
from tests.helpers.tokens import github_token

TOKEN = github_token(seed=21)


def _release(version: str) -> bytes:
    return npm_tarball({"lib/settings.js": f"module.exports = '{TOKEN}';\n"}, name="@acme/tool", version=version)


def test_the_fingerprint_names_the_package_whatever_the_file_is_called(tmp_path: Path) -> None:
    first = write(tmp_path, "acme-tool-1.0.1.tgz", _release("1.0.1"))
    renamed = write(tmp_path, "tool-1.0.1.tgz", _release("1.0.1"))
    [a] = scan([str(first)], Config()).blocking
    [b] = scan([str(renamed)], Config()).blocking
    assert a.package == b.package == "npm:@acme/tool"
    assert a.fingerprint == b.fingerprint
    assert a.legacy_fingerprint != b.legacy_fingerprint  # by file name they differed


def test_a_baseline_survives_a_rename_and_stdin(tmp_path: Path) -> None:
    write(tmp_path, "acme-tool-1.0.1.tgz", _release("1.0.1"))
    made = run_cli("baseline", "create", "-o", "base.json", "acme-tool-1.0.1.tgz", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    write(tmp_path, "tool-1.0.2.tgz", _release("1.0.2"))
    renamed = run_cli("scan", "--baseline", "base.json", "tool-1.0.2.tgz", cwd=tmp_path)
    piped = run_cli("scan", "--baseline", "base.json", "-", cwd=tmp_path, input=_release("1.0.2"))
    assert (renamed.returncode, piped.returncode) == (0, 0), renamed.stdout + piped.stdout
    entries = json.loads((tmp_path / "base.json").read_text())["entries"]
    assert [e["path"] for e in entries] == ["npm:@acme/tool!/package/lib/settings.js"]


def test_a_baseline_written_by_file_name_still_applies(tmp_path: Path) -> None:
    path = write(tmp_path, "acme-tool-1.0.1.tgz", _release("1.0.1"))
    [finding] = scan([str(path)], Config()).blocking
    legacy = {"version": 1, "entries": [{"fingerprint": finding.legacy_fingerprint, "rule": finding.rule_id,
                                         "path": "acme-tool.tgz!/package/lib/settings.js",
                                         "reason": "accepted before the upgrade"}]}
    (tmp_path / "old.json").write_text(json.dumps(legacy))
    result = run_cli("scan", "--format", "json", "--baseline", "old.json", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    [suppressed] = json.loads(result.stdout)["findings"]
    assert suppressed["suppressed"] == {"kind": "baseline", "reason": "accepted before the upgrade"}


def test_wheels_are_named_by_their_normalised_project_name(tmp_path: Path) -> None:
    whl = wheel({"acme_tool/conf.py": f"TOKEN = '{TOKEN}'\n"}, name="Acme_Tool", version="1.0")
    [finding] = scan([str(write(tmp_path, "Acme_Tool-1.0-py3-none-any.whl", whl))], Config()).blocking
    assert finding.package == "pypi:acme-tool"


def test_a_plain_file_has_no_package_and_keeps_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "settings.js", f"x = '{TOKEN}'\n".encode())
    [finding] = scan([str(path)], Config()).blocking
    assert finding.package == "" and finding.fingerprint == finding.legacy_fingerprint
    assert isinstance(finding, Finding)
