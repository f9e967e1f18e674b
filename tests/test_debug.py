"""A bug inside leakguard is named as one (exit 3, one line), never "corrupt" and never a pass;
``--debug`` and ``LEAKGUARD_DEBUG=1`` show its traceback. The bug is planted in the real CLI's
process by a sitecustomize module on its path (the only way to have a bug on demand)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.archives import npm_tarball, write

PLANTS = {
    # An analyzer that fails on one member: the scan goes on, that blob is an internal-error problem.
    "analyzer": """
from leakguard.match import analyzers
from leakguard.match.analyzers import Step
def boom(detector, blob, prepared):
    if blob.origin.inner.endswith("bad.js"):
        raise RuntimeError("planted bug")
    return Step()
analyzers.ANALYZERS["boom"] = boom
""",
    # A bug outside any artifact (the text reporter): the one-line last resort.
    "reporter": """
from leakguard.report import text
def render(*args, **kwargs):
    raise RuntimeError("planted bug")
text.render = render
from leakguard import report
report.REPORTERS["text"] = render
""",
}


def _run(tmp_path: Path, plant: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(PLANTS[plant])
    full = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join([str(site), *sys.path]), **(env or {})}
    if "LEAKGUARD_DEBUG" not in (env or {}):
        full.pop("LEAKGUARD_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "leakguard", *args], cwd=tmp_path, capture_output=True, text=True,
                          env=full, timeout=120)


def _artifact(tmp_path: Path) -> Path:
    return write(tmp_path, "pkg.tgz", npm_tarball({"ok.js": "const a = 1;\n", "bad.js": "const b = 2;\n"}))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_analyzer_bug_is_an_internal_error_of_its_member_and_fails_closed(tmp_path: Path, jobs: str) -> None:
    result = _run(tmp_path, "analyzer", "scan", "--jobs", jobs, "--format", "json", str(_artifact(tmp_path)))
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "error"
    [error] = report["errors"]
    assert error["path"].endswith("package/bad.js")
    assert "internal error (RuntimeError)" in error["message"] and "bug in leakguard" in error["message"]
    assert "corrupt" not in error["message"]
    assert "Traceback" not in result.stderr


def test_debug_prints_the_traceback_of_an_internal_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "analyzer", "--debug", "scan", str(_artifact(tmp_path)))
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise RuntimeError("planted bug")' in result.stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_unexpected_error_is_one_line_unless_debugging(tmp_path: Path, how: str) -> None:
    target = str(_artifact(tmp_path))
    plain = _run(tmp_path, "reporter", "scan", target)
    assert plain.returncode == 3
    assert plain.stderr.strip().splitlines() == [
        "leakguard: unexpected error (RuntimeError); this is a bug in leakguard, please report it with the "
        "command you ran"]
    debug = (_run(tmp_path, "reporter", "--debug", "scan", target) if how == "flag"
             else _run(tmp_path, "reporter", "scan", target, env={"LEAKGUARD_DEBUG": "1"}))
    assert debug.returncode == 3
    assert "Traceback (most recent call last)" in debug.stderr and "planted bug" in debug.stderr
    assert debug.stderr.rstrip().endswith("please report it with the command you ran")
