"""Import direction (STYLE.md): cli -> app -> {walk, match, policy}; walk never imports match or
policy; report never imports app; model imports only the stdlib and
leakguard.enums; enums only the stdlib."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "leakguard"

FORBIDDEN = {
    "leakguard.walk": ("leakguard.match", "leakguard.policy", "leakguard.app", "leakguard.cli", "leakguard.report"),
    "leakguard.match": ("leakguard.walk", "leakguard.policy", "leakguard.app", "leakguard.cli", "leakguard.report"),
    "leakguard.report": ("leakguard.app", "leakguard.cli", "leakguard.walk", "leakguard.match"),
    "leakguard.policy": ("leakguard.app", "leakguard.cli", "leakguard.match", "leakguard.report"),
    "leakguard.enums": ("leakguard.",),
    "leakguard.model": ("leakguard.",),
    "leakguard.errors": ("leakguard.walk", "leakguard.match", "leakguard.policy", "leakguard.app", "leakguard.cli"),
    "leakguard.app": ("leakguard.cli", "leakguard.report"),
    # Registry audits sit beside app: they call the library, never the CLI or the report layer.
    "leakguard.audit": ("leakguard.cli", "leakguard.report"),
}
# Exceptions to FORBIDDEN: the core types re-export the enums.
ALLOWED = {"leakguard.model": ("leakguard.enums",)}


def _module(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_import_direction() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = _module(path)
        for owner, banned in FORBIDDEN.items():
            if module == owner or module.startswith(owner + "."):
                for imported in _imports(path):
                    if any(imported == b or imported.startswith(b) for b in banned) and not imported.startswith(owner) \
                            and imported not in ALLOWED.get(owner, ()):
                        violations.append(f"{module} imports {imported}")
    assert violations == []
