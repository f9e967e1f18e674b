"""leakguard's version: the one place it is written. ``pyproject.toml`` reads it from here
(``[tool.setuptools.dynamic]``), so the installed metadata always agrees, and ``--version`` does
not import ``importlib.metadata`` (30-40 ms of every start-up)."""

from __future__ import annotations

VERSION = "0.1.0"


def version() -> str:
    """The version of this leakguard."""
    return VERSION
