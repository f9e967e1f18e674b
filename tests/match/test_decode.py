"""Secrets hidden by encodings are found, located at the decoded place."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard.app import scan
from leakguard.match import Matcher, decode
from leakguard.match.analyzers import analyze
from leakguard.match.detector import Detector
from leakguard.model import Blob, Category, Origin, Rule, Severity
from leakguard.policy.config import Config
from tests.helpers.archives import npm_tarball, wheel, write, zip_bytes
from tests.helpers.tokens import github_token


def _credential_locations(path: Path) -> list[tuple[str, str, int]]:
    verdict = scan([str(path)], Config())
    return [(f.rule_id, str(f.origin), f.span.line if f.span else 0)
            for f in verdict.blocking + verdict.reported if f.category.value == "credential"]


def test_base64_blob_in_config(tmp_path: Path) -> None:
    token = github_token(seed=31)
    payload = base64.b64encode(f"user: deploy\ntoken: {token}\n".encode()).decode()
    data = npm_tarball({"config.yaml": f"name: x\nsecret: {payload}\n"})
    path = write(tmp_path, "b.tgz", data)
    assert _credential_locations(path) == [
        ("github.pat-classic", f"{path}!/package/config.yaml!/<base64 at line 2>", 2)
    ]


def test_data_uri_in_large_bundle(tmp_path: Path) -> None:
    token = github_token(seed=32)
    payload = base64.b64encode(f'{{"token": "{token}"}}'.encode()).decode()
    bundle = "var a=1;\n" * 40_000 + f'const cfg="data:application/json;base64,{payload}";\n'
    path = write(tmp_path, "d.tgz", npm_tarball({"dist/bundle.js": bundle}))
    assert _credential_locations(path) == [
        ("github.pat-classic", f"{path}!/package/dist/bundle.js!/<base64 at line 40001>", 1)
    ]


def test_json_escaped_slashes_do_not_hide_a_secret(tmp_path: Path) -> None:
    token = github_token(seed=33)
    doc = json.dumps({"remote": f"https://{token}@github.com/acme/app.git"}).replace("/", "\\/")
    path = write(tmp_path, "j.tgz", npm_tarball({"remote.json": doc}))
    assert _credential_locations(path) == [("github.pat-classic", f"{path}!/package/remote.json", 1)]


def test_utf16_text_is_scanned(tmp_path: Path) -> None:
    token = github_token(seed=34)
    text = f"first line\r\nGH_TOKEN={token}\r\n"
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        path = write(tmp_path, f"{encoding}.tgz", npm_tarball({"notes.txt": text.encode(encoding)}))
        assert _credential_locations(path) == [("github.pat-classic", f"{path}!/package/notes.txt", 2)], encoding


def test_json_gz_inside_wheel(tmp_path: Path) -> None:
    token = github_token(seed=35)
    model = json.dumps({"metadata": {"x": 1}, "auth": {"token": token}}, indent=1).encode()
    path = write(tmp_path, "w-1.0-py3-none-any.whl", wheel({"w/data/model.json.gz": gzip.compress(model)}))
    assert _credential_locations(path) == [("github.pat-classic", f"{path}!/w/data/model.json.gz", 6)]


def test_zip_inside_npm_tarball(tmp_path: Path) -> None:
    token = github_token(seed=36)
    inner = zip_bytes({"conf/settings.ini": f"[auth]\ntoken = {token}\n"})
    path = write(tmp_path, "z.tgz", npm_tarball({"assets/bundle.zip": inner}))
    assert _credential_locations(path) == [
        ("github.pat-classic", f"{path}!/package/assets/bundle.zip!/conf/settings.ini", 2)
    ]


def test_binary_and_short_payloads_are_skipped() -> None:
    data = b"img=" + base64.b64encode(bytes(range(256)) * 4) + b"\nshort=" + base64.b64encode(b"hi")
    blob = Blob(Origin(("a",)), data, 0)
    assert list(decode.embedded(blob)) == []


def test_decoding_depth_is_limited() -> None:
    inner = b"x" * 40
    for _ in range(5):
        inner = b"v=" + base64.b64encode(inner)
    children = list(decode.embedded(Blob(Origin(("a",)), inner, 0)))
    assert len(children) == decode.MAX_DEPTH


def test_codename_in_utf16le_strings_of_a_binary(tmp_path: Path) -> None:
    binary = b"\x7fELF\x02\x01\x00\x00" + bytes(range(256)) * 8 + "ProductName: Capybara Studio\x00".encode("utf-16-le")
    binary += b"\x00" * 33 + "x".encode("utf-16-le")
    path = write(tmp_path, "bin.tgz", npm_tarball({"vendor/tool.node": binary}))
    config = Config(codenames=("capybara",))
    found = [(f.rule_id, str(f.origin)) for f in scan([str(path)], config).blocking]
    assert found == [("codename.capybara", f"{path}!/package/vendor/tool.node!/<utf-16le strings, even offsets>")]
    assert scan([str(path)], Config()).blocking == ()


def test_codename_in_utf16le_strings_at_odd_offsets_only_inside_strings(tmp_path: Path) -> None:
    """A string at an odd offset is found in the odd view. The same letters with other bytes than
    NUL between them are no UTF-16 string, and no finding."""
    text = "CompanyName: Capybara Labs".encode("utf-16-le")
    odd = b"MZ\x90" + bytes(range(1, 256)) * 4 + text + b"\x00\x00"
    interleaved = b"MZ\x90\x00" + bytes(range(1, 256)) * 4 + b"".join(bytes((c, 0x41)) for c in b" capybara ")
    path = write(tmp_path, "bin.tgz", npm_tarball({"vendor/a.dll": odd, "vendor/b.dll": interleaved}))
    found = [(f.rule_id, str(f.origin)) for f in scan([str(path)], Config(codenames=("capybara",))).blocking]
    assert found == [("codename.capybara", f"{path}!/package/vendor/a.dll!/<utf-16le strings, odd offsets>")]


def test_a_codename_running_past_the_end_of_a_utf16_string_is_not_one() -> None:
    """"Capy" is a UTF-16 string; the "b" after it is followed by 0x01, not NUL, so "Capybara"
    read across it (the view holds those letters) is no text of the binary."""
    binary = b"MZ\x90\x00" + bytes(range(1, 256)) * 4 + b"\x00" + "say Capy".encode("utf-16-le")
    binary += b"b\x01" + "ara!".encode("utf-16-le") + b"\x01" * 8
    binary += "[Capybara]".encode("utf-16-le")  # a real one, later
    blob = Blob(Origin(("a.tgz", "package/a.dll")), binary, 1)
    scanner = Detector.build(Config(codenames=("capybara",)), "ahocorasick-rs")
    [(view, strings)] = decode.utf16_strings(blob)
    across = view.data.index(b"Capybara")
    real = view.data.index(b"Capybara", across + 1)
    assert scanner.names is not None
    assert {f.span.start for f in scanner.names.scan(view, strings) if f.span} == {across, real}
    assert {(f.rule_id, f.span.start if f.span else None) for f in analyze(scanner, blob).findings} == {
        ("codename.capybara", real)}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"\\", b"/", b"a", b'"']), max_size=80).map(b"".join))
def test_escaped_slash_is_a_slash_after_an_odd_number_of_backslashes(data: bytes) -> None:
    expected = re.search(rb"(?<!\\)(?:\\\\)*\\/", data) is not None
    assert decode.escapes_slash(data) is expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"\\", b"\\\\", b"/", b"a" * 300, b'"']), max_size=400).map(b"".join))
def test_escaped_slash_among_many_backslashes(data: bytes) -> None:
    """Past 64 backslashes, dense ones are no longer looked at one by one: same answer."""
    expected = re.search(rb"(?<!\\)(?:\\\\)*\\/", data) is not None
    assert decode.escapes_slash(data) is expected


@pytest.mark.parametrize(("pairs", "escaped"), [(100, False), (100, True), (5000, False), (5000, True)])
def test_escaped_slash_after_dense_backslashes(pairs: int, escaped: bool) -> None:
    data = b'"pattern": "' + b"a\\\\" * pairs + (b"\\/" if escaped else b"\\\\/") + b'"'
    assert decode.escapes_slash(data) is escaped


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\\", b"/", b"\\/", b"o", b"\n", b'"']), min_size=1, max_size=120).map(b"".join))
def test_the_slash_view_undoes_every_escape_pair_as_replace_would(data: bytes) -> None:
    """The view's bytes are exactly ``bytes.replace`` of every backslash-slash pair, left to right."""
    blob = Blob(Origin(("a", "x.json")), data, 0)
    [view] = decode.views(blob)
    assert view.data == (data.replace(b"\\/", b"/") if decode.escapes_slash(data) else data)


