"""The HTML report in a real headless Chromium (tests/helpers/browser.py): the DOM after the page's
script drew the treemap, a screenshot's pixels, clicks, hovers and filters, and names an attacker
chose that must stay inert. The pages come from the real CLI (``--report html:FILE``)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from bench import browser
from leakguard.model import human_size
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.browser import Element, dump_dom, parse, screenshot
from tests.helpers.png import Image

CRITICAL = (0x9B, 0x1C, 0x1C)  # --critical in report/html.css
NONE = (0xDD, 0xE3, 0xEA)  # --none


def _text(n: int, seed: int) -> str:
    rng = random.Random(seed)
    words = ["const", "value", "return", "function", "await", "import", "export", "=>", "{", "}", "(", ")"]
    return " ".join(rng.choice(words) for _ in range(n // 6)) + "\n"


def _binary(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _releases(folder: Path) -> tuple[Path, Path]:
    """Like claude-code 2.1.87 -> 2.1.88: the new one adds a source map, most of its bytes, whose
    sourcesContent holds the first-party sources; the bundle grew a little."""
    old_files: dict[str, bytes | str] = {"cli.js": _text(200_000, 1), "vendor/rg": _binary(120_000, 2),
                                         "README.md": "# tool\n"}
    sources = [(f"../src/{d}/{f}.ts", _text(40_000 + 5_000 * i, 10 + i))
               for i, (d, f) in enumerate((d, f) for d in ("commands", "tools", "ui") for f in ("a", "b", "c"))]
    sources += [("../node_modules/lib/index.js", _text(60_000, 30))]
    new_files = {**old_files, "cli.js": _text(210_000, 1), "cli.js.map": source_map(sources)}
    old = write(folder, "tool-1.0.0.tgz", npm_tarball(old_files, name="tool", version="1.0.0", license="UNLICENSED"))
    new = write(folder, "tool-1.0.1.tgz", npm_tarball(new_files, name="tool", version="1.0.1", license="UNLICENSED"))
    return old, new


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the leaking release scanned against the one before it."""
    folder = tmp_path_factory.mktemp("leak")
    _releases(folder)
    result = run_cli("scan", "tool-1.0.1.tgz", "--against", "tool-1.0.0.tgz", "--report", "html:report.html",
                     cwd=folder)
    assert result.returncode == 1, result.stdout + result.stderr
    return folder / "report.html"


def _rects(dom: Element) -> list[Element]:
    [treemap] = dom.find_all("div", id="map")
    return treemap.find_all("div", class_="r")


def _area(el: Element) -> float:
    box = el.style()
    return box["width"] * box["height"]


def test_the_largest_member_drawn_is_the_source_map(leak: Path) -> None:
    dom = parse(dump_dom(leak))
    rects = _rects(dom)
    [treemap] = dom.find_all("div", id="map")
    assert int(treemap.attrs["data-rects"]) == len(rects) > 20
    assert treemap.attrs["data-view"] == "tool-1.0.1.tgz"
    # Members of the tarball (class k4: a file), not directories nor what is inside a member.
    members = [r for r in rects if "k4" in r.attrs["class"].split() and r.attrs["data-path"].count("!/") == 1]
    by_path = {r.attrs["data-path"]: r for r in members}
    # README.md and package.json are too small to draw (under 3 pixels).
    assert set(by_path) == {f"tool-1.0.1.tgz!/package/{m}" for m in ("cli.js.map", "cli.js", "vendor/rg")}
    largest = max(members, key=_area)
    assert largest.attrs["data-path"] == "tool-1.0.1.tgz!/package/cli.js.map"
    assert _area(largest) > 0.5 * sum(_area(r) for r in members)
    # Coloured by its finding (proprietary first-party sources: critical), marked new; the bundle grew.
    assert {"s4", "added", "c"} <= set(largest.attrs["class"].split())
    assert "grown" in by_path["tool-1.0.1.tgz!/package/cli.js"].attrs["class"].split()
    assert "s-1" in by_path["tool-1.0.1.tgz!/package/vendor/rg"].attrs["class"].split()
    # The map's sourcesContent entries are rectangles inside it.
    box = largest.style()
    entries = [r for r in rects if r.attrs["data-path"].startswith("tool-1.0.1.tgz!/package/cli.js.map!/")]
    shown = {r.attrs["data-path"].rsplit("!/", 1)[1] for r in entries}
    assert shown >= {"../src/ui/c.ts", "../node_modules/lib/index.js"}
    for entry in entries:
        inner = entry.style()
        assert box["left"] <= inner["left"] and inner["left"] + inner["width"] <= box["left"] + box["width"] + 0.2
        assert box["top"] <= inner["top"] and inner["top"] + inner["height"] <= box["top"] + box["height"] + 0.2
    [label] = largest.find_all("span")
    assert label.text == f"NEW cli.js.map · {human_size(int(largest.attrs['data-bytes']))}"


