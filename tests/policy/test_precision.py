"""Precision on real releases (issue 23): the source-map policy weighs the evidence of intent, maps
are one finding per artifact and severity, fixtures are one severity lower unless proven real, a key
reported twice is one finding, toy .env files are low, configured internal domains block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.model import Severity, Verdict
from leakguard.policy.config import Config, load_config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, sdist, source_map, write, zip_bytes
from tests.helpers.projects import pem
from tests.helpers.tokens import github_token

FIRST = [("../src/index.ts", "export const a = 1;\n"), ("../src/util.ts", "export function u() { return 2; }\n")]
REPO = {"repository": {"type": "git", "url": "git+https://github.com/acme/widget.git"}}


def _maps(verdict: Verdict) -> list[tuple[str, str, str]]:
    return [(f.rule_id, f.severity.label, f.origin.inner) for f in (*verdict.blocking, *verdict.reported)
            if f.category.value == "source-map"]


@pytest.mark.parametrize(("license_", "extra", "severity"), [
    ("UNLICENSED", {}, "critical"),  # proprietary
    (None, {}, "critical"),  # missing
    ("MIT", {}, "high"),  # open, but no public repository
    ("MIT", {"repository": "git+https://git.corp.example/acme/widget.git"}, "high"),  # a private server
    ("Apache-2.0", REPO, "medium"),  # open, with its public repository
    ("(MIT OR Apache-2.0)", {"repository": "github:acme/widget"}, "medium"),
    ("Custom-Acme-License", REPO, "high"),  # not an open-source licence
])
def test_embedded_sources_are_weighed_by_licence_and_repository(tmp_path: Path, license_: str | None,
                                                                 extra: dict[str, object], severity: str) -> None:
    pkg = write(tmp_path, "w.tgz", npm_tarball({"dist/index.js.map": source_map(FIRST)}, license=license_,
                                               extra=extra))
    verdict = scan([str(pkg)], Config())
    assert _maps(verdict) == [("source-map.embedded-sources", severity, "package/dist/index.js.map")]
    if severity == "medium":
        [finding] = verdict.reported
        assert "source at https://github.com/acme/widget" in finding.message
        assert "public-sources = true" in finding.message
        assert scan([str(pkg)], Config(fail_on=Severity.MEDIUM)).exit_code == 1


def test_sources_shipped_as_files_match_by_content_under_any_path(tmp_path: Path) -> None:
    """rxjs 7.8.1: the map embeds ../cjs/... sources that ship byte for byte under dist/esm5/."""
    bundle_map = source_map([("../cjs/a.js", "var a = 1;\n"), ("../cjs/b.js", "var b = 2;\n")])
    files = {"dist/bundles/x.umd.js.map": bundle_map, "dist/esm5/a.js": "var a = 1;\n",
             "dist/esm5/b.js": "var b = 2;\n"}
    verdict = scan([str(write(tmp_path, "rx.tgz", npm_tarball(files, license="Apache-2.0")))], Config())
    assert _maps(verdict) == [("source-map.shipped-sources", "low", "package/dist/bundles/x.umd.js.map")]
    files["dist/esm5/b.js"] = "var b = 3;\n"  # one source differs from what ships: that one is hidden
    verdict = scan([str(write(tmp_path, "rx2.tgz", npm_tarball(files, license="Apache-2.0")))], Config())
    [finding] = verdict.blocking
    assert finding.rule_id == "source-map.embedded-sources" and "embeds 1 first-party source file (" in finding.message


def test_maps_of_one_artifact_and_severity_are_one_finding_with_every_map_related(tmp_path: Path) -> None:
    maps = {f"dist/m{i}.js.map": source_map([(f"../src/m{i}.ts", "x\n" * (i + 1) * 50)]) for i in range(5)}
    pkg = write(tmp_path, "next.tgz", npm_tarball(maps, license="MIT", extra=REPO))
    result = run_cli("scan", "--format", "json", "--fail-on", "medium", str(pkg), cwd=tmp_path)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["severity"] == "medium" and finding["location"]["path"] == str(pkg)
    assert finding["message"].startswith("5 source maps embed 5 first-party source files")
    assert "largest: package/dist/m4.js.map (1 file," in finding["message"]
    related = [r["path"].rsplit("!/", 1)[-1] for r in finding["related"]]
    assert related == [f"package/dist/m{i}.js.map" for i in (4, 3, 2, 1, 0)]  # the largest first
    sarif = json.loads(run_cli("scan", "--format", "sarif", str(pkg), cwd=tmp_path).stdout)
    [result_] = sarif["runs"][0]["results"]
    assert len(result_["relatedLocations"]) == 5
    text = run_cli("scan", str(pkg), cwd=tmp_path).stdout
    assert len(text.splitlines()) < 15  # a screenful, not a line per map


def test_each_map_is_still_allowed_on_its_own(tmp_path: Path) -> None:
    maps = {f"dist/m{i}.js.map": source_map([(f"../src/m{i}.ts", "x\n")]) for i in range(3)}
    pkg = write(tmp_path, "p.tgz", npm_tarball(maps, license="UNLICENSED"))
    (tmp_path / ".leakguard.toml").write_text('[[allow]]\npath = "package/dist/m0.js.map"\nreason = "published"\n')
    verdict = scan([str(pkg)], load_config(start=tmp_path))
    [finding] = verdict.blocking
    assert [r.origin.inner for r in finding.related] == ["package/dist/m1.js.map", "package/dist/m2.js.map"]
    assert [f.origin.inner for f in verdict.suppressed] == ["package/dist/m0.js.map"]


def test_a_map_the_previous_release_had_is_carried_over(tmp_path: Path) -> None:
    old = write(tmp_path, "w-1.0.0.tgz", npm_tarball({"a.js.map": source_map(FIRST)}, version="1.0.0", license="MIT"))
    both = {"a.js.map": source_map(FIRST), "b.js.map": source_map(FIRST)}
    new = write(tmp_path, "w-1.1.0.tgz", npm_tarball(both, version="1.1.0", license="MIT"))
    verdict = scan([str(new)], Config(), against=[str(old)])
    carried = {f.origin.inner: f.carried_over for f in verdict.blocking if f.rule_id == "source-map.embedded-sources"}
    assert carried == {"package/a.js.map": True, "package/b.js.map": False}


def test_a_credential_in_a_fixture_path_is_one_level_lower_unless_proven_real(tmp_path: Path) -> None:
    key = "sk-proj-" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3k"
    files = {
        "tests/fixtures/settings.py": f"OPENAI_API_KEY = '{key}' \n",
        "tests/gh.py": f"TOKEN = '{github_token(seed=3)}'\n",  # a GitHub checksum: proof it is real
        "src/app.py": "OPENAI_API_KEY = 'sk-proj-" + "Zb3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3k' \n",
    }
    pkg = write(tmp_path, "f.tgz", sdist(files, name="fix", version="1.0"))
    by_path = {f.origin.inner: f for f in (*scan([str(pkg)], Config()).blocking, *scan([str(pkg)], Config()).reported)}
    fixture = by_path["fix-1.0/tests/fixtures/settings.py"]
    proven, real = by_path["fix-1.0/tests/gh.py"], by_path["fix-1.0/src/app.py"]
    assert fixture.severity == Severity(real.severity - 1)
    assert "in a test or documentation path" in fixture.message
    assert fixture.fact("fixture") == "fix-1.0/tests/"
    assert proven.severity is Severity.CRITICAL and proven.fact("proof") is not None
    off = {f.origin.inner: f.severity for f in scan([str(pkg)], Config(fixture_paths=())).blocking}
    assert off["fix-1.0/tests/fixtures/settings.py"] == real.severity


def test_a_key_in_a_test_folder_is_one_medium_finding_with_both_rule_ids(tmp_path: Path) -> None:
    """requests' test certificate keys: one finding (not private-key.pkcs8 and file.private-key)."""
    key = pem("PRIVATE KEY", "srv")
    pkg = write(tmp_path, "r.tgz", sdist({"tests/certs/server.key": key}, name="req", version="2"))
    verdict = scan([str(pkg)], Config())
    assert verdict.blocking == ()
    [finding] = verdict.reported
    assert (finding.rule_id, finding.severity) == ("private-key.pkcs8", Severity.MEDIUM)
    assert finding.fact("also") == "file.private-key"
    [outside] = scan([str(write(tmp_path, "k.tgz", sdist({"certs/server.key": key})))], Config()).blocking
    assert outside.severity is Severity.HIGH


