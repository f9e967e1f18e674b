"""Release policy: ship allowlist, size budgets, diff and --against."""

from __future__ import annotations

import json
from pathlib import Path

from leakguard.app import scan
from leakguard.model import ExitCode
from leakguard.policy.config import Config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.tokens import github_token

BASE = {"dist/index.js": "module.exports = 1;\n" * 100, "README.md": "# app\n", "LICENSE": "MIT\n"}


def _release(tmp_path: Path, version: str, files: dict[str, str | bytes]) -> Path:
    return write(tmp_path, f"app-{version}.tgz", npm_tarball(files, name="app", version=version))


def test_ship_allowlist(tmp_path: Path) -> None:
    pkg = _release(tmp_path, "1.0.0", {**BASE, "notes/todo.txt": "x\n"})
    config = Config(ship=("package/dist/**", "package/package.json", "package/README.md", "package/LICENSE"))
    verdict = scan([str(pkg)], config)
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [("policy.not-in-ship", "package/notes/todo.txt")]
    assert scan([str(_release(tmp_path, "1.0.1", BASE))], config).exit_code is ExitCode.PASS


def test_size_budgets(tmp_path: Path) -> None:
    pkg = _release(tmp_path, "1.0.0", {**BASE, "dist/big.bin": b"\x00" * 5000})
    verdict = scan([str(pkg)], Config(max_unpacked_size=6000, max_file_size=4000))
    assert {(f.rule_id, f.origin.inner) for f in verdict.blocking} == {
        ("policy.max-unpacked-size", str(pkg)), ("policy.max-file-size", "package/dist/big.bin")}
    assert scan([str(pkg)], Config(max_unpacked_size=10_000, max_file_size=5000)).exit_code is ExitCode.PASS


def test_against_previous_release(tmp_path: Path) -> None:
    token = github_token(seed=91)
    old = _release(tmp_path, "1.0.0", {**BASE, "dist/legacy.js": f"t='{token}'\n",
                                       "dist/names.js": "// capybara\n"})
    new_files = {**BASE, "dist/legacy.js": f"\n\nt='{token}'\n", "dist/names.js": "// capybara fennec\n",
                 "dist/index.js.map": source_map([("../node_modules/x/i.js", "x\n")]),
                 "dist/extra.js": "y = 2;\n" * 400}
    new = _release(tmp_path, "1.1.0", new_files)
    verdict = scan([str(new)], Config(codenames=("capybara", "fennec")), against=[str(old)])
    blocking = {(f.rule_id, f.origin.inner, f.carried_over) for f in verdict.blocking}
    assert blocking == {
        ("github.pat-classic", "package/dist/legacy.js", True),  # carried over, still a live credential
        ("codename.fennec", "package/dist/names.js", False),
        ("policy.risky-new-member", "package/dist/index.js.map", False),
        ("policy.growth", str(new), False),
    }
    assert [(f.rule_id, f.carried_over) for f in verdict.reported if f.category.value == "codename"] == [
        ("codename.capybara", True)]
    [change] = verdict.diffs
    assert ([c.path for c in change.added], [c.path for c in change.changed]) == (
        ["package/dist/extra.js", "package/dist/index.js.map"],
        ["package/dist/legacy.js", "package/dist/names.js", "package/package.json"])


def test_diff_command(tmp_path: Path) -> None:
    old = _release(tmp_path, "1.0.0", BASE)
    token = github_token(seed=92)
    new = _release(tmp_path, "1.1.0", {**BASE, "dist/cli.js.map": source_map([("../src/a.ts", f"t='{token}'\n")])})
    text = run_cli("diff", str(old), str(new), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "  added    package/dist/cli.js.map  +" in text.stdout
    assert "2 findings new in this release" in text.stdout and token not in text.stdout
    doc = json.loads(run_cli("diff", "--format", "json", str(old), str(new), cwd=tmp_path).stdout)
    [change] = doc["diffs"]
    assert [a["path"] for a in change["added"]] == ["package/dist/cli.js.map"]
    assert change["new_size"] - change["old_size"] == change["added"][0]["new_size"]
    assert {f["rule"] for f in doc["new_findings"]} == {"source-map.embedded-sources", "github.pat-classic"}
    gate = run_cli("scan", "--format", "json", str(new), "--against", str(old), cwd=tmp_path)
    assert gate.returncode == 1
    assert json.loads(gate.stdout)["diff"][0]["added"][0]["path"] == "package/dist/cli.js.map"


def test_exclude_is_never_read_and_listed_as_skipped(tmp_path: Path) -> None:
    token = github_token(seed=93)
    pkg = _release(tmp_path, "1.0.0", {**BASE, "test/fixtures/key.txt": f"t='{token}'\n",
                                       "lib/a.js": f"t='{token}'\n"})
    verdict = scan([str(pkg)], Config(exclude=("package/test/fixtures/**",)))
    assert [f.origin.inner for f in verdict.blocking] == ["package/lib/a.js"]
    assert [(u.origin.inner, u.by_policy) for u in verdict.unscanned] == [("package/test/fixtures/key.txt", True)]
    result = run_cli("scan", "--format", "json", "--config", str(_cfg(tmp_path)), str(pkg), cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert doc["unscanned"] == [{"path": f"{pkg}!/package/test/fixtures/key.txt",
                                 "reason": "excluded by config (exclude)", "by_policy": True}]


def _cfg(tmp_path: Path) -> Path:
    path = tmp_path / "lg.toml"
    path.write_text('exclude = ["package/test/fixtures/**"]\n')
    return path
