"""The HTML report without a browser: the treemap's data, the page's structure parsed with the
standard library, next steps, redaction and escaping of names an attacker chooses.
(tests/report/test_html_browser.py renders the same pages in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from leakguard.model import (
    Artifact,
    Category,
    Finding,
    MemberChange,
    Origin,
    ReleaseDiff,
    Secret,
    Severity,
    Suppression,
    Verdict,
)
from leakguard.report import REPORTERS, advice, html, treemap
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.browser import Element, parse
from tests.helpers.tokens import github_token
from tests.report.test_reporters import ODD, basic_verdict

A = "dist/app-1.0.0.tgz"
MAP = (A, "package/cli.js.map")
HOSTILE = ("<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", "<!-- \u2028 \u2029 &amp;")


def _finding(chain: tuple[str, ...], severity: Severity = Severity.LOW, **kw: Any) -> Finding:
    return Finding(kw.pop("rule", "x.rule"), kw.pop("category", Category.POLICY), severity, Origin(chain),
                   kw.pop("message", "m"), **kw)


def _layout_verdict(findings: tuple[Finding, ...] = (), **kw: Any) -> Verdict:
    layout = (
        (MAP, 1000),
        ((*MAP, "../src/a.ts"), 300),
        ((*MAP, "webpack:///./src/b.ts"), 200),
        ((A, "package/lib/x.tgz"), 50),
        ((A, "package/lib/x.tgz", "package/y.js"), 400),
        ((A, "package/index.js"), 100),
    )
    return Verdict(blocking=findings, reported=(), problems=(), layout=layout,
                   artifacts=(Artifact(A, "npm", "app", "1.0.0", None, 5, 1550),), **kw)


def _nodes(picture: treemap.Picture) -> dict[str, list[Any]]:
    """Nodes by their path of names (``a/b/c``), as the page's script rebuilds them."""
    rows = picture.data["nodes"]
    names: list[str] = []
    for parent, name, *_ in rows:
        names.append(name if parent <= 0 else f"{names[parent]}/{name}")
    return dict(zip(names, rows, strict=True))


def test_the_treemap_nests_members_archives_and_map_entries_by_unpacked_size() -> None:
    findings = (
        _finding(MAP, Severity.CRITICAL),
        _finding((*MAP, "../src/a.ts"), Severity.LOW),
        _finding((A, "package/index.js"), Severity.HIGH, suppression=Suppression("allow", "known")),
        _finding((A, "package/gone.js"), Severity.MEDIUM),  # a member the layout does not list
    )
    picture = treemap.build(_layout_verdict(), findings)
    nodes = _nodes(picture)
    size = {path: row[2] for path, row in nodes.items()}
    worst = {path: row[4] for path, row in nodes.items()}
    kind = {path: row[3] for path, row in nodes.items()}
    # A map is its own bytes (its entries are inside them); a nested archive is its unpacked content.
    assert size[f"{A}/package/cli.js.map"] == 1000
    assert size[f"{A}/package/cli.js.map/../src/a.ts"] == 300
    assert size[f"{A}/package/cli.js.map/webpack:/src/b.ts"] == 200
    assert size[f"{A}/package/lib/x.tgz"] == 400 and size[f"{A}/package/lib"] == 400
    assert size[f"{A}/package"] == size[A] == 1000 + 400 + 100
    assert size[f"{A}/package/gone.js"] == 0
    assert kind[A] == treemap.Kind.ARTIFACT and kind[f"{A}/package"] == treemap.Kind.DIR
    assert kind[f"{A}/package/cli.js.map"] == kind[f"{A}/package/lib/x.tgz/package/y.js"] == treemap.Kind.FILE
    # Coloured by the worst finding inside; a suppressed finding colours nothing.
    assert worst[f"{A}/package/cli.js.map"] == worst[A] == int(Severity.CRITICAL)
    assert worst[f"{A}/package/cli.js.map/../src/a.ts"] == int(Severity.LOW)
    assert worst[f"{A}/package/index.js"] == -1 and worst[f"{A}/package/lib"] == -1
    assert worst[f"{A}/package/gone.js"] == int(Severity.MEDIUM)
    # Each finding is placed at its own node; a name that "/" does not give back is kept exactly.
    rows = picture.data["nodes"]
    assert [rows[i][1] for i in picture.finding_nodes] == ["cli.js.map", "a.ts", "index.js", "gone.js"]
    [exact] = picture.data["exact"].items()
    assert rows[int(exact[0])][1] == "b.ts" and exact[1] == "webpack:///./src/b.ts"
    # Parents come before their children, so the page builds the tree in one pass.
    assert all(parent < i for i, (parent, *_) in enumerate(rows))


