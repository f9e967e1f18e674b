"""Every report format: golden files, the SARIF schema, redaction, escaping, exhaustiveness.

Golden files live in tests/golden/<case>.<ext> and are rewritten only by ``pytest --update-golden``.
Two verdicts feed them: one built by hand from the model types (every section a reporter has), and
one from a real scan of an npm tarball with a planted token. Every SARIF document a test renders is
validated against the OASIS schema (a copy of ../shared/schemas/ in tests/schemas/, so a clone
without shared/ beside it still runs).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest

from leakguard import about
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
from leakguard.report import REPORTERS, github, markdown, sarif
from tests.conftest import ROOT
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.tokens import github_token

GOLDEN = ROOT / "tests" / "golden"
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
# The schema declares draft-04; validator_for honours that instead of assuming the newest draft.
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
EXT = {"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "github": "github.txt"}

TOKEN = github_token(seed=200)
CODENAME = b"Capybara"
PRIVATE_IP = b"10.0.0.1"
JWT = b"eyJhbGciOi.eyJ.sig"
ALL_SECRETS = (TOKEN.encode(), CODENAME, PRIVATE_IP, JWT)

APP = Origin(("dist/app-1.0.0.tgz",))
WHEEL = Origin(("/srv/build/dist/widget-2.0.0-py3-none-any.whl",))
SRC = Origin(("src",), in_directory=True)
# A member name an attacker chooses: a space, '#', '|', a backtick, '%', ':' and ','.
ODD = "package/conf `prod`|copy #1, 100%:a.env"


def basic_verdict() -> Verdict:
    """One of everything: blocking without and with a span, each severity, each section."""
    return Verdict(
        blocking=(
            Finding("source-map.embedded-sources", Category.SOURCE_MAP, Severity.CRITICAL,
                    APP.child("package/cli.js.map"),
                    "package/cli.js.map embeds 3 first-party source files (1.2 kB) from ../src/ that are not shipped"),
            Finding("github.pat-classic", Category.CREDENTIAL, Severity.CRITICAL,
                    APP.child("package/cli.js.map").child("../src/config.ts"),
                    "GitHub personal access token (classic)", span=Span(10, 50, 12, 18), secret=Secret(TOKEN.encode())),
            Finding("codename.capybara", Category.CODENAME, Severity.HIGH, SRC.child("app/models.py"),
                    "Unreleased codename | with, commas: and %", span=Span(0, 8, 3, 1), secret=Secret(CODENAME)),
        ),
        reported=(
            Finding("endpoint.private-ip-url", Category.INTERNAL_ENDPOINT, Severity.LOW,
                    WHEEL.child("widget/net.py"), "URL to a private address", span=Span(0, 9, 1, 5),
                    secret=Secret(PRIVATE_IP)),
            Finding("source-map.dangling-url", Category.SOURCE_MAP, Severity.INFO, APP.child("package/lib/b.js"),
                    "sourceMappingURL points at package/lib/b.js.map, which is not in the package"),
            Finding("policy.growth", Category.POLICY, Severity.HIGH, APP, "unpacked size grew +120%",
                    carried_over=True),
            Finding("file.dotenv", Category.SENSITIVE_FILE, Severity.MEDIUM, APP.child(ODD), "*.env* file <ships>"),
            Finding("sourcecode.ts", Category.SOURCE_CODE, Severity.LOW, APP.child("package/src/a.ts"),
                    "TypeScript source ships"),
        ),
        suppressed=(
            Finding("jwt.token", Category.CREDENTIAL, Severity.MEDIUM, APP.child("package/test/t.js"),
                    "JSON Web Token", span=Span(0, 5, 2, 3), secret=Secret(JWT),
                    suppression=Suppression("inline", "fixture")),
        ),
        problems=(Problem(Origin(("dist/broken.zip",)), "corrupt", "bad CRC-32 for file 'a.txt'"),),
        artifacts=(
            Artifact("dist/app-1.0.0.tgz", "npm", "app", "1.0.0", "ab" * 32, 12, 34567, "MIT"),
            Artifact(WHEEL.artifact, "wheel", "widget", "2.0.0", "cd" * 32, 4, 2048, "MIT"),
            Artifact("src", "directory", None, None, None, 3, 400),
        ),
        unscanned=(
            Unscanned(APP.child("package/secret.zip"), "encrypted member, cannot be scanned"),
            Unscanned(APP.child("package/node_modules/x.js"), "excluded by config", by_policy=True),
        ),
        stats=Stats(artifacts=3, members=19, bytes_scanned=37015, seconds=0.5),
    )


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in ``tmp_path``: relative URIs then depend on nothing outside the test."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _npm_scan(folder: Path) -> Verdict:
    """A real scan: a proprietary npm tarball whose source map embeds a file with a GitHub token,
    a second copy allowed inline (suppressed), and a dangling sourceMappingURL (info)."""
    data = npm_tarball(
        {
            "cli.js": "console.log(1)\n//# sourceMappingURL=cli.js.map\n",
            "cli.js.map": source_map([("../src/cli.ts", f"export const token = '{TOKEN}';\n"),
                                      ("../src/util.ts", "export const x = 1;\n")]),
            "lib/allowed.js": f"const t = '{TOKEN}' // leakguard:allow github.pat-classic test fixture\n",
            "lib/old.js": "//# sourceMappingURL=old.js.map\n",
        },
        license="UNLICENSED",
    )
    path = write(folder / "dist", "widget-1.0.0.tgz", data)
    verdict = scan([str(path)], Config())  # absolute, as CI passes it
    # Wall-clock time is the one machine-dependent number in a verdict.
    return dataclasses.replace(verdict, stats=dataclasses.replace(verdict.stats, seconds=0.25))


def render(fmt: str, verdict: Verdict, **options: bool) -> str:
    """Render, validating every SARIF document any test produces."""
    output = REPORTERS[fmt](verdict, **options)
    if fmt == "sarif":
        VALIDATOR.validate(json.loads(output))
    return output


def _normalise(output: str, tmp: Path) -> str:
    """Only the tool's own version and the temporary directory vary between machines."""
    version = re.escape(about.version())
    output = re.sub(rf'("name": "leakguard",\n\s*"version": )"{version}"', r'\1"VERSION"', output)
    output = re.sub(rf'"semanticVersion": "{version}"', '"semanticVersion": "VERSION"', output)
    return output.replace(str(tmp), "<TMP>")


