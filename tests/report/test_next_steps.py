"""Every finding says what to do next, in every format, in words from the rule catalogue
(rules/catalogue.toml, the rules' own metadata), fitted to the finding: the kind of package it
ships in, the rule id to suppress, the limit reached and the config file that sets it."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from leakguard import catalogue
from leakguard.model import Category, Finding, Origin, Severity
from leakguard.report.advice import next_step
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, sdist, source_map, wheel, write
from tests.helpers.projects import pem
from tests.helpers.tokens import github_token

TOKEN = github_token(seed=25)


def _leaky(tmp_path: Path) -> Path:
    """An npm tarball with a credential, a .env, a map of unshipped sources and a .git folder."""
    files = {
        "index.js": f'const token = "{TOKEN}";\n',
        ".env": "APP_MODE=production\nLOG_LEVEL=debug\nSIGNUP_LIMIT=250\n",
        "index.js.map": source_map([("../src/main.ts", "export const main = () => 42;\n")]).decode(),
        ".git/HEAD": "ref: refs/heads/main\n",
    }
    return write(tmp_path, "app-1.0.0.tgz", npm_tarball(files, name="app", license=None))


def _blocks(text: str) -> list[list[str]]:
    """The text report's findings, each as its lines (a finding starts with its severity)."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if re.match(r"^  (CRITICAL|HIGH|MEDIUM|LOW|INFO) ", line):
            blocks.append([line])
        elif blocks and line.startswith(" " * 11):
            blocks[-1].append(line)
    return blocks


def test_every_text_finding_ends_with_its_own_next_step(tmp_path: Path) -> None:
    artifact = _leaky(tmp_path)
    result = run_cli("scan", "-v", artifact.name, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    blocks = _blocks(result.stdout)
    rules = {b[0].split()[1] for b in blocks}
    assert {"github.pat-classic", "file.dotenv-toy", "source-map.embedded-sources"} <= rules, result.stdout
    steps = {}
    for block in blocks:
        assert block[-1].startswith(" " * 11 + "next: "), block
        steps[block[0].split()[1]] = block[-1].strip().removeprefix("next: ")
    # Fitted to the finding: a credential is revoked, a file is left out of *this* kind of package,
    # a map loses its sourcesContent; the rule id to suppress is the finding's own.
    assert steps["github.pat-classic"].startswith("Revoke and rotate it")
    assert "`leakguard:allow github.pat-classic REASON`" in steps["github.pat-classic"]
    assert "Add it to .npmignore" in steps["file.dotenv-toy"] and "MANIFEST.in" not in steps["file.dotenv-toy"]
    assert "sourcesContent" in steps["source-map.embedded-sources"]
    assert "public-sources = true" in steps["source-map.embedded-sources"]
    assert len(set(steps.values())) == len(steps)  # one step per rule, none shared blindly


def test_the_words_come_from_the_catalogue() -> None:
    """The next step is the rule's fix and suppress texts (its own, its family's, or its
    category's default), filled in: no report writes its own."""
    known = catalogue.load()
    origin = Origin(("pkg-1.0.0.tgz", "package/x"))
    for entry in catalogue.entries():
        rule_id = entry.id.replace("*", "example")
        finding = Finding(rule_id, entry.category, Severity.HIGH, origin, "m")
        texts = known.texts(rule_id, entry.category)
        step = next_step(finding)
        fix = known.fill(texts.fix, {"rule": rule_id, "title": entry.title, "exclude": known.exclude["npm"]})
        suppress = known.fill(texts.suppress, {"rule": rule_id, "title": entry.title})
        # One sentence: the fix, then how to suppress it.
        assert step == f"{fix.removesuffix('.')}; {suppress[0].lower()}{suppress[1:]}", rule_id
    # A family's text beats the category default: a private key is not "rotated at the provider".
    key = next_step(Finding("private-key.rsa", Category.CREDENTIAL, Severity.HIGH, origin, "m"))
    assert "new key pair" in key and "provider" not in key


def test_an_sdist_is_told_about_manifest_in(tmp_path: Path) -> None:
    write(tmp_path, "app-1.0.0.tar.gz", sdist({".env": "API_KEY=live-value-123456\n"}, name="app"))
    result = run_cli("scan", "--format", "json", "app-1.0.0.tar.gz", cwd=tmp_path)
    env = next(f for f in json.loads(result.stdout)["findings"] if f["rule"] == "file.dotenv")
    assert env["next_step"].startswith("Exclude it from the sdist") and "MANIFEST.in" in env["next_step"]


def test_a_test_fixture_is_told_where_it_was_lowered(tmp_path: Path) -> None:
    # A key file has no checksum that would prove it real: in a test path it is lowered.
    write(tmp_path, "app-1.0.0.tgz", npm_tarball({"test/fixtures/id_rsa": pem("RSA PRIVATE KEY")}, name="app"))
    result = run_cli("scan", "--format", "json", "app-1.0.0.tgz", cwd=tmp_path)
    found = next(f for f in json.loads(result.stdout)["findings"] if f["rule"].startswith("private-key."))
    assert "it lies in a test or documentation path (package/test/)" in found["next_step"], found


def test_every_format_carries_the_next_step(tmp_path: Path) -> None:
    _leaky(tmp_path)
    result = run_cli("scan", "--format", "json", "app-1.0.0.tgz", "--report", "markdown:r.md",
                     "--report", "github:r.gh", "--report", "sarif:r.sarif", "--report", "html:r.html", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    steps = {f["rule"]: f["next_step"] for f in findings}
    assert all(f["next_step"] for f in findings)
    markdown = (tmp_path / "r.md").read_text()
    github = (tmp_path / "r.gh").read_text()
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    page = html.unescape(re.sub(r"</?code>", "`", (tmp_path / "r.html").read_text()))
    helps = {r["id"]: r["help"]["text"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"]: r["properties"]["next_step"] for r in sarif["runs"][0]["results"]} == steps
    for rule, step in steps.items():
        assert helps[rule] == step
        # Markdown keeps code spans as code spans; compare the words.
        assert step.replace("`", "")[:60] in markdown.replace("`", "").replace("\\", ""), rule
        assert step in page, rule
    blocking = [f for f in findings if f["blocking"]]
    assert github.count("%0ANext: ") >= len(blocking)


def test_a_wheel_is_told_about_the_wheel(tmp_path: Path) -> None:
    write(tmp_path, "app-1.0.0-py3-none-any.whl", wheel({"app/.env": "APP_MODE=production\nLOG_LEVEL=debug\n"}))
    result = run_cli("scan", "-v", "app-1.0.0-py3-none-any.whl", cwd=tmp_path)
    step = next(line for line in result.stdout.splitlines() if line.strip().startswith("next: "))
    assert "Exclude it from the wheel" in step, result.stdout


def test_readme_shows_every_format_with_an_example() -> None:
    from leakguard.report import REPORTERS
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    for fmt in REPORTERS:
        heading = f"\n#### `{fmt}`\n"
        assert heading in readme, fmt
        section = readme.split(heading, 1)[1].split("\n#### ", 1)[0].split("\n### ", 1)[0]
        assert "\n```" in section and "leakguard scan" in section, fmt
    # The examples are what the CLI prints today.
    quiet = run_cli("scan", "-q", "examples/leaky-widget-1.0.0.tgz", cwd=ROOT)
    assert f"$ leakguard scan -q examples/leaky-widget-1.0.0.tgz\n{quiet.stdout}```" in readme
    shown = run_cli("rules", "show", "walk.limit", cwd=ROOT)
    assert f"$ leakguard rules show walk.limit\n{shown.stdout}```" in readme
