"""Registry specs through the real CLI: the index pip is configured with, --only, what is said
about downloads, baselines and --against of published releases, and targets with nothing in them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, sdist, wheel
from tests.helpers.registry_server import file_index, serve
from tests.helpers.terminal import on_a_terminal
from tests.helpers.tokens import github_token

TOKEN = github_token(seed=25)
WHL = wheel({"demo/__init__.py": "x = 1\n"}, name="demo", version="1.0")
LEAKY_SDIST = sdist({"demo/__init__.py": "x = 1\n", "demo/settings.py": f"TOKEN = '{TOKEN}'\n"}, name="demo",
                    version="1.0")
FILES = {"demo-1.0-py3-none-any.whl": WHL, "demo-1.0.tar.gz": LEAKY_SDIST}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A cache of its own, and pip configuration only from files the test writes."""
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {"LEAKGUARD_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CONFIG_DIRS": str(tmp_path / "no-xdg"), "PIP_INDEX_URL": "", "PIP_CONFIG_FILE": "", "VIRTUAL_ENV": ""}
    return {**env, **extra}


def test_pypi_spec_scans_every_file_and_names_spec_and_file(tmp_path: Path) -> None:
    with serve() as index:
        index.simple_project("demo", FILES, json_api=False)  # a mirror without PEP 691, relative URLs
        result = run_cli("scan", "--format", "json", "--index-url", index.base + "/simple", "pypi:demo==1.0",
                         cwd=tmp_path, env=_env(tmp_path))
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert sorted(a["path"] for a in doc["artifacts"]) == ["pypi:demo==1.0 (demo-1.0-py3-none-any.whl)",
                                                           "pypi:demo==1.0 (demo-1.0.tar.gz)"]
    assert {(f["rule"], f["location"]["path"]) for f in doc["findings"] if f["blocking"]} == {
        ("github.pat-classic", "pypi:demo==1.0 (demo-1.0.tar.gz)!/demo-1.0/demo/settings.py")}
    # Said before downloading; PEP 503 HTML gives no sizes (PEP 691 JSON does: test_only_selects_files_of_a_release).
    assert result.stderr == "leakguard: pypi:demo==1.0: 2 files\n"
    assert TOKEN not in result.stdout + result.stderr


