"""leakguard: a release gate that stops secrets and source code from leaking through packages.

The library API: ``scan(targets, config) -> Verdict``. The CLI (``leakguard.cli``) is a thin layer
over it. Importing this package is cheap; the scanner loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leakguard.enums import Category, ExitCode, Severity
from leakguard.errors import ArchiveError, ConfigError, LeakguardError, RuleError, ScanError, UsageError

if TYPE_CHECKING:
    from leakguard.app import scan
    from leakguard.model import Artifact, Finding, Origin, Problem, Rule, Secret, Span, Unscanned, Verdict
    from leakguard.policy.config import Config, load_config
    from leakguard.ruleset import load_rules

__all__ = [
    "ArchiveError",
    "Artifact",
    "Category",
    "Config",
    "ConfigError",
    "ExitCode",
    "Finding",
    "LeakguardError",
    "Origin",
    "Problem",
    "Rule",
    "RuleError",
    "ScanError",
    "Secret",
    "Severity",
    "Span",
    "Unscanned",
    "UsageError",
    "Verdict",
    "load_config",
    "load_rules",
    "scan",
]

_LAZY = {
    **dict.fromkeys(("Artifact", "Finding", "Origin", "Problem", "Rule", "Secret", "Span", "Unscanned", "Verdict"),
                    "leakguard.model"),
    "scan": "leakguard.app",
    "Config": "leakguard.policy.config",
    "load_config": "leakguard.policy.config",
    "load_rules": "leakguard.ruleset",
}


def __getattr__(name: str) -> Any:
    """Load the scanner (and the core dataclasses) on first use so ``import leakguard`` stays fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leakguard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
