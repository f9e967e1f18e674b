"""Sensitive files and shipped sources (rules/files.toml, leakguard.match.files).

The detector runs on the walker's real events over archives built in memory, exactly as the app
drives it: ``member()`` for each whole, non-derived blob, ``finish()`` at each artifact's end with
the package.json read from its blob.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard.errors import RuleError
from leakguard.match import filechecks
from leakguard.match.filechecks import (
    CONTENT_CHECKS,
    build_paths,
    core_dump,
    database_dump,
    env_file,
    env_toy,
    env_values,
    npmrc_credentials,
    private_key,
    sqlite,
)
from leakguard.match.filerules import check_examples, load_file_rules, parse_file_rules
from leakguard.match.files import FileDetector, infer_kind, npm_manifest, package_path
from leakguard.model import ArtifactEnd, Blob, Category, Finding, Origin, Severity
from leakguard.walk import walk
from leakguard.walk.limits import Limits
from tests.helpers.archives import npm_tarball, sdist, tar_bytes, wheel, write
from tests.helpers.projects import (
    MIGRATION,
    MYSQL_DUMP,
    elf_core,
    elf_shared_object,
    extension_wheel,
    pem,
    python_sdist,
    source_map,
    ts_library,
)

RULES = load_file_rules()
DETECTOR = FileDetector(RULES)
BY_ID = {rule.id: rule for rule in RULES}


def detect(target: Path, kind_hint: str = "") -> list[Finding]:
    """Walk ``target`` and run the detector on its events, as the app does."""
    findings: list[Finding] = []
    manifest = None
    for event in walk([str(target)], Limits()):
        if isinstance(event, Blob) and not event.derived and event.offset == 0:
            if event.origin.chain[1:] == ("package/package.json",) or (
                    event.origin.in_directory and event.origin.chain[1:] == ("package.json",)):
                manifest = npm_manifest(event.data)
            findings += DETECTOR.member(event.origin, event.data, kind_hint)
        elif isinstance(event, ArtifactEnd):
            findings += DETECTOR.finish(event.paths, event.artifact, manifest)
            manifest = None
    return findings


def found(target: Path, kind_hint: str = "") -> set[tuple[str, str]]:
    """(rule id, origin) of every finding, the artifact path shortened to ``A``."""
    return {(f.rule_id, str(f.origin).replace(str(target), "A")) for f in detect(target, kind_hint)}


def one(findings: list[Finding], rule_id: str) -> Finding:
    [finding] = [f for f in findings if f.rule_id == rule_id]
    return finding


# -- the rules as data --------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_examples_match_and_negative_examples_do_not(rule) -> None:  # type: ignore[no-untyped-def]
    assert check_examples(rule) == []
    assert all(rule.matches(path) for path in rule.examples)
    assert not any(rule.matches(path) for path in rule.negative_examples)
    assert rule.category in (Category.SENSITIVE_FILE, Category.SOURCE_CODE)
    assert rule.id.startswith("file." if rule.category is Category.SENSITIVE_FILE else "source.")


def test_every_content_check_is_used_and_source_rules_stay_below_high() -> None:
    assert {r.content for r in RULES if r.content} == set(CONTENT_CHECKS)
    assert {r.id: r.severity for r in RULES if r.category is Category.SOURCE_CODE and r.severity > Severity.MEDIUM} == {}


_MINIMAL = 'id = "x.y"\ntitle = "T"\ncategory = "sensitive-file"\nseverity = "high"\nreason = "r"\n' \
           'patterns = ["a.txt"]\nexamples = ["a.txt", "d/a.txt"]\nnegative-examples = ["b.txt", "a.txt.md"]\n'


@pytest.mark.parametrize(("extra", "message"), [
    ("", None),
    ('colour = "red"\n', "rules/files.toml: x.y: unknown key 'colour'"),
    ('[[files]]\n' + _MINIMAL, "rules/files.toml: x.y: duplicate id"),
])
def test_rule_document_errors_name_file_and_rule(extra: str, message: str | None) -> None:
    text = "[[files]]\n" + _MINIMAL + extra
    if message is None:
        [rule] = parse_file_rules(text)
        assert (rule.id, rule.severity, rule.kinds[0]) == ("x.y", Severity.HIGH, "npm")
        return
    with pytest.raises(RuleError) as caught:
        parse_file_rules(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("severity", '"dire"', "severity: expected one of"),
    ("category", '"credential"', "category: expected one of sensitive-file, source-code"),
    ("patterns", '["!"]', "pattern '!'"),
    ("patterns", '["!a.txt"]', "every pattern is a negation"),
    ("patterns", '["# comment"]', "selects nothing"),
    ("patterns", '"a.txt"', "patterns: expected a list"),
    ("examples", '["b.txt", "a.txt"]', "example does not match: 'b.txt'"),
    ("negative-examples", '["a.txt", "c"]', "negative example matches: 'a.txt'"),
    ("examples", '["a.txt"]', "needs at least 2 examples"),
    ("content", '"magic"', "content: unknown check 'magic'"),
    ("when", '"full-moon"', "when: unknown condition 'full-moon'"),
    ("kinds", '["npm", "jar"]', "kinds: expected some of"),
    ("aggregate", '"yes"', "aggregate: expected true or false"),
    ("references", '["http://example.com"]', "references: expected https://"),
    ("title", '""', "title: expected a non-empty string"),
])
def test_invalid_rule_raises_rule_error_naming_the_rule(key: str, value: str, problem: str) -> None:
    lines = [line for line in _MINIMAL.splitlines() if not line.startswith(f"{key} =")]
    text = "[[files]]\n" + "\n".join(lines) + f"\n{key} = {value}\n"
    with pytest.raises(RuleError, match=r"^f\.toml: x\.y: ") as caught:
        parse_file_rules(text, "f.toml")
    assert problem in str(caught.value)


def test_a_content_check_cannot_be_aggregated_or_cover_folders() -> None:
    text = "[[files]]\n" + _MINIMAL + 'content = "private-key"\naggregate = true\n'
    with pytest.raises(RuleError, match="content check judges single files"):
        parse_file_rules(text)


def test_bad_id_and_bad_toml() -> None:
    with pytest.raises(RuleError, match=r"^rules/files\.toml: 'X': id: expected"):
        parse_file_rules('[[files]]\nid = "X"\n')
    with pytest.raises(RuleError, match=r"^rules/files\.toml: not valid TOML"):
        parse_file_rules("[[files]\n")
    with pytest.raises(RuleError, match="unknown top-level key 'rules'"):
        parse_file_rules("[[rules]]\n")


# -- content checks, payload beside verdict (None = not a finding) ------------------------------


@pytest.mark.parametrize(("check", "payload", "detail"), [
    (env_file, b"API_URL=https://api.acme.io\nDB_PASSWORD='k3j4h5g6f7'\nexport REGION=eu\n",
     "3 values: API_URL, DB_PASSWORD, REGION"),
    (env_file, b"# nothing here\nAPI_KEY=\n", None),
    (env_toy, b"# nothing here\nAPI_KEY=\nPORT=8080\n", "no value but empty ones, placeholders and short numbers"),
    (env_toy, b"use flake\n", "no value but empty ones, placeholders and short numbers"),  # scipy's .envrc
    (env_values, b"API_KEY=<your-api-key>\nDB_PASSWORD=\nTOKEN=${TOKEN}\nSECRET=changeme\nPORT=3000\n", None),
    (env_values, b"API_KEY=your_api_key_here # from the dashboard\nDEBUG=false\n", None),
    (env_values, b'API_KEY="k3j4h5g6f7d8s9a0q1w2"\nPORT=3000\n', "1 value that is not a placeholder: API_KEY"),
    (npmrc_credentials, b"//npm.pkg.github.com/:_authToken=${NPM_TOKEN}\nregistry=https://r.example/\n", None),
    (npmrc_credentials, b"save-exact=true\n", None),
    (npmrc_credentials, b"//npm.pkg.github.com/:_authToken=npm_k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8o9p0\n",
     "1 literal credential for //npm.pkg.github.com/"),
    (npmrc_credentials, b"_auth = dXNlcjpwYXNzd29yZA==\n", "1 literal credential for default registry"),
    (private_key, pem("CERTIFICATE").encode(), None),
    (private_key, pem("PRIVATE KEY").encode(), "PRIVATE KEY block"),
    (private_key, pem("RSA PRIVATE KEY").encode(), "RSA PRIVATE KEY block"),
    (private_key, b"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n", None),
    (private_key, b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n"
                  b"AAAAIJSgZWhdZMSYC7jUVEqHIamaAa0hnrWc9qFe9vFaHYML\nPrivate-MAC: 7d3a\n", "PuTTY private key"),
    (private_key, b"PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\nAAAA\n", None),
    (private_key, b"-----BEGIN RSA PRIVATE KEY----- MIIEpQIBAAKCAQEAuyf/lNrH9ck8DmNyo3fGgvCI1l9s+cmBY3WIz+cUDqmxiieR. "
                  b"-----END RSA PRIVATE KEY-----", None),  # twilio 9.4.1's docstring stub
    (database_dump, MYSQL_DUMP.encode(), f"mysqldump output, {len(MYSQL_DUMP)} B"),
    (database_dump, MIGRATION.encode(), None),
    (database_dump, b"REDIS0011\xfa\x09redis-ver", "Redis RDB snapshot, 20 B"),
    (sqlite, b"SQLite format 3\x00" + bytes(84), "SQLite database, 100 B"),
    (sqlite, b"\x00\x06\x15\x61 berkeley db", None),
    (core_dump, elf_core(), "ELF core dump, 256 B"),
    (core_dump, elf_shared_object(), None),
    (core_dump, b"MDMP\x93\xa7\x00\x00", "Windows minidump, 8 B"),
    (core_dump, b"module.exports = require('./core');\n", None),
    (build_paths, source_map(["webpack:///Users/alice/work/app/src/a.ts", "/Users/alice/work/app/src/b.ts"]).encode(),
     "/Users/alice/ in 2 sources"),
    (build_paths, source_map(["file:///C:/Users/bob/app/a.ts"]).encode(), "C:/Users/bob/ in 1 source"),
    (build_paths, source_map(["C:\\Users\\bob\\app\\a.ts"]).encode(), "C:\\Users\\bob\\ in 1 source"),
    (build_paths, source_map(["../src/a.ts", "../node_modules/x/index.js"],
                             ["// see /Users/alice/notes.txt\n", "x"]).encode(), None),
    (build_paths, b'{"version":3,"sourceRoot":"/home/ci/build/","sources":["a.ts"],"mappings":""}',
     "/home/ci/ in 1 source"),
])
def test_content_checks(check, payload: bytes, detail: str | None) -> None:  # type: ignore[no-untyped-def]
    assert check(payload) == detail


_SOURCE_PARTS = st.sampled_from(["../src/a.ts", "/home/ci/x.ts", "/Users/bo/y.ts", "C:\\Users\\al\\z.ts",
                                 "Users/a/", "q\"/home/\"r", "webpack:///./w.ts", "", "]", ","])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _SOURCE_PARTS), max_size=12), st.sampled_from(["", " ", "\n  "]),
       st.booleans())
def test_build_paths_over_a_whole_array_is_the_same_as_item_by_item(
        sources: list[str | None], space: str, trailing_comma: bool) -> None:
    """An array with no home folder is passed over in one regex match; the answer is the one of
    looking at every item (including arrays the item loop stops early in: a trailing comma)."""
    items = [json.dumps(item) for item in sources]
    array = "[" + space + ("," + space).join(items) + ("," if trailing_comma and items else "") + space + "]"
    data = ('{"version":3,"sources":' + array + ',"mappings":""}').encode()
    every = [s for s in filechecks._source_strings(data, skim=False) if filechecks._HOME.search(s)]
    assert [s for s in filechecks._source_strings(data) if filechecks._HOME.search(s)] == every
    assert (build_paths(data) is None) == (every == [])


# -- paths inside the package -------------------------------------------------------------------


@pytest.mark.parametrize(("path", "kind", "inside"), [
    ("package/.env", "npm", ".env"),
    ("package/src/a.ts", "npm", "src/a.ts"),
    ("./package/.env", "npm", ".env"),
    ("widget-1.0.0/.env", "sdist", ".env"),
    ("widget/tests/test_a.py", "wheel", "widget/tests/test_a.py"),
    ("package/.env", "archive", "package/.env"),
    ("src/.env", "directory", "src/.env"),
    ("/home/me/proj/.env", "file", "home/me/proj/.env"),
    ("C:\\proj\\..\\.aws\\credentials", "file", "proj/.aws/credentials"),
])
def test_package_path(path: str, kind: str, inside: str) -> None:
    assert package_path(path, kind) == inside


@pytest.mark.parametrize(("origin", "kind"), [
    (Origin(("x.tgz", "package/.env")), "npm"),
    (Origin(("w-1.0-py3-none-any.whl", "w/.env")), "wheel"),
    (Origin(("w-1.0.tar.gz", "w-1.0/.env")), "sdist"),
    (Origin(("w-1.0-py3-none-any.whl", "w-1.0.dist-info/RECORD")), "wheel"),
    (Origin(("bundle.zip", "docs/.env")), "archive"),
    (Origin(("checkout", ".env"), in_directory=True), "directory"),
    (Origin((".env",)), "file"),
])
def test_infer_kind(origin: Origin, kind: str) -> None:
    assert infer_kind(origin) == kind


# -- sensitive files in real archives -----------------------------------------------------------


def test_npm_package_with_every_kind_of_sensitive_file(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "index.js": "module.exports = 1;\n",
        ".env": "API_URL=https://api.acme.io\nDB_PASSWORD=k3j4h5g6f7d8s9a0\nSENTRY_DSN=https://k3j4@o1.ingest.io/2\n",
        ".npmrc": "//registry.npmjs.org/:_authToken=npm_k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8o9p0\n",
        ".pypirc": "[pypi]\nusername = __token__\n",
        "deploy/.aws/credentials": "[default]\naws_access_key_id = AKIA...\n",
        ".docker/config.json": '{"auths": {}}',
        "certs/server.key": pem("EC PRIVATE KEY"),
        "keys/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "signing.p12": b"\x30\x82\x0a\x01",
        "infra/terraform.tfstate": '{"version": 4}',
        ".bash_history": "export TOKEN=abc\n",
        "backup.sql": MYSQL_DUMP,
        "core.4242": elf_core(),
        "npm-debug.log": "0 info it worked if it ends with ok\n",
        "dist/index.js.map": source_map(["/Users/alice/src/widget/index.ts"]),
    }
    path = write(tmp_path, "widget-1.0.0.tgz", npm_tarball(files))
    assert found(path) == {
        ("file.dotenv", "A!/package/.env"),
        ("file.npmrc", "A!/package/.npmrc"),
        ("file.pypirc", "A!/package/.pypirc"),
        ("file.aws-credentials", "A!/package/deploy/.aws/credentials"),
        ("file.docker-config", "A!/package/.docker/config.json"),
        ("file.private-key", "A!/package/certs/server.key"),
        ("file.ssh-key", "A!/package/keys/id_ed25519"),
        ("file.keystore", "A!/package/signing.p12"),
        ("file.terraform-state", "A!/package/infra/terraform.tfstate"),
        ("file.shell-history", "A!/package/.bash_history"),
        ("file.database-dump", "A!/package/backup.sql"),
        ("file.core-dump", "A!/package/core.4242"),
        ("file.package-manager-log", "A!/package/npm-debug.log"),
        ("file.build-paths", "A!/package/dist/index.js.map"),
    }
    findings = {f.rule_id: f for f in detect(path)}
    assert findings["file.dotenv"].message.startswith(
        "package/.env ships environment variables (3 values: API_URL, DB_PASSWORD, SENTRY_DSN); ")
    assert findings["file.dotenv"].severity is Severity.HIGH
    assert findings["file.dotenv"].key == "file.dotenv:.env"
    assert findings["file.build-paths"].message.startswith(
        "package/dist/index.js.map ships absolute build-machine paths in a source map (/Users/alice/ in 1 source)")
    assert findings["file.build-paths"].severity is Severity.LOW
    assert findings["file.npmrc"].message.startswith(
        "package/.npmrc ships npm configuration with a literal credential (1 literal credential for "
        "//registry.npmjs.org/)")
    # Messages name keys and registries, never values.
    assert not any("k3j4" in f.message or "npm_" in f.message for f in findings.values())


def test_the_negatives_that_matter(tmp_path: Path) -> None:
    files = {
        "index.js": "module.exports = 1;\n",
        ".env.example": "API_KEY=<your-api-key>\nDB_PASSWORD=\nTOKEN=${TOKEN}\nPORT=3000\n",
        ".npmrc": "//npm.pkg.github.com/:_authToken=${NPM_TOKEN}\n@acme:registry=https://npm.pkg.github.com\n",
        "certs/ca.pem": pem("CERTIFICATE"),
        "keys/id_ed25519.pub": "ssh-ed25519 AAAAC3Nza alice@laptop\n",
        "db/migrations/0001_init.sql": MIGRATION,
        "src/core/index.js": "module.exports = {};\n",
        "dist/index.js.map": source_map(["../src/index.ts"], ["// built on /Users/alice/ by hand\n"]),
        "CHANGELOG.md": "# 1.0.0\n",
        ".gitignore": "node_modules\n",
    }
    path = write(tmp_path, "widget-1.0.0.tgz", npm_tarball(files))
    assert found(path) == set()


def test_template_with_real_values_is_medium_and_names_the_keys(tmp_path: Path) -> None:
    files = {".env.example": "API_KEY=k3j4h5g6f7d8s9a0q1w2\nDEBUG=true\n", "config/.env.sample": "A=<a>\n"}
    findings = detect(write(tmp_path, "t.tgz", npm_tarball(files)))
    finding = one(findings, "file.dotenv-template")
    assert (str(finding.origin).split("!", 1)[1], finding.severity) == ("/package/.env.example", Severity.MEDIUM)
    assert "(1 value that is not a placeholder: API_KEY)" in finding.message
    assert len(findings) == 1


def test_vcs_folder_is_one_finding_per_folder_root_with_its_count(tmp_path: Path) -> None:
    files = {".git/HEAD": "ref: refs/heads/main\n", ".git/config": "[core]\n", ".git/objects/ab/cdef": "x",
             "vendor/lib/.hg/store/00manifest.i": "x", ".gitignore": "x", ".github/FUNDING.yml": "x"}
    path = write(tmp_path, "g.tgz", npm_tarball(files))
    findings = [f for f in detect(path) if f.rule_id == "file.vcs"]
    assert {(str(f.origin), f.message.split(";")[0], f.key) for f in findings} == {
        (f"{path}!/package/.git/", "package/.git/ ships version control data (3 files)", "file.vcs:.git/"),
        (f"{path}!/package/vendor/lib/.hg/", "package/vendor/lib/.hg/ ships version control data (1 file)",
         "file.vcs:vendor/lib/.hg/"),
    }


def test_gcloud_folder_once_and_adc_file_on_its_own(tmp_path: Path) -> None:
    files = {".config/gcloud/credentials.db": "x", ".config/gcloud/access_tokens.db": "x",
             "ci/application_default_credentials.json": "{}"}
    assert found(write(tmp_path, "g.tgz", npm_tarball(files))) == {
        ("file.gcloud", "A!/package/.config/gcloud/"),
        ("file.gcloud", "A!/package/ci/application_default_credentials.json"),
    }


def test_low_severity_leftovers_are_one_finding_per_artifact(tmp_path: Path) -> None:
    files = {".DS_Store": b"\x00\x00\x00\x01Bud1", "lib/.DS_Store": b"Bud1", ".idea/workspace.xml": "<x/>",
             "logs/build.log": "ok\n", "coverage/lcov-report/index.html": "<html/>", "coverage/lcov.info": "TN:\n",
             "CLAUDE.md": "# notes\n", ".claude/settings.local.json": "{}", "tools/__pycache__/x.cpython-311.pyc": b"\x00"}
    path = write(tmp_path, "w.tgz", npm_tarball(files))
    findings = detect(path)
    assert {(f.rule_id, str(f.origin), f.severity) for f in findings} == {
        ("file.editor-junk", str(path), Severity.LOW),
        ("file.log", str(path), Severity.LOW),
        ("file.coverage", str(path), Severity.LOW),
        ("file.agent-notes", str(path), Severity.LOW),
        ("file.agent-config", str(path), Severity.MEDIUM),
        ("file.bytecode", str(path), Severity.LOW),
    }
    assert one(findings, "file.editor-junk").message.startswith(
        "Editor and OS metadata: 3 files ship (.idea/ (1 file), .DS_Store, lib/.DS_Store); ")
    assert one(findings, "file.coverage").message.startswith(
        "Test coverage output: 2 files ship (coverage/lcov-report/ (1 file), coverage/lcov.info); ")
    assert {f.key for f in findings} == {f.rule_id for f in findings}


def test_aggregate_fingerprint_survives_a_version_bump(tmp_path: Path) -> None:
    old = write(tmp_path, "w-1.0.0.tgz", npm_tarball({"test/a.test.js": "x"}, version="1.0.0"))
    new = write(tmp_path, "w-1.1.0.tgz", npm_tarball({"test/a.test.js": "x", "test/b.test.js": "y"}, version="1.1.0"))
    assert one(detect(old), "source.tests").fingerprint == one(detect(new), "source.tests").fingerprint


# -- shipped source code ------------------------------------------------------------------------


def test_typescript_sources_beside_a_compiled_build(tmp_path: Path) -> None:
    path = write(tmp_path, "widget-1.0.0.tgz", ts_library(extra={"src/greet.test.ts": "test()", "src/App.tsx": "x"}))
    findings = detect(path)
    assert {(f.rule_id, str(f.origin)) for f in findings} == {
        ("source.original", str(path)), ("source.tests", str(path))}
    original = one(findings, "source.original")
    assert original.severity is Severity.MEDIUM and original.category is Category.SOURCE_CODE
    # src/index.d.ts is a declaration file, and the test file is source.tests' business.
    assert original.message.startswith(
        "Original sources beside the compiled build: 3 files ship (src/App.tsx, src/greet.ts, src/index.ts); ")


def test_sources_are_not_reported_when_the_package_runs_from_them(tmp_path: Path) -> None:
    ts_main = write(tmp_path, "a.tgz", ts_library({"main": "src/index.ts", "types": "src/index.ts"}))
    assert found(ts_main) == set()
    # exports pointing at a .ts file anywhere means the sources are the code
    ts_export = write(tmp_path, "b.tgz", ts_library({"exports": {".": {"bun": "./src/index.ts",
                                                                       "default": "./dist/index.js"}}}))
    assert found(ts_export) == set()
    # main declared but the compiled file is not shipped: nothing says the sources are redundant
    missing = write(tmp_path, "c.tgz", ts_library({"main": "build/index.js"}))
    assert found(missing) == set()


@pytest.mark.parametrize("manifest", [
    {"exports": {".": {"types": "./dist/index.d.ts", "import": "./dist/index.js"}}},
    {"exports": {"./*": "./dist/*.js"}, "main": None},
    {"main": "dist/index"},
    {"main": None, "module": "./dist/index.js"},
    {"main": None, "bin": {"widget": "./dist/index.js"}},
])
def test_compiled_entry_forms(tmp_path: Path, manifest: dict[str, object]) -> None:
    path = write(tmp_path, "w.tgz", ts_library(manifest))
    assert found(path) == {("source.original", "A")}


def test_tests_ci_and_build_configs_in_npm(tmp_path: Path) -> None:
    files = {"index.js": "x", "test/index.js": "x", "__tests__/b.js": "x", "lib/a.spec.js": "x",
             "fixtures/key.json": "{}", ".github/workflows/release.yml": "on: push\n", ".gitlab-ci.yml": "x",
             "tsconfig.json": "{}", "tsconfig.build.json": "{}", "webpack.config.js": "x", "jest.config.js": "x",
             "node_modules/dep/test/a.js": "x", "node_modules/dep/tsconfig.json": "{}"}
    findings = detect(write(tmp_path, "t.tgz", npm_tarball(files)))
    assert {(f.rule_id, f.severity) for f in findings} == {
        ("source.tests", Severity.LOW), ("source.ci-config", Severity.LOW), ("source.build-config", Severity.LOW)}
    assert one(findings, "source.tests").message.startswith(
        "Tests and fixtures: 4 files ship (__tests__/ (1 file), fixtures/ (1 file), test/ (1 file), lib/a.spec.js); ")
    assert one(findings, "source.build-config").message.startswith(
        "Build and tooling configuration: 4 files ship (jest.config.js, tsconfig.build.json, tsconfig.json, "
        "webpack.config.js); ")


def test_wheel_tests_and_extension_sources(tmp_path: Path) -> None:
    files = {"tests/test_core.py": "def test(): pass\n", "speedy/conftest.py": "", "speedy/core.pxd": "cdef int x\n"}
    path = write(tmp_path, "speedy-1.0.0-cp311-cp311-linux_x86_64.whl", extension_wheel(files))
    findings = detect(path)
    assert {(f.rule_id, str(f.origin)) for f in findings} == {
        ("source.tests", str(path)), ("source.c-extension", str(path))}
    assert one(findings, "source.c-extension").message.startswith(
        "C and Cython sources of a compiled extension: 3 files ship (speedy/_core.c, speedy/_fast.pyx, "
        "speedy/core.pxd); ")


def test_pure_wheel_with_c_helpers_and_bytecode_is_fine(tmp_path: Path) -> None:
    files = {"speedy/__pycache__/x.cpython-311.pyc": b"\x00", "speedy/data/helper.c": "int x;\n"}
    path = write(tmp_path, "speedy-1.0.0-py3-none-any.whl", extension_wheel(files, compiled=False))
    assert found(path) == set()


def test_sdist_keeps_its_tests_but_not_secrets_or_bytecode(tmp_path: Path) -> None:
    extra: dict[str, str | bytes] = {".env": "X=k3j4h5g6f7d8s9a0\n", "src/speedy/__pycache__/a.cpython-311.pyc": b"\x00",
                                     ".github/workflows/ci.yml": "on: push\n", ".git/HEAD": "ref\n"}
    path = write(tmp_path, "speedy-1.0.0.tar.gz", python_sdist(extra))
    findings = detect(path)
    assert {(f.rule_id, str(f.origin)) for f in findings} == {
        ("file.dotenv", f"{path}!/speedy-1.0.0/.env"),
        ("file.bytecode", str(path)),
        ("file.vcs", f"{path}!/speedy-1.0.0/.git/"),
    }
    assert one(findings, "file.vcs").key == "file.vcs:.git/"


# -- targets that are not packages --------------------------------------------------------------


def test_directory_target_has_no_vcs_or_source_findings(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    for name, text in {".git/HEAD": "ref\n", "package.json": '{"name": "w", "main": "dist/index.js"}',
                       "dist/index.js": "x", "src/index.ts": "x", "test/a.test.js": "x",
                       ".env": "API_KEY=k3j4h5g6f7d8s9a0\n", ".vscode/settings.json": "{}"}.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text)
    assert {(f.rule_id, str(f.origin)) for f in detect(checkout)} == {
        ("file.dotenv", f"{checkout}/.env"), ("file.editor-junk", str(checkout))}


def test_single_file_targets_as_a_pre_commit_hook_passes_them(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    key = tmp_path / "certs" / "server.pem"
    key.write_text(pem("PRIVATE KEY"))
    cert = tmp_path / "certs" / "ca.pem"
    cert.write_text(pem("CERTIFICATE"))
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text("[pypi]\npassword = x\n")
    test_file = tmp_path / "test_app.py"
    test_file.write_text("def test(): pass\n")
    assert {(f.rule_id, str(f.origin)) for t in (key, cert, pypirc, test_file) for f in detect(t)} == {
        ("file.private-key", str(key)), ("file.pypirc", str(pypirc))}


def test_members_of_nested_archives_are_left_to_the_content_rules(tmp_path: Path) -> None:
    inner = npm_tarball({".env": "A=k3j4h5g6f7d8s9a0\n"})
    path = write(tmp_path, "bundle.tgz", npm_tarball({"vendor/inner.tgz": inner, "index.js": "x"}))
    assert found(path) == set()


def test_plain_archive_judges_paths_as_they_are(tmp_path: Path) -> None:
    data = tar_bytes({"site/docs/.env.example": "KEY=<value>\n", "site/index.html": "x", "site/.env": "A=k3j4h5g6f7d8s9a0\n",
                      "site/test/a.js": "x"})
    assert found(write(tmp_path, "site.tar.gz", data)) == {("file.dotenv", "A!/site/.env")}


@pytest.mark.parametrize("kind_hint", ["", "npm", "archive"])
def test_kind_hint_only_changes_keys(tmp_path: Path, kind_hint: str) -> None:
    path = write(tmp_path, "w.tgz", npm_tarball({"certs/tls.key": pem("PRIVATE KEY")}))
    [finding] = detect(path, kind_hint)
    assert (finding.rule_id, str(finding.origin)) == ("file.private-key", f"{path}!/package/certs/tls.key")
    assert finding.key == ("file.private-key:package/certs/tls.key" if kind_hint == "archive"
                           else "file.private-key:certs/tls.key")


def test_unknown_kind_hint_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="kind_hint"):
        DETECTOR.member(Origin(("x.tgz", "package/.env")), b"", "jar")


def test_both_a_file_finding_and_room_for_the_credential_one(tmp_path: Path) -> None:
    # The detector adds only the file finding; the content matcher reports the token in the same member.
    path = write(tmp_path, "w.whl", wheel({"w/.npmrc": "//r.example/:_authToken=npm_k3j4h5g6f7d8s9a0q1w2e3r4\n"}))
    [finding] = detect(path)
    assert (finding.rule_id, finding.category, finding.secret, finding.span) == (
        "file.npmrc", Category.SENSITIVE_FILE, None, None)


def test_sdist_builder_layout(tmp_path: Path) -> None:
    # The sdist helper's root folder is what package_path strips.
    path = write(tmp_path, "x-2.0.tar.gz", sdist({".bash_history": "ls\n"}, name="x", version="2.0"))
    assert found(path) == {("file.shell-history", "A!/x-2.0/.bash_history")}


_SEGMENTS = st.sampled_from([".env", ".env.local", "prod.env", ".npmrc", "id_rsa", "id_rsa.pub", ".git", "config",
                             "src", "a.js", "a.js.map", "dump.sql", "db.sqlite3", "core", ".ssh", "node_modules",
                             "secrets", "key.pem", "Makefile", ".envrc", "x", "tests", "fixtures", "docs"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_SEGMENTS, min_size=1, max_size=5), st.booleans())
def test_quick_path_check_agrees_with_pathspec(parts: list[str], folder: bool) -> None:
    path = "/".join(parts) + ("/" if folder else "")
    for rule in load_file_rules():
        assert rule.matches(path) == bool(rule.spec.match_file(path)), (rule.id, path)


# -- the literal prefilter: a path holding none of a rule's literals is never one it selects ------

_PATTERN_CHARS = st.text(alphabet="ab./*?[]!#\\ ", min_size=1, max_size=10)


@st.composite
def _pattern_and_paths(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A pattern, and paths made from it (wildcards filled in, anchors dropped, folders around it)
    so that many of them match, beside a few random ones."""
    pattern = draw(_PATTERN_CHARS)
    paths = draw(st.lists(st.text(alphabet="ab./ #!*?[]", min_size=1, max_size=14), max_size=3))
    for _ in range(draw(st.integers(1, 4))):
        body = re.sub(r"\[!?([^\]/])[^\]]*\]", r"\1", pattern.lstrip("!").removeprefix("\\").lstrip("/"))
        body = body.replace("**", draw(st.sampled_from(["", "x", "x/y"])))
        body = body.replace("*", draw(st.sampled_from(["", "a", "ab.b"]))).replace("?", draw(st.sampled_from(["a", "."])))
        paths.append(draw(st.sampled_from(["", "p/", "p/q/"])) + body + draw(st.sampled_from(["", "/z", "/z/w"])))
    return pattern, paths


