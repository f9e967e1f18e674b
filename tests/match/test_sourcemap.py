"""The source-map analyzer on real npm tarballs built in the test."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.match import maps, sourcemap
from leakguard.model import Blob, Category, ExitCode, Origin, Severity
from leakguard.policy.config import Config
from tests.helpers.archives import npm_tarball, source_map, tar_bytes, write, zip_bytes
from tests.helpers.tokens import github_token

FIRST = [(f"../src/module{i}.ts", f"export const x{i} = {i};\n" * 10) for i in range(12)]
THIRD = [(f"../node_modules/lib{i}/index.js", "module.exports = 1;\n") for i in range(30)]
VENDOR = [("../vendor/ripgrep/index.js", "vendored\n")]


def _leak(tmp_path: Path, *, license: str | None, name: str = "leak-1.0.0.tgz") -> Path:
    """The shape of claude-code 2.1.88: cli.js with no link, cli.js.map with every source embedded."""
    cli_map = source_map(THIRD[:10] + FIRST + THIRD[10:] + VENDOR)
    data = npm_tarball(
        {"cli.js": "console.log(1);\n", "cli.js.map": cli_map, "README.md": "# x\n"},
        name="@acme/cli", version="2.1.88", license=license,
    )
    return write(tmp_path, name, data)


def test_synthetic_leak_is_critical_for_proprietary_licence(tmp_path: Path) -> None:
    path = _leak(tmp_path, license="SEE LICENSE IN README.md")
    verdict = scan([str(path)], Config())
    assert verdict.exit_code is ExitCode.BLOCKED
    [finding] = verdict.blocking
    assert finding.rule_id == "source-map.embedded-sources"
    assert finding.category is Category.SOURCE_MAP
    assert finding.severity is Severity.CRITICAL
    assert str(finding.origin) == f"{path}!/package/cli.js.map"
    size = sum(len(c.encode()) for _, c in FIRST)
    assert finding.message == (
        f"package/cli.js.map embeds 12 first-party source files ({size / 1000:.1f} kB) from ../src/ "
        "that are not shipped in the package; the package licence is proprietary or missing"
    )


@pytest.mark.parametrize("license", [None, "UNLICENSED", "SEE LICENSE IN LICENSE.md"])
def test_missing_or_proprietary_licence_is_critical(tmp_path: Path, license: str | None) -> None:
    verdict = scan([str(_leak(tmp_path, license=license))], Config())
    assert [f.severity for f in verdict.blocking] == [Severity.CRITICAL]


def test_open_source_licence_is_high_and_still_blocks(tmp_path: Path) -> None:
    verdict = scan([str(_leak(tmp_path, license="MIT"))], Config())
    assert [(f.rule_id, f.severity) for f in verdict.blocking] == [("source-map.embedded-sources", Severity.HIGH)]
    assert verdict.exit_code is ExitCode.BLOCKED


def test_public_sources_makes_it_low(tmp_path: Path) -> None:
    verdict = scan([str(_leak(tmp_path, license="MIT"))], Config(public_sources=True))
    assert verdict.blocking == ()
    assert [(f.rule_id, f.severity) for f in verdict.reported] == [("source-map.embedded-sources", Severity.LOW)]


def test_sources_shipped_as_files_are_low(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"src/module{i}.ts": c for i, (_, c) in enumerate(FIRST)}
    files["dist/cli.js"] = "x\n"
    files["dist/cli.js.map"] = source_map(FIRST + THIRD)
    path = write(tmp_path, "ok.tgz", npm_tarball(files, license="MIT"))
    verdict = scan([str(path)], Config())
    assert verdict.blocking == ()
    assert [f.rule_id for f in verdict.reported if f.category is Category.SOURCE_MAP] == ["source-map.shipped-sources"]


def test_third_party_only_and_no_content_are_low(tmp_path: Path) -> None:
    third = source_map(THIRD)
    empty = json.dumps({"version": 3, "sources": ["../src/a.ts"], "mappings": "AAAA"}).encode()
    path = write(tmp_path, "p.tgz", npm_tarball({"a.js.map": third, "b.js.map": empty}, license=None))
    verdict = scan([str(path)], Config())
    assert verdict.blocking == ()
    assert {(f.rule_id, f.severity, f.origin.inner) for f in verdict.reported} == {
        ("source-map.third-party-sources", Severity.LOW, "package/a.js.map"),
        ("source-map.no-content", Severity.LOW, "package/b.js.map"),
    }


def test_ignore_list_marks_third_party(tmp_path: Path) -> None:
    sources = [("../src/app.ts", "app\n"), ("../lib/vendored.ts", "v\n")]
    for key in ("ignoreList", "x_google_ignoreList"):
        data = source_map(sources, **{key: [0, 1]})
        verdict = scan([str(write(tmp_path, f"{key}.tgz", npm_tarball({"a.js.map": data})))], Config())
        assert [f.rule_id for f in verdict.reported] == ["source-map.third-party-sources"], key


def test_map_found_by_content_without_map_suffix(tmp_path: Path) -> None:
    data = source_map(FIRST)
    path = write(tmp_path, "p.tgz", npm_tarball({"build/chunk.json": data}, license="UNLICENSED"))
    verdict = scan([str(path)], Config())
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [
        ("source-map.embedded-sources", "package/build/chunk.json")
    ]


def test_json_that_is_not_a_map_is_ignored(tmp_path: Path) -> None:
    other = json.dumps({"version": 3, "name": "x", "sources": ["a"]}).encode()
    path = write(tmp_path, "p.tgz", npm_tarball({"data.json": other, "x.map": b"not json at all"}))
    verdict = scan([str(path)], Config())
    assert [f for f in verdict.blocking + verdict.reported if f.category is Category.SOURCE_MAP] == []


def test_webpack_sources_and_internals(tmp_path: Path) -> None:
    sources = [
        ("webpack://app/./src/index.js", "index\n"),
        ("webpack://app/webpack/bootstrap", "boot\n"),
        ("webpack://app/./node_modules/react/index.js", "react\n"),
    ]
    path = write(tmp_path, "w.tgz", npm_tarball({"main.js.map": source_map(sources)}, license="MIT"))
    [finding] = scan([str(path)], Config()).blocking
    assert finding.message.startswith("package/main.js.map embeds 1 first-party source files (6 B) from ./src/")


def test_source_root_is_prefixed(tmp_path: Path) -> None:
    data = source_map([("index.ts", "export {}\n")], sourceRoot="../../private/")
    path = write(tmp_path, "r.tgz", npm_tarball({"dist/a.js.map": data}, license="MIT"))
    [finding] = scan([str(path)], Config()).blocking
    assert "from ../" in finding.message


def test_index_map_sections_are_added_up(tmp_path: Path) -> None:
    section = lambda items: json.loads(source_map(items))  # noqa: E731
    doc = {
        "version": 3,
        "sections": [
            {"offset": {"line": 0, "column": 0}, "map": section(FIRST[:3])},
            {"offset": {"line": 100, "column": 0}, "map": section(FIRST[3:5] + THIRD[:2])},
        ],
    }
    path = write(tmp_path, "i.tgz", npm_tarball({"a.js.map": json.dumps(doc)}, license="UNLICENSED"))
    [finding] = scan([str(path)], Config()).blocking
    assert finding.message.startswith("package/a.js.map embeds 5 first-party source files")


def test_null_sources_and_contents(tmp_path: Path) -> None:
    # ECMA-426: sources and sourcesContent entries may be null.
    data = source_map([(None, "orphan content\n"), ("../src/a.ts", None), ("../src/b.ts", "b\n")])
    path = write(tmp_path, "n.tgz", npm_tarball({"a.js.map": data}, license="MIT"))
    [finding] = scan([str(path)], Config()).blocking
    assert finding.message.startswith("package/a.js.map embeds 2 first-party source files")


def test_inline_data_uri_map_is_decoded_and_analyzed(tmp_path: Path) -> None:
    encoded = base64.b64encode(source_map(FIRST[:2])).decode()
    js = f"console.log(1);\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{encoded}\n"
    path = write(tmp_path, "in.tgz", npm_tarball({"index.js": js}, license="MIT"))
    [finding] = scan([str(path)], Config()).blocking
    assert str(finding.origin) == f"{path}!/package/index.js!/<inline source map>"
    assert finding.message == (
        "the inline map in package/index.js embeds 2 first-party source files (420 B) from ../src/ "
        "that are not shipped in the package; the licence (MIT) is open but the package names no public repository"
    )


@pytest.mark.parametrize("comment", ["//# sourceMappingURL=app.js.map", "//@ sourceMappingURL=app.js.map",
                                     "/*# sourceMappingURL=app.js.map */"])
def test_dangling_source_mapping_url_is_info(tmp_path: Path, comment: str) -> None:
    path = write(tmp_path, "d.tgz", npm_tarball({"dist/app.js": f"x();\n{comment}\n"}))
    verdict = scan([str(path)], Config())
    assert verdict.exit_code is ExitCode.PASS
    assert [(f.rule_id, f.severity, f.origin.inner) for f in verdict.reported] == [
        ("source-map.dangling-url", Severity.INFO, "package/dist/app.js")
    ]
    assert "package/dist/app.js.map" in verdict.reported[0].message


def test_linked_map_that_ships_is_not_dangling(tmp_path: Path) -> None:
    files = {"dist/app.js": "x();\n//# sourceMappingURL=app.js.map\n",
             "dist/app.js.map": source_map(THIRD[:1])}
    verdict = scan([str(write(tmp_path, "l.tgz", npm_tarball(files)))], Config())
    assert [f.rule_id for f in verdict.reported] == ["source-map.third-party-sources"]


def test_secret_in_sources_content_is_located_at_original_file_and_line(tmp_path: Path) -> None:
    token = github_token(seed=3)
    config_ts = "export const config = {\n  retries: 3,\n" + f'  token: "{token}",\n' + "};\n"
    data = source_map([("../src/util.ts", "u\n"), ("../src/config.ts", config_ts)])
    path = write(tmp_path, "pkg.tgz", npm_tarball({"cli.js.map": data}, license="MIT"))
    verdict = scan([str(path)], Config())
    secrets = [f for f in verdict.blocking if f.category is Category.CREDENTIAL]
    assert [(f.rule_id, str(f.origin), f.span.line if f.span else None, f.span.column if f.span else None)
            for f in secrets] == [("github.pat-classic", f"{path}!/package/cli.js.map!/../src/config.ts", 3, 11)]


def test_unicode_escapes_in_sources_content(tmp_path: Path) -> None:
    token = github_token(seed=4)
    # \u escapes (and a character above U+00FF) must not shift lines or hide the token.
    content = "const s = '\u00e9\u4e2d\U0001f600';\n" + f"const t = '{token}';\n"
    data = json.dumps({"version": 3, "sources": ["../src/u.ts"], "sourcesContent": [content],
                       "mappings": "A"}, ensure_ascii=True).encode()
    verdict = scan([str(write(tmp_path, "u.tgz", npm_tarball({"a.js.map": data})))], Config())
    lines = [(f.rule_id, f.span.line) for f in verdict.blocking if f.span]
    assert lines == [("github.pat-classic", 2)]


def test_map_inside_zip_inside_tarball(tmp_path: Path) -> None:
    inner = zip_bytes({"static/app.js.map": source_map(FIRST[:1])})
    path = write(tmp_path, "n.tgz", npm_tarball({"assets.zip": inner}, license="UNLICENSED"))
    [finding] = scan([str(path)], Config()).blocking
    assert str(finding.origin) == f"{path}!/package/assets.zip!/static/app.js.map"


def test_a_parsed_map_is_a_value_read_in_any_order_any_number_of_times() -> None:
    data = source_map(FIRST + THIRD)
    parsed = sourcemap.parse(data)
    assert parsed is not None
    entries = list(parsed.entries())
    assert [e.name for e in entries] == [p for p, _ in FIRST + THIRD]
    assert [sourcemap.decode_entry(data[e.start : e.end]).decode() for e in reversed(entries)] == [
        c for _, c in reversed(FIRST + THIRD)]
    assert list(parsed.entries()) == entries  # again, the same
    summary = maps.summarize(parsed, Origin(("x.tgz", "package/a.js.map")),
                             {(e.section, e.index): (1, "") for e in entries})
    assert (summary.sources, len(summary.first_party)) == (len(FIRST + THIRD), len(FIRST))


@pytest.mark.parametrize("bad", [b"{", b'{"version": 3, "mappings": ', b'{"version": 3, "sourcesContent": [1,',
                                 b'{"version": 3, "mappings": "A"' + b', "x": [' * 100000])
def test_damaged_maps_raise_a_map_error(bad: bytes) -> None:
    with pytest.raises(sourcemap.MapError):
        sourcemap.parse(bad)


@pytest.mark.parametrize("other", [b'{"version": 2, "mappings": "A"}', b'{"version": 3}', b'{}',
                                   b'{"version": 3, "sources": [], "mappings": 7}'])
def test_json_objects_that_are_not_version_3_maps_are_not_maps(other: bytes) -> None:
    assert sourcemap.parse(other) is None


@pytest.mark.parametrize("wrap", [
    lambda m: b")]}'\n" + m,  # the XSSI guard browsers strip (ECMA-426)
    lambda m: b"\xef\xbb\xbf" + m,  # a UTF-8 BOM
    lambda m: b"\n" * 80 + m,  # any whitespace, as JSON.parse accepts
    lambda m: m.replace(b'"version": 3', b'"version": "3"'),  # the version as a string
    lambda m: m.replace(b'"sourcesContent": [', b'"sourcesContent": null, "sourcesContent": ['),  # the last wins
])
def test_maps_that_real_tools_accept_are_read(wrap: Callable[[bytes], bytes], tmp_path: Path) -> None:
    data = wrap(source_map(FIRST[:2]))
    parsed = sourcemap.parse(data)
    assert parsed is not None and [e.name for e in parsed.entries()] == [p for p, _ in FIRST[:2]]
    [finding] = scan([str(write(tmp_path, "w.tgz", npm_tarball({"a.js.map": data}, license="UNLICENSED")))],
                     Config()).blocking
    assert (finding.rule_id, finding.severity) == ("source-map.embedded-sources", Severity.CRITICAL)


def test_a_damaged_map_is_a_scan_error_and_still_read_as_text(tmp_path: Path) -> None:
    token = github_token(seed=7)
    data = source_map([("../src/k.ts", f"const k = '{token}';\n")])[:-20]  # truncated
    verdict = scan([str(write(tmp_path, "t.tgz", npm_tarball({"a.js.map": data})))], Config())
    assert [(p.kind, p.origin.inner) for p in verdict.problems] == [("corrupt", "package/a.js.map")]
    assert "source map cannot be read" in verdict.problems[0].detail
    assert [f.rule_id for f in verdict.blocking] == ["github.pat-classic"]


def test_plain_tar_map_in_directory_target(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "dist").mkdir(parents=True)
    (tmp_path / "pkg" / "dist" / "a.js.map").write_bytes(source_map(FIRST[:2]))
    verdict = scan([str(tmp_path / "pkg")], Config())
    [finding] = verdict.blocking
    assert str(finding.origin) == f"{tmp_path / 'pkg'}/dist/a.js.map"
    assert finding.severity is Severity.CRITICAL  # a directory declares no licence


def test_tar_without_package_json(tmp_path: Path) -> None:
    data = tar_bytes({"site/app.js.map": source_map(FIRST[:1])})
    [finding] = scan([str(write(tmp_path, "site.tar.gz", data))], Config()).blocking
    assert finding.severity is Severity.CRITICAL


@pytest.mark.parametrize(("version", "is_map"), [("3", True), ("3.0", True), ("3e0", True), ("2", False),
                                                 ('"3"', True), ('"3.0"', False), ("30", False)])
def test_a_map_is_recognised_by_its_version_wherever_it_lives(version: str, is_map: bool) -> None:
    data = ('{"names": [], "version" : ' + version + ', "sources": ["../src/a.ts"], "sourcesContent": '
            '["export const a = 1;"], "mappings": "AAAA"}').encode()
    blob = Blob(Origin(("x.tgz", "package/dist/bundle.json")), data, 1)
    assert sourcemap.looks_like_map(blob) is is_map
    assert (sourcemap.parse(blob.data) is not None) is is_map


@pytest.mark.parametrize("head", [
    '{"version": 3, "mappings": "AAAA"}',
    '{"x": {"version": 2}, "version": 3, "mappings": ";"}',
    '{"VERSION": 3, "mappings": "AAAA"}',
    '{"version"version": 3, "mappings": "AAAA"}',
    '{"version": "3", "version" :3.0, "sections": []}',
    '{"name": "x", "version": "2.0"}',
])
def test_the_automaton_version_places_give_the_same_answer(head: str) -> None:
    """Told where "version" occurs (case-folded, overlaps included, as the automaton reports
    it), looks_like_map answers as its own search does."""
    data = head.encode()
    blob = Blob(Origin(("x.tgz", "package/a.json")), data, 1)
    places = [i for i in range(len(data)) if data[i:i + 9].lower() == b'"version"']
    assert sourcemap.looks_like_map(blob, places) is sourcemap.looks_like_map(blob)


def test_the_automaton_link_places_give_the_same_links() -> None:
    data = (b"a()\n//# sourceMappingURL=a.js.map\n// SOURCEMAPPINGURL=b.js.map\n"
            b"/*# sourceMappingURL=c.css.map */\n")
    blob = Blob(Origin(("x.tgz", "package/dist/a.js")), data, 1)
    places = [i for i in range(len(data)) if data[i:i + 17].lower() == b"sourcemappingurl="]
    assert len(places) == 3
    assert maps.links(blob, places) == maps.links(blob)
    targets = [link.target for link in maps.links(blob, places)[0]]
    assert targets == ["package/dist/a.js.map", "package/dist/c.css.map"]
