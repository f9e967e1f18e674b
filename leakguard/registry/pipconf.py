"""The package index pip would use, read from the user's pip configuration without running pip.

pip's order (pip's ``configuration.py``), later overriding earlier:

1. global: ``$XDG_CONFIG_DIRS/pip/pip.conf`` (``/etc/xdg/pip/pip.conf``), then ``/etc/pip.conf``;
2. user: ``~/.pip/pip.conf``, then ``$XDG_CONFIG_HOME/pip/pip.conf`` (``~/.config/pip/pip.conf``),
   skipped when ``PIP_CONFIG_FILE`` names a file that exists;
3. site: ``$VIRTUAL_ENV/pip.conf``;
4. ``PIP_CONFIG_FILE`` (``os.devnull`` there means: no configuration files at all);

and within the files, a command's section beats ``[global]``: ``[download]`` (what leakguard does)
then ``[install]``. ``PIP_INDEX_URL`` beats them all. ``extra-index-url`` is not used: a spec
names one release on one index (merging indexes is how dependency confusion happens).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from leakguard.errors import ConfigError

SECTIONS = ("download", "install", "global")  # highest priority first


@dataclass(frozen=True, slots=True)
class Setting:
    """A configured value and where it was set (``PIP_INDEX_URL``, ``/etc/pip.conf [global]``)."""

    value: str
    where: str


def files(environ: Mapping[str, str], system: Path = Path("/etc")) -> list[Path]:
    """pip's configuration files in the order pip loads them (later ones override); ``system`` is
    where ``pip.conf`` and the default ``xdg/`` folder are (``/etc``)."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    home = Path(environ.get("HOME") or Path.home())
    xdg_dirs = [d for d in (environ.get("XDG_CONFIG_DIRS") or str(system / "xdg")).split(os.pathsep) if d]
    found = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs] + [system / "pip.conf"]
    if not (env_file and Path(env_file).exists()):
        user = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
        found += [home / ".pip" / "pip.conf", user / "pip" / "pip.conf"]
    if environ.get("VIRTUAL_ENV"):
        found.append(Path(environ["VIRTUAL_ENV"]) / "pip.conf")
    if env_file:
        found.append(Path(env_file))
    return found


def setting(key: str, environ: Mapping[str, str] | None = None, system: Path = Path("/etc")) -> Setting | None:
    """The value pip would use for ``key`` (``index-url``), or ``None`` when pip uses its default."""
    env = os.environ if environ is None else environ
    variable = "PIP_" + key.upper().replace("-", "_")
    if env.get(variable, "").strip():
        return Setting(env[variable].strip(), variable)
    best: dict[str, Setting] = {}
    for path in files(env, system):
        parser = _read(path)
        for section in parser.sections():
            for name, value in parser.items(section, raw=True):
                if _normalise(name) == key and section in SECTIONS and value.strip():
                    best[section] = Setting(value.strip(), f"{path} [{section}]")
    return next((best[s] for s in SECTIONS if s in best), None)


def _read(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return parser
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read pip configuration: {exc}") from None
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigError(f"{path}: not a valid pip configuration: {str(exc).splitlines()[0]}") from None
    return parser


def _normalise(name: str) -> str:
    """pip's spelling rules: case-insensitive, ``_`` as ``-``, an optional leading ``--``."""
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name