def test_traversal_names_inside_a_test_archive_are_lowered(tmp_path: Path) -> None:
    """Django's own path-traversal test archives, inside its sdist's tests/."""
    evil = zip_bytes({"../../etc/evil.txt": "x\n"})
    pkg = write(tmp_path, "d.tgz", sdist({"tests/utils_tests/archives/evil.zip": evil}, name="dj", version="5"))
    verdict = scan([str(pkg)], Config())
    assert verdict.blocking == ()
    assert [(f.rule_id, f.severity.label) for f in verdict.reported if f.rule_id.startswith("walk.")] == [
        ("walk.unsafe-path", "medium")]


def test_toy_env_files_are_low_and_real_ones_high(tmp_path: Path) -> None:
    """Flask 3.1.3's tests/test_apps/.env: FOO=env, SPAM=1, EGGS=2."""
    toy = write(tmp_path, "t.tgz", sdist({"tests/test_apps/.env": "FOO=env\nSPAM=1\nEGGS=2\n"}, name="fl"))
    assert [(f.rule_id, f.severity.label) for f in scan([str(toy)], Config()).reported] == [
        ("file.dotenv-toy", "low")]
    real = write(tmp_path, "r.tgz", npm_tarball({".env": "APP_MODE=production\nSIGNING=kQ7x2Lp9Vz4mR8tW\n"}))
    assert [(f.rule_id, f.severity.label) for f in scan([str(real)], Config()).blocking] == [("file.dotenv", "high")]
    url = write(tmp_path, "u.tgz", npm_tarball({".env": "DATABASE_URL=postgres://app:S3cr3tPa55@db.internal/app\n"}))
    [merged] = scan([str(url)], Config()).blocking  # the URL's password and the file: one finding
    assert merged.category.value == "credential" and merged.fact("also") == "file.dotenv"


