"""Registry specs against a loopback server: download, verify, cache, errors. No internet."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from leakguard import registry
from leakguard.app import scan
from leakguard.errors import ScanError, UsageError
from leakguard.policy.config import Config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, sdist, source_map, wheel
from tests.helpers.registry_server import serve

LEAK = npm_tarball({"cli.js.map": source_map([("../src/a.ts", "internal\n")])}, name="@acme/cli", version="2.0.0",
                   license="UNLICENSED")
CLEAN = npm_tarball({"cli.js": "x\n"}, name="@acme/cli", version="1.0.0", license="UNLICENSED")


def test_npm_latest_exact_and_tag(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("@acme/cli", {"1.0.0": CLEAN, "2.0.0": LEAK}, latest="2.0.0")
        [latest] = registry.resolve("npm:@acme/cli", registry=reg.base, cache=tmp_path)
        [old] = registry.resolve("npm:@acme/cli@1.0.0", registry=reg.base, cache=tmp_path)
        [tagged] = registry.resolve("npm:@acme/cli@latest", registry=reg.base, cache=tmp_path)
    assert (latest.version, latest.path.name, latest.path.read_bytes()) == ("2.0.0", "cli-2.0.0.tgz", LEAK)
    assert (old.version, old.path.read_bytes()) == ("1.0.0", CLEAN)
    assert tagged.path == latest.path
    verdict = scan([str(latest.path)], Config())
    assert [f.rule_id for f in verdict.blocking] == ["source-map.embedded-sources"]


def test_pypi_every_file_of_a_release(tmp_path: Path) -> None:
    whl, sd = wheel({"demo/__init__.py": ""}, name="demo", version="1.0"), sdist({"demo/__init__.py": ""}, name="demo", version="1.0")
    with serve() as reg:
        reg.pypi_release("demo", "1.0", {"demo-1.0-py3-none-any.whl": whl, "demo-1.0.tar.gz": sd})
        latest = registry.resolve("pypi:demo", index_url=reg.base, cache=tmp_path)
        exact = registry.resolve("pypi:demo==1.0", index_url=reg.base, cache=tmp_path)
    assert sorted(d.path.name for d in latest) == ["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"]
    assert [d.path for d in exact] == [d.path for d in latest]


def test_integrity_mismatch_is_a_scan_error(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("bad", {"1.0.0": CLEAN}, latest="1.0.0", corrupt=True)
        with pytest.raises(ScanError, match=r"npm:bad: sha512 integrity mismatch"):
            registry.resolve("npm:bad", registry=reg.base, cache=tmp_path)
    assert list(tmp_path.rglob("*.tgz")) == []  # nothing unverified is kept


def test_unknown_package_and_version(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("real", {"1.0.0": CLEAN}, latest="1.0.0")
        with pytest.raises(UsageError, match=r"npm:nope: not found on 127\.0\.0\.1"):
            registry.resolve("npm:nope", registry=reg.base, cache=tmp_path)
        with pytest.raises(UsageError, match=r"no version 9\.9\.9 of real"):
            registry.resolve("npm:real@9.9.9", registry=reg.base, cache=tmp_path)
        with pytest.raises(UsageError, match="pypi:nope: not found"):
            registry.resolve("pypi:nope", index_url=reg.base, cache=tmp_path)
    with pytest.raises(UsageError, match="expected npm:NAME"):
        registry.resolve("npm:Bad Name!", cache=tmp_path)


def test_network_failure_is_a_scan_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ScanError, match=r"npm:x: cannot reach 127\.0\.0\.1"):
        registry.resolve("npm:x", registry=f"http://127.0.0.1:{port}", cache=tmp_path, timeout=5)


def test_cache_hit_and_tampered_cache(tmp_path: Path) -> None:
    with serve() as reg:
        reg.npm_package("c", {"1.0.0": CLEAN}, latest="1.0.0")
        [first] = registry.resolve("npm:c", registry=reg.base, cache=tmp_path)
        downloads = sum(1 for r in reg.requests if r.startswith("/files/"))
        registry.resolve("npm:c", registry=reg.base, cache=tmp_path)
        assert sum(1 for r in reg.requests if r.startswith("/files/")) == downloads  # served from the cache
        first.path.write_bytes(b"tampered")
        [again] = registry.resolve("npm:c", registry=reg.base, cache=tmp_path)
        assert again.path.read_bytes() == CLEAN
        assert sum(1 for r in reg.requests if r.startswith("/files/")) == downloads + 1


def test_token_only_sent_to_the_registry_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_REGISTRY_TOKEN", "s3cr3t-registry-token")
    with serve() as reg, serve() as cdn:
        reg.npm_package("t", {"1.0.0": CLEAN}, latest="1.0.0")
        # Point the tarball at another host (a CDN): the token must not go there.
        doc = json.loads(reg.routes["/t"][0])
        cdn.routes["/files/t-1.0.0.tgz"] = reg.routes["/files/t-1.0.0.tgz"]
        doc["versions"]["1.0.0"]["dist"]["tarball"] = cdn.base + "/files/t-1.0.0.tgz"
        reg.routes["/t"] = (json.dumps(doc).encode(), "application/json")
        registry.resolve("npm:t", registry=reg.base, cache=tmp_path)
    assert reg.auth == ["Bearer s3cr3t-registry-token"]
    assert cdn.auth == [None]


def test_cli_scans_specs_and_diffs_against_the_published_release(tmp_path: Path) -> None:
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
        gate = run_cli("scan", "--format", "json", "--registry", reg.base, "npm:@acme/cli@2.0.0",
                       "--against", "npm:@acme/cli@1.0.0", cwd=tmp_path, env=env)
        assert [a["path"] for a in json.loads(gate.stdout)["diff"][0]["added"]] == ["package/cli.js.map"]
        missing = run_cli("scan", "--registry", reg.base, "npm:@acme/none", cwd=tmp_path, env=env)
        assert missing.returncode == 2 and "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_pypi_version_from_the_project_document_when_the_version_endpoint_is_missing(tmp_path: Path) -> None:
    whl = wheel({"demo/__init__.py": ""}, name="demo", version="0.9")
    with serve() as reg:
        reg.pypi_release("demo", "0.9", {"demo-0.9-py3-none-any.whl": whl})
        doc = json.loads(reg.routes.pop("/pypi/demo/0.9/json")[0])
        project = {"info": {"name": "demo", "version": "1.0"}, "urls": [], "releases": {"0.9": doc["urls"]}}
        reg.routes["/pypi/demo/json"] = (json.dumps(project).encode(), "application/json")
        [download] = registry.resolve("pypi:demo==0.9", index_url=reg.base, cache=tmp_path)
        assert (download.path.name, download.version) == ("demo-0.9-py3-none-any.whl", "0.9")
        with pytest.raises(UsageError, match=r"no version 2\.0 of demo"):
            registry.resolve("pypi:demo==2.0", index_url=reg.base, cache=tmp_path)
