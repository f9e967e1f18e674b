"""The npm release gate with the real npm: `leakguard npm` scans exactly what npm would publish."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.helpers.archives import source_map


def _package(root: Path, files: list[str]) -> Path:
    root.mkdir()
    manifest = {"name": "gate-demo", "version": "1.2.3", "license": "UNLICENSED", "main": "dist/index.js",
                "files": files}
    (root / "package.json").write_text(json.dumps(manifest, indent=2))
    (root / "dist").mkdir()
    (root / "dist" / "index.js").write_text("exports.answer=42;\n//# sourceMappingURL=index.js.map\n")
    (root / "dist" / "index.js.map").write_bytes(
        source_map([("../src/index.ts", "export const answer = 42; // internal\n")]))
    (root / "src").mkdir()
    (root / "src" / "index.ts").write_text("export const answer = 42;\n")
    return root


def test_npm_gate_fails_on_map_then_passes_when_files_is_fixed(tmp_path: Path) -> None:
    env_home = tmp_path / "home"
    env_home.mkdir()
    pkg = _package(tmp_path / "pkg", ["dist"])
    failing = run_cli("npm", str(pkg), cwd=tmp_path, env={"npm_config_cache": str(tmp_path / "npm-cache"),
                                                           "HOME": str(env_home)})
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "gate-demo-1.2.3.tgz!/package/dist/index.js.map" in failing.stdout
    assert "source-map.embedded-sources" in failing.stdout
    manifest = json.loads((pkg / "package.json").read_text())
    manifest["files"] = ["dist/*.js"]
    (pkg / "package.json").write_text(json.dumps(manifest))
    passing = run_cli("npm", str(pkg), cwd=tmp_path, env={"npm_config_cache": str(tmp_path / "npm-cache"),
                                                           "HOME": str(env_home)})
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "PASS" in passing.stdout
    assert list(tmp_path.glob("**/*.tgz")) == []  # packed into a temporary folder that is gone


def test_npm_gate_outside_a_package_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("npm", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "no package.json" in result.stderr