def test_a_configured_internal_domain_blocks(tmp_path: Path) -> None:
    pkg = write(tmp_path, "i.tgz", npm_tarball({"a.js": "fetch('https://api.build.corp.example.net/v1')\n"}))
    [finding] = scan([str(pkg)], Config(internal_domains=("corp.example.net",))).blocking
    assert (finding.category.value, finding.severity) == ("internal-endpoint", Severity.HIGH)


@pytest.mark.parametrize("path", [
    "src/core/tsi/test_creds/server.key",  # grpcio: a test_* directory
    "third_party/crypto/pem/pem_test.cc",  # BoringSSL: a *_test.* file
    "dummyserver/certs/server.key",  # urllib3's test server
    "vendored/meson/test cases/common/1 trivial/server.key",  # meson's test cases
    "README.md",  # documentation a package's metadata repeats
])
def test_conventional_test_and_documentation_names_are_fixture_paths(tmp_path: Path, path: str) -> None:
    key = pem("PRIVATE KEY", path)
    pkg = write(tmp_path, "g.tgz", sdist({path: key, "src/server.key": pem("PRIVATE KEY", "real")}, name="g"))
    verdict = scan([str(pkg)], Config())
    assert [f.origin.inner for f in verdict.blocking] == ["g-1.0.0/src/server.key"]
    [lowered] = verdict.reported
    assert (lowered.origin.inner, lowered.severity) == (f"g-1.0.0/{path}", Severity.MEDIUM)


