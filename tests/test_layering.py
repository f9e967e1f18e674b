"""Import direction, for every module of the package (STYLE.md, issue 21):

    cli -> app -> pipeline -> {walk, match, policy, report, execute, registry} -> {facts, ruleset} -> model

Each module belongs to one unit (a top-level module or subpackage); a unit may import only the units
listed for it. A new module that no unit claims fails the test, so the table stays complete.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "leakguard"

BASE = {"enums", "model", "errors", "about"}
# unit -> the units it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "enums": set(),
    "about": set(),
    "model": {"enums"},
    "errors": {"enums"},
    "facts": BASE,
    "rulecache": BASE,
    # Bounded reads of the files a user names; the ReDoS check of a user's regexes.
    "textfile": BASE,
    "redos": BASE,
    "ruleset": BASE | {"rulecache", "textfile", "redos"},
    "walk": BASE,
    "execute": BASE,
    "registry": BASE,
    "match": BASE | {"facts", "ruleset", "rulecache", "redos"},
    "policy": BASE | {"facts", "textfile"},
    "report": BASE | {"facts"},
    "pipeline": BASE | {"facts", "walk", "match", "execute", "policy"},
    "app": BASE | {"facts", "pipeline", "walk", "match", "execute", "policy"},
    "npm": BASE,
    "cli": BASE | {"facts", "app", "pipeline", "policy", "report", "registry", "npm", "match", "ruleset", "execute",
                   "cli_options", "cli_targets", "textfile"},
    "cli_options": BASE,
    "cli_targets": BASE | {"registry"},
    "__main__": {"cli"},
    # The package's lazy public API re-exports names from the layers below it.
    "__init__": BASE | {"app", "pipeline", "facts", "policy", "ruleset", "model"},
}
# Single modules a unit may import outside its list, each with its reason.
EXCEPTIONS: dict[str, set[str]] = {
    # The configuration holds the walker's limits (a frozen value type) among its settings.
    "leakguard/policy/config.py": {"walk.limits"},
}


def _unit(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    """Every leakguard unit a module imports (top-level, inside functions and TYPE_CHECKING alike),
    less the single modules its exceptions allow."""
    tree = ast.parse(path.read_text())
    allowed = EXCEPTIONS.get(str(path.relative_to(PACKAGE.parent)), set())
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "leakguard" else [f"leakguard.{a.name}" for a in node.names]
        found.update(name.split(".")[1] for name in names
                     if name.startswith("leakguard.") and name.removeprefix("leakguard.") not in allowed)
    return found


def test_every_module_belongs_to_a_unit() -> None:
    units = {_unit(path) for path in PACKAGE.rglob("*.py")}
    assert units - ALLOWED.keys() == set()


def test_import_direction() -> None:
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path)
        for imported in _imports(path) - {unit} - ALLOWED.get(unit, set()):
            violations.append(f"{path.relative_to(PACKAGE.parent)} ({unit}) imports {imported}")
    assert violations == []


def test_walk_and_match_know_nothing_of_each_other_or_of_policy() -> None:
    for unit, banned in (("walk", {"match", "policy", "pipeline", "app"}), ("match", {"walk", "policy", "pipeline"}),
                         ("policy", {"match", "walk", "pipeline", "app"}), ("report", {"app", "pipeline"})):
        assert not ALLOWED[unit] & banned, unit
