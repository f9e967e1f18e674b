"""A real headless Chromium for the HTML report's tests: the DOM after the page's scripts ran, and
screenshots. Missing Chromium fails the test (never skips it): ``.ci/run`` installs Debian's
``chromium``; elsewhere install it with ``apt-get install -y chromium``."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench import browser


def chromium() -> str:
    """The browser's executable; fails the test loudly when there is none."""
    found = browser.find()
    if found is None:
        pytest.fail("Chromium is not installed: the HTML report is tested in a real browser. "
                    f"Install it with `{browser.INSTALL}` (.ci/run does this).", pytrace=False)
    return found


def dump_dom(page: Path, *, width: int = 1280, height: int = 900) -> str:
    """The serialised DOM once the page's scripts have run (``--dump-dom``)."""
    return browser.run(chromium(), page, "--dump-dom", width=width, height=height).stdout


def screenshot(page: Path, out: Path, *, width: int = 1280, height: int = 900) -> Path:
    """A PNG of the viewport (``--screenshot``)."""
    browser.run(chromium(), page, f"--screenshot={out.resolve()}", width=width, height=height)
    assert out.is_file(), f"chromium wrote no screenshot to {out}"
    return out


class Element:
    """One element of a parsed document: tag, attributes, text directly and wholly inside."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.text = ""

    def iter(self) -> list[Element]:
        """This element and every element below it, in document order."""
        out = [self]
        for child in self.children:
            out.extend(child.iter())
        return out

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Elements below (and including) this one with ``tag`` and these attribute values
        (``class_`` matches one class among several)."""
        found = []
        for el in self.iter():
            if tag is not None and el.tag != tag:
                continue
            wanted = {k.rstrip("_"): v for k, v in attrs.items()}
            if all(v in el.attrs.get(k, "").split() if k == "class" else el.attrs.get(k) == v
                   for k, v in wanted.items()):
                found.append(el)
        return found

    def style(self) -> dict[str, float]:
        """Pixel values of the inline style (``left``, ``top``, ``width``, ``height``)."""
        out = {}
        for part in self.attrs.get("style", "").split(";"):
            key, _, value = part.partition(":")
            if value.strip().endswith("px"):
                out[key.strip()] = float(value.strip()[:-2])
        return out


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(el)
        if tag not in _VOID:
            self.current = el

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        node: Element | None = self.current
        while node is not None:
            node.text += data
            node = node.parent


def parse(document: str) -> Element:
    """A document parsed with the standard library into a small tree."""
    builder = _Builder()
    builder.feed(document)
    builder.close()
    return builder.root
