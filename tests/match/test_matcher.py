"""The matcher engine: prefilter engines agree, windows, placeholders, locations."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard.match import Matcher, locate, prefilter
from leakguard.match.confirm import merge_windows
from leakguard.match.placeholders import is_placeholder
from leakguard.model import Blob, Category, Origin, Rule, Severity
from leakguard.ruleset import load_rules
from tests.conftest import ENGINES
from tests.helpers.tokens import github_token


def _rule(rule_id: str, keyword: bytes, regex: bytes, severity: Severity = Severity.HIGH, **extra: object) -> Rule:
    fields: dict[str, object] = dict(
        id=rule_id, title=rule_id, category=Category.CREDENTIAL, severity=severity, keywords=(keyword,),
        pattern=re.compile(regex), secret_group=1, min_entropy=None, validator=None, paths=(), window=64,
        references=("https://x",), examples=(), negative_examples=(),
    )
    fields.update(extra)
    return Rule(**fields)  # type: ignore[arg-type]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    keywords=st.lists(st.binary(min_size=1, max_size=4).map(bytes.lower), min_size=1, max_size=8, unique=True),
    haystack=st.binary(max_size=400),
)
def test_engines_find_identical_hits(keywords: list[bytes], haystack: bytes) -> None:
    py = prefilter.build(keywords, "pyahocorasick")
    rs = prefilter.build(keywords, "ahocorasick-rs")
    lowered = haystack.lower()
    expected = {
        (i, m.start()) for i, k in enumerate(keywords) for m in re.finditer(b"(?=" + re.escape(k) + b")", lowered)
    }
    for engine in (py, rs):
        found = prefilter.scan_range(engine, haystack, 0, len(haystack), 4)
        assert sorted(found) == sorted(expected)  # each hit once


@settings(max_examples=50, derandomize=True, deadline=None)
@given(spare=st.integers(min_value=0, max_value=3), haystack=st.binary(max_size=600))
def test_engines_agree_when_keywords_hold_almost_every_byte(spare: int, haystack: bytes) -> None:
    """pyahocorasick maps the bytes no keyword holds to a spare byte; with fewer than two spare
    bytes it must fall back to plain lower-casing, and hits must not change either way."""
    used = [b for b in range(256) if b not in range(ord("A"), ord("Z") + 1)][spare:]
    keywords = [bytes(used[i:i + 2]) for i in range(0, len(used), 2)] + [b"qq", b"\x00\xff"]
    keywords = list(dict.fromkeys(keywords))
    lowered = haystack.lower()
    expected = {
        (i, m.start()) for i, k in enumerate(keywords) for m in re.finditer(b"(?=" + re.escape(k) + b")", lowered)
    }
    for engine in ENGINES:
        found = prefilter.scan_range(prefilter.build(keywords, engine), haystack, 0, len(haystack), 2)
        assert sorted(found) == sorted(expected)


def test_pyahocorasick_folds_foreign_bytes_to_one_sentinel() -> None:
    """Bytes no keyword holds become one sentinel byte, which the automaton knows through a word
    that cannot occur, so a binary costs one comparison per such byte, not one per keyword start."""
    engine = prefilter.PyAhoCorasick([b"ghp_", b"xoxb-", b"akia"])
    table = engine._table
    assert table[ord("G")] == ord("g") and table[ord("-")] == ord("-")
    outside = {table[b] for b in range(256) if bytes([b]).lower() not in b"ghp_xoxb-akia"}
    assert len(outside) == 1
    words = [w for w in list(engine._automaton) if ord(w[0]) in outside]
    assert len(words) == 1
    assert ord(words[0][1]) not in table  # it can never be completed
    data = b"\x7fELF\x00\x01GHP_\x00xoxb-\xffAKIA"
    assert sorted(prefilter.scan_range(engine, data, 0, len(data), 5)) == [(0, 6), (1, 11), (2, 17)]


def test_pyahocorasick_gives_frequent_inner_bytes_a_root_child() -> None:
    """A frequent byte that keywords hold but none starts with gets a root child of its own, through
    a word that cannot occur, so the root finds it early instead of after comparing every child.
    Root children come in order of byte frequency, the sentinel first."""
    keywords = [b"ghp_", b"xoxb-", b"akia", b"zz9"]
    engine = prefilter.PyAhoCorasick(keywords)
    table = engine._table
    sentinel = table[0x80]
    # pyahocorasick lists its words depth first, the last child first: reversed, the root's
    # children come in the order they were added.
    words = list(engine._automaton)[::-1]
    extra = [w for w in words if w not in {k.decode() for k in keywords}]
    assert all(len(w) == 2 and ord(w[1]) not in table for w in extra)  # none can be completed
    frequent = prefilter._COMMON[: prefilter._ROOT_BYTES]
    expected = {b for b in b"".join(keywords) if b in frequent and b not in b"gxaz"}
    assert expected == set(b"iop")  # '9' is held but rare, and gets none
    assert {ord(w[0]) for w in extra} == {sentinel, *expected}
    starts = list(dict.fromkeys(ord(w[0]) for w in words))
    assert starts[0] == sentinel
    assert starts[1:] == sorted(starts[1:], key=prefilter._RANK.__getitem__)
    data = b"pip io OXOXB-ghp_zZ9akia"
    assert sorted(prefilter.scan_range(engine, data, 0, len(data), 5)) == [(0, 13), (1, 8), (2, 20), (3, 17)]


def test_hits_across_chunk_edges(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(prefilter, "CHUNK", 16)
    data = b"x" * 14 + b"GHP_" + b"y" * 30 + b"ghp_"
    for engine in ENGINES:
        found = prefilter.scan_range(prefilter.build([b"ghp_"], engine), data, 0, len(data), 4)
        assert found == [(0, 14), (0, 48)], engine


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    chunk=st.integers(min_value=1, max_value=12),
    haystack=st.lists(st.sampled_from([b"ab", b"aba", b"b", b"x", b"abab"]), max_size=40).map(b"".join),
    bounds=st.tuples(st.integers(min_value=0, max_value=80), st.integers(min_value=0, max_value=80)),
)
def test_chunked_hits_are_every_start_in_range_once(chunk: int, haystack: bytes, bounds: tuple[int, int]) -> None:
    """Chunks overlap by the longest keyword; the starts in an overlap belong to the next chunk,
    so no hit is lost at an edge and none is reported twice."""
    keywords = [b"ab", b"bab", b"abab"]
    lo, hi = min(bounds), min(max(bounds), len(haystack))
    expected = sorted((i, m.start()) for i, k in enumerate(keywords)
                      for m in re.finditer(b"(?=" + re.escape(k) + b")", haystack) if lo <= m.start() < hi)
    for engine in ENGINES:
        original = prefilter.CHUNK
        prefilter.CHUNK = chunk
        try:
            found = prefilter.scan_range(prefilter.build(keywords, engine), haystack, lo, hi, 4)
        finally:
            prefilter.CHUNK = original
        assert sorted(found) == expected and len(found) == len(set(found))


def test_windows_merge_and_clip() -> None:
    assert merge_windows([100, 10, 120, 500], 4, 20, 510) == [(0, 34), (80, 144), (480, 510)]


def test_token_in_middle_of_5mb_single_line_bundle() -> None:
    token = github_token(seed=21)
    half = b"var a=function(){return 1};" * (5_000_000 // 54)
    data = half + f'const t="{token}";'.encode() + half
    matcher = Matcher(load_rules())
    for engine in ENGINES:
        found = list(Matcher(load_rules(), engine).scan(Blob(Origin(("b.js",)), data, 0)))
        assert [(f.rule_id, f.span.line, f.span.column) for f in found if f.span] == [
            ("github.pat-classic", 1, len(half) + 10)
        ], engine
    assert matcher.engine in ENGINES


def test_most_severe_overlapping_match_wins() -> None:
    specific = _rule("acme.key", b"acme_", rb"(acme_[a-z0-9]{16})", Severity.CRITICAL)
    generic = _rule("generic.any", b"key=", rb"key=(\S{16,})", Severity.MEDIUM)
    data = b"key=acme_k3j4h5g6f7d8s9a0"
    assert [r.id for r, *_ in Matcher([generic, specific]).matches(data)] == ["acme.key"]


def test_paths_restrict_a_rule() -> None:
    rule = _rule("npmrc.token", b"_authtoken=", rb"_authToken=([A-Za-z0-9]{20,})", paths=("**/.npmrc", ".npmrc"))
    data = b"//registry.npmjs.org/:_authToken=k3j4h5g6f7d8s9a0q1w2e3"
    matcher = Matcher([rule])
    assert len(matcher.matches(data, "package/.npmrc")) == 1
    assert matcher.matches(data, "package/README.md") == []


def test_case_folded_prefilter_keeps_case_sensitive_regex() -> None:
    rule = _rule("acme.key", b"acme_", rb"(ACME_[A-Z0-9]{16})")
    assert len(Matcher([rule]).matches(b"x = ACME_K3J4H5G6F7D8S9A0")) == 1
    assert Matcher([rule]).matches(b"x = acme_k3j4h5g6f7d8s9a0") == []


def test_locate_is_one_based() -> None:
    data = b"ab\ncd\nefg"
    assert locate(data, 7, 8) == locate(data, 7, 8)
    span = locate(data, 7, 8)
    assert (span.line, span.column) == (3, 2)
    assert (locate(data, 0, 1).line, locate(data, 0, 1).column) == (1, 1)


def test_placeholders() -> None:
    for value in (b"AKIAIOSFODNN7EXAMPLE", b"${NPM_TOKEN}", b"<YOUR_API_KEY>", b"{{ secrets.TOKEN }}", b"%s",
                  b"process.env.TOKEN", b"os.environ['X']", b"changeme", b"your-api-key", b"xxxxxxxxxxxxxxxx",
                  b"abcdefghijklmnop", b"1234567890", b"aaaaaaaaaaaa", b"abababababab", b"sk-...XXXX"):
        assert is_placeholder(value), value
    for value in (b"k3j4h5g6f7d8s9a0q1w2", b"wJalrXUtnFEMIK7MDENGbPxRfiCY", b"Zq8vN2mT5xR1"):
        assert not is_placeholder(value), value


def test_secret_repr_never_shows_value() -> None:
    token = github_token(seed=5)
    [finding] = Matcher(load_rules()).scan(Blob(Origin(("a",)), token.encode(), 0))
    assert finding.secret is not None
    assert token not in repr(finding) and token not in str(finding.secret)
    assert finding.secret.redacted() == "ghp_…(40)"


def test_many_findings_get_exact_lines_and_columns() -> None:
    tokens = [github_token(seed=700 + i) for i in range(4)]
    text = f"a={tokens[0]} b={tokens[1]}\n\nx\n  c={tokens[2]}\n" + "y\n" * 1000 + f"d={tokens[3]}"
    found = list(Matcher(load_rules()).scan(Blob(Origin(("f",)), text.encode(), 0)))
    assert [(f.span.line, f.span.column) for f in found if f.span] == [(1, 3), (1, 46), (4, 5), (1005, 3)]


_PRESCAN_RULES = [
    _rule("acme.key", b"acme_", rb"acme_([A-Z0-9]{8})"),
    _rule("acme.anchored", b"k3y", rb"(k3y[0-9]{4})", anchored=True),
]


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    haystack=st.lists(st.sampled_from([b"acme_", b"ACME_", b"K3Y", b"k3y", b"1234", b"ABCD5678", b"mk", b"MK",
                                       b"mkm", b" ", b"\n", b"x"]), max_size=60).map(b"".join),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=4),
)
def test_a_prescan_gives_the_same_findings_and_every_marker_place(haystack: bytes, cuts: list[int]) -> None:
    """One automaton pass over ranges of a blob serves its matching (same findings as a fresh
    pass) and reports every case-folded place of each marker inside the ranges."""
    points = sorted({min(c, len(haystack)) for c in cuts} | {0, len(haystack)})
    ranges = [(a, b) for a, b in zip(points[::2], points[1::2], strict=False) if a < b]
    blob = Blob(Origin(("f",)), haystack, 0)
    lowered = haystack.lower()
    for engine in ENGINES:
        matcher = Matcher(_PRESCAN_RULES, engine, markers=[b"MKM", b"acme_"])
        prescan = matcher.prescan(haystack, ranges)
        assert list(matcher.scan(blob, ranges, prescan)) == list(matcher.scan(blob, ranges))
        for marker in (b"mkm", b"acme_"):
            expected = [m.start() for m in re.finditer(b"(?=" + re.escape(marker) + b")", lowered)
                        if any(a <= m.start() < b for a, b in ranges)]
            assert prescan.at(marker) == expected
        assert prescan.at(b"absent") is None


def test_a_marker_that_is_also_a_rule_keyword_keeps_the_rule() -> None:
    matcher = Matcher(_PRESCAN_RULES, "auto", markers=[b"ACME_"])
    data = b"x = acme_K3J4H5G6 and acme_"
    prescan = matcher.prescan(data)
    assert prescan.at(b"acme_") == [4, 22]
    assert [r.id for r, *_ in matcher.matches(data, prescan=prescan)] == ["acme.key"]


@settings(max_examples=150, derandomize=True, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from([b"acme_", b"ACME", b"_", b"K3Y", b"k3", b"y1", b"mkm", b"/", b"\x00",
                                                 b"x"]), max_size=6).map(b"".join), max_size=12))
def test_any_hits_says_which_texts_matches_could_find_something_in(texts: list[bytes]) -> None:
    """One pass over many paths, joined, says of each whether it holds a keyword: exactly the
    texts where a pass of its own finds one (a keyword never straddles two texts), even when
    texts hold the joining byte (NUL here)."""
    for engine in ENGINES:
        matcher = Matcher(_PRESCAN_RULES, engine, markers=[b"MKM"])
        expected = [bool(matcher.prescan(text).per_rule) for text in texts]
        assert matcher.any_hits(texts) == expected
    keyless = Matcher([*_PRESCAN_RULES, _rule("any", b"", rb"(zz)", keywords=())], "auto")
    assert keyless.any_hits(texts) == [True] * len(texts)  # a rule without keywords reads every text
