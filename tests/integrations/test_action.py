"""The composite action's scan step, run with the real bash as GitHub's runner would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.helpers.archives import npm_tarball, source_map, write


def _step(name: str) -> dict[str, object]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return next(s for s in action["runs"]["steps"] if s.get("name") == name)


def _run_scan_step(tmp_path: Path, targets: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    step = _step("Scan")
    out, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LG_TARGETS": targets, "LG_FAIL_ON": "", "LG_ARGS": "", "LG_SARIF": "leakguard.sarif",
        "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "NO_COLOR": "1",
    }
    result = subprocess.run(["bash", "-e", "-c", str(step["run"])], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    return result, outputs


def test_action_scan_step_fails_a_leaking_release(tmp_path: Path) -> None:
    write(tmp_path / "dist", "app-1.0.0.tgz", npm_tarball({"a.js.map": source_map([("../src/a.ts", "x\n")])}))
    result, outputs = _run_scan_step(tmp_path, "dist/*")
    assert outputs == {"verdict": "fail", "code": "1"}, result.stderr
    assert "::error file=dist/app-1.0.0.tgz/package/a.js.map" in result.stdout
    sarif = json.loads((tmp_path / "leakguard.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "source-map.embedded-sources"
    assert "leakguard: FAIL" in (tmp_path / "step_summary").read_text()


def test_action_scan_step_passes_a_clean_release(tmp_path: Path) -> None:
    write(tmp_path / "dist", "app-1.0.0.tgz", npm_tarball({"index.js": "module.exports = 1;\n"}))
    result, outputs = _run_scan_step(tmp_path, "dist/*")
    assert outputs == {"verdict": "pass", "code": "0"}, result.stderr
    assert (tmp_path / "leakguard.sarif").exists()
