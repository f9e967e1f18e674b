"""The command line: a thin click layer over the library, and the only package that prints or exits.

One module per job: ``group`` (the ``leakguard`` group), ``handler`` (the one error handler and
``main``), ``scan`` (``scan``, ``npm``, ``diff``), ``baseline``, ``rules``, ``settings`` (config
loading, ``init``, ``codename-hash``), ``audit`` (``audit``, ``watch``, ``findings``), ``output``
(report writing, progress), ``options`` (option groups shared by commands) and ``targets``
(registry specs and target checks). Importing the package registers every command; heavy imports
happen inside commands so that ``leakguard --version`` starts fast.
"""

from __future__ import annotations

# Each command module registers its commands on the group when imported.
from leakguard.cli import audit, baseline, rules, scan, settings  # noqa: F401
from leakguard.cli.group import cli
from leakguard.cli.handler import main

__all__ = ["cli", "main"]