def test_a_release_of_many_members_keeps_the_largest_and_counts_the_rest_per_directory() -> None:
    layout = tuple(((A, f"package/d{i % 3}/f{i}.js"), 10 + i) for i in range(300))
    kept = _finding((A, "package/d0/f0.js"), Severity.HIGH)  # the smallest, but it has a finding
    verdict = Verdict(blocking=(kept,), reported=(), problems=(), layout=layout)
    picture = treemap.build(verdict, (kept,), limit=60)
    rows = picture.data["nodes"]
    assert len(rows) <= 60
    nodes = _nodes(picture)
    assert f"{A}/package/d0/f0.js" in nodes and f"{A}/package/d2/f299.js" in nodes
    others = [row for row in rows if row[3] == treemap.Kind.OTHERS]
    assert len(others) == 3 and all(row[1].endswith("smaller files") for row in others)
    # Nothing is lost: the directories still weigh every member.
    assert nodes[f"{A}/package"][2] == sum(size for _, size in layout)


def test_members_added_and_changed_since_the_previous_release_are_marked() -> None:
    diff = ReleaseDiff("dist/app-0.9.0.tgz", A, added=(MemberChange("package/cli.js.map", None, 1000),),
                       removed=(MemberChange("package/old.js", 70, None),),
                       changed=(MemberChange("package/index.js", 60, 100),), old_size=130, new_size=1550)
    picture = treemap.build(_layout_verdict(diffs=(diff,)), ())
    nodes = _nodes(picture)
    index = {path: i for i, path in enumerate(nodes)}
    assert picture.data["changes"] == {str(index[f"{A}/package/cli.js.map"]): [None, 1000],
                                       str(index[f"{A}/package/index.js"]): [60, 100]}


@pytest.mark.parametrize("category", list(Category))
def test_every_category_has_a_next_step(category: Category) -> None:
    step = advice.next_step(_finding((A, "package/x"), category=category, rule="acme.key"))
    assert step.endswith(".") and step.count(". ") == 0 and len(step) > 40
    expected = {Category.CREDENTIAL: "Revoke and rotate", Category.SOURCE_MAP: "sourcesContent",
                Category.SENSITIVE_FILE: ".npmignore", Category.CODENAME: "public-codenames"}
    assert expected.get(category, "") in step
    if category is Category.CREDENTIAL:
        assert "leakguard:allow acme.key" in step


def _page(verdict: Verdict, **options: bool) -> tuple[str, Element]:
    text = REPORTERS["html"](verdict, **options)
    return text, parse(text)


def _data(doc: Element) -> dict[str, Any]:
    [block] = doc.find_all("script", id="leakguard-data", type="application/json")
    data = json.loads(block.text)
    assert isinstance(data, dict)
    return data


def test_the_page_is_self_contained_and_allows_only_its_own_script() -> None:
    text, doc = _page(basic_verdict())
    assert text.startswith("<!DOCTYPE html>")
    scripts = doc.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/json", None]
    assert len(doc.find_all("style")) == 1 and not doc.find_all("link") and not doc.find_all("img")
    # No URL to fetch anything from: every href is a fragment, nothing has a src.
    assert {el.attrs["href"][0] for el in doc.iter() if "href" in el.attrs} == {"#"}
    assert not [el for el in doc.iter() if "src" in el.attrs]
    [csp] = doc.find_all("meta", **{"http-equiv": "Content-Security-Policy"})
    digest = base64.b64encode(hashlib.sha256(scripts[1].text.encode()).digest()).decode()
    assert csp.attrs["content"].startswith(f"default-src 'none'; script-src 'sha256-{digest}';")
    assert "http" not in scripts[1].text.replace("https://", "")  # the script fetches nothing


def test_the_findings_table_lists_every_finding_with_its_status_and_next_step() -> None:
    verdict = basic_verdict()
    _, doc = _page(verdict)
    [table] = doc.find_all("table", id="findings-table")
    rows = table.find_all("tr")[1:]
    findings = [*verdict.blocking, *verdict.reported, *verdict.suppressed]
    assert len(rows) == len(findings)
    assert [r.attrs["data-status"] for r in rows] == ["blocking"] * 3 + ["reported"] * 5 + ["suppressed"]
    by_rule = {r.find_all("td")[3].text: r for r in rows}
    assert set(by_rule) == {f.rule_id for f in findings}
    for finding in findings:
        row = by_rule[finding.rule_id]
        cells = [td.text for td in row.find_all("td")]
        assert row.attrs["data-sev"] == cells[0] == finding.severity.label
        assert row.attrs["data-cat"] == cells[2] == finding.category.value
        assert cells[4].startswith(str(finding.origin)) and finding.message in cells[5]
        assert cells[6] == advice.next_step(finding).replace("`", "")
    assert by_rule["jwt.token"].find_all("td")[1].text == "suppressed (inline: fixture)"
    assert "carried over" in by_rule["policy.growth"].find_all("td")[5].text
    # Rows are worst first within each status.
    sev = [Severity.parse(r.attrs["data-sev"]) for r in rows[3:8]]
    assert sev == sorted(sev, reverse=True)
    # The filters offer every severity and exactly the categories present.
    form = doc.find_all("form", id="filters")[0]
    assert [i.attrs["value"] for i in form.find_all("input", name="sev")] == [s.label for s in reversed(Severity)]
    [cat] = form.find_all("select", name="cat")
    assert [o.attrs["value"] for o in cat.find_all("option")][1:] == sorted({f.category.value for f in findings})
    # Each row points at its member's node in the treemap's data.
    names = [row[1] for row in _data(doc)["nodes"]]
    assert names[int(by_rule["file.dotenv"].attrs["data-node"])] == ODD.rsplit("/", 1)[1]