def test_only_selects_files_of_a_release(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with serve() as index:
        index.simple_project("demo", FILES)
        args = ("scan", "--index-url", index.base + "/simple/", "pypi:demo==1.0")
        wheels = run_cli(*args, "--only", "wheel", cwd=tmp_path, env=env)
        sdists = run_cli(*args, "--only", "sdist", cwd=tmp_path, env=env)
        both = run_cli(*args, "--only", "wheel,*.tar.gz", "-q", cwd=tmp_path, env=env)
        none = run_cli(*args, "--only", "*.zip", cwd=tmp_path, env=env)
        npm_only = run_cli("scan", "--only", "wheel", "npm:left-pad", cwd=tmp_path, env=env)
    assert wheels.returncode == 0, wheels.stdout + wheels.stderr
    assert wheels.stderr == f"leakguard: pypi:demo==1.0: 1 file, {len(WHL)} B\n"
    assert "demo-1.0.tar.gz" not in wheels.stdout
    assert sdists.returncode == 1 and "demo-1.0.tar.gz" in sdists.stdout
    assert both.returncode == 1 and both.stderr == ""  # -q: not a word about downloads
    assert none.returncode == 2
    assert none.stderr.strip() == ("leakguard: error: pypi:demo==1.0: --only *.zip selects none of its 2 files "
                                   "(demo-1.0-py3-none-any.whl, demo-1.0.tar.gz)")
    assert npm_only.returncode == 2 and "--only selects files of pypi: releases" in npm_only.stderr


def test_index_from_pip_configuration(tmp_path: Path) -> None:
    conf = tmp_path / "home" / ".config" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    with serve() as index, serve() as other:
        index.simple_project("demo", FILES)
        other.simple_project("demo", {"demo-1.0-py3-none-any.whl": WHL})
        conf.write_text(f"[global]\nindex-url = {index.base}/simple\nextra-index-url = file:///nowhere\n")
        from_file = run_cli("scan", "pypi:demo==1.0", cwd=tmp_path, env=_env(tmp_path))
        from_variable = run_cli("scan", "pypi:demo==1.0", cwd=tmp_path,
                                env=_env(tmp_path, PIP_INDEX_URL=other.base + "/simple"))
        given = run_cli("scan", "--index-url", other.base + "/simple", "pypi:demo==1.0", cwd=tmp_path,
                        env=_env(tmp_path))
    assert from_file.returncode == 1 and "demo-1.0.tar.gz" in from_file.stdout
    assert from_variable.returncode == 0 and "1 file" in from_variable.stderr
    assert given.returncode == 0
    assert len(index.requests) == 3  # the page and both files
    assert other.requests == ["/simple/demo/", "/simple/demo/"]  # its wheel is the same file: in the cache


def test_an_index_that_is_not_http_is_refused_clearly(tmp_path: Path) -> None:
    root = file_index(tmp_path / "mirror", "demo", FILES)
    option = run_cli("scan", "--index-url", root, "pypi:demo==1.0", cwd=tmp_path, env=_env(tmp_path))
    assert option.returncode == 2
    assert option.stderr.strip() == (f"leakguard: error: --index-url {root}: expected an http(s) URL, "
                                     "e.g. https://pypi.org/simple")
    registry_option = run_cli("scan", "--registry", "ftp://npm.example", "x.tgz", cwd=tmp_path, env=_env(tmp_path))
    assert registry_option.returncode == 2 and "--registry ftp://npm.example: expected an http(s) URL" in \
        registry_option.stderr
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {root}\n")
    configured = run_cli("scan", "pypi:demo==1.0", cwd=tmp_path, env=_env(tmp_path, PIP_CONFIG_FILE=str(conf)))
    assert configured.returncode == 2
    assert configured.stderr.strip() == (f"leakguard: error: {conf} [global]: index-url {root}: leakguard reads "
                                         "http(s) indexes only; pass --index-url with an http(s) Simple API root")
    # Only pypi: specs consult pip's configuration.
    local = tmp_path / "a.tgz"
    local.write_bytes(npm_tarball({"a.js": "x\n"}))
    assert run_cli("scan", str(local), cwd=tmp_path, env=_env(tmp_path, PIP_CONFIG_FILE=str(conf))).returncode == 0


def test_download_progress_on_a_terminal_only(tmp_path: Path) -> None:
    with serve() as index:
        index.simple_project("demo", FILES)
        args = ["scan", "--index-url", index.base + "/simple", "pypi:demo==1.0"]
        code, _, terminal = on_a_terminal(args, _env(tmp_path, NO_COLOR="1"), tmp_path)
        cached_code, _, cached = on_a_terminal(args, _env(tmp_path, NO_COLOR="1"), tmp_path)
        quiet_code, _, quiet = on_a_terminal([*args, "-q"], _env(tmp_path / "home", NO_COLOR="1"), tmp_path)
        piped = run_cli(*args, cwd=tmp_path, env=_env(tmp_path / "again"))
    assert code == cached_code == quiet_code == piped.returncode == 1
    assert b"\rleakguard: pypi:demo==1.0: downloaded " in terminal
    assert b"pypi:demo==1.0: 2 files" in terminal
    assert b"2 files" in cached and b", all cached" in cached and b"downloaded" not in cached
    assert b"downloaded" not in quiet and b"2 files" not in quiet
    assert "2 files" in piped.stderr and "downloaded" not in piped.stderr


def test_baseline_commands_take_registry_specs(tmp_path: Path) -> None:
    leaky = npm_tarball({"lib/settings.js": f"module.exports = '{TOKEN}';\n"}, name="@acme/cli", version="2.0.0")
    env = _env(tmp_path)
    with serve() as reg:
        reg.npm_package("@acme/cli", {"2.0.0": leaky}, latest="2.0.0")
        spec = ("--registry", reg.base, "npm:@acme/cli@2.0.0")
        created = run_cli("baseline", "create", "-o", "b.json", *spec, cwd=tmp_path, env=env)
        updated = run_cli("baseline", "update", "b.json", *spec, cwd=tmp_path, env=env)
        pruned = run_cli("baseline", "prune", "b.json", *spec, cwd=tmp_path, env=env)
        gated = run_cli("scan", "--baseline", "b.json", *spec, cwd=tmp_path, env=env)
        ungated = run_cli("scan", *spec, cwd=tmp_path, env=env)
    assert created.returncode == 0 and "baseline: 1 entries written to b.json" in created.stderr, created.stderr
    assert updated.returncode == 0 and "0 entries added" in updated.stderr
    assert pruned.returncode == 0 and "0 entries pruned" in pruned.stderr
    assert TOKEN not in (tmp_path / "b.json").read_text()
    assert ungated.returncode == 1 and gated.returncode == 0, gated.stdout


def test_against_a_published_release_carries_findings_over(tmp_path: Path) -> None:
    def release(version: str) -> bytes:
        return npm_tarball({"lib/settings.js": f"module.exports = '{TOKEN}';\n"}, name="@acme/cli", version=version)

    env = _env(tmp_path)
    with serve() as reg:
        reg.npm_package("@acme/cli", {"1.0.0": release("1.0.0"), "2.0.0": release("2.0.0")}, latest="2.0.0")
        (tmp_path / "cli-1.0.0.tgz").write_bytes(release("1.0.0"))
        local = run_cli("scan", "--format", "json", "--registry", reg.base, "npm:@acme/cli@2.0.0",
                        "--against", "cli-1.0.0.tgz", cwd=tmp_path, env=env)
        published = run_cli("scan", "--format", "json", "--registry", reg.base, "npm:@acme/cli@2.0.0",
                            "--against", "npm:@acme/cli@1.0.0", cwd=tmp_path, env=env)
    for result in (local, published):
        findings = json.loads(result.stdout)["findings"]
        assert [(f["rule"], f["carried_over"]) for f in findings] == [("github.pat-classic", True)], result.args


@pytest.mark.parametrize("layout", ["empty", "marker-only", "empty-subfolders"])
def test_a_dist_with_nothing_to_scan_does_not_pass(tmp_path: Path, layout: str) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    if layout == "marker-only":
        (dist / ".gitignore").write_text("*\n")  # what uv build and hatch leave in dist/
    elif layout == "empty-subfolders":
        (dist / "a" / "b").mkdir(parents=True)
    result = run_cli("scan", "dist/", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", "leakguard: error: nothing to scan under dist/ — build first\n")


def test_a_missing_dist_gets_the_same_hint_and_a_built_one_is_scanned(tmp_path: Path) -> None:
    missing = run_cli("scan", "dist/", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr == "leakguard: error: dist/: no such file or directory — build first\n"
    unexpanded = run_cli("scan", "dist/*", cwd=tmp_path)  # the shell leaves an unmatched glob as it is
    assert unexpanded.stderr == "leakguard: error: dist/*: no such file or directory — build first\n"
    (tmp_path / "dist" / "sub").mkdir(parents=True)
    (tmp_path / "dist" / "sub" / "demo-1.0.tar.gz").write_bytes(LEAKY_SDIST)
    built = run_cli("scan", "dist/", cwd=tmp_path)
    assert built.returncode == 1 and "github.pat-classic" in built.stdout
    baseline = run_cli("baseline", "create", "-o", "b.json", "empty/", cwd=tmp_path)
    assert baseline.returncode == 2 and "empty/: no such file or directory — build first" in baseline.stderr
