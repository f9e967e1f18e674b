"""Codenames and internal endpoints: how code spells names, where they hide, what is public."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.errors import ConfigError
from leakguard.match import Matcher
from leakguard.match.custom import codename_hash, codename_rules, domain_rules, longest_literal
from leakguard.model import Severity
from leakguard.policy.config import Config, load_config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write

NAMES = Matcher(codename_rules(["capybara", "mythos", "opus-4"], ["sonnet-4-[8-9]"]))


@pytest.mark.parametrize(
    "text",
    ["Capybara", "CAPYBARA", "capybara_v2", "use-capybara", "CapybaraClient", "capybara.internal", "useCapybara",
     "const MYTHOS = 1", "model: opus-4", "opus-4-7", "claude-sonnet-4-8", "Sonnet-4-9"],
)
def test_codename_spellings_match(text: str) -> None:
    assert NAMES.matches(text.encode()), text


@pytest.mark.parametrize("text", ["capybaraclient", "mythosphere", "MYTHOSPHERE", "opus-45", "opus-40", "xcapybara",
                                  "sonnet-4-7", "sonnet-4-80"])
def test_codename_lookalikes_do_not_match(text: str) -> None:
    assert NAMES.matches(text.encode()) == [], text


def test_patterns_need_a_literal_for_the_prefilter() -> None:
    assert longest_literal("opus-4-[7-9]") == "opus-4-"
    with pytest.raises(ConfigError, match="needs a literal of 3 or more characters"):
        codename_rules([], [r"[a-z]+\d"])
    with pytest.raises(ConfigError, match="codenames"):
        codename_rules(["ab"], [])


def _scan(tmp_path: Path, files: dict[str, str | bytes], config: Config, name: str = "p.tgz"):  # type: ignore[no-untyped-def]
    return scan([str(write(tmp_path, name, npm_tarball(files, license="MIT")))], config)


def test_codenames_in_content_paths_base64_and_source_maps(tmp_path: Path) -> None:
    encoded = base64.b64encode(b"internal model name: Capybara-large, do not ship").decode()
    cli_map = source_map([("../src/models/capybara/client.ts", "export const x = 1;\n\nconst n = 'Fennec';\n")])
    files: dict[str, str | bytes] = {
        "dist/index.js": "module.exports = { model: 'capybara' };\n",
        "dist/capybara/index.js": "module.exports = 1;\n",
        "dist/blob.json": json.dumps({"data": encoded}),
        "dist/index.js.map": cli_map,
    }
    verdict = _scan(tmp_path, files, Config(codenames=("capybara", "fennec")))
    found = {(f.rule_id, f.origin.chain[1:], f.span.line if f.span else None) for f in verdict.blocking
             if f.category.value == "codename"}
    assert found == {
        ("codename.capybara", ("package/dist/index.js",), 1),
        ("codename.capybara", ("package/dist/capybara/index.js",), None),
        ("codename.capybara", ("package/dist/blob.json", "<base64 at line 1>"), 1),
        ("codename.capybara", ("package/dist/index.js.map", "../src/models/capybara/client.ts"), None),
        ("codename.fennec", ("package/dist/index.js.map", "../src/models/capybara/client.ts"), 3),
        ("codename.capybara", ("package/dist/index.js.map",), 4),  # the map's own sources list
    }
    assert all(f.severity is Severity.HIGH for f in verdict.blocking if f.category.value == "codename")


def test_public_codenames_are_reported_not_blocking(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"cli.js": "const TENGU_EVENT = 'tengu_start'; // capybara\n"}
    verdict = _scan(tmp_path, files, Config(codenames=("tengu", "capybara"), public_codenames=("tengu",)))
    assert [f.rule_id for f in verdict.blocking] == ["codename.capybara"]
    assert {(f.rule_id, f.severity) for f in verdict.reported} == {("codename.tengu", Severity.INFO)}


def test_hashed_codenames(tmp_path: Path) -> None:
    config = Config(codenames_sha256=(codename_hash("Numbat"),))
    verdict = _scan(tmp_path, {"a.js": "x\nconst NUMBAT_MODE = true;\n", "b.js": "numbatty\n"}, config)
    assert [(f.rule_id, f.origin.inner, f.span.line if f.span else 0) for f in verdict.blocking] == [
        (f"codename.sha256-{codename_hash('numbat')[:12]}", "package/a.js", 2)
    ]
    assert "numbat" not in verdict.blocking[0].rule_id


def test_codename_cli_options_and_hash_command(tmp_path: Path) -> None:
    pkg = write(tmp_path, "p.tgz", npm_tarball({"a.js": "const fennecMode = 1;\n"}))
    (tmp_path / "names.txt").write_text("# unreleased\nfennec  # Q3\n\n")
    assert run_cli("scan", str(pkg), cwd=tmp_path).returncode == 0
    assert run_cli("scan", "--codename", "fennec", str(pkg), cwd=tmp_path).returncode == 1
    result = run_cli("scan", "--codenames-file", "names.txt", str(pkg), cwd=tmp_path)
    assert result.returncode == 1 and "codename.fennec" in result.stdout
    digest = run_cli("codename-hash", "  Fennec ", cwd=tmp_path)
    assert digest.stdout == f"{codename_hash('fennec')}  fennec\n"
    (tmp_path / ".leakguard.toml").write_text(f'codenames-sha256 = ["{digest.stdout.split()[0]}"]\n')
    assert run_cli("scan", str(pkg), cwd=tmp_path).returncode == 1
    (tmp_path / ".leakguard.toml").write_text('codenames-sha256 = ["abc"]\n')
    bad = run_cli("scan", str(pkg), cwd=tmp_path)
    assert bad.returncode == 2 and "codenames-sha256" in bad.stderr
    # Several names: each beside its hash, in the order given, so none can be mixed up.
    several = run_cli("codename-hash", "capybara", "Fennec", "opus-5", cwd=tmp_path)
    assert several.stdout.splitlines() == [f"{codename_hash(n)}  {n}" for n in ("capybara", "fennec", "opus-5")]


DOMAINS = Matcher(domain_rules(["corp.example.com"]))


@pytest.mark.parametrize("text", ["https://corp.example.com/x", "http://build.eu.corp.example.com:8080",
                                  "host=db1.CORP.example.com;", "corp.example.com"])
def test_internal_domains_match(text: str) -> None:
    assert DOMAINS.matches(text.encode()), text


@pytest.mark.parametrize("text", ["https://corp.example.com.evil.net/", "notcorp.example.com", "corp.example.community",
                                  "my-corp.example.com"])
def test_internal_domain_lookalikes_do_not_match(text: str) -> None:
    assert DOMAINS.matches(text.encode()) == [], text


def test_endpoints_in_a_package(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text('internal-domains = ["corp.example.com"]\n')
    files: dict[str, str | bytes] = {
        "lib/api.js": "const A='https://api.corp.example.com/v1'; const B='http://10.1.2.3:9000/';\n"
                      "const C='http://127.0.0.1:3000'; const D='https://www.example.com';\n"
                      "const E='http://metrics.svc.internal:9090/';\n",
        "README.md": "Run it on http://localhost:8080 or http://192.0.2.1/ (documentation range).\n",
        ".npmrc": "@acme:registry=https://npm.artifactory.acme.io/api/npm/private/\n",
    }
    verdict = _scan(tmp_path, files, load_config(start=tmp_path))
    found = {(f.rule_id, f.severity, f.origin.inner) for f in verdict.blocking + verdict.reported
             if f.category.value == "internal-endpoint"}
    assert found == {
        ("endpoint.domain.corp-example-com", Severity.HIGH, "package/lib/api.js"),  # configured: blocks
        ("endpoint.private-ip-url", Severity.LOW, "package/lib/api.js"),
        ("endpoint.internal-suffix", Severity.LOW, "package/lib/api.js"),
        ("endpoint.npm-registry", Severity.LOW, "package/.npmrc"),
    }
    # The configured domain blocks; generic internal suffixes and private addresses stay low.
    assert [f.rule_id for f in verdict.blocking] == ["endpoint.domain.corp-example-com"]


def test_publish_config_registry(tmp_path: Path) -> None:
    manifest = {"publishConfig": {"registry": "https://nexus.build.acme.net/repository/npm-internal/"}}
    data = npm_tarball({}, extra=manifest)
    verdict = scan([str(write(tmp_path, "r.tgz", data))], Config())
    found = [(f.rule_id, f.origin.inner) for f in verdict.reported]
    assert found == [("endpoint.npm-registry", "package/package.json")]


def test_hashed_names_remember_a_bounded_number_of_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every distinct word is hashed once, but what is remembered is bounded: an artifact of
    millions of distinct words (minified bundles) does not grow the memory with it."""
    from leakguard.match import hashed

    monkeypatch.setattr(hashed, "SEEN", 500)
    names = hashed.HashedNames(frozenset({hashlib.sha256(b"quokka").hexdigest()}))
    for round_ in range(5):
        words = b" ".join(b"w%d_%d" % (round_, i) for i in range(400))
        assert names.find(words + b" quokkaMode") == {"quokka"}
        assert len(names._seen) <= 500 + 402
