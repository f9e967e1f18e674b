"""Rule loading rejects every malformed rule with the file and rule id in the message."""

from __future__ import annotations

import pytest

from leakguard.errors import RuleError
from leakguard.ruleset import parse_file

GOOD = '''
[[rules]]
id = "acme.token"
title = "Acme token"
severity = "critical"
keywords = ["acme_"]
regex = \'\'\'\\b(acme_[a-z0-9]{20})\\b\'\'\'
references = ["https://acme.example/docs/tokens"]
examples = ["t = acme_k3j4h5g6f7d8s9a0q1w2", "acme_z9x8c7v6b5n4m3l2k1j0"]
negative-examples = ["acme_short", "acme_"]
'''


def test_good_rule_loads() -> None:
    [rule] = parse_file(GOOD, "rules/acme.toml")
    assert (rule.id, rule.secret_group, rule.keywords, rule.window) == ("acme.token", 1, (b"acme_",), 256)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("regex = \'\'\'\\b(acme_[a-z0-9]{20})\\b\'\'\'", "regex = '(unclosed'"),
         "acme.token: regex does not compile"),
        (('examples = ["t = acme_k3j4h5g6f7d8s9a0q1w2", "acme_z9x8c7v6b5n4m3l2k1j0"]', 'examples = ["x"]'),
         "acme.token: needs at least 2 examples"),
        (('keywords = ["acme_"]', "keywords = []"), "acme.token: keywords: a rule without keywords must say why"),
        (('keywords = ["acme_"]', 'keywords = ["ACME_"]'), "keyword 'ACME_' must be non-empty lower-case"),
        (('severity = "critical"', 'severity = "dire"'), "acme.token: severity: expected one of"),
        (('title = "Acme token"', 'title = "Acme token"\ncolour = "red"'), "acme.token: unknown key 'colour'"),
        (('references = ["https://acme.example/docs/tokens"]', "references = []"), "references: cite"),
        (('severity = "critical"', 'severity = "critical"\nvalidator = "magic"'), "validator: unknown 'magic'"),
        (('severity = "critical"', 'severity = "critical"\nsecret-group = 3'), "secret-group 3 but the regex has 1"),
        (('id = "acme.token"', 'id = "Acme Token"'), "id: expected a dotted lower-case id"),
        (('severity = "critical"', 'severity = "critical"\nwindow = 100000'), "window: expected 1..16384"),
    ],
)
def test_bad_rules_name_file_and_rule(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(RuleError) as info:
        parse_file(GOOD.replace(old, new), "rules/acme.toml")
    assert str(info.value).startswith("rules/acme.toml: ")
    assert message in str(info.value)


def test_duplicate_ids_rejected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from leakguard.ruleset import load_rules

    extra = tmp_path / "extra.toml"
    extra.write_text(GOOD + GOOD.replace("acme.token", "acme.token"))
    with pytest.raises(RuleError, match=r"acme\.token: duplicate id"):
        load_rules([extra])


def test_keywordless_rule_with_reason_loads() -> None:
    text = GOOD.replace('keywords = ["acme_"]', 'keywords = []\nno-keywords-reason = "the format has no literal"')
    [rule] = parse_file(text, "r.toml")
    assert rule.keywords == ()


def test_not_toml() -> None:
    with pytest.raises(RuleError, match=r"rules/x\.toml: not valid TOML"):
        parse_file("[[rules]\n", "rules/x.toml")


def test_anchored_rules_match_at_the_keyword_only() -> None:
    from leakguard.match import Matcher

    text = GOOD.replace('severity = "critical"', 'severity = "critical"\nanchored = true')
    [rule] = parse_file(text, "r.toml")
    assert rule.anchored
    matcher = Matcher([rule])
    assert [s for *_, s in matcher.matches(b"x = acme_k3j4h5g6f7d8s9a0q1w2")] == [b"acme_k3j4h5g6f7d8s9a0q1w2"]
    with pytest.raises(RuleError, match="anchored: expected true or false"):
        parse_file(GOOD.replace('severity = "critical"', 'severity = "critical"\nanchored = "yes"'), "r.toml")