CASES: dict[str, Callable[[Path], Verdict]] = {"basic": lambda _: basic_verdict(), "npm-scan": _npm_scan}


def test_schema_is_the_one_we_think() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    type(VALIDATOR).check_schema(SCHEMA)


def test_every_reporter_has_a_golden_extension() -> None:
    assert set(EXT) == set(REPORTERS)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_golden(fmt: str, case: str, in_tmp: Path, update_golden: bool) -> None:
    path = GOLDEN / f"{case}.{EXT[fmt]}"
    output = _normalise(render(fmt, CASES[case](in_tmp)), in_tmp)
    if update_golden:
        path.write_text(output, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run pytest --update-golden to create it"
    assert output == path.read_text(encoding="utf-8"), f"{path} differs; check the diff, then pytest --update-golden"


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_secrets_redacted_unless_asked(fmt: str, in_tmp: Path) -> None:
    for verdict in (basic_verdict(), _npm_scan(in_tmp)):
        redacted = render(fmt, verdict).encode()
        assert [s for s in ALL_SECRETS if s in redacted] == []
        # The blocking token is shown by every format once redaction is off.
        assert TOKEN.encode() in render(fmt, verdict, redact=False).encode()
    revealed = render(fmt, basic_verdict(), redact=False).encode()
    assert CODENAME in revealed


def _every_member() -> Verdict:
    """One blocking finding per (severity, category) and one reported finding per severity."""
    origin = Origin(("a.tgz",))
    blocking = tuple(
        Finding(f"x.{s.label}.{c.value}", c, s, origin.child(f"package/{s.label}-{c.value}"), f"{s.label} {c.value}")
        for s in Severity for c in Category
    )
    reported = tuple(Finding(f"y.{s.label}", Category.POLICY, s, origin.child(f"package/{s.label}"), "below")
                     for s in Severity)
    return Verdict(blocking=blocking, reported=reported, problems=())


def test_every_severity_and_category_is_handled_by_every_reporter() -> None:
    verdict = _every_member()
    ids = [f.rule_id for f in verdict.blocking]
    for fmt in REPORTERS:
        output = render(fmt, verdict)
        missing = [i for i in ids if i not in output]
        assert missing == [], fmt
    doc = json.loads(render("sarif", verdict))
    [run] = doc["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for finding in verdict.blocking:
        props = rules[finding.rule_id]["properties"]
        assert props["security-severity"] == sarif.security_severity(finding.severity)
        assert props["tags"] == ["security", finding.category.value]
    assert {s.label: sarif.security_severity(s) for s in Severity} == {
        "critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert {levels[f"y.{s.label}"] for s in Severity if s >= Severity.MEDIUM} == {"warning"}
    assert {levels[f"y.{s.label}"] for s in Severity if s < Severity.MEDIUM} == {"note"}
    assert {levels[i] for i in ids} == {"error"}
    commands = {line.split(" ", 1)[0] for line in render("github", verdict).splitlines() if "title=y." in line}
    assert commands == {"::warning", "::notice"}
    md_rows = [line for line in render("markdown", verdict).splitlines() if line.startswith("| ") and "---" not in line]
    assert len(md_rows) == 1 + len(verdict.blocking) + len(verdict.reported)


def _run(verdict: Verdict) -> dict[str, Any]:
    doc = json.loads(render("sarif", verdict))
    [run] = doc["runs"]
    assert isinstance(run, dict)
    return run


def test_sarif_for_code_scanning(in_tmp: Path) -> None:
    verdict = basic_verdict()
    run = _run(verdict)
    driver = run["tool"]["driver"]
    assert driver["name"] == "leakguard"
    assert driver["semanticVersion"] == about.version()
    rules = {r["id"]: r for r in driver["rules"]}
    assert len(rules) == len(driver["rules"]) == 9
    assert rules["github.pat-classic"]["shortDescription"] == {"text": "GitHub personal access token (classic)"}
    # A message naming a member is not a rule description.
    assert rules["source-map.embedded-sources"]["shortDescription"] == {
        "text": "Source map in a release artifact (source-map.embedded-sources)"}
    assert rules["github.pat-classic"]["properties"] == {"security-severity": "9.5", "tags": ["security", "credential"]}
    assert rules["sourcecode.ts"]["defaultConfiguration"] == {"level": "note"}
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["locations"]) == 1

    by_rule = {r["ruleId"]: r for r in run["results"]}
    cred = by_rule["github.pat-classic"]
    assert cred["level"] == "error"
    assert cred["message"] == {"text": "GitHub personal access token (classic): ghp_…(40)"}
    assert cred["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "dist/app-1.0.0.tgz/package/cli.js.map/../src/config.ts"},
        "region": {"startLine": 12, "startColumn": 18},
    }
    assert cred["properties"] == {
        "leakguard/chain": ["dist/app-1.0.0.tgz", "package/cli.js.map", "../src/config.ts"],
        "category": "credential", "severity": "critical", "blocking": True, "carried_over": False,
    }
    assert cred["partialFingerprints"] == {"leakguard/v1": verdict.blocking[1].fingerprint}
    assert "suppressions" not in cred

    source_map_result = by_rule["source-map.embedded-sources"]
    assert "region" not in source_map_result["locations"][0]["physicalLocation"]
    assert [by_rule[r]["level"] for r in ("policy.growth", "file.dotenv", "endpoint.private-ip-url",
                                          "source-map.dangling-url")] == ["warning", "warning", "note", "note"]
    uris = {k: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for k, r in by_rule.items()}
    assert uris["codename.capybara"] == "src/app/models.py"
    assert uris["endpoint.private-ip-url"] == "srv/build/dist/widget-2.0.0-py3-none-any.whl/widget/net.py"
    assert uris["file.dotenv"] == "dist/app-1.0.0.tgz/package/conf%20%60prod%60%7Ccopy%20%231,%20100%25%3Aa.env"
    assert by_rule["jwt.token"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "inline: fixture"}]

    assert run["automationDetails"] == {"id": "leakguard/"}
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]] == [
        ("error", "dist/broken.zip: corrupt: bad CRC-32 for file 'a.txt'"),
        ("warning", "dist/app-1.0.0.tgz!/package/secret.zip: not scanned: encrypted member, cannot be scanned"),
    ]


