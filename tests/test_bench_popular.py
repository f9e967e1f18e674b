"""bench/popular.py on a tiny list served by loopback registries: pins refreshed from the registries,
files fetched and checked against them, scanned through the real CLI, and the report written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.helpers.archives import npm_tarball, sdist, wheel
from tests.helpers.registry_server import Registry, serve
from tests.helpers.tokens import github_token

SCRIPT = ROOT / "bench" / "popular.py"
TOKEN = github_token(seed=231)
SECRET = "Zq7mW2xK9pL4vT8nR3cY"  # high-entropy enough for generic.secret-assignment (medium)
# The code is under acme/: demo/ is a fixture path, where the secret would be reported low.
PASSWORD = "Vb4nQ8sLx2Rt7KcW"  # in a URL under tests/: high, reported one lower (medium) by the fixture policy
PURE = wheel({"acme/__init__.py": "x = 1\n"}, name="demo", version="1.0")
DEMO = {
    "demo-1.0.tar.gz": sdist({"acme/__init__.py": "x = 1\n", "acme/conf.py": f'CLIENT_SECRET = "{SECRET}"\n',
                              "tests/test_upload.py": f'URL = "https://deploy:{PASSWORD}@ci.acme-corp.io/upload"\n'},
                             name="demo", version="1.0"),
    "demo-1.0-py3-none-any.whl": PURE,
    "demo-1.0-cp312-cp312-musllinux_1_2_x86_64.whl": PURE,
    "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl": PURE,
    "demo-1.0-cp312-cp312-win_amd64.whl": PURE,
}
SEED = [
    {"registry": "npm", "name": "widget", "version": "1.0.0"},
    {"registry": "npm", "name": "@acme/leaky", "version": "", "expect": "block"},
    {"registry": "pypi", "name": "demo", "version": "1.0"},
    {"registry": "pypi", "name": "tokens", "version": "2.0"},
]


def _serve(registry: Registry) -> None:
    registry.npm_package("widget", {"1.0.0": npm_tarball({"index.js": "module.exports = 1;\n"})}, "1.0.0")
    leaky = npm_tarball({"index.js": f"const token = '{TOKEN}';\n"}, name="@acme/leaky", version="2.1.0")
    registry.npm_package("@acme/leaky", {"2.1.0": leaky}, "2.1.0")
    registry.simple_project("demo", DEMO)
    registry.simple_project("tokens", {"tokens-2.0.tar.gz": sdist({"tokens/t.py": f"T = '{TOKEN}'\n"},
                                                                   name="tokens", version="2.0")})


def _bench(tmp_path: Path, registry: Registry, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--pins", str(tmp_path / "pins.json"), "--registry", registry.base,
         "--index-url", registry.base + "/simple/", "--cache", str(tmp_path / "cache"), *args],
        capture_output=True, text=True, env=env, timeout=300, check=False)


def _pins(tmp_path: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = json.loads((tmp_path / "pins.json").read_text())["releases"]
    return rows


def test_refresh_pins_then_report(tmp_path: Path) -> None:
    (tmp_path / "pins.json").write_text(json.dumps({"releases": SEED}))
    report = tmp_path / "POPULAR.md"
    report.write_text("# old\n\nold table\n\n## Analysis\n\nWhy each finding fires, by hand.\n")
    with serve() as registry:
        _serve(registry)
        refreshed = _bench(tmp_path, registry, "--refresh-pins")
        assert refreshed.returncode == 0, refreshed.stderr
        # The latest npm version is resolved; a PyPI release gets its sdist and the CPython 3.12
        # manylinux x86_64 wheel (not the musl, Windows or pure one).
        assert [(p["name"], p["version"], p["file"]) for p in _pins(tmp_path)] == [
            ("widget", "1.0.0", "widget-1.0.0.tgz"),
            ("@acme/leaky", "2.1.0", "leaky-2.1.0.tgz"),
            ("demo", "1.0", "demo-1.0.tar.gz"),
            ("demo", "1.0", "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            ("tokens", "2.0", "tokens-2.0.tar.gz")]
        pins = _pins(tmp_path)
        assert pins[0]["digest"].startswith("sha512-") and pins[2]["digest"].startswith("sha256:")
        assert pins[1]["expect"] == "block" and "expect" not in pins[0]
        result = _bench(tmp_path, registry, "--output", str(report), "--jobs", "2")
    # tokens 2.0 leaks but the list expects it to pass: the run says so and exits 1.
    assert result.returncode == 1, result.stderr
    assert "popular: pypi:tokens==2.0 (tokens-2.0.tar.gz): fail, expected pass" in result.stderr
    text = report.read_text()
    assert TOKEN not in text and SECRET not in text and PASSWORD not in text
    assert "- **4 releases** (5 files): 2 npm, 2 PyPI." in text
    assert "- **2 blocked** (0 of them with members leakguard could not scan" in text
    assert "1 of them a real leak the list expects to block; 1 file with a verdict other than expected" in text
    assert ("- **Mean medium findings per release: 0.50** (2 in all, 1 of them lowered from high in a test or "
            "documentation path, which stand for 1 place:") in text
    rows = [line for line in text.splitlines() if line.startswith("| npm:") or line.startswith("| pypi:")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")][:6] for row in rows]
    assert cells == [
        ["npm:widget@1.0.0", "widget-1.0.0.tgz", "pass", "-", "0", "0"],
        ["npm:@acme/leaky@2.1.0", "leaky-2.1.0.tgz", "fail", "`github.pat-classic`", "0", "0"],
        ["pypi:demo==1.0", "demo-1.0.tar.gz", "pass", "-", "2", "0"],
        ["pypi:demo==1.0", "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "pass", "-", "0",
         "0"],
        ["pypi:tokens==2.0", "tokens-2.0.tar.gz", "fail (expected pass)", "`github.pat-classic`", "0", "0"],
    ]
    # The rule tables and the details name the rule and where it fired, inside the artifact.
    assert "| `github.pat-classic` | 2 | npm:@acme/leaky@2.1.0 (1), pypi:tokens==2.0 (tokens-2.0.tar.gz) (1) |" in text
    assert "| `generic.secret-assignment` | 1 | pypi:demo==1.0 (demo-1.0.tar.gz) (1) |" in text
    assert "  - `package/index.js:1`: " in text and "  - `demo-1.0/acme/conf.py:1`: " in text
    assert "| `url.http-credentials` | 1 | pypi:demo==1.0 (demo-1.0.tar.gz) (1) |" in text
    # The generated part is replaced; the hand-written analysis is kept.
    assert "old table" not in text
    assert text.endswith("## Analysis\n\nWhy each finding fires, by hand.\n")


def test_a_file_that_does_not_match_its_pin(tmp_path: Path) -> None:
    other = npm_tarball({"index.js": "module.exports = 2;\n"})
    with serve() as registry:
        _serve(registry)
        (tmp_path / "pins.json").write_text(json.dumps({"releases": SEED[:1] + SEED[2:3]}))
        assert _bench(tmp_path, registry, "--refresh-pins").returncode == 0
        pins = _pins(tmp_path)
        registry.npm_package("widget", {"1.0.0": other}, "1.0.0")  # the registry now serves other bytes
        stopped = _bench(tmp_path, registry, "--output", str(tmp_path / "stopped.md"))
        going = _bench(tmp_path, registry, "--keep-going", "--output", str(tmp_path / "going.md"))
        only = _bench(tmp_path, registry, "--only", "DEMO")
    assert stopped.returncode == 3
    assert stopped.stderr.splitlines()[-1] == ("popular: npm:widget@1.0.0: widget-1.0.0.tgz: the registry's sha512 "
                                               "digest is not the pinned one")
    assert not (tmp_path / "stopped.md").exists()
    # --keep-going reports it as not scanned, scans the rest, and exits 1 (not the verdict expected).
    assert going.returncode == 1, going.stderr
    text = (tmp_path / "going.md").read_text()
    assert "| npm:widget@1.0.0 | widget-1.0.0.tgz | unscanned (expected pass) | unscanned: npm:widget@1.0.0: " in text
    assert "- Files the bench could not fetch or scan: 1; npm:widget@1.0.0: " in text
    assert "| pypi:demo==1.0 | demo-1.0.tar.gz | pass | - | 2 | 0 |" in text
    # --only picks by name (case-insensitive) and prints the report instead of overwriting one.
    assert only.returncode == 0, only.stderr
    assert "| pypi:demo==1.0 | demo-1.0.tar.gz | pass |" in only.stdout and "npm:widget" not in only.stdout
    assert "(a part of the list: `--only`)" in only.stdout
    assert _pins(tmp_path) == pins  # a run never rewrites the pins
