"""Rule loading rejects every malformed rule with the file and rule id in the message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard.errors import RuleError
from leakguard.match import Matcher
from leakguard.ruleset import LazyPattern, count_groups, load_rules, parse_file

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
    with pytest.raises(RuleError) as info:  # the validator's name is checked by the matcher's layer
        Matcher(parse_file(GOOD.replace(old, new), "rules/acme.toml"))
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


# -- packaged rules are compiled on first use ----------------------------------------------------

def test_packaged_rules_compile_lazily_and_match_the_eager_rules() -> None:
    lazy, eager = load_rules(), load_rules(compile_all=True)
    assert [r.id for r in lazy] == [r.id for r in eager]
    for one, other in zip(lazy, eager, strict=True):
        assert isinstance(one.pattern, LazyPattern) and isinstance(other.pattern, re.Pattern)
        assert one.pattern.pattern == other.pattern.pattern
        assert one.secret_group == other.secret_group, one.id
        assert count_groups(one.pattern.pattern.decode()) == other.pattern.groups, one.id
    token = "t = acme_k3j4h5g6f7d8s9a0q1w2"
    [rule] = parse_file(GOOD, "rules/acme.toml", lazy=True)
    match = rule.pattern.match(token.encode(), 4)
    assert match is not None and match.group(rule.secret_group) == b"acme_k3j4h5g6f7d8s9a0q1w2"


def test_a_users_bad_regex_is_still_an_error_before_the_scan(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text(GOOD.replace("\\b(acme_[a-z0-9]{20})\\b", "(unclosed"))
    with pytest.raises(RuleError, match=r"acme\.token: regex does not compile"):
        load_rules([bad])


_PIECES = ["a", "\\(", "\\)", "\\\\", "(", ")", "(?:", "(?P<g{n}>", "(?=", "(?!", "(?i:", "[()]", "[^)]", "[]()]",
           "[\\]]", "[a-z]", ".", "*", "?", "|", "\\[", "\\d", "(?#c)"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24))
def test_count_groups_agrees_with_re_on_any_regex_it_compiles(pieces: list[str]) -> None:
    regex = "".join(piece.replace("{n}", str(i)) for i, piece in enumerate(pieces))
    try:
        compiled = re.compile(regex)
    except re.error:
        return
    assert count_groups(regex) == compiled.groups, regex
