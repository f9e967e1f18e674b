"""The real CLI in a subprocess: exit codes, stdout, stderr; never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.tokens import github_token

LEAK = source_map([("../src/a.ts", "export const a = 1;\n"), ("../src/b.ts", "export const b = 2;\n")])


def _no_traceback(result: object) -> None:
    assert "Traceback" not in result.stdout + result.stderr


def test_example_artifact_fails(tmp_path: Path) -> None:
    result = run_cli("scan", str(ROOT / "examples" / "leaky-widget-1.0.0.tgz"), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "CRITICAL source-map.embedded-sources" in result.stdout
    assert "leaky-widget-1.0.0.tgz!/package/dist/index.js.map" in result.stdout
    assert "FAIL: 1 blocking finding (fail-on high)" in result.stdout
    _no_traceback(result)


def test_clean_artifact_passes(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "ok-1.0.0.tgz", npm_tarball({"index.js": "module.exports = 1;\n"}))
    result = cli_in("scan", str(path))
    assert result.returncode == 0
    assert "PASS: no findings at high or above" in result.stdout
    assert "scanned 1 artifact, 2 members" in result.stdout


def test_json_report_shape(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = github_token(seed=11)
    path = write(tmp_path, "app-2.0.0.tgz", npm_tarball({"cli.js.map": LEAK, ".env": f"GH={token}\n"},
                                                       name="app", version="2.0.0", license="UNLICENSED"))
    result = cli_in("scan", "--format", "json", str(path))
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert set(doc) >= {"version", "verdict", "artifacts", "findings", "errors", "unscanned"}
    assert doc["version"] == 1 and doc["verdict"] == "fail"
    [artifact] = doc["artifacts"]
    assert {k: artifact[k] for k in ("kind", "name", "version", "members")} == {
        "kind": "npm", "name": "app", "version": "2.0.0", "members": 3}
    assert len(artifact["sha256"]) == 64
    assert {(f["rule"], f["category"], f["severity"], f["blocking"], f["location"]["path"], f["location"]["line"])
            for f in doc["findings"]} == {
        ("source-map.embedded-sources", "source-map", "critical", True, f"{path}!/package/cli.js.map", None),
        ("github.pat-classic", "credential", "critical", True, f"{path}!/package/.env", 1),
    }
    # The .env file and the token in it are one finding, carrying both rule ids.
    assert [f["evidence"].get("also") for f in doc["findings"] if f["rule"] == "github.pat-classic"] == ["file.dotenv"]
    for finding in doc["findings"]:
        assert set(finding) >= {"rule", "category", "severity", "blocking", "message", "location", "fingerprint"}
    # redacted by default, everywhere
    assert token not in result.stdout and token[:4] + "…(40)" in result.stdout


def test_show_secrets_reveals(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token = github_token(seed=12)
    path = write(tmp_path, "a.tgz", npm_tarball({"x.js": f"t='{token}'\n"}))
    assert token not in cli_in("scan", str(path)).stdout
    assert token in cli_in("scan", "--show-secrets", str(path)).stdout


def test_output_file_is_written(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "a.tgz", npm_tarball({"cli.js.map": LEAK}))
    out = tmp_path / "report.json"
    result = cli_in("scan", "--format", "json", "-o", str(out), str(path))
    assert result.returncode == 1
    assert json.loads(out.read_text())["verdict"] == "fail"
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_fail_on_threshold(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "a.tgz", npm_tarball({"cli.js.map": LEAK}, license="MIT"))  # high
    assert cli_in("scan", str(path)).returncode == 1
    assert cli_in("scan", "--fail-on", "critical", str(path)).returncode == 0
    (tmp_path / ".leakguard.toml").write_text('fail-on = "critical"\n')
    assert cli_in("scan", str(path)).returncode == 0
    assert cli_in("scan", "--no-config", str(path)).returncode == 1


def test_missing_target_is_usage_error(cli_in) -> None:  # type: ignore[no-untyped-def]
    result = cli_in("scan", "dist/*")
    assert result.returncode == 2
    assert result.stderr.strip() == "leakguard: error: dist/*: no such file or directory — build first"
    assert result.stdout == ""


def test_usage_errors_exit_2(cli_in) -> None:  # type: ignore[no-untyped-def]
    for args in (("scan",), ("scan", "--format", "xml", "x"), ("frobnicate",), ("scan", "--fail-on", "nope", "x")):
        result = cli_in(*args)
        assert result.returncode == 2, args
        _no_traceback(result)
        assert result.stderr.startswith("leakguard: error:"), (args, result.stderr)


def test_bad_config_exits_2_naming_the_key(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "a.tgz", npm_tarball({"x.js": "1"}))
    (tmp_path / "pyproject.toml").write_text('[tool.leakguard]\nfail-on = "sometimes"\n')
    result = cli_in("scan", str(path))
    assert result.returncode == 2
    assert "pyproject.toml: fail-on: expected one of" in result.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.leakguard]\nfial-on = 'high'\n")
    result = cli_in("scan", str(path))
    assert result.returncode == 2
    assert "pyproject.toml: fial-on: unknown key" in result.stderr
    _no_traceback(result)


def test_corrupt_archive_exits_3_and_reports_rest(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = write(tmp_path, "good.tgz", npm_tarball({"cli.js.map": LEAK}))
    bad = write(tmp_path, "bad.tgz", npm_tarball({"a.js": "x" * 5000})[:200])
    result = cli_in("scan", str(good), str(bad))
    assert result.returncode == 3
    assert "source-map.embedded-sources" in result.stdout
    assert f"error: {bad}: corrupt:" in result.stdout
    assert "ERROR:" in result.stdout
    _no_traceback(result)


def test_stdin_target(cli_in) -> None:  # type: ignore[no-untyped-def]
    data = npm_tarball({"cli.js.map": LEAK})
    result = cli_in("scan", "-", input=data)
    assert result.returncode == 1
    assert "<stdin>!/package/cli.js.map" in result.stdout


def test_garbage_input_never_tracebacks(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Damaged archives are scan errors; a binary that is no archive is scanned as content and passes.
    cases = {"x.whl": (b"PK\x03\x04garbage", 3), "y.tgz": (b"\x1f\x8b\x08\x00junk", 3), "z.bin": (bytes(range(256)), 0)}
    for name, (data, code) in cases.items():
        result = cli_in("scan", str(write(tmp_path, name, data)))
        assert result.returncode == code, (name, result.stdout)
        _no_traceback(result)


def test_version_and_help(cli_in) -> None:  # type: ignore[no-untyped-def]
    result = cli_in("--version")
    assert result.returncode == 0 and result.stdout.startswith("leakguard ")
    for args in (("--help",), ("scan", "--help"), ("rules", "--help"), ("rules", "check", "--help")):
        result = cli_in(*args)
        assert result.returncode == 0 and "Example" in result.stdout, args


def test_rules_commands(cli_in) -> None:  # type: ignore[no-untyped-def]
    result = cli_in("rules", "check")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith(" 0 problems")
    listing = json.loads(cli_in("rules", "list", "--format", "json").stdout)
    assert "github.pat-classic" in {r["id"] for r in listing}
    shown = json.loads(cli_in("rules", "show", "github.pat-classic").stdout)
    assert shown["validator"] == "github-checksum" and shown["references"]
    missing = cli_in("rules", "show", "no.such-rule")
    assert missing.returncode == 2 and "no rule with id" in missing.stderr


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.helpers.terminal import on_a_terminal

    path = write(tmp_path, "big.tgz", npm_tarball({f"f{i}.js": "x = 1;\n" * 20_000 for i in range(20)}))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(LEAKGUARD_PROGRESS_AFTER="0", NO_COLOR="1")
    code, stdout, seen = on_a_terminal(["scan", "-j", "1", str(path)], env, tmp_path)
    assert code == 0
    assert b"leakguard: scanned" in seen
    assert b"leakguard: scanned" not in stdout
    piped = subprocess.run([sys.executable, "-m", "leakguard", "scan", str(path)], capture_output=True, env=env,
                           cwd=tmp_path, timeout=60)
    assert b"leakguard: scanned" not in piped.stderr


def test_extra_reports_from_one_scan(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "a.tgz", npm_tarball({"cli.js.map": LEAK}))
    result = cli_in("scan", "--report", "json:r.json", str(path))
    assert result.returncode == 1 and "FAIL" in result.stdout
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "fail"
    bad = cli_in("scan", "--report", "xml:r.xml", str(path))
    assert bad.returncode == 2 and "expected FORMAT:FILE" in bad.stderr


def test_output_is_identical_whatever_the_jobs(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files: dict[str, str | bytes] = {f"lib/m{i}.js": f"t{i}='{github_token(seed=100 + i)}'\n" for i in range(6)}
    files["cli.js.map"] = LEAK
    path = write(tmp_path, "j.tgz", npm_tarball(files))
    one = json.loads(cli_in("scan", "--format", "json", "-j", "1", str(path)).stdout)
    two = json.loads(cli_in("scan", "--format", "json", "-j", "2", str(path)).stdout)
    for doc in (one, two):
        doc.pop("summary")
    assert one == two and len(one["findings"]) == 7


def test_a_large_report_on_a_pipe_arrives_whole(cli_in, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The CLI leaves without the interpreter's teardown: whatever is still buffered must be flushed
    # first. 400 findings make a JSON report of several pipe buffers.
    members = {f"lib/m{i}.js": f"exports.t = '{github_token(seed=3000 + i)}';\n" for i in range(400)}
    path = write(tmp_path, "many.tgz", npm_tarball(members, license="MIT"))
    result = cli_in("scan", "--format", "json", str(path))
    assert result.returncode == 1 and len(result.stdout) > 2 * 65536
    report = json.loads(result.stdout)
    assert sum(f["rule"] == "github.pat-classic" for f in report["findings"]) == 400


def test_a_report_nobody_reads_is_not_a_pass(tmp_path: Path) -> None:
    # The reader of stdout is gone before the (passing) report is written: a scan error (exit 3),
    # not a pass and not "blocking findings" (click's own exit 1), and never a traceback.
    clean = write(tmp_path, "notes.txt", b"nothing to see here\n")
    proc = subprocess.Popen([sys.executable, "-m", "leakguard", "scan", "--format", "json", str(clean)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert err == b"leakguard: error: cannot write the report: standard output was closed\n"
    assert run_cli("scan", "--format", "json", str(clean), cwd=tmp_path).returncode == 0  # read: a pass