def test_a_view_only_for_json_slash_escapes() -> None:
    """https:\\/\\/ gets a view with the escapes undone; a regex pattern's escaped backslash before
    a slash (botocore's service models) is scanned as it is, with no copy."""
    escaped = Blob(Origin(("a", "x.json")), b'{"u": "https:\\/\\/user:pa55@db.corp"}', 0)
    [view] = decode.views(escaped)
    assert view.data == b'{"u": "https://user:pa55@db.corp"}'
    pattern = Blob(Origin(("a", "x.json")), b'{"pattern": "^arn[\\\\/\\\\:a-z]+$"}', 0)
    assert decode.views(pattern)[0] is pattern
    long_run = Blob(Origin(("a", "x.json")), b"x" + b"\\" * 200 + b"/", 0)
    assert decode.views(long_run)[0] is not long_run  # past 64 backslashes: taken as an escape


def _inline_map_js(source: str) -> bytes:
    inline = json.dumps({"version": 3, "sources": ["src/app.ts"], "sourcesContent": [source], "mappings": "AAAA"})
    payload = base64.b64encode(inline.encode()).decode()
    return f"console.log(1);\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{payload}\n".encode()


def test_inline_source_map_payload_is_matched_decoded_not_as_base64(tmp_path: Path) -> None:
    """The base64 of an inline source map is decoded and its sources are matched; the base64 text
    itself is not matched (a rule that fires on it, here one on eyJ, the base64 of '{"', finds
    nothing there). Other base64 payloads are still matched as text too."""
    def rule(rule_id: str, keyword: bytes, pattern: bytes) -> Rule:
        return Rule(id=rule_id, title=rule_id, category=Category.CREDENTIAL, severity=Severity.HIGH,
                    keywords=(keyword,), pattern=re.compile(pattern), secret_group=1, min_entropy=None,
                    validator=None, paths=(), window=64, references=("https://x",), examples=(),
                    negative_examples=())

    rules = [rule("test.eyj", b"eyj", rb"(eyJ[A-Za-z0-9]{8})"), rule("test.okapi", b"okapi", rb"(okapi-[0-9]+)")]
    scanner = dataclasses.replace(Detector.build(Config()), matcher=Matcher(rules))
    js = _inline_map_js("const model = 'okapi-42';")
    found = [(f.rule_id, f.origin.inner) for f in analyze(scanner, Blob(Origin(("a", "dist/app.js")), js, 0)).findings]
    assert ("test.okapi", "<base64 at line 2>") in found
    assert [r for r, where in found if r == "test.eyj" and where == "dist/app.js"] == []
    plain = b"token = " + base64.b64encode(json.dumps({"note": "not a source map at all"}).encode()) + b"\n"
    found = [(f.rule_id, f.origin.inner) for f in analyze(scanner, Blob(Origin(("a", "cfg.txt")), plain, 0)).findings]
    assert ("test.eyj", "cfg.txt") in found


