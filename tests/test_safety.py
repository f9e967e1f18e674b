"""The tool's own safety, checked on its source: what may run processes, touch the network or
load code. A change that adds any of these outside the allowed module fails here."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "leakguard"

# module -> what it may use, and why
ALLOWED = {
    "subprocess": {"leakguard/npm.py"},  # `leakguard npm` runs `npm pack`, as a publish would
    # only for npm:/pypi: registry specs, and all of it in the one module that makes requests
    "urllib": {"leakguard/registry/http.py"},
    "http": {"leakguard/registry/http.py"},
    "socket": set(),
    "ssl": set(),
    # worker processes: forked from the scan itself, in the executor that owns them; tasks and
    # answers are pickled by concurrent.futures over the pool's own pipes, produced by this process
    # image only, never read from a file, a pipe of another program or the network
    "concurrent": {"leakguard/execute/processes.py"},
    # ... and an audit's rate limiter: a lock and a few numbers in memory shared with the workers it
    # forks (no pickling, nothing read from outside)
    "multiprocessing": {"leakguard/execute/processes.py", "leakguard/audit/gate.py"},
    "pickle": set(),
    "marshal": set(),
    "ctypes": set(),
}
BANNED_CALLS = {"eval", "exec", "compile", "__import__"}


def _sources() -> list[tuple[str, ast.Module]]:
    root = PACKAGE.parent
    return [(p.relative_to(root).as_posix(), ast.parse(p.read_text())) for p in sorted(PACKAGE.rglob("*.py"))]


def test_process_network_and_code_loading_stay_where_they_belong() -> None:
    violations = []
    for name, tree in _sources():
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            for module in modules:
                if module == "urllib.parse":  # string parsing only
                    continue
                top = module.split(".")[0]
                if top in ALLOWED and name not in ALLOWED[top]:
                    violations.append(f"{name} imports {module}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BANNED_CALLS:
                violations.append(f"{name} calls {node.func.id}()")
            if isinstance(node, ast.Attribute) and node.attr in {"system", "popen", "execv", "execve", "spawnv"} \
                    and isinstance(node.value, ast.Name) and node.value.id == "os":
                violations.append(f"{name} uses os.{node.attr}")
    assert violations == []


def test_config_and_rules_cannot_import_code() -> None:
    # Config and rule files are data: their loaders never import modules by name.
    for name, tree in _sources():
        if name not in ("leakguard/policy/config.py", "leakguard/ruleset.py", "leakguard/policy/baseline.py"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"import_module", "load_module", "exec_module"}:
                raise AssertionError(f"{name} loads code via {node.attr}")


def test_secret_never_in_repr_of_findings() -> None:
    from leakguard.model import Category, Finding, Origin, Secret, Severity

    value = b"ghp_" + b"Z" * 36
    finding = Finding("x.y", Category.CREDENTIAL, Severity.HIGH, Origin(("a",)), "m", secret=Secret(value))
    assert value.decode() not in repr(finding) and value.decode() not in str(finding)
