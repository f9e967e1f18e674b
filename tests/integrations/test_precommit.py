"""The pre-commit hooks with the real pre-commit, via `pre-commit try-repo` on this repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.tokens import github_token


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the module: the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _repo(path: Path) -> Path:
    path.mkdir()
    for args in (["init", "-q"], ["config", "user.email", "dev@example.com"], ["config", "user.name", "Dev"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    return path


def _try_repo(repo: Path, home: Path, hook: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--color", "never", *extra],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )


def test_staged_secret_fails_clean_passes_inline_allow_passes(tmp_path: Path, precommit_home: Path) -> None:
    repo = _repo(tmp_path / "work")
    token = github_token(seed=81)
    (repo / "settings.py").write_text(f"DEBUG = False\nGITHUB_TOKEN = '{token}'\n")
    subprocess.run(["git", "add", "settings.py"], cwd=repo, check=True)
    failing = _try_repo(repo, precommit_home, "leakguard")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "github.pat-classic  settings.py:2:17" in failing.stdout
    assert token not in failing.stdout

    (repo / "settings.py").write_text("DEBUG = False\nGITHUB_TOKEN = os.environ['GITHUB_TOKEN']\n")
    subprocess.run(["git", "add", "settings.py"], cwd=repo, check=True)
    passing = _try_repo(repo, precommit_home, "leakguard")
    assert passing.returncode == 0, passing.stdout + passing.stderr

    (repo / "settings.py").write_text(
        f"TEST_TOKEN = '{token}'  # leakguard:allow github.pat-classic revoked test token\n")
    subprocess.run(["git", "add", "settings.py"], cwd=repo, check=True)
    allowed = _try_repo(repo, precommit_home, "leakguard")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_dist_hook_scans_built_artifacts(tmp_path: Path, precommit_home: Path) -> None:
    from tests.helpers.archives import npm_tarball, source_map, write

    repo = _repo(tmp_path / "work")
    (repo / "README.md").write_text("x\n")
    subprocess.run(["git", "add", "README.md"], cwd=repo, check=True)
    missing = _try_repo(repo, precommit_home, "leakguard-dist", "--hook-stage", "manual")
    assert missing.returncode != 0 and "dist: no such file or directory" in missing.stdout
    write(repo / "dist", "app-1.0.0.tgz", npm_tarball({"a.js.map": source_map([("../src/a.ts", "x\n")])}))
    failing = _try_repo(repo, precommit_home, "leakguard-dist", "--hook-stage", "manual")
    assert failing.returncode == 1
    assert "dist/app-1.0.0.tgz!/package/a.js.map" in failing.stdout