def test_the_screenshot_shows_the_map_in_the_critical_colour(leak: Path, tmp_path: Path) -> None:
    dom = parse(dump_dom(leak, width=1000, height=700))
    [treemap] = dom.find_all("div", id="map")
    left, top, _, _ = (int(v) for v in treemap.attrs["data-box"].split(","))
    by_path = {r.attrs["data-path"]: r.style() for r in _rects(dom)}
    image = Image(screenshot(leak, tmp_path / "shot.png", width=1000, height=700))
    assert image.size == (1000, 700)
    box = by_path["tool-1.0.1.tgz!/package/cli.js.map"]
    # The right half of the map's title bar (its label is on the left) is the critical colour.
    y = top + int(box["top"]) + 8
    xs = [left + int(box["left"] + box["width"] * f) for f in (0.6, 0.7, 0.8, 0.9)]
    assert [image.pixel(x, y) for x in xs] == [CRITICAL] * 4
    rg = by_path["tool-1.0.1.tgz!/package/vendor/rg"]
    assert image.pixel(left + int(rg["left"] + rg["width"] / 2), top + int(rg["top"] + rg["height"] - 4)) == NONE


# Plays a user on the page: drill into the map, hover a source, go back up, filter the table.
USER = """
const results = {}, map = document.getElementById("map");
const rect = (suffix) => Array.from(map.querySelectorAll(".r")).find((r) => r.dataset.path.endsWith(suffix));
const mouse = (el, type) => el.dispatchEvent(new MouseEvent(type, {bubbles: true, clientX: 5, clientY: 5}));
mouse(rect("!/package/cli.js.map"), "mousemove");
results.mapTip = Array.from(document.querySelectorAll("#tip > div"), (d) => d.textContent);
mouse(rect("!/package/cli.js.map"), "click");
results.drilled = map.dataset.view;
results.crumbs = Array.from(document.querySelectorAll("#crumbs > *"), (c) => c.textContent);
mouse(rect("!/../src/ui/c.ts"), "mousemove");
results.tip = Array.from(document.querySelectorAll("#tip > div"), (d) => d.textContent);
results.tipHidden = document.getElementById("tip").hidden;
document.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape"}));
results.up = map.dataset.view;
document.querySelector("#crumbs button").click();
results.top = map.dataset.view;
const form = document.getElementById("filters");
const visible = () => Array.from(document.querySelectorAll("#findings-table tbody tr")).filter((r) => !r.hidden);
results.all = visible().length;
form.querySelector("input[value=critical]").checked = false;
form.dispatchEvent(new Event("change", {bubbles: true}));
results.withoutCritical = visible().map((r) => r.dataset.sev);
form.elements.cat.value = "policy";
form.dispatchEvent(new Event("change", {bubbles: true}));
results.policy = visible().map((r) => r.dataset.cat);
results.shown = document.getElementById("shown").textContent;
document.querySelector("a.loc[data-node]").click();
results.located = map.dataset.view;
results.highlighted = Array.from(map.querySelectorAll(".hl"), (r) => r.dataset.path);
document.body.dataset.results = JSON.stringify(results);
"""


def _with_user(page: Path, out: Path) -> Path:
    """A copy of ``page`` that runs USER after its own script."""
    out.write_text(browser.with_script(page.read_text(encoding="utf-8"), USER), encoding="utf-8")
    return out


