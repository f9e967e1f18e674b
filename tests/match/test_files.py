"""Sensitive files and shipped sources: rules/files.toml on real archives."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.errors import RuleError
from leakguard.match.files import check_examples, load_file_rules, parse_file_rules
from leakguard.model import Severity
from leakguard.policy.config import Config
from tests.helpers.archives import npm_tarball, sdist, tar_bytes, wheel, write
from tests.helpers.tokens import github_token

RULES = load_file_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_file_rule_examples(rule) -> None:  # type: ignore[no-untyped-def]
    assert check_examples(rule) == []


def _found(path: Path, config: Config | None = None) -> set[tuple[str, str, Severity]]:
    verdict = scan([str(path)], config or Config())
    return {(f.rule_id, str(f.origin).removeprefix(str(path)), f.severity) for f in (*verdict.blocking, *verdict.reported)
            if f.rule_id.startswith(("file.", "source."))}


def test_env_files_and_templates(tmp_path: Path) -> None:
    files = {
        ".env": "API_URL=https://api.acme.io\n",
        ".env.example": "API_KEY=<your-api-key>\nDB_PASSWORD=\nTOKEN=${TOKEN}\n",
        "config/.env.sample": "API_KEY=k3j4h5g6f7d8s9a0q1w2e3\n",
    }
    path = write(tmp_path, "e.tgz", npm_tarball(files))
    assert _found(path) == {("file.dotenv", "!/package/.env", Severity.HIGH),
                            ("file.dotenv-template", "!/package/config/.env.sample", Severity.MEDIUM)}


def test_npmrc_with_reference_is_fine_with_literal_token_is_both_findings(tmp_path: Path) -> None:
    token = github_token(seed=301)
    ok = write(tmp_path, "ok.tgz", npm_tarball({".npmrc": "//npm.pkg.github.com/:_authToken=${NPM_TOKEN}\n"}))
    assert _found(ok) == set()
    bad = write(tmp_path, "bad.tgz", npm_tarball({".npmrc": f"//npm.pkg.github.com/:_authToken={token}\n"}))
    verdict = scan([str(bad)], Config())
    # The file rule and the credential rule both report: the file should not ship, and the token leaked.
    assert {(f.rule_id, f.origin.inner) for f in verdict.blocking} == {
        ("file.npmrc", "package/.npmrc"), ("github.pat-classic", "package/.npmrc")}


def test_pem_by_content(tmp_path: Path) -> None:
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
    path = write(tmp_path, "k.tgz", npm_tarball({"certs/ca.pem": cert, "certs/server.pem": key, "id_ed25519.pub": "ssh"}))
    assert _found(path) == {("file.private-key", "!/package/certs/server.pem", Severity.HIGH)}


def test_vcs_directory_is_one_finding(tmp_path: Path) -> None:
    files = {".git/HEAD": "ref: refs/heads/main\n", ".git/config": "[core]\n", ".git/objects/ab/cd": "x", ".gitignore": "x"}
    path = write(tmp_path, "g.tgz", npm_tarball(files))
    verdict = scan([str(path)], Config())
    [finding] = [f for f in verdict.blocking if f.rule_id == "file.vcs"]
    assert (str(finding.origin), finding.message.split(";")[0]) == (
        f"{path}!/package/.git/", "Version control data: .git/ ships (3 files)")


def test_original_sources_only_beside_a_compiled_entry(tmp_path: Path) -> None:
    files = {"src/index.ts": "export {}", "src/app.tsx": "x", "dist/index.js": "x", "dist/index.d.ts": "x"}
    compiled = write(tmp_path, "c.tgz", npm_tarball(files, extra={"main": "dist/index.js", "types": "dist/index.d.ts"}))
    assert _found(compiled) == {("source.original", "", Severity.LOW)}
    verdict = scan([str(compiled)], Config())
    [finding] = [f for f in verdict.reported if f.rule_id == "source.original"]
    assert finding.message.startswith("Original sources beside the compiled build: 2 files ship (src/app.tsx, src/index.ts)")
    source_entry = write(tmp_path, "s.tgz", npm_tarball(files, extra={"main": "src/index.ts"}))
    assert _found(source_entry) == set()


def test_tests_ci_and_agent_files_are_low_and_can_be_disabled(tmp_path: Path) -> None:
    files = {"test/a.test.js": "x", "__tests__/b.js": "x", ".github/workflows/ci.yml": "x", "CLAUDE.md": "x",
             ".claude/settings.json": "{}", "index.js": "x"}
    path = write(tmp_path, "t.tgz", npm_tarball(files))
    assert _found(path) == {("source.tests", "", Severity.LOW), ("source.ci-config", "", Severity.LOW),
                            ("file.agent-notes", "", Severity.LOW), ("file.agent-config", "", Severity.MEDIUM)}
    assert _found(path, Config(disable=("source", "file.agent-notes"))) == {("file.agent-config", "", Severity.MEDIUM)}


def test_wheel_extension_sources_and_sdist_prefix(tmp_path: Path) -> None:
    whl = write(tmp_path, "w-1.0-cp311-cp311-linux_x86_64.whl",
                wheel({"w/_speedups.c": "int x;", "w/_speedups.cpython-311-x86_64-linux-gnu.so": b"\x7fELF", "w/__init__.py": ""}))
    assert _found(whl) == {("source.c-extension", "", Severity.LOW)}
    pure = write(tmp_path, "p-1.0-py3-none-any.whl", wheel({"p/helper.c": "int x;", "p/__init__.py": ""}))
    assert _found(pure) == set()
    sd = write(tmp_path, "w-1.0.tar.gz", sdist({".env": "X=k3j4h5g6f7d8s9a0\n", "w/__init__.py": ""}, name="w"))
    assert _found(sd) == {("file.dotenv", "!/w-1.0.0/.env", Severity.HIGH)}


def test_build_paths_in_maps(tmp_path: Path) -> None:
    data = '{"version":3,"sources":["webpack:///Users/alice/work/app/src/a.js"],"mappings":"A"}'
    assert _found(write(tmp_path, "m.tgz", npm_tarball({"dist/a.js.map": data}))) == {
        ("file.build-paths", "!/package/dist/a.js.map", Severity.LOW)}


def test_directory_target(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / ".env").write_text("A=k3j4h5g6f7d8s9a0q1\n")
    path = tmp_path / "pkg"
    verdict = scan([str(path)], Config())
    assert [(f.rule_id, str(f.origin)) for f in verdict.blocking] == [("file.dotenv", f"{path}/.env")]


@pytest.mark.parametrize(("text", "message"), [
    ('[[files]]\nid = "x.y"\npatterns = ["a"]\nseverity = "high"\nreason = "r"\nexamples = ["a", "a"]\n'
     'negative-examples = ["b", "c"]\ncontent = "magic"', "content: unknown check 'magic'"),
    ('[[files]]\nid = "x.y"\npatterns = ["a"]\nseverity = "high"\nreason = "r"\nexamples = ["a"]\nnegative-examples = []',
     "needs at least 2 examples"),
    ('[[files]]\nid = "x.y"\npatterns = ["a"]\nseverity = "dire"\nreason = "r"', "severity"),
])
def test_bad_file_rules(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_file_rules(text, "f.toml")


def test_tar_member_in_nested_path_is_not_a_top_level_file(tmp_path: Path) -> None:
    data = tar_bytes({"site/docs/.env.example": "KEY=<value>\n", "site/index.html": "x"})
    assert _found(write(tmp_path, "s.tar.gz", data)) == set()
