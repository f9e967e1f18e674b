"""README.md's provider-families table is generated from the rule pack and kept up to date, and
`leakguard rules list --format json` gives every credential rule its family."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import families
from leakguard.model import Category
from leakguard.ruleset import load_rules
from tests.conftest import ROOT

SCRIPT = ROOT / "bench" / "families.py"


def _check(readme: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--readme", str(readme)],
                          capture_output=True, text=True, cwd=ROOT)


def test_readme_table_is_up_to_date() -> None:
    done = _check(ROOT / "README.md")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_stale_table_fails_the_check_and_is_rewritten(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    current = (ROOT / "README.md").read_text()
    stale = current.replace("| github | ", "| gitbub | ", 1)
    assert stale != current
    readme.write_text(stale)
    done = _check(readme)
    assert done.returncode == 1 and "out of date" in done.stdout
    subprocess.run([sys.executable, str(SCRIPT), "--readme", str(readme)], check=True, cwd=ROOT)
    assert readme.read_text() == current
    assert _check(readme).returncode == 0


def test_every_credential_rule_is_in_the_table() -> None:
    section = families.render(load_rules())
    credential = [r for r in load_rules() if r.category is Category.CREDENTIAL]
    for rule in credential:
        family, kind = rule.id.split(".", 1)
        row = next(line for line in section.splitlines() if line.startswith(f"| {family} | "))
        assert f"`{kind}`" in row, rule.id
    assert f"{len(credential)} credential rules</summary>" in section


def test_markers_are_added_under_rules_when_missing() -> None:
    text = "# x\n\n## Rules\n\nRules are data.\n\n## Next\n\nmore\n"
    updated = families.rewrite(text, families.START + "\nT\n" + families.END)
    assert updated.index("Rules are data.") < updated.index(families.START) < updated.index("## Next")
    assert families.rewrite(updated, families.START + "\nU\n" + families.END).count(families.START) == 1


def test_rules_list_json_gives_each_credential_rule_its_family() -> None:
    done = subprocess.run([sys.executable, "-m", "leakguard", "rules", "list", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    listed = {item["id"]: item for item in json.loads(done.stdout)}
    credential = [r for r in load_rules() if r.category is Category.CREDENTIAL]
    assert credential and all(listed[r.id]["family"] == r.id.split(".")[0] for r in credential)
    assert all(listed[r.id]["category"] == "credential" for r in credential)
