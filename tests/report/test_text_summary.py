"""The text report says honestly what it did not list: findings below the threshold, suppressed
and carried over are counted, and listed with ``-v``; ``-q`` is the verdict line alone; counts are
in good English; a limit names the config file that sets it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write, zip_bytes
from tests.helpers.tokens import github_token

ALLOWED, BLOCKING = github_token(seed=7), github_token(seed=8)


def _release(tmp_path: Path, version: str) -> str:
    files = {"lib/fixture.js": f'export const t = "{ALLOWED}";\n', "lib/api.js": f'const k = "{BLOCKING}";\n'}
    write(tmp_path, f"app-{version}.tgz", npm_tarball(files, name="app", version=version))
    return f"app-{version}.tgz"


def test_suppressed_and_carried_over_are_counted_then_listed_with_verbose(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text(
        '[[allow]]\npath = "package/lib/fixture.js"\nreason = "documented test token"\n')
    old, new = _release(tmp_path, "1.0.0"), _release(tmp_path, "1.0.1")
    plain = run_cli("scan", new, "--against", old, cwd=tmp_path)
    assert plain.returncode == 1, plain.stderr
    verdict = plain.stdout.splitlines()[-2]
    assert verdict == "FAIL: 1 blocking finding (fail-on high); 1 suppressed (--verbose lists them)"
    assert "1 finding carried over from the previous release" in plain.stdout
    assert "suppressed by" not in plain.stdout
    verbose = run_cli("scan", "-v", new, "--against", old, cwd=tmp_path)
    assert verbose.stdout.splitlines()[-2] == "FAIL: 1 blocking finding (fail-on high); 1 suppressed"
    assert "(suppressed by allow: documented test token)" in verbose.stdout
    assert "(carried over)" in verbose.stdout and "lib/fixture.js" in verbose.stdout


def test_quiet_prints_the_verdict_line_alone(tmp_path: Path) -> None:
    new = _release(tmp_path, "1.0.1")
    quiet = run_cli("scan", "-q", new, cwd=tmp_path)
    assert quiet.returncode == 1
    assert quiet.stdout == "FAIL: 2 blocking findings (fail-on high)\n"
    assert quiet.stderr == ""


def test_counts_are_plural_only_when_more_than_one(tmp_path: Path) -> None:
    one_map = source_map([("../src/only.ts", "export const only = 1;\n")]).decode()
    write(tmp_path, "one-1.0.0.tgz", npm_tarball({"index.js.map": one_map}, name="one", license=None))
    result = run_cli("scan", "one-1.0.0.tgz", cwd=tmp_path)
    assert "embeds 1 first-party source file (23 B) from ../src/ that is not shipped" in result.stdout
    (tmp_path / "alone.txt").write_text("hello\n")
    single = run_cli("scan", "-v", "alone.txt", cwd=tmp_path)
    assert "scanned 1 artifact, 1 member, 6 B" in single.stdout and "1 members" not in single.stdout


def _members(tmp_path: Path) -> None:
    write(tmp_path, "many.zip", zip_bytes({f"f{i}.txt": "x" for i in range(3)}))


def test_a_limit_names_the_config_file_in_use(tmp_path: Path) -> None:
    _members(tmp_path)
    (tmp_path / ".leakguard.toml").write_text("[limits]\nmax-members = 1\n")
    result = run_cli("scan", "many.zip", cwd=tmp_path)
    assert result.returncode == 1
    config = tmp_path / ".leakguard.toml"
    assert f"more than 1 member (limit `max-members`); raise it in [limits] of {config}" in result.stdout
    assert f"next: If the artifact is legitimately this large, raise `max-members` in [limits] of {config}" \
        in result.stdout
    config.unlink()
    (tmp_path / "pyproject.toml").write_text("[tool.leakguard.limits]\nmax-members = 2\n")
    result = run_cli("scan", "many.zip", cwd=tmp_path)
    assert f"raise it in [tool.leakguard.limits] of {tmp_path / 'pyproject.toml'}" in result.stdout
    named = tmp_path / "ci" / "gate.toml"
    named.parent.mkdir()
    named.write_text("[limits]\nmax-members = 2\n")
    result = run_cli("scan", "--config", str(named), "many.zip", cwd=tmp_path)
    assert f"raise it in [limits] of {named}" in result.stdout
