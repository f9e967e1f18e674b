"""Files a user (or a pull request) names: config, baseline, codenames, rule files. Endless,
huge, non-UTF-8 and deeply nested ones are one line naming the file, exit 2 (issue 22)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RULE = '''[[rules]]
id = "acme.token"
title = "ACME token"
severity = "high"
keywords = ["acme_"]
regex = \'\'\'{regex}\'\'\'
references = ["https://example.com/docs/tokens"]
examples = ["acme_abcdef x", "acme_zzzzzz x"]
negative-examples = ["acme_", "nothing here"]
'''


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leakguard", *args], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=120)


def _usage_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and "unexpected" not in line
    for word in words:
        assert word in line


def _target(tmp_path: Path) -> str:
    (tmp_path / "a.txt").write_text("hello\n")
    return "a.txt"


@pytest.mark.parametrize("option", ["--config", "--baseline", "--codenames-file"])
def test_endless_files(tmp_path: Path, option: str) -> None:
    _usage_error(_cli(tmp_path, "scan", option, "/dev/zero", _target(tmp_path)), "/dev/zero", "larger than")


def test_baseline_key_naming_an_endless_file(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text('baseline = "/dev/zero"\n')
    _usage_error(_cli(tmp_path, "scan", _target(tmp_path)), "/dev/zero", "cannot read baseline")


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_bytes(b'fail-on = "\xff"\n')
    _usage_error(_cli(tmp_path, "scan", _target(tmp_path)), ".leakguard.toml", "not UTF-8")


def test_codenames_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "names.txt").write_bytes(b"capy\xffbara\n")
    _usage_error(_cli(tmp_path, "scan", "--codenames-file", "names.txt", _target(tmp_path)), "names.txt", "UTF-8")


def test_deeply_nested_toml_and_json(tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    _usage_error(_cli(tmp_path, "scan", "--config", "deep.toml", _target(tmp_path)), "deep.toml", "nested too deeply")
    (tmp_path / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    _usage_error(_cli(tmp_path, "scan", "--baseline", "deep.json", _target(tmp_path)), "deep.json", "nested too deeply")
    (tmp_path / "pyproject.toml").write_text("[tool.x]\na = " + "{b = " * 50_000 + "1" + "}" * 50_000 + "\n")
    _usage_error(_cli(tmp_path, "scan", _target(tmp_path)), "pyproject.toml", "nested too deeply")


def test_codename_pattern_that_backtracks_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text('codename-patterns = ["capy(b+)+ara"]\n')
    _usage_error(_cli(tmp_path, "scan", _target(tmp_path)), "codename-patterns", "can backtrack catastrophically")
    (tmp_path / ".leakguard.toml").write_text('codename-patterns = ["capy(bara|barb)[0-9]*"]\n')
    assert _cli(tmp_path, "scan", _target(tmp_path)).returncode == 0


def test_rule_file_regex_that_backtracks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(RULE.format(regex=r"acme_(\w+\s?)+x"))
    (tmp_path / ".leakguard.toml").write_text('rules = ["mine.toml"]\n')
    _usage_error(_cli(tmp_path, "scan", _target(tmp_path)), "mine.toml", "acme.token", "backtrack")
    _usage_error(_cli(tmp_path, "rules", "check", "mine.toml"), "mine.toml", "acme.token", "backtrack")
    (tmp_path / "mine.toml").write_text(RULE.format(regex=r"acme_[a-z]{6} x"))
    checked = _cli(tmp_path, "rules", "check", "mine.toml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 problems" in checked.stdout
