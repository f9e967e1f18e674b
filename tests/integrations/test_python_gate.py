"""The Python release gate with a real build backend: hatchling packs an untracked .env into the
sdist; `leakguard scan dist/*` fails the release."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli
from tests.helpers.tokens import github_token

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo-gate"
version = "0.1.0"
license = "MIT"
"""


def _project(root: Path, token: str) -> Path:
    (root / "src" / "demo_gate").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "README.md").write_text("# demo\n")
    (root / "src" / "demo_gate" / "__init__.py").write_text("ANSWER = 42\n")
    (root / ".gitignore").write_text("dist/\n__pycache__/\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "pyproject.toml", "README.md", "src", ".gitignore"], cwd=root, check=True)
    # Not committed, not ignored: hatchling still packs it into the sdist.
    (root / ".env").write_text(f"GITHUB_TOKEN={token}\n")
    return root


def test_untracked_env_in_sdist_fails_the_release(tmp_path: Path) -> None:
    token = github_token(seed=71)
    project = _project(tmp_path / "proj", token)
    build = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", "dist", "."],
                           cwd=project, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    sdist = project / "dist" / "demo_gate-0.1.0.tar.gz"
    wheel = project / "dist" / "demo_gate-0.1.0-py2.py3-none-any.whl"
    assert sdist.is_file() and wheel.is_file()
    result = run_cli("scan", "--format", "json", "dist/demo_gate-0.1.0.tar.gz",
                     "dist/demo_gate-0.1.0-py2.py3-none-any.whl", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert {(a["kind"], a["name"], a["version"]) for a in doc["artifacts"]} == {
        ("sdist", "demo-gate", "0.1.0"), ("wheel", "demo-gate", "0.1.0")}
    blocking = {(f["rule"], f["location"]["path"], f["location"]["line"]) for f in doc["findings"] if f["blocking"]
                and f["category"] == "credential"}
    assert blocking == {("github.pat-classic", "dist/demo_gate-0.1.0.tar.gz!/demo_gate-0.1.0/.env", 1)}
    assert token not in result.stdout
    # The wheel alone is clean: the gate passes it.
    assert run_cli("scan", "dist/demo_gate-0.1.0-py2.py3-none-any.whl", cwd=project).returncode == 0
