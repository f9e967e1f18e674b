"""The streamed split of a source map must find exactly the entries the full parser finds, or say so."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard.match import mapstream, sourcemap
from leakguard.model import Blob, Origin

_CONTENT = st.one_of(st.none(), st.text(max_size=300),
                     st.sampled_from(['a "quoted" \\ path', "line\nline", "é✓\u2028"]))
_SOURCES = st.lists(st.tuples(st.text(min_size=1, max_size=20), _CONTENT), max_size=12)


def _feed(data: bytes, cuts: list[int]) -> tuple[mapstream.Splitter, list[mapstream.Entry]]:
    splitter, found, last = mapstream.Splitter(), [], 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        found.extend(splitter.feed(data[last:cut]))
        last = cut
    return splitter, found


@settings(max_examples=300, deadline=None)
@given(_SOURCES, st.sampled_from([None, 0, 2]), st.lists(st.integers(min_value=0, max_value=10**6), max_size=8),
       st.booleans())
def test_streamed_entries_are_the_parsers_entries(pairs: list[tuple[str, str | None]], indent: int | None,
                                                   cuts: list[int], ascii_only: bool) -> None:
    doc = {"version": 3, "file": "x.js", "sourceRoot": "", "sources": [p for p, _ in pairs],
           "sourcesContent": [c for _, c in pairs], "mappings": "AAAA;AACA", "names": []}
    data = json.dumps(doc, indent=indent, ensure_ascii=ascii_only).encode()
    splitter, found = _feed(data, cuts)
    assert splitter.state == "done"
    blob = Blob(Origin(("a.tgz", "package/x.js.map")), data, 1)
    full = sourcemap.parse(blob)
    assert full is not None and splitter.agrees(full)
    # Each streamed entry decodes to what the full parse yields for it, under the same name.
    assert [(blob.origin.child(e.name), sourcemap.decode_entry(data[e.start : e.end])) for e in found] == [
        (b.origin, b.data) for b in full.contents()]
    assert [e.index for e in found] == [i for i, (_, c) in enumerate(pairs) if c is not None]
    shortcut = sourcemap.parse(blob, known=splitter.known())  # the array is not read again
    assert shortcut is not None and splitter.agrees(shortcut) and shortcut.skeleton == full.skeleton


def test_layouts_it_does_not_follow_are_left_to_the_full_parse() -> None:
    blob = Blob(Origin(("a.tgz", "package/x.js.map")), b"", 1)
    # sources after sourcesContent: the streamed names would be wrong, so the split must not be used
    late = json.dumps({"version": 3, "sourcesContent": ["a", "b"], "sources": ["x.ts", "y.ts"],
                       "mappings": "A"}).encode()
    splitter, found = _feed(late, [7, 40])
    assert splitter.state == "done" and [e.name for e in found] == ["<source 0>", "<source 1>"]
    parsed = sourcemap.parse(blob, text=late.decode("latin-1"))
    assert parsed is not None and not splitter.agrees(parsed)
    # an index map: never streamed
    sections = json.dumps({"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": {
        "version": 3, "sources": ["a.ts"], "sourcesContent": ["x"], "mappings": "A"}}]}).encode()
    assert _feed(sections, [])[0].state == "dead"
    # not JSON after the array opens
    assert _feed(b'{"version": 3, "sources": [], "sourcesContent": [oops]}', [])[0].state == "dead"
    # a trailing comma is not JSON either
    assert _feed(b'{"version": 3, "sources": ["a"], "sourcesContent": ["x",]}', [])[0].state == "dead"


def test_one_entry_per_line_is_cut_at_the_line_end_and_checked_by_the_decoder() -> None:
    # Learnt from the gap before the second entry: each entry then ends at the last quote of its
    # line, found without decoding it. A line that holds two entries is cut as one; decoding that
    # literal fails, which is what sends the map to the full parse.
    data = b'{"version": 3, "sources": ["a", "b", "c", "d"], "sourcesContent": [\n  "x\\"y",\n  "z",\n  "p", "q"\n]}'
    splitter, found = _feed(data, [70, 80, 90])
    literals = [data[e.start : e.end] for e in found]
    assert splitter.state == "done" and splitter._lines
    assert literals == [b'"x\\"y"', b'"z"', b'"p", "q"']
    assert [sourcemap.decode_entry(lit) for lit in literals[:2]] == [b'x"y', b"z"]
    with pytest.raises(ValueError, match="ends at"):
        sourcemap.decode_entry(literals[2])
    # a raw newline inside a string is not JSON: the split gives up at once
    assert _feed(b'{"version": 3, "sources": [], "sourcesContent": [\n "a",\n "b\nc"\n]}', [])[0].state == "dead"
