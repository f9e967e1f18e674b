"""The npm release gate with the real npm: `leakguard npm` scans exactly what npm would publish."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
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


def _npm_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    # No network: a registry nobody listens on, and no retries (npm publish --dry-run asks it once).
    return {"npm_config_cache": str(tmp_path / "npm-cache"), "HOME": str(home),
            "npm_config_registry": "http://127.0.0.1:9/", "npm_config_fetch_retries": "0",
            "npm_config_update_notifier": "false", "npm_config_audit": "false", "npm_config_fund": "false"}


def test_prepublish_only_gate_under_npm_publish_dry_run(tmp_path: Path) -> None:
    """`"prepublishOnly": "leakguard npm"` under `npm publish --dry-run`: npm hands the dry run down
    (npm_config_dry_run=true); the pack is still real, the leak still blocks, the fix still passes."""
    pkg = _package(tmp_path / "pkg", ["dist"])
    manifest = json.loads((pkg / "package.json").read_text())
    gate = f"{shlex.quote(sys.executable)} -m leakguard npm --format json -o {shlex.quote(str(tmp_path / 'r.json'))}"
    manifest["scripts"] = {"prepublishOnly": gate}
    (pkg / "package.json").write_text(json.dumps(manifest))
    npm = shutil.which("npm")
    assert npm is not None
    env = {**os.environ, **_npm_env(tmp_path)}
    blocked = subprocess.run([npm, "publish", "--dry-run"], cwd=pkg, env=env, capture_output=True, text=True,
                             timeout=300)
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["verdict"] == "fail"
    assert [a["path"] for a in report["artifacts"]] == ["gate-demo-1.2.3.tgz"]
    assert {f["rule"] for f in report["findings"] if f["blocking"]} == {"source-map.embedded-sources"}
    manifest["files"] = ["dist/*.js"]
    (pkg / "package.json").write_text(json.dumps(manifest))
    passed = subprocess.run([npm, "publish", "--dry-run"], cwd=pkg, env=env, capture_output=True, text=True,
                            timeout=300)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "pass"
    # The dry run itself still publishes nothing and leaves no tarball behind.
    assert list(tmp_path.glob("**/*.tgz")) == []


def test_npm_gate_takes_the_policy_and_output_options_of_scan(tmp_path: Path) -> None:
    pkg = _package(tmp_path / "pkg", ["dist"])
    env = _npm_env(tmp_path)
    # Inherited dry-run settings, as inside `npm publish --dry-run`, change nothing.
    env["npm_config_dry_run"] = "true"
    (pkg / ".npmrc").write_text("dry-run=true\n")
    plain = run_cli("npm", str(pkg), cwd=tmp_path, env=env)
    assert plain.returncode == 1, plain.stdout + plain.stderr
    quiet = run_cli("npm", "-q", str(pkg), cwd=tmp_path, env=env)
    assert quiet.returncode == 1 and quiet.stdout.startswith("FAIL") and "index.js.map" not in quiet.stdout
    reported = run_cli("npm", "--format", "json", "-o", "r.json", "--report", "sarif:r.sarif", str(pkg),
                       cwd=tmp_path, env=env)
    assert reported.returncode == 1 and json.loads((tmp_path / "r.json").read_text())["verdict"] == "fail"
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    config = tmp_path / "public.toml"
    config.write_text("public-sources = true\n")  # this package ships its sources on purpose
    configured = run_cli("npm", "--config", str(config), str(pkg), cwd=tmp_path, env=env)
    assert configured.returncode == 0, configured.stdout
    strict = run_cli("npm", "--config", str(config), "--fail-on", "low", str(pkg), cwd=tmp_path, env=env)
    assert strict.returncode == 1
    # A baseline made from the same tarball packed by hand accepts the finding.
    (tmp_path / "packed").mkdir()
    npm = shutil.which("npm")
    assert npm is not None
    # (--dry-run=false: the package's .npmrc above says dry-run=true, which would write nothing)
    subprocess.run([npm, "pack", "--dry-run=false", "--pack-destination", str(tmp_path / "packed")], cwd=pkg,
                   check=True, env={**os.environ, **_npm_env(tmp_path)}, capture_output=True)
    created = run_cli("baseline", "create", "-o", "b.json", "packed/gate-demo-1.2.3.tgz", cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    accepted = run_cli("npm", "--baseline", "b.json", "--format", "json", str(pkg), cwd=tmp_path, env=env)
    assert accepted.returncode == 0, accepted.stdout
    assert [f["suppressed"]["kind"] for f in json.loads(accepted.stdout)["findings"]] == ["baseline"]
    assert run_cli("npm", "--baseline", "b.json", "-v", str(pkg), cwd=tmp_path, env=env).returncode == 0
    bad = run_cli("npm", "--fail-on", "nope", str(pkg), cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
