"""Registry specs against a loopback server: download, verify, cache, errors. No internet."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from leakguard import about, registry
from leakguard.app import scan
from leakguard.errors import ScanError, UsageError
from leakguard.policy.config import Config
from leakguard.registry import Client
from tests.helpers.archives import npm_tarball, source_map, wheel
from tests.helpers.registry_server import serve

LEAK = npm_tarball({"cli.js.map": source_map([("../src/a.ts", "internal\n")])}, name="@acme/cli", version="2.0.0",
                   license="UNLICENSED")
CLEAN = npm_tarball({"cli.js": "x\n"}, name="@acme/cli", version="1.0.0", license="UNLICENSED")


def _fetch(spec: str, cache: Path, **where: str) -> list[registry.Download]:
    return registry.download(spec, cache=cache, client=registry.client_for(where.get("registry", "http://x")), **where)


def test_npm_latest_exact_and_tag(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("@acme/cli", {"1.0.0": CLEAN, "2.0.0": LEAK}, latest="2.0.0")
        [latest] = _fetch("npm:@acme/cli", tmp_path, registry=reg.base)
        [old] = _fetch("npm:@acme/cli@1.0.0", tmp_path, registry=reg.base)
        [tagged] = _fetch("npm:@acme/cli@latest", tmp_path, registry=reg.base)
    assert (latest.file.version, latest.path.name, latest.path.read_bytes()) == ("2.0.0", "cli-2.0.0.tgz", LEAK)
    assert latest.label == "npm:@acme/cli (cli-2.0.0.tgz)"
    assert (old.file.version, old.path.read_bytes()) == ("1.0.0", CLEAN)
    assert tagged.path == latest.path
    verdict = scan([str(latest.path)], Config())
    assert [f.rule_id for f in verdict.blocking] == ["source-map.embedded-sources"]


def test_integrity_mismatch_is_a_scan_error(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("bad", {"1.0.0": CLEAN}, latest="1.0.0", corrupt=True)
        with pytest.raises(ScanError, match=r"npm:bad: bad-1.0.0.tgz: sha512 integrity mismatch"):
            _fetch("npm:bad", tmp_path, registry=reg.base)
    assert list(tmp_path.rglob("*.tgz")) == []  # nothing unverified is kept


def test_unknown_package_and_version(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("real", {"1.0.0": CLEAN}, latest="1.0.0")
        with pytest.raises(UsageError, match=r"npm:nope: not found on 127\.0\.0\.1"):
            _fetch("npm:nope", tmp_path, registry=reg.base)
        with pytest.raises(UsageError, match=r"no version 9\.9\.9 of real"):
            _fetch("npm:real@9.9.9", tmp_path, registry=reg.base)
        with pytest.raises(UsageError, match="pypi:nope: not found"):
            _fetch("pypi:nope", tmp_path, index=reg.base + "/simple/")
    with pytest.raises(UsageError, match="expected npm:NAME"):
        _fetch("npm:Bad Name!", tmp_path)


def test_network_failure_is_a_scan_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    slept: list[float] = []
    with pytest.raises(ScanError, match=r"npm:x: cannot reach 127\.0\.0\.1"):
        registry.download("npm:x", registry=f"http://127.0.0.1:{port}", cache=tmp_path,
                          client=Client(timeout=5, sleep=slept.append))
    assert slept == []  # nothing listens there: no point in trying again


def test_cache_hit_and_tampered_cache(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("c", {"1.0.0": CLEAN}, latest="1.0.0")
        [first] = _fetch("npm:c", tmp_path, registry=reg.base)
        downloads = sum(1 for r in reg.requests if r.startswith("/files/"))
        _fetch("npm:c", tmp_path, registry=reg.base)
        assert sum(1 for r in reg.requests if r.startswith("/files/")) == downloads  # served from the cache
        first.path.write_bytes(b"tampered")
        [again] = _fetch("npm:c", tmp_path, registry=reg.base)
        assert again.path.read_bytes() == CLEAN
        assert sum(1 for r in reg.requests if r.startswith("/files/")) == downloads + 1


def test_npm_token_only_sent_to_the_npm_registry_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_REGISTRY_TOKEN", "s3cr3t-registry-token")
    whl = wheel({"demo/__init__.py": ""}, name="demo", version="1.0")
    with serve() as reg, serve() as cdn, serve() as index:
        reg.npm_package("t", {"1.0.0": CLEAN}, latest="1.0.0")
        # Point the tarball at another host (a CDN): the token must not go there.
        doc = json.loads(reg.routes["/t"][0])
        cdn.routes["/files/t-1.0.0.tgz"] = reg.routes["/files/t-1.0.0.tgz"]
        doc["versions"]["1.0.0"]["dist"]["tarball"] = cdn.base + "/files/t-1.0.0.tgz"
        reg.routes["/t"] = (json.dumps(doc).encode(), "application/json")
        index.simple_project("demo", {"demo-1.0-py3-none-any.whl": whl})
        session = registry.client_for(reg.base)
        registry.download("npm:t", registry=reg.base, cache=tmp_path, client=session)
        registry.download("pypi:demo", index=index.base + "/simple", cache=tmp_path, client=session)
    assert reg.auth == ["Bearer s3cr3t-registry-token"]
    assert cdn.auth == [None]
    assert set(index.auth) == {None}  # nor to a Python index
    assert set(reg.agents + cdn.agents + index.agents) == {f"leakguard/{about.version()}"}


def test_retries_answers_of_429_and_5xx_and_asks_the_hook_each_time(tmp_path: Path) -> None:
    slept: list[float] = []
    asked: list[str] = []
    with serve() as reg:
        reg.npm_package("r", {"1.0.0": CLEAN}, latest="1.0.0")
        reg.failures["/r"] = [503, 429]
        reg.failures["/files/r-1.0.0.tgz"] = [0]  # a connection cut without an answer
        session = Client(sleep=slept.append, before_request=asked.append)
        [got] = registry.download("npm:r", registry=reg.base, cache=tmp_path, client=session)
        assert got.path.read_bytes() == CLEAN
        reg.failures["/r"] = [500, 500, 500]
        with pytest.raises(ScanError, match=r"npm:r: http://127\.0\.0\.1:\d+/r answered HTTP 500"):
            registry.lookup("npm:r", registry=reg.base, client=session)
    assert slept[:3] == [0.0, 0.0, 1.0]  # Retry-After: 0 honoured; then backing off after the cut
    assert [a.rsplit("/", 1)[-1] for a in asked[:5]] == ["r", "r", "r", "r-1.0.0.tgz", "r-1.0.0.tgz"]


def test_cli_scans_npm_specs_and_diffs_against_the_published_release(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    with serve() as reg:
        reg.npm_package("@acme/cli", {"1.0.0": CLEAN, "2.0.0": LEAK}, latest="2.0.0")
        env = {"LEAKGUARD_CACHE_DIR": str(tmp_path / "cache")}
        result = run_cli("scan", "--format", "json", "--registry", reg.base, "npm:@acme/cli", cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stderr
        doc = json.loads(result.stdout)
        assert [(a["name"], a["version"]) for a in doc["artifacts"]] == [("@acme/cli", "2.0.0")]
        # Reports name the spec and the file, never the cache path.
        assert [a["path"] for a in doc["artifacts"]] == ["npm:@acme/cli (cli-2.0.0.tgz)"]
        assert {f["location"]["path"].split("!/")[0] for f in doc["findings"]} == {"npm:@acme/cli (cli-2.0.0.tgz)"}
        assert "leakguard: npm:@acme/cli: 1 file (cli-2.0.0.tgz)" in result.stderr
        gate = run_cli("scan", "--format", "json", "--registry", reg.base, "npm:@acme/cli@2.0.0",
                       "--against", "npm:@acme/cli@1.0.0", cwd=tmp_path, env=env)
        assert [a["path"] for a in json.loads(gate.stdout)["diff"][0]["added"]] == ["package/cli.js.map"]
        missing = run_cli("scan", "--registry", reg.base, "npm:@acme/none", cwd=tmp_path, env=env)
        assert missing.returncode == 2 and "not found" in missing.stderr and "Traceback" not in missing.stderr
