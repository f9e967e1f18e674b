"""``leakguard audit`` and ``leakguard findings`` as a user runs them, against the loopback
registries, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from leakguard.audit import schema
from tests.audit.conftest import clean_tarball, leaky_tarball, leaky_wheel, rows
from tests.conftest import ROOT, run_cli
from tests.helpers.archives import npm_tarball, sdist
from tests.helpers.fake_registries import Fakes


def _audit(fakes: Fakes, db: str, *args: str, cwd: Path | None = None) -> object:
    return run_cli("audit", "--db", db, "--registry", fakes.base, "--index-url", fakes.base, "--workers", "2",
                   "--no-config", *args, cwd=cwd)


def _publish(fakes: Fakes, tmp_path: Path) -> dict[str, str]:
    tokens = {}
    data, tokens["npm"] = leaky_tarball("leaky", "1.0.0", seed=1)
    fakes.publish_npm("leaky", "1.0.0", data)
    fakes.publish_npm("tidy", "2.0.0", clean_tarball("tidy", "2.0.0"))
    data, tokens["pypi"] = leaky_wheel("sneaky", "0.3", seed=2)
    old = sdist({"README": "hello\n"}, name="sneaky", version="0.3")
    fakes.publish_pypi("sneaky", "0.3", {"sneaky-0.3-py3-none-any.whl": data, "sneaky-0.3.tar.gz": old})
    fakes.publish_pypi("sneaky", "0.2", {"sneaky-0.2.tar.gz": sdist({"README": "old\n"}, name="sneaky", version="0.2")})
    local, tokens["local"] = leaky_tarball("local", "0.1.0", seed=3)
    (tmp_path / "local-0.1.0.tgz").write_bytes(local)
    return tokens


def test_findings_land_once_and_a_rerun_adds_nothing(fakes: Fakes, db_url: str, tmp_path: Path) -> None:
    tokens = _publish(fakes, tmp_path)
    targets = ["npm:leaky@1.0.0", "npm:tidy", "pypi:sneaky==0.3", str(tmp_path / "local-0.1.0.tgz")]
    first = _audit(fakes, db_url, *targets)
    assert first.returncode == 0, first.stderr
    assert "5 artifacts stored (0 could not be scanned), 0 skipped" in first.stderr
    artifacts = {(a["spec"], a["filename"], a["verdict"]) for a in rows(db_url, schema.artifacts)}
    assert artifacts == {
        ("npm:leaky@1.0.0", "leaky-1.0.0.tgz", "fail"), ("npm:tidy@2.0.0", "tidy-2.0.0.tgz", "pass"),
        ("pypi:sneaky==0.3", "sneaky-0.3-py3-none-any.whl", "fail"), ("pypi:sneaky==0.3", "sneaky-0.3.tar.gz", "pass"),
        (str(tmp_path / "local-0.1.0.tgz"), "local-0.1.0.tgz", "fail"),
    }
    findings = {(f["rule"], f["location"].split("!/", 1)[1]) for f in rows(db_url, schema.findings)}
    assert findings == {("github.pat-classic", "package/index.js:1:16"),
                        ("github.pat-classic", "sneaky/__init__.py:1:10")}
    assert len(rows(db_url, schema.findings)) == 3  # the npm and the local tarball share a path, not an artifact

    again = _audit(fakes, db_url, *targets, "npm:leaky@1.0.0")
    assert again.returncode == 0, again.stderr
    assert "0 artifacts stored (0 could not be scanned), 6 skipped as already stored" in again.stderr
    assert len(rows(db_url, schema.artifacts)) == 5 and len(rows(db_url, schema.findings)) == 3
    assert [r["artifacts"] for r in sorted(rows(db_url, schema.runs), key=lambda r: r["id"])] == [5, 0]
    # No secret is stored anywhere: only fingerprints and redacted previews.
    dump = json.dumps([rows(db_url, t) for t in schema.metadata.sorted_tables], default=str, ensure_ascii=False)
    assert all(token not in dump and token[4:] not in dump for token in tokens.values())
    assert "ghp_…(40)" in dump
    assert fakes.agents and all(agent.startswith("leakguard/") for agent in fakes.agents)


def test_findings_query_and_formats(fakes: Fakes, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'a.db'}"  # the filters' SQL on PostgreSQL: test_store.py
    _publish(fakes, tmp_path)
    assert _audit(fakes, db_url, "npm:leaky@1.0.0", "npm:tidy@2.0.0", "pypi:sneaky==0.3").returncode == 0
    text = run_cli("findings", "--db", db_url)
    assert text.returncode == 0
    assert "npm:leaky@1.0.0 (leaky-1.0.0.tgz)" in text.stdout and "CRITICAL github.pat-classic" in text.stdout
    doc = json.loads(run_cli("findings", "--db", db_url, "--format", "json", "--artifact", "pypi:sneaky").stdout)
    assert [(f["spec"], f["rule"], f["preview"], f["blocking"]) for f in doc["findings"]] == [
        ("pypi:sneaky==0.3", "github.pat-classic", "ghp_…(40)", True)]
    assert run_cli("findings", "--db", db_url, "--format", "json", "--rule", "aws").stdout.count('"rule"') == 0
    assert run_cli("findings", "--db", db_url, "--format", "json", "--rule", "github").stdout.count('"rule"') == 2
    assert run_cli("findings", "--db", db_url, "--format", "json", "--since", "2999-01-01").stdout.count('"rule"') == 0
    csv = run_cli("findings", "--db", db_url, "--format", "csv", "--severity", "critical").stdout.splitlines()
    assert csv[0].startswith("scanned_at,spec,filename") and len(csv) == 3
    sarif = json.loads(run_cli("findings", "--db", db_url, "--format", "sarif").stdout)
    jsonschema.validate(sarif, json.loads((ROOT / "tests/schemas/sarif-schema-2.1.0.json").read_text()))
    assert {r["partialFingerprints"]["leakguard/v1"] for r in sarif["runs"][0]["results"]} == {
        f["fingerprint"] for f in rows(db_url, schema.findings)}


def test_new_lists_fingerprints_first_seen_in_the_last_run(fakes: Fakes, db_url: str, tmp_path: Path) -> None:
    first, _ = leaky_tarball("leaky", "1.0.0", seed=1)
    second, _ = leaky_tarball("leaky", "1.0.1", seed=1)  # the same secret in the next release
    third, _ = leaky_tarball("other", "1.0.0", seed=5)
    fakes.publish_npm("leaky", "1.0.0", first)
    fakes.publish_npm("leaky", "1.0.1", second)
    fakes.publish_npm("other", "1.0.0", third)
    assert _audit(fakes, db_url, "npm:leaky@1.0.0").returncode == 0
    assert _audit(fakes, db_url, "npm:leaky@1.0.1", "npm:other@1.0.0").returncode == 0
    doc = json.loads(run_cli("findings", "--db", db_url, "--new", "--format", "json").stdout)
    assert [f["spec"] for f in doc["findings"]] == ["npm:other@1.0.0"]  # leaky's secret alerted in run 1
    everything = json.loads(run_cli("findings", "--db", db_url, "--format", "json").stdout)["findings"]
    assert len(everything) == 3 and len({f["fingerprint"] for f in everything}) == 2


def test_targets_from_a_file_directories_and_errors(fakes: Fakes, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / ".env").write_text("API_KEY=k3j4h5g6f7d8s9a0\n")
    fakes.publish_npm("broken", "1.0.0", clean_tarball("broken", "1.0.0")[:90])  # truncated gzip
    fakes.publish_npm("tampered", "1.0.0", clean_tarball("tampered", "1.0.0"))
    fakes.files["/files/tampered-1.0.0.tgz"] += b"x"  # not what the packument's integrity says
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# audit list\n{folder}\n\nnpm:broken@1.0.0\nnpm:tampered@1.0.0\n")
    result = _audit(fakes, db, "--from", str(listing))
    assert result.returncode == 3, result.stderr
    assert "3 artifacts stored (2 could not be scanned)" in result.stderr
    stored = {r["spec"]: r for r in rows(db, schema.artifacts)}
    assert stored[str(folder)]["verdict"] == "fail" and stored[str(folder)]["digest"].startswith("tree:")
    assert stored["npm:broken@1.0.0"]["verdict"] == "error"
    assert "sha512 mismatch" in stored["npm:tampered@1.0.0"]["error"]
    assert stored["npm:tampered@1.0.0"]["sha256"] is None
    assert _audit(fakes, db, "npm:nope@1.0.0").returncode == 2
    assert _audit(fakes, db).returncode == 2
    missing = _audit(fakes, db, str(tmp_path / "missing.tgz"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_pypi_html_only_index_with_relative_urls(fakes: Fakes, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    _publish(fakes, tmp_path)
    fakes.html_only = True  # a private index that serves PEP 503 HTML only
    result = _audit(fakes, db, "pypi:sneaky")  # no version: the highest on the page
    assert result.returncode == 0, result.stderr
    assert {(r["spec"], r["filename"]) for r in rows(db, schema.artifacts)} == {
        ("pypi:sneaky==0.3", "sneaky-0.3-py3-none-any.whl"), ("pypi:sneaky==0.3", "sneaky-0.3.tar.gz")}
    assert "/packages/sneaky-0.3.tar.gz" in fakes.requests()  # ../../packages/ resolved against the page


def test_the_walkers_limits_apply_in_the_workers(fakes: Fakes, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = tmp_path / ".leakguard.toml"
    config.write_text("[limits]\nmax-total-bytes = 100000\n")
    bomb = npm_tarball({"zeros.bin": b"\0" * 2_000_000}, name="bomb", version="1.0.0")
    fakes.publish_npm("bomb", "1.0.0", bomb)
    fakes.publish_npm("tidy", "1.0.0", clean_tarball("tidy", "1.0.0"))
    result = run_cli("audit", "--db", db, "--registry", fakes.base, "--config", str(config), "npm:bomb@1.0.0",
                     "npm:tidy@1.0.0")
    assert result.returncode == 0, result.stderr  # a limit hit is a blocking finding: data for an audit
    stored = {r["spec"]: r for r in rows(db, schema.artifacts)}
    assert stored["npm:bomb@1.0.0"]["verdict"] == "fail" and stored["npm:tidy@1.0.0"]["verdict"] == "pass"
    limits = [f for f in rows(db, schema.findings) if f["artifact_id"] == stored["npm:bomb@1.0.0"]["id"]]
    assert [(f["rule"], f["blocking"]) for f in limits] == [("walk.limit", True)]
    assert "max-total-bytes" in limits[0]["message"]


def test_a_terminal_gets_a_live_progress_line(fakes: Fakes, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    targets = [f"npm:p{n}@1.0.0" for n in range(6)]
    for n in range(6):
        fakes.publish_npm(f"p{n}", "1.0.0", clean_tarball(f"p{n}", "1.0.0"))
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    process = subprocess.run([sys.executable, "-m", "leakguard", "audit", "--db", f"sqlite:///{tmp_path / 'a.db'}",
                              "--registry", fakes.base, "--no-config", *targets], stderr=follower,
                             stdout=subprocess.DEVNULL, env=env, timeout=120)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.returncode == 0
    text = shown.decode()
    assert "\r\x1b[Kaudit: 1 done, " in text and " queued, 0 failed, " in text and "/min" in text
    assert text.rstrip().endswith("in sqlite:///" + str(tmp_path / "a.db"))
    assert "audit: 6 artifacts stored (0 could not be scanned)" in text