def test_the_release_diff_shows_growth_and_each_changed_member() -> None:
    diff = ReleaseDiff("old.tgz", A, added=(MemberChange("package/cli.js.map", None, 59_766_257),),
                       removed=(MemberChange("package/old.js", 70, None),),
                       changed=(MemberChange("package/cli.js", 12_967_821, 13_047_043),),
                       old_size=46_604_198, new_size=102_754_401)
    _, doc = _page(_layout_verdict(diffs=(diff,)))
    [header] = doc.find_all("header")
    assert ("Against old.tgz: unpacked size 46.6 MB → 102.8 MB (+56.2 MB, +120%); 1 added, 1 removed, 1 changed."
            in header.text)
    [section] = doc.find_all("section", id="changes")
    rows = [[td.text for td in tr.find_all("td")] for tr in section.find_all("tr")[1:]]
    assert rows == [["added", "package/cli.js.map", "", "59.8 MB", "+59.8 MB"],
                    ["grown", "package/cli.js", "13.0 MB", "13.0 MB", "+79.2 kB"],
                    ["removed", "package/old.js", "70 B", "", "-70 B"]]
    assert not _page(_layout_verdict())[1].find_all("section", id="changes")


def test_names_an_attacker_chooses_stay_text_in_the_page_and_in_its_data() -> None:
    chains = [(A, f"package/{name}.env") for name in HOSTILE] + [(*MAP, f"webpack:///{HOSTILE[1]}")]
    findings = tuple(_finding(c, message=f"{c[-1]} ships") for c in chains)
    verdict = Verdict(blocking=findings, reported=(), problems=(), layout=tuple((c, 10) for c in chains))
    text, doc = _page(verdict)
    assert len(doc.find_all("script")) == 2 and not doc.find_all("img")
    for raw in ("<img", "<script>alert", "</script><script>", "<!--", "\u2028", "\u2029"):
        assert raw not in text
    cells = [r.find_all("td")[5].text for r in doc.find_all("tr") if "data-node" in r.attrs]
    # Line separators (and controls, bidi marks) are shown as escapes, in the table and in the map.
    assert cells == [f"{c[-1]} ships".replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") for c in chains]
    data = _data(doc)
    assert f"webpack:///{HOSTILE[1]}" in data["exact"].values()
    assert {"<img src=x onerror=alert(1)>.env", "<!-- \\u2028 \\u2029 &amp;.env"} <= {r[1] for r in data["nodes"]}


def test_embedded_json_round_trips_and_never_closes_its_element() -> None:
    value = {"a": "</script><!--<script>\u2028\u2029&\udcff"}
    text = html._json(value)
    assert not {"<", ">", "&", "\u2028", "\u2029"} & set(text)
    assert json.loads(text) == value
    text.encode("utf-8")  # a lone surrogate (a name that is not UTF-8) is written as an escape


def test_no_secret_in_the_page_unless_asked(tmp_path: Path) -> None:
    token = github_token(seed=31)
    data = npm_tarball({"cli.js": "x\n", "cli.js.map": source_map([("../src/k.ts", f"const k = '{token}'\n")])},
                       license="UNLICENSED")
    write(tmp_path, "app-1.0.0.tgz", data)
    for extra, present in (((), False), (("--show-secrets",), True)):
        result = run_cli("scan", "app-1.0.0.tgz", "--report", "html:report.html", *extra, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        page = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert "github.pat-classic" in page
        assert (token in page) is present
        assert (Secret(token.encode()).redacted() in page) is not present
    result = run_cli("scan", "app-1.0.0.tgz", "--format", "html", "-o", "same.html", cwd=tmp_path)
    assert result.returncode == 1 and token not in (tmp_path / "same.html").read_text(encoding="utf-8")
