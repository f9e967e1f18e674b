"""leakguard's version: the one place it is written. ``pyproject.toml`` reads it from here
(``[tool.setuptools.dynamic]``), so the installed metadata always agrees, and ``--version`` does
not import ``importlib.metadata``, which would be most of ``leakguard --version``'s start-up."""

from __future__ import annotations

VERSION = "0.1.0"


def version() -> str:
    """The version of this leakguard."""
    return VERSION
