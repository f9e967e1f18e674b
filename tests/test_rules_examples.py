"""Every example of every packaged rule matches, and no negative example does, on both engines."""

from __future__ import annotations

import pytest

from leakguard.match import Matcher, example_matches
from leakguard.model import Rule
from leakguard.ruleset import load_rules
from tests.conftest import ENGINES

RULES = load_rules()
CASES = [
    pytest.param(rule, text, positive, id=f"{rule.id}-{'pos' if positive else 'neg'}{i}")
    for rule in RULES
    for positive, texts in ((True, rule.examples), (False, rule.negative_examples))
    for i, text in enumerate(texts)
]


@pytest.fixture(scope="module", params=ENGINES)
def matchers(request: pytest.FixtureRequest) -> dict[str, Matcher]:
    return {rule.id: Matcher([rule], request.param) for rule in RULES}


@pytest.mark.parametrize(("rule", "text", "positive"), CASES)
def test_rule_example(matchers: dict[str, Matcher], rule: Rule, text: str, positive: bool) -> None:
    found = example_matches(matchers[rule.id], rule, text)
    assert found is positive, f"{rule.id} {'missed' if positive else 'matched a negative example'}: {text!r}"


def test_pack_size_and_metadata() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.references and all(ref.startswith("https://") for ref in rule.references), rule.id
        assert len(rule.examples) >= 2 and len(rule.negative_examples) >= 2, rule.id
        assert rule.keywords, rule.id
