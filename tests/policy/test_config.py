"""Config discovery and validation: every key checked, errors name file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.errors import ConfigError
from leakguard.model import Severity
from leakguard.policy.config import Config, discover, load_config
from leakguard.walk.limits import Limits


def test_defaults_without_config(tmp_path: Path) -> None:
    assert load_config(start=tmp_path) == Config()


def test_pyproject_section_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.leakguard]\nfail-on = "medium"\npublic-sources = true\n[tool.leakguard.limits]\nmax-depth = 3\n'
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    config = load_config(start=deep)
    assert (config.fail_on, config.public_sources, config.limits.max_depth) == (Severity.MEDIUM, True, 3)
    assert config.limits.max_members == Limits().max_members
    assert config.source == tmp_path / "pyproject.toml"


def test_pyproject_without_section_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.leakguard]\nfail-on = "low"\n')
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert discover(inner) == tmp_path / "pyproject.toml"


def test_leakguard_toml_wins_in_same_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.leakguard]\nfail-on = "low"\n')
    (tmp_path / ".leakguard.toml").write_text('fail-on = "critical"\n')
    assert load_config(start=tmp_path).fail_on is Severity.CRITICAL


def test_explicit_config_file_of_either_kind(tmp_path: Path) -> None:
    named = tmp_path / "ci.toml"
    named.write_text('fail-on = "low"\n')
    assert load_config(named).fail_on is Severity.LOW
    proj = tmp_path / "pyproject.toml"
    proj.write_text('[tool.leakguard]\nfail-on = "medium"\n')
    assert load_config(proj).fail_on is Severity.MEDIUM


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('fail-on = "sometimes"', "fail-on: expected one of low, medium, high, critical, got 'sometimes'"),
        ("fail-on = 3", "fail-on: expected a severity string, got int"),
        ("colour = true", "colour: unknown key; expected one of"),
        ('public-sources = "yes"', "public-sources: expected true or false, got 'yes'"),
        ("exclude = 'x'", "exclude: expected a list of strings"),
        ("[limits]\nmax-depth = 0", "limits.max-depth: expected a positive integer"),
        ("[limits]\nmax-ratio = true", "limits.max-ratio: expected a positive number"),
        ("[limits]\nmax-dept = 3", "limits.max-dept: unknown limit"),
        ("limits = 3", "limits: expected a table"),
        ('severity = { "jwt.token" = "urgent" }', "severity.jwt.token: expected one of"),
        ("fail-on = ", "not valid TOML"),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / ".leakguard.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_broken_pyproject_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.leakguard\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(start=tmp_path)