def test_inline_map_spans_and_the_ranges_outside_them() -> None:
    js = _inline_map_js("x")
    maps: list[tuple[int, int]] = []
    children = list(decode.embedded(Blob(Origin(("a", "app.js")), js, 0), maps=maps))
    start = js.index(b";base64,") + 8
    assert maps == [(start, js.index(b"=", start) if b"=" in js[start:] else len(js) - 1)]
    assert children[0].data.startswith(b'{"version": 3')
    not_a_link = js.replace(b"sourceMappingURL", b"sourceMapping_RL")
    maps = []
    list(decode.embedded(Blob(Origin(("a", "app.js")), not_a_link, 0), maps=maps))
    assert maps == []
    assert decode.outside([(2, 4), (6, 9)], 0, 12) == [(0, 2), (4, 6), (9, 12)]
    assert decode.outside([(0, 3), (3, 12)], 0, 12) == []
    assert decode.outside([], 5, 9) == [(5, 9)]


_TEXTISH = st.sampled_from([b"a", b"Z", b" ", b"\n", b"\x00", b"\xff", b"\x01", b"~", b"\x7f"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXTISH, max_size=120).map(lambda parts: b"\x00" + b"".join(parts)))
def test_utf16_string_ranges_are_every_run_of_text_and_nul(data: bytes) -> None:
    """The ranges of each view are exactly the runs of three or more (text byte, NUL) pairs,
    at even and at odd offsets, found by a regex over the whole member."""
    views = decode.utf16_strings(Blob(Origin(("a", "x.node")), data, 0))
    if decode.looks_utf16(data) is not None:
        assert views == []  # a UTF-16 text member is decoded whole instead (views())
        return
    got = {blob.origin.inner: ranges for blob, ranges in views}
    for start, parity in ((0, "even"), (1, "odd")):
        expected = []
        pos = start
        while pos < len(data):
            run = re.match(rb"(?:[\t\n\r\x20-\x7e]\x00)+", data[pos:])
            if run is not None and run.end() >= 2 * decode.UTF16_MIN_CHARS:
                expected.append((pos // 2, (pos + run.end()) // 2))
                pos += run.end()
            else:
                pos += 2
        name = f"<utf-16le strings, {parity} offsets>"
        assert got.get(name, []) == expected
        for blob, _ in views:
            if blob.origin.inner == name:
                assert blob.data == data[start::2]


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.binary(min_size=16, max_size=300).map(base64.b64encode),
    st.binary(min_size=16, max_size=300).map(base64.urlsafe_b64encode),
    st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x7F), min_size=16, max_size=300)
    .map(lambda t: base64.b64encode(t.encode())),
    st.text(min_size=8, max_size=200).map(lambda t: base64.b64encode(t.encode())),
    st.text(alphabet=_B64, min_size=32, max_size=400).map(str.encode),
))
def test_the_lead_check_only_drops_runs_that_decode_to_non_text(run: bytes) -> None:
    # A run is not decoded when its group leads already show too many non-text bytes: that must
    # never drop a run that decodes to a payload _printable accepts.
    decoded = decode.decode_run(run)
    if decoded is not None and decode._printable(decoded):
        assert not decode._not_text(run)
        body = run.rstrip(b"=")  # a run ends before its padding
        if len(body) >= decode.MIN_RUN:
            assert [r for _, r in decode._runs(b" " + run + b" ")] == [body]


def test_the_lead_check_drops_identifiers_and_paths_without_decoding() -> None:
    assert decode._not_text(b"getServerSideConfigurationForTheCurrentWorkspace")
    assert decode._not_text(b"node_modules/some-package/dist/esm/internal/utils")
    assert not decode._not_text(base64.b64encode(b"user=admin;password=hunter2-and-more"))


def test_a_utf16_bom_over_ascii_is_read_both_ways(tmp_path: Path) -> None:
    token = github_token(seed=11)
    data = b"\xff\xfe" + f"GITHUB_TOKEN={token}\n".encode()
    verdict = scan([str(write(tmp_path, "bom.tgz", npm_tarball({"config.txt": data})))], Config())
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [("github.pat-classic", "package/config.txt")]


def test_a_credential_in_the_utf16le_strings_of_a_binary(tmp_path: Path) -> None:
    token = github_token(seed=12)
    binary = b"MZ\x90\x00" + bytes(range(1, 256)) * 8 + f"token={token}".encode("utf-16-le") + b"\x00\x00" * 4
    verdict = scan([str(write(tmp_path, "bin.tgz", npm_tarball({"tool.exe": binary})))], Config())
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [
        ("github.pat-classic", "<utf-16le strings, even offsets>")]
