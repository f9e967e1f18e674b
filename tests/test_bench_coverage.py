"""bench/coverage.py: a rule that cannot see a style is reported; a healthy rule is not; checksums of
generated tokens are recomputed; false blocks on negatives are counted; RESULTS.md keeps one section a day."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench import coverage
from tests.conftest import ROOT

# A token rule that sees the token only right after "=": the env and URL styles put it there, the
# others put a quote or a space before it, and must be reported as missed.
ENV_ONLY = '''
[[rules]]
id = "demo.env-only"
title = "Demo key written after an equals sign"
severity = "high"
keywords = ["dk7"]
regex = \'\'\'(?<==)(DK7[A-Z0-9]{17})(?![A-Z0-9])\'\'\'
references = ["https://example.invalid/docs"]
examples = ["DEMO_KEY=DK7Q8ZK2M4X7P1R9T3V5", "export DEMO_KEY=DK7H2J4K6L8N1P3R5T7V"]
negative-examples = ["DEMO_KEY=${DEMO_KEY}", "demo_key: DK7Q8ZK2M4X7P1R9T3V5"]
'''

# Its negative example holds a real GitHub token: a false block by another rule of the pack.
BLOCKED_NEGATIVE = '''
[[rules]]
id = "demo.quiet"
title = "Demo rule whose negative example another rule blocks"
severity = "high"
keywords = ["demo_quiet"]
regex = \'\'\'demo_quiet=([a-z]{12})\'\'\'
references = ["https://example.invalid/docs"]
examples = ["demo_quiet=abcdefghijkl", "x demo_quiet=mnopqrstuvwx"]
negative-examples = ["token = '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'", "demo_quiet=short"]
'''


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    rules = tmp_path / "demo.toml"
    rules.write_text(ENV_ONLY + BLOCKED_NEGATIVE)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "coverage.py"), "--rules-file", str(rules),
                           "--format", "json", "--fresh", "4", *args], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_rule_blind_to_a_style_is_reported(tmp_path: Path) -> None:
    facts = _run(tmp_path, "--rule", "demo.env-only", "--rule", "github.pat-classic", "--rule", "mistral.api-key")
    missed = {item["rule"]: item for item in facts["missed"]}  # type: ignore[attr-defined, index]
    assert set(missed) == {"demo.env-only"}
    demo = missed["demo.env-only"]
    assert demo["missed_styles"] == sorted(["yaml", "json", "js", "ts", "python", "header"])
    assert demo["found"]["env"] == demo["tried"]["env"] == 2 + 4  # its examples' tokens and 4 generated
    assert demo["found"]["url"] == demo["tried"]["url"] == 6 and demo["found"]["json"] == 0
    assert demo["found"]["example"] == demo["tried"]["example"] == 2
    recall = facts["family_recall"]
    assert recall["github"][0] == recall["github"][1] > 0  # type: ignore[index]
    assert recall["demo"][0] < recall["demo"][1]  # type: ignore[index]


def test_generated_tokens_carry_valid_checksums(tmp_path: Path) -> None:
    facts = _run(tmp_path, "--rule", "github.pat-classic", "--rule", "grafana.service-account-token")
    assert facts["fresh"] == 8  # 4 each, drawn from the regex and re-checksummed (forge.CHECKSUMS)
    assert facts["found"] == facts["placements"] and facts["missed"] == []


def test_false_blocks_on_negatives_are_counted(tmp_path: Path) -> None:
    facts = _run(tmp_path, "--rule", "demo.quiet", "--rule", "demo.env-only")
    assert facts["false_blocks"] == 1
    assert facts["false_block_list"] == [
        ["demo.quiet", "github.pat-classic", "token = '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'"]]


def test_fresh_tokens_follow_the_secret_pattern() -> None:
    from leakguard.ruleset import load_rules

    rules = {rule.id: rule for rule in load_rules(compile_all=True)}
    values = coverage.fresh_values(rules["sourcegraph.access-token"], 20, __import__("random").Random(3))
    assert len(values) == 20 and all(rules["sourcegraph.access-token"].pattern.fullmatch(v.encode()) for v in values)
    assert coverage.kind(rules["mistral.api-key"]) == "context"
    assert coverage.kind(rules["github.pat-classic"]) == "bare"
    assert coverage.kind(rules["url.postgres"]) == "structured"
    assert coverage.fresh_values(rules["url.postgres"], 5, __import__("random").Random(3)) == []


def test_results_keep_one_section_a_day(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# leakguard benchmark results\n\n## Where the time goes\n\nkept text\n")
    coverage.write_results("### 2026-12-07: first\n\nA\n", results)
    coverage.write_results("### 2026-12-06: older\n\nB\n", results)
    coverage.write_results("### 2026-12-07: second\n\nC\n", results)
    text = results.read_text()
    assert "kept text" in text and text.count(coverage.SECTION) == 1
    assert "first" not in text and text.index("2026-12-07: second") < text.index("2026-12-06: older")