def test_sarif_clean_run_succeeds() -> None:
    run = _run(Verdict(blocking=(), reported=(), problems=()))
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


@pytest.mark.parametrize(("kind", "expected"), [("inline", "inSource"), ("allow", "external"),
                                                 ("baseline", "external")])
def test_sarif_suppression_kinds(kind: Literal["inline", "allow", "baseline"], expected: str) -> None:
    finding = Finding("r", Category.POLICY, Severity.LOW, APP, "m", suppression=Suppression(kind, "why"))
    assert sarif._suppressions(finding) == [{"kind": expected, "status": "accepted", "justification": f"{kind}: why"}]
    assert sarif._suppressions(dataclasses.replace(finding, suppression=None)) == []


def test_sarif_semantic_version_only_when_the_version_is_semver(monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = Verdict(blocking=(), reported=(), problems=())
    monkeypatch.setattr(about, "VERSION", "1.4.2")
    assert _run(verdict)["tool"]["driver"]["semanticVersion"] == "1.4.2"
    monkeypatch.setattr(about, "VERSION", "0.2.0.dev3+g1a2b3c")  # PEP 440, not SemVer
    driver = _run(verdict)["tool"]["driver"]
    assert driver["version"] == "0.2.0.dev3+g1a2b3c" and "semanticVersion" not in driver


def test_the_installed_metadata_has_the_version_leakguard_reports() -> None:
    # pyproject.toml reads the version from leakguard/about.py: one place, no drift.
    assert importlib.metadata.version("leakguard") == about.VERSION


@pytest.mark.parametrize(("chain", "in_directory", "expected"), [
    (("dist/x.tgz", "package/cli.js.map"), False, "dist/x.tgz/package/cli.js.map"),
    (("./dist/x.tgz", "package/a.js"), False, "dist/x.tgz/package/a.js"),
    (("dist/", "a.js"), True, "dist/a.js"),
    ((".", "src/a.ts"), True, "src/a.ts"),
    (("/outside/x.whl", "pkg/a.py"), False, "outside/x.whl/pkg/a.py"),
    (("x.tgz", "package/a.js.map", "webpack:///./src/b.ts"), False, "x.tgz/package/a.js.map/webpack:///./src/b.ts"),
])
def test_relative_path(chain: tuple[str, ...], in_directory: bool, expected: str, in_tmp: Path) -> None:
    assert sarif.relative_path(Origin(chain, in_directory)) == expected


def test_absolute_paths_under_the_working_directory_become_relative(in_tmp: Path) -> None:
    assert sarif.relative_path(Origin((str(in_tmp / "dist" / "x.tgz"), "package/a.js"))) == "dist/x.tgz/package/a.js"
    assert sarif.relative_path(Origin((str(in_tmp),), True).child("src/a.ts")) == "src/a.ts"
    assert sarif.relative_uri(Origin(("x.tgz", "webpack:///a b.ts"))) == "x.tgz/webpack%3A///a%20b.ts"


def test_github_annotations(in_tmp: Path) -> None:
    lines = render("github", basic_verdict()).splitlines()
    assert lines == [
        "::error file=dist/app-1.0.0.tgz/package/cli.js.map,title=source-map.embedded-sources::"
        "package/cli.js.map embeds 3 first-party source files (1.2 kB) from ../src/ that are not shipped",
        "::error file=dist/app-1.0.0.tgz/package/cli.js.map/../src/config.ts,line=12,col=18,title=github.pat-classic::"
        "GitHub personal access token (classic): ghp_…(40)",
        "::error file=src/app/models.py,line=3,col=1,title=codename.capybara::"
        "Unreleased codename | with, commas: and %25: Ca…(8)",
        "::notice file=srv/build/dist/widget-2.0.0-py3-none-any.whl/widget/net.py,line=1,col=5,"
        "title=endpoint.private-ip-url::URL to a private address: 10…(8)",
        "::notice file=dist/app-1.0.0.tgz/package/lib/b.js,title=source-map.dangling-url::"
        "sourceMappingURL points at package/lib/b.js.map, which is not in the package",
        "::warning file=dist/app-1.0.0.tgz,title=policy.growth::unpacked size grew +120%25",
        "::warning file=dist/app-1.0.0.tgz/package/conf `prod`|copy #1%2C 100%25%3Aa.env,title=file.dotenv::"
        "*.env* file <ships>",
        "::notice file=dist/app-1.0.0.tgz/package/src/a.ts,title=sourcecode.ts::TypeScript source ships",
        "::error file=dist/broken.zip,title=leakguard scan error::corrupt: bad CRC-32 for file 'a.txt'",
        "::warning file=dist/app-1.0.0.tgz/package/secret.zip,title=leakguard not scanned::"
        "not scanned: encrypted member, cannot be scanned",
        "::notice::leakguard verdict: error: 1 scan error, 3 blocking findings at high or above, 5 below, 1 suppressed",
    ]


def test_github_annotations_cannot_inject_commands() -> None:
    hostile = Origin(("a.tgz", "x\n::add-mask::y,title=z"))
    finding = Finding("r.1", Category.POLICY, Severity.HIGH, hostile, "50% done\r\n::stop-commands::t")
    [line, verdict_line] = github.render(Verdict(blocking=(finding,), reported=(), problems=())).splitlines()
    # Control characters are written as visible escapes (report/safe.py), so CR and LF never
    # reach the runner; % : , are escaped as the runner's ActionCommand reads them.
    assert line == ("::error file=a.tgz/x\\n%3A%3Aadd-mask%3A%3Ay%2Ctitle=z,title=r.1::"
                    "50%25 done\\r\\n::stop-commands::t")
    assert verdict_line == "::notice::leakguard verdict: fail: 1 blocking finding at high or above, 0 below"


def test_markdown_headings_and_escaping(in_tmp: Path) -> None:
    output = render("markdown", basic_verdict())
    assert output.startswith("## ⚠️ leakguard: ERROR\n")
    rows = [line for line in output.splitlines() if line.startswith("| ")]
    assert rows[0] == "| severity | blocking | rule | location | message |"
    # Blocking first, then reported worst first, then suppressed.
    assert [row.split(" | ")[2] for row in rows[1:]] == [
        "`source-map.embedded-sources`", "`github.pat-classic`", "`codename.capybara`", "`policy.growth`",
        "`file.dotenv`", "`endpoint.private-ip-url`", "`sourcecode.ts`", "`source-map.dangling-url`", "`jwt.token`"]
    dotenv = next(row for row in rows if "file.dotenv" in row)
    assert dotenv == (
        "| medium | no | `file.dotenv` | ``dist/app-1.0.0.tgz!/package/conf `prod`\\|copy #1, 100%:a.env`` "
        "| \\*.env\\* file \\<ships\\> |"
    )
    assert (
        "| high | yes | `codename.capybara` | `src/app/models.py:3:1` | Unreleased codename \\| with, commas: and %: "
        "`Ca…(8)` |"
    ) in rows
    assert "`srv/build/dist/widget-2.0.0-py3-none-any.whl!/widget/net.py:1:5`" in output
    assert "- `dist/app-1.0.0.tgz!/package/secret.zip`: encrypted member, cannot be scanned" in output
    assert "node_modules" not in output  # left out by policy: not news to the reader


@pytest.mark.parametrize(("verdict", "heading"), [
    (Verdict(blocking=(), reported=(), problems=()), "## ✅ leakguard: PASS"),
    (Verdict(blocking=(Finding("r", Category.POLICY, Severity.HIGH, APP, "m"),), reported=(), problems=()),
     "## ❌ leakguard: FAIL"),
    (Verdict(blocking=(), reported=(), problems=(Problem(APP, "limit", "too deep"),)), "## ⚠️ leakguard: ERROR"),
])
def test_markdown_heading_per_status(verdict: Verdict, heading: str) -> None:
    assert render("markdown", verdict).splitlines()[0] == heading


def test_markdown_clean_pass() -> None:
    assert render("markdown", Verdict(blocking=(), reported=(), problems=())) == (
        "## ✅ leakguard: PASS\n\n0 blocking findings at `high` or above, 0 below the threshold.\n\nNo findings.\n\n"
        "---\n\n<sub>leakguard scanned 0 artifacts, 0 members, 0 B in 0.00s; fail-on high.</sub>\n"
    )


@pytest.mark.parametrize(("value", "span"), [
    ("plain", "`plain`"), ("a`b", "``a`b``"), ("`a``", "``` `a`` ```"), (" x ", "`  x  `"), ("a|b", "`a\\|b`"),
])
def test_markdown_code_spans(value: str, span: str) -> None:
    assert markdown.code(value, in_table=True) == span


def test_markdown_table_is_capped_for_pull_request_comments() -> None:
    many = tuple(Finding(f"r.{i:03}", Category.POLICY, Severity.HIGH, APP, "m") for i in range(markdown.MAX_ROWS + 5))
    output = render("markdown", Verdict(blocking=many, reported=(), problems=()))
    assert "`r.099`" in output and "`r.100`" not in output
    assert "5 more not shown; the JSON or SARIF report lists every finding." in output


def test_sarif_of_a_real_scan(in_tmp: Path) -> None:
    verdict = _npm_scan(in_tmp)
    run = _run(verdict)
    results = run["results"]
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             "suppressions" in r) for r in results] == [
        ("source-map.embedded-sources", "error", "dist/widget-1.0.0.tgz/package/cli.js.map", False),
        ("github.pat-classic", "error", "dist/widget-1.0.0.tgz/package/cli.js.map/../src/cli.ts", False),
        ("source-map.dangling-url", "note", "dist/widget-1.0.0.tgz/package/lib/old.js", False),
        ("github.pat-classic", "warning", "dist/widget-1.0.0.tgz/package/lib/allowed.js", True),
    ]
    assert results[1]["properties"]["leakguard/chain"] == [
        str(in_tmp / "dist" / "widget-1.0.0.tgz"), "package/cli.js.map", "../src/cli.ts"]
    # One descriptor per distinct rule id.
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "source-map.embedded-sources", "github.pat-classic", "source-map.dangling-url"]
