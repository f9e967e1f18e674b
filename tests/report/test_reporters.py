"""Every report format: golden files, the SARIF schema, redaction, exhaustiveness.

Golden files are rewritten only with ``pytest --update-golden``."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from leakguard.app import scan
from leakguard.model import (
    Artifact,
    Category,
    Finding,
    Origin,
    Problem,
    Secret,
    Severity,
    Span,
    Stats,
    Suppression,
    Unscanned,
    Verdict,
)
from leakguard.policy.config import Config
from leakguard.report import REPORTERS
from tests.conftest import ROOT
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.tokens import github_token

GOLDEN = ROOT / "tests" / "golden"
SCHEMA = json.loads((ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json").read_text())
EXT = {"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "github": "txt"}
TOKEN = github_token(seed=200)


def _verdict() -> Verdict:
    art = Origin(("dist/app-1.0.0.tgz",))
    dir_art = Origin(("src",), in_directory=True)
    secret = Secret(TOKEN.encode())
    return Verdict(
        blocking=(
            Finding("source-map.embedded-sources", Category.SOURCE_MAP, Severity.CRITICAL, art.child("package/cli.js.map"),
                    "package/cli.js.map embeds 3 first-party source files (1.2 kB) from ../src/ that are not shipped"),
            Finding("github.pat-classic", Category.CREDENTIAL, Severity.CRITICAL,
                    art.child("package/cli.js.map").child("../src/config.ts"), "GitHub personal access token (classic)",
                    span=Span(10, 50, 12, 18), secret=secret),
            Finding("codename.capybara", Category.CODENAME, Severity.HIGH, dir_art.child("app/models.py"),
                    "Unreleased codename | with, commas: and %", span=Span(0, 8, 3, 1), secret=Secret(b"Capybara")),
        ),
        reported=(
            Finding("endpoint.private-ip-url", Category.INTERNAL_ENDPOINT, Severity.LOW, art.child("package/lib/a.js"),
                    "URL to a private address", span=Span(0, 9, 1, 5), secret=Secret(b"10.0.0.1")),
            Finding("source-map.dangling-url", Category.SOURCE_MAP, Severity.INFO, art.child("package/lib/b.js"),
                    "sourceMappingURL points at package/lib/b.js.map, which is not in the package"),
            Finding("policy.growth", Category.POLICY, Severity.HIGH, art, "unpacked size grew +120%", carried_over=True),
            Finding("file.dotenv", Category.SENSITIVE_FILE, Severity.MEDIUM, art.child("package/.env"), ".env ships"),
            Finding("sourcecode.ts", Category.SOURCE_CODE, Severity.LOW, art.child("package/src/a.ts"), "source ships"),
        ),
        suppressed=(
            Finding("jwt.token", Category.CREDENTIAL, Severity.MEDIUM, art.child("package/test/t.js"), "JSON Web Token",
                    span=Span(0, 5, 2, 3), secret=Secret(b"eyJhbGciOi.eyJ.sig"), suppression=Suppression("inline", "fixture")),
        ),
        problems=(Problem(Origin(("dist/broken.zip",)), "corrupt", "bad CRC-32 for file 'a.txt'"),),
        artifacts=(Artifact("dist/app-1.0.0.tgz", "npm", "app", "1.0.0", "ab" * 32, 12, 34567, "MIT"),
                   Artifact("src", "directory", None, None, None, 3, 400)),
        unscanned=(Unscanned(Origin(("dist/app-1.0.0.tgz", "package/secret.zip")), "encrypted member, cannot be scanned"),),
        stats=Stats(artifacts=2, members=15, bytes_scanned=34967, seconds=0.5),
    )


def _render(fmt: str, verdict: Verdict, **options: bool) -> str:
    return REPORTERS[fmt](verdict, **options)


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_golden(fmt: str, update_golden: bool) -> None:
    path = GOLDEN / f"basic.{EXT[fmt]}" if fmt != "github" else GOLDEN / "basic.github.txt"
    output = _render(fmt, _verdict())
    output = output.replace(_version(), "VERSION")
    if update_golden:
        path.write_text(output)
    assert output == path.read_text(), f"{path} differs; run pytest --update-golden after checking the change"


def _version() -> str:
    from leakguard.report.sarif import _version as version

    return version()


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_secrets_redacted_unless_asked(fmt: str) -> None:
    assert TOKEN not in _render(fmt, _verdict())
    assert TOKEN in _render(fmt, _verdict(), redact=False)


def test_every_severity_and_category_is_handled() -> None:
    findings = tuple(
        Finding(f"x.{s.label}-{c.value}", c, s, Origin(("a.tgz", "package/x")), "m")
        for s in Severity for c in Category
    )
    verdict = Verdict(blocking=findings, reported=findings, problems=())
    for fmt, render in REPORTERS.items():
        assert render(verdict), fmt
    jsonschema.validate(json.loads(REPORTERS["sarif"](verdict)), SCHEMA)


def test_sarif_is_valid_and_usable_by_code_scanning() -> None:
    doc = json.loads(_render("sarif", _verdict()))
    jsonschema.validate(doc, SCHEMA)
    [run] = doc["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["github.pat-classic"]["properties"]["security-severity"] == "9.5"
    assert "security" in rules["codename.capybara"]["properties"]["tags"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    cred = by_rule["github.pat-classic"]
    assert cred["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "dist/app-1.0.0.tgz/package/cli.js.map/../src/config.ts"
    assert cred["properties"]["leakguard/chain"] == ["dist/app-1.0.0.tgz", "package/cli.js.map", "../src/config.ts"]
    assert cred["partialFingerprints"]["leakguard/v1"] == _verdict().blocking[1].fingerprint
    assert cred["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 18}
    assert by_rule["jwt.token"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "inline: fixture"}]
    assert run["automationDetails"]["id"] == "leakguard/"
    assert run["invocations"][0]["executionSuccessful"] is False


def test_github_annotations_escape() -> None:
    lines = _render("github", _verdict()).splitlines()
    assert lines[0].startswith("::error file=dist/app-1.0.0.tgz/package/cli.js.map,title=source-map.embedded-sources::")
    assert any(line.startswith("::error file=src/app/models.py,line=3,col=1,title=codename.capybara::Unreleased codename "
                               "| with, commas: and %25") for line in lines)
    assert lines[-1] == "::notice title=leakguard::verdict error: 3 blocking"


def test_every_sarif_the_cli_writes_validates(tmp_path: Path) -> None:
    data = npm_tarball({"cli.js.map": source_map([("../src/a.ts", f"const t = '{TOKEN}';\n")]),
                        "x.js": f"// leakguard:allow github.pat-classic demo\nt='{TOKEN}' // leakguard:allow github demo"},
                       license="UNLICENSED")
    path = write(tmp_path, "p.tgz", data)
    verdict = scan([str(path)], Config())
    doc = json.loads(REPORTERS["sarif"](verdict))
    jsonschema.validate(doc, SCHEMA)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"source-map.embedded-sources", "github.pat-classic"}
    assert any("suppressions" in r for r in doc["runs"][0]["results"])
    assert TOKEN not in json.dumps(doc)