@pytest.mark.filterwarnings("ignore::FutureWarning")  # re, on random patterns such as "[[]"
@settings(max_examples=3000, deadline=None)
@given(case=_pattern_and_paths())
def test_what_a_pattern_selects_holds_its_required_text(case: tuple[str, list[str]]) -> None:
    import pathspec

    from leakguard.match.filerules import required_text

    pattern, paths = case
    try:
        spec = pathspec.GitIgnoreSpec.from_lines([pattern])
    except ValueError:
        return  # not a pattern pathspec accepts: never in a rule
    for path in paths:
        if spec.match_file(path) and not path.startswith("/") and "\\" not in path:
            assert required_text(pattern) in path, (pattern, path)


@settings(max_examples=300, deadline=None)
@given(extra=st.lists(st.sampled_from(["src", "lib", ".env", "a.pem", "tests", "x", "config", ".git", "id_rsa",
                                       "core", "b.sql", "y.ts", "node_modules", ".DS_Store", "/abs", "w\\in"]),
                      min_size=1, max_size=4))
def test_packaged_rules_select_exactly_what_pathspec_selects(extra: list[str]) -> None:
    import pathspec

    path = "/".join(extra)
    for rule in load_file_rules():
        assert rule.matches(path) == pathspec.GitIgnoreSpec.from_lines(rule.patterns).match_file(path), (rule.id, path)


def test_the_path_index_keeps_every_path_a_rule_selects() -> None:
    from leakguard.match.files import _PathIndex

    rules = load_file_rules()
    paths = sorted({p for rule in rules for p in (*rule.examples, *rule.negative_examples)}
                   | {f"pkg/{p}" for rule in rules for p in rule.examples} | {"/lead/.env", "win\\.npmrc"})
    index = _PathIndex(paths)
    for rule in rules:
        candidates = index.candidates(rule)
        assert candidates == [p for p in paths if p in set(candidates)]  # in order
        assert [p for p in paths if rule.matches(p)] == [p for p in candidates if rule.matches(p)], rule.id
        assert len(candidates) < len(paths) or rule.literals is None  # and it does filter
