"""``leakguard rules list|show|check`` cover every rule leakguard can report: content, file,
walker, policy, source-map, codename and endpoint rules; ``show`` in prose, ``--format json`` for
machines; ``check`` fails when the code emits an id the catalogue does not describe."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from leakguard import catalogue, rulecache
from leakguard.match.filerules import load_file_rules
from leakguard.ruleset import load_rules
from tests.conftest import run_cli

KINDS = {"content", "file", "walker", "policy", "source-map", "codename", "endpoint"}


def test_rules_list_covers_every_kind_and_every_emitted_id(tmp_path: Path) -> None:
    listed = run_cli("rules", "list", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    docs = json.loads(listed.stdout)
    ids = {d["id"] for d in docs}
    assert {d["kind"] for d in docs} == KINDS
    assert {r.id for r in load_rules()} <= ids
    assert {r.id for r in load_file_rules()} <= ids
    emitted = catalogue.emitted_ids()
    assert {"walk.limit", "policy.growth", "source-map.embedded-sources", "codename.*", "endpoint.domain.*",
            "policy.allow-without-reason"} <= set(emitted)
    assert set(emitted) <= ids
    # The machine form keeps its keys for every kind (a content rule's regex, None for the others).
    content = next(d for d in docs if d["id"] == "github.pat-classic")
    walker = next(d for d in docs if d["id"] == "walk.limit")
    assert content["regex"] and content["keywords"] and walker["regex"] is None and set(content) == set(walker)
    text = run_cli("rules", "list", cwd=tmp_path)
    assert f"{len(docs)} rules: " in text.stdout and "10 walker" in text.stdout
    assert any(line.startswith("walk.limit ") and " walker " in line for line in text.stdout.splitlines())


def test_rules_show_prints_prose_for_every_kind(tmp_path: Path) -> None:
    for rule_id, kind in (("github.pat-classic", "content"), ("file.dotenv", "file"), ("walk.unsafe-path", "walker"),
                          ("policy.not-in-ship", "policy"), ("source-map.embedded-sources", "source-map"),
                          ("codename.capybara", "codename"), ("endpoint.domain.corp-example-com", "endpoint"),
                          ("endpoint.private-ip-url", "endpoint")):
        shown = run_cli("rules", "show", rule_id, cwd=tmp_path)
        assert shown.returncode == 0, (rule_id, shown.stderr)
        lines = shown.stdout.splitlines()
        assert lines[0].startswith(f"{rule_id}: ") and lines[1].startswith(f"{kind} rule, "), shown.stdout
        for heading in ("What it finds", "Why it matters", "How to fix it", "How to suppress it", "References"):
            body = lines[lines.index(heading) + 1]
            assert body.startswith("  ") and len(body.strip()) > 10, (rule_id, heading)
        assert "{" not in shown.stdout.replace("${", "")  # every placeholder filled
    credential = run_cli("rules", "show", "github.pat-classic", cwd=tmp_path).stdout
    assert "Revoke and rotate" in credential and "leakguard:allow github.pat-classic REASON" in credential
    assert "https://docs.github.com" in credential


def test_rules_show_json_is_the_machine_form(tmp_path: Path) -> None:
    shown = run_cli("rules", "show", "github.pat-classic", "--format", "json", cwd=tmp_path)
    doc = json.loads(shown.stdout)
    assert doc["id"] == "github.pat-classic" and doc["regex"] and doc["kind"] == "content"
    assert doc["fix"].startswith("Revoke") and doc["references"]
    missing = run_cli("rules", "show", "github.pat-clasic", cwd=tmp_path)
    assert missing.returncode == 2 and "did you mean 'github.pat-classic'" in missing.stderr


def test_rules_check_lints_the_catalogue(tmp_path: Path) -> None:
    checked = run_cli("rules", "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    emitted = len(catalogue.emitted_ids())
    assert f"cover the {emitted} rule ids the code emits; 0 problems" in checked.stdout
    # An id the code emits without an entry, and an entry whose text names an unknown placeholder.
    problems = catalogue.check(emitted={**catalogue.emitted_ids(), "walk.brand-new": "leakguard/walk/x.py"})
    assert problems == ["rules/catalogue.toml: walk.brand-new: emitted by leakguard/walk/x.py but not described"]
    doc, files = rulecache.load(rulecache.packaged(), ["catalogue.toml", "files.toml"])
    broken = {**doc, "rules": [dict(r, fix="Raise {limt}.") if r["id"] == "walk.limit" else r for r in doc["rules"]]}
    problems = catalogue.check(catalogue=catalogue.parse(broken, files))
    assert problems == ["rules/catalogue.toml: walk.limit: fix: unknown placeholder 'limt'"]
    dropped = {**doc, "rules": [r for r in doc["rules"] if r["id"] != "policy.growth"]}
    problems = catalogue.check(catalogue=catalogue.parse(dropped, files))
    assert problems == ["rules/catalogue.toml: policy.growth: emitted by leakguard/policy/release.py but not described"]


def test_the_catalogue_file_parses_as_toml() -> None:
    text = (Path(__file__).resolve().parent.parent / "rules" / "catalogue.toml").read_text()
    assert {r["id"] for r in tomllib.loads(text)["rules"]} == {e.id for e in catalogue.load().emitted}