def test_click_drills_down_hover_explains_escape_and_the_path_go_back_up_filters_filter(
        leak: Path, tmp_path: Path) -> None:
    dom = parse(dump_dom(_with_user(leak, tmp_path / "user.html")))
    [body] = dom.find_all("body")
    results: dict[str, Any] = json.loads(body.attrs["data-results"])
    # Hover: the path, the size, the entries inside, the change and the findings, worst first.
    path, size, inside, change, counts, *findings = results["mapTip"]
    assert path == "tool-1.0.1.tgz!/package/cli.js.map"
    assert re.fullmatch(r"\d+\.\d kB \([\d,]+ bytes\), \d+\.\d% of tool-1\.0\.1\.tgz", size)
    assert (inside, counts) == ("10 files inside", "findings: 1 critical, 1 high")
    assert re.fullmatch(r"new in this release \(\d+\.\d kB\)", change)
    assert [f.split(":")[0] for f in findings] == ["critical source-map.embedded-sources",
                                                  "high policy.risky-new-member"]
    assert results["drilled"] == "tool-1.0.1.tgz!/package/cli.js.map"
    assert results["crumbs"][:3] == ["tool-1.0.1.tgz", "package", "cli.js.map"]
    assert results["tipHidden"] is False
    path, size, *_ = results["tip"]
    assert path == "tool-1.0.1.tgz!/package/cli.js.map!/../src/ui/c.ts"
    assert re.fullmatch(r"\d+\.\d kB \([\d,]+ bytes\), \d+\.\d% of cli\.js\.map", size)
    assert results["up"] == "tool-1.0.1.tgz!/package"
    assert results["top"] == "tool-1.0.1.tgz"
    assert results["all"] >= 3
    assert "critical" not in results["withoutCritical"] and len(results["withoutCritical"]) == results["all"] - 1
    assert results["policy"] and set(results["policy"]) == {"policy"}
    assert results["shown"] == f"{len(results['policy'])} of {results['all']} shown"
    # A finding's location opens its member in the treemap and marks it.
    assert results["located"] == "tool-1.0.1.tgz!/package" and results["highlighted"] == [
        "tool-1.0.1.tgz!/package/cli.js.map"]


HOSTILE = ("<img src=x onerror=document.body.dataset.pwned=1>", "<img src=x onerror=alert(1)>",
           "</script><script>document.body.dataset.pwned=2</script>", "</script><script>alert(1)</script>")


def test_hostile_member_names_are_inert_in_the_browser(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {f"{name}.env": "API_TOKEN=hunter2-not-a-toy-value-0193\n" for name in HOSTILE[:2]}
    files["cli.js.map"] = source_map([(f"webpack:///{name}", "export const a = 1;\n" * 200) for name in HOSTILE])
    write(tmp_path, "evil-1.0.0.tgz", npm_tarball(files, name="evil", license="UNLICENSED"))
    result = run_cli("scan", "evil-1.0.0.tgz", "--report", "html:evil.html", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    dom = parse(dump_dom(tmp_path / "evil.html"))
    [body] = dom.find_all("body")
    assert body.attrs.get("data-ready") == "1" and "data-pwned" not in body.attrs
    assert len(dom.find_all("script")) == 2 and not dom.find_all("img")
    [title] = dom.find_all("title")
    assert title.text == "leakguard FAIL: evil-1.0.0.tgz"
    # The names are there, as text: in the treemap's paths and labels, and in the findings table.
    paths = {r.attrs["data-path"] for r in _rects(dom)}
    for name in HOSTILE:
        assert f"evil-1.0.0.tgz!/package/cli.js.map!/webpack:///{name}" in paths
    labels = {span.text for r in _rects(dom) for span in r.find_all("span")}
    assert any(label.startswith(HOSTILE[0][:20]) for label in labels)
    table = dom.find_all("table", id="findings-table")[0].text
    assert all(f"evil-1.0.0.tgz!/package/{name}.env" in table for name in HOSTILE[:2])
