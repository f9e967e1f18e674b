"""The index pip would use, from pip's environment variable and configuration files, in pip's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakguard import registry
from leakguard.errors import ConfigError, UsageError
from leakguard.registry import pipconf


def _conf(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A system folder (for /etc) and an environment with a home and a virtualenv, all empty."""
    home = tmp_path / "home"
    home.mkdir()
    return tmp_path / "etc", {"HOME": str(home), "VIRTUAL_ENV": str(tmp_path / "venv")}


def _index(machine: tuple[Path, dict[str, str]], **env: str) -> pipconf.Setting | None:
    system, base = machine
    return pipconf.setting("index-url", {**base, **env}, system)


def test_pip_order_later_files_win(machine: tuple[Path, dict[str, str]]) -> None:
    system, env = machine
    home, venv = Path(env["HOME"]), Path(env["VIRTUAL_ENV"])
    assert _index(machine) is None
    _conf(system / "xdg" / "pip" / "pip.conf", "[global]\nindex-url = https://xdg.example/simple\n")
    assert _index(machine) == pipconf.Setting("https://xdg.example/simple", f"{system}/xdg/pip/pip.conf [global]")
    _conf(system / "pip.conf", "[global]\nindex-url = https://etc.example/simple\n")
    assert _index(machine).value == "https://etc.example/simple"  # type: ignore[union-attr]
    _conf(home / ".pip" / "pip.conf", "[global]\nindex_url = https://legacy.example/simple\n")
    assert _index(machine).value == "https://legacy.example/simple"  # type: ignore[union-attr]
    _conf(home / ".config" / "pip" / "pip.conf", "[global]\nINDEX-URL = https://user.example/simple\n")
    assert _index(machine).value == "https://user.example/simple"  # type: ignore[union-attr]
    _conf(venv / "pip.conf", "[global]\nindex-url = https://venv.example/simple\n")
    assert _index(machine).value == "https://venv.example/simple"  # type: ignore[union-attr]
    env_file = _conf(home / "custom.conf", "[global]\nindex-url = https://env-file.example/simple\n")
    assert _index(machine, PIP_CONFIG_FILE=str(env_file)).value == "https://env-file.example/simple"  # type: ignore[union-attr]
    assert _index(machine, PIP_INDEX_URL="https://variable.example/simple") == pipconf.Setting(
        "https://variable.example/simple", "PIP_INDEX_URL")


def test_config_file_variable_skips_user_files_and_devnull_skips_all(machine: tuple[Path, dict[str, str]]) -> None:
    system, env = machine
    home = Path(env["HOME"])
    _conf(system / "pip.conf", "[global]\nindex-url = https://etc.example/simple\n")
    _conf(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = https://user.example/simple\n")
    other = _conf(home / "other.conf", "[global]\ntimeout = 5\n")
    # A PIP_CONFIG_FILE that exists replaces the user's files, not the global ones.
    assert _index(machine, PIP_CONFIG_FILE=str(other)).value == "https://etc.example/simple"  # type: ignore[union-attr]
    assert _index(machine, PIP_CONFIG_FILE="/dev/null") is None


def test_command_sections_beat_global_whatever_the_file(machine: tuple[Path, dict[str, str]]) -> None:
    system, env = machine
    _conf(system / "pip.conf", "[install]\nindex-url = https://install.example/simple\n")
    _conf(Path(env["HOME"]) / ".config" / "pip" / "pip.conf",
          "[global]\nindex-url = https://global.example/simple\n[freeze]\nindex-url = https://freeze.example/\n")
    assert _index(machine) == pipconf.Setting("https://install.example/simple", f"{system}/pip.conf [install]")
    _conf(system / "xdg" / "pip" / "pip.conf", "[download]\nindex-url = https://download.example/simple\n")
    assert _index(machine).value == "https://download.example/simple"  # type: ignore[union-attr]


def test_this_machines_kind_of_config_uses_pypi(machine: tuple[Path, dict[str, str]]) -> None:
    """Only extra-index-url (file://) and find-links: pip's index is still PyPI's."""
    system, env = machine
    _conf(Path(env["HOME"]) / ".config" / "pip" / "pip.conf",
          "[global]\nfind-links = /opt/wheels\nextra-index-url = file:///opt/pypi/simple file:///opt/more/simple\n")
    _conf(system / "pip.conf", "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    assert _index(machine) is None


def test_index_url_choice_and_errors(machine: tuple[Path, dict[str, str]]) -> None:
    system, env = machine
    env = {**env, "XDG_CONFIG_DIRS": str(system / "xdg")}  # the real /etc/pip.conf stays below the user's file
    conf = _conf(Path(env["HOME"]) / ".config" / "pip" / "pip.conf", "[global]\nindex-url = file:///opt/pypi/simple\n")
    with pytest.raises(ConfigError, match=rf"^{conf} \[global\]: index-url file:///opt/pypi/simple: leakguard reads "
                                          r"http\(s\) indexes only; pass --index-url"):
        registry.index_url(None, env)
    assert registry.index_url("https://mirror.example/simple", env) == "https://mirror.example/simple"
    assert registry.index_url(None, {**env, "PIP_INDEX_URL": "http://i.example/"}) == "http://i.example/"
    with pytest.raises(UsageError, match=r"^--index-url file:///x: expected an http\(s\) Simple API root"):
        registry.index_url("file:///x", env)
    conf.write_text("[global\nindex-url = x\n")
    with pytest.raises(ConfigError, match=rf"^{conf}: not a valid pip configuration"):
        registry.index_url(None, env)