def test_fixture_findings_of_one_artifact_and_rule_are_one_finding_baselined_each(tmp_path: Path) -> None:
    """paramiko's sdist: 24 test keys read as a few findings, each key still listed and baselined."""
    keys = {f"tests/keys/k{i}.key": pem("PRIVATE KEY", f"k{i}") for i in range(4)}
    keys["docs/usage.rst"] = "Load it::\n\n" + pem("PRIVATE KEY", "doc")
    pkg = write(tmp_path, "p.tgz", sdist({**keys, "src/app.py": "x = 1\n"}, name="pk", version="5"))
    report = json.loads(run_cli("scan", "--format", "json", str(pkg), cwd=tmp_path).stdout)
    [finding] = report["findings"]
    assert (finding["rule"], finding["severity"]) == ("private-key.pkcs8", "medium")
    assert finding["message"].startswith("5 findings in test or documentation paths (pk-5/tests/")
    assert "pk-5/docs/usage.rst" in finding["message"]
    assert sorted(r["path"].rsplit("!/", 1)[-1] for r in finding["related"]) == sorted(f"pk-5/{p}" for p in keys)
    text = run_cli("scan", "-v", str(pkg), cwd=tmp_path).stdout
    # One finding line (its next step names the rule again, to suppress it).
    assert [line.split()[1] for line in text.splitlines() if line.startswith("  MEDIUM ")] == ["private-key.pkcs8"]
    baseline = tmp_path / "b.json"
    assert run_cli("baseline", "create", "-o", str(baseline), str(pkg), cwd=tmp_path).returncode == 0
    assert len(json.loads(baseline.read_text())["entries"]) == 5  # one per key, not one for the group
    again = run_cli("scan", "--format", "json", "--fail-on", "medium", "--baseline", str(baseline), str(pkg),
                    cwd=tmp_path)
    assert again.returncode == 0
    assert [f["suppressed"]["kind"] for f in json.loads(again.stdout)["findings"]] == ["baseline"] * 5
    assert scan([str(pkg)], Config(fail_on=Severity.MEDIUM)).exit_code == 1


def test_a_linker_version_script_named_map_is_text_not_a_broken_source_map(tmp_path: Path) -> None:
    """numpy 2.5.5's sdist: meson's test cases hold vers.map linker scripts, which start with '{'."""
    script = "{\n  global: stuff_version;\n  local: *;\n};\n"
    token = github_token(seed=9)
    pkg = write(tmp_path, "n.tgz", sdist({"build/vers.map": script, "build/other.map": script + f"# {token}\n"},
                                         name="n"))
    verdict = scan([str(pkg)], Config())
    assert verdict.problems == ()
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [
        ("github.pat-classic", "n-1.0.0/build/other.map")]
    truncated = write(tmp_path, "t.tgz", npm_tarball({"a.js.map": b'{"version":3,"sources":["a.ts"],"mappings":"AA'}))
    assert [p.kind for p in scan([str(truncated)], Config()).problems] == ["corrupt"]


def test_a_sparse_array_compressing_past_200_to_1_is_not_a_bomb(tmp_path: Path) -> None:
    """scipy 1.18.1's sdist: an .npz member of 33.5 MB from 119 kB, a legitimate 280:1."""
    npz = zip_bytes({"arr_0.npy": b"\x93NUMPY" + bytes(40 * 1024 * 1024)})
    pkg = write(tmp_path, "s.tgz", sdist({"benchmarks/data/probs.npz": npz}, name="sp"))
    verdict = scan([str(pkg)], Config())
    assert verdict.exit_code == 0 and verdict.unscanned == ()


def test_a_name_that_promises_another_format_is_reported_but_does_not_block(tmp_path: Path) -> None:
    """meson's test data in numpy's sdist: a .tar.gz that is not gzip is read by its content."""
    pkg = write(tmp_path, "m.tgz", npm_tarball({"data/cache.tar.gz": b"not an archive at all\n"}))
    verdict = scan([str(pkg)], Config())
    assert verdict.exit_code == 0
    assert [(f.rule_id, f.severity.label) for f in verdict.reported] == [("walk.format-mismatch", "medium")]
