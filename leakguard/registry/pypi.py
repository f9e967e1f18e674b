"""``pypi:NAME[==VERSION]`` through the standard Simple API, which every index serves (PyPI, its
mirrors, devpi, Artifactory, Nexus, GitLab, pypiserver), unlike PyPI's own JSON API.

One request: ``{index}/{normalised-name}/`` asking for PEP 691 JSON and accepting PEP 503 HTML.
File URLs are resolved against the page they came from (after redirects, or its ``<base href>``):
indexes and mirrors commonly answer with relative URLs. Digests come from the JSON ``hashes`` or
the URL fragment (``#sha256=...``); versions come from the file names. Yanked files (PEP 592) are
left out of "the latest release" but kept when a version is named, as pip does.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from html.parser import HTMLParser
from typing import Any

from leakguard.errors import ScanError, UsageError
from leakguard.registry import filenames
from leakguard.registry.http import Client, Page, host
from leakguard.registry.remote import Release, RemoteFile

PYPI_INDEX = "https://pypi.org/simple/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
# Digests worth verifying a download against, strongest-known first; md5 and sha1 are not.
ALGORITHMS = ("sha256", "sha512", "sha384", "sha3_256", "sha3_512", "blake2b")
_SPEC = re.compile(r"^pypi:([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:==([\w.+!-]+))?$")


def simple_root(url: str) -> str:
    """A Simple API root with its trailing slash. A bare host (``https://pypi.org``, the form
    leakguard took before it read the Simple API) means its ``/simple/``."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path if parts.path not in ("", "/") else "/simple/"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))


def lookup(spec: str, index: str, client: Client) -> Release:
    """The files of the release ``spec`` names (the latest when it names no version)."""
    match = _SPEC.match(spec)
    if match is None:
        raise UsageError(f"{spec}: expected pypi:NAME or pypi:NAME==VERSION")
    name, wanted = match.group(1), match.group(2)
    page = client.get(urllib.parse.urljoin(simple_root(index), filenames.normalise(name) + "/"), accept=ACCEPT,
                      label=spec)
    if page is None:
        raise UsageError(f"{spec}: not found on {host(index)}")
    listed = [f for f in page_files(page, spec, name) if f.version]
    if wanted is None:
        version = _latest(listed, spec)
        chosen = [f for f in listed if f.version == version and f.yanked is None]
    else:
        chosen = [f for f in listed if filenames.same_version(str(f.version), wanted)]
        version = chosen[0].version if chosen else wanted
    if not chosen:
        raise UsageError(f"{spec}: no version {wanted} of {name} on {host(index)}")
    for file in chosen:
        if not file.digest:
            raise ScanError(f"{spec}: {file.filename}: the index publishes no sha256 (or stronger) digest to verify "
                            "it by")
    return Release(spec, "pypi", name, version, tuple(chosen))


def _latest(files: list[RemoteFile], spec: str) -> str:
    """The highest final release with a file that is not yanked; pre-releases only when there is
    nothing else (PyPI's own choice of "latest")."""
    versions = {f.version for f in files if f.yanked is None}
    if not versions:
        raise UsageError(f"{spec}: no release that is not yanked; name one with ==VERSION")
    final = [v for v in versions if not filenames.is_prerelease(v)] or list(versions)
    return max(final, key=filenames.version_key)


def page_files(page: Page, spec: str, project: str) -> list[RemoteFile]:
    """Every file a project's Simple page lists (PEP 691 JSON, else PEP 503 HTML), its URL resolved
    against the page and its digest kept only when it is one worth verifying (``ALGORITHMS``)."""
    if page.media_type in (JSON_TYPE, "application/json") or (
            page.media_type not in ("text/html", "application/vnd.pypi.simple.v1+html")
            and page.body.lstrip().startswith(b"{")):
        entries = _from_json(page, spec)
    else:
        entries = _from_html(page, spec)
    return [_file(entry, page, spec, project) for entry in entries]


def _from_json(page: Page, spec: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(page.body)
    except ValueError:
        raise ScanError(f"{spec}: the index's answer is not JSON") from None
    meta = doc.get("meta") if isinstance(doc, dict) else None
    api = str(meta.get("api-version", "1.0")) if isinstance(meta, dict) else "1.0"
    if api.split(".")[0] != "1":  # PEP 691: a client must not guess at another major version
        raise ScanError(f"{spec}: the index speaks Simple API {api}; leakguard reads 1.x")
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list):
        raise ScanError(f"{spec}: the index's project page has no file list")
    return [f for f in files if isinstance(f, dict)]


class _Anchors(HTMLParser):
    """PEP 503: every ``<a>`` is a file, its text the file name; ``<base href>`` moves the base."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "base" and found.get("href") and self.base is None:
            self.base = found["href"]
        elif tag == "a" and found.get("href"):
            # data-yanked: present means yanked, its value (maybe empty) is the reason.
            self._open = {"url": found["href"], "filename": "",
                          "yanked": found["data-yanked"] or "" if "data-yanked" in found else False}
            self.anchors.append(self._open)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["filename"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None


def _from_html(page: Page, spec: str) -> list[dict[str, Any]]:
    parser = _Anchors()
    try:
        parser.feed(page.body.decode("utf-8", "replace"))
        parser.close()
    except AssertionError:  # html.parser's way of giving up on broken markup
        raise ScanError(f"{spec}: the index's project page is not readable HTML") from None
    base = urllib.parse.urljoin(page.url, parser.base) if parser.base else page.url
    entries = []
    for anchor in parser.anchors:
        url = urllib.parse.urljoin(base, anchor["url"])
        name, _, value = urllib.parse.urlsplit(url).fragment.partition("=")
        entries.append({**anchor, "url": url, "filename": anchor["filename"].strip(),
                        "hashes": {name: value} if value else {}})
    return entries


def _file(entry: dict[str, Any], page: Page, spec: str, project: str) -> RemoteFile:
    url = urllib.parse.urljoin(page.url, str(entry.get("url", "")))
    path_name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    filename = str(entry.get("filename") or path_name)
    given = entry.get("hashes")
    hashes: dict[str, Any] = given if isinstance(given, dict) else {}
    # A file without a usable digest is an error only if it is one of the files asked for.
    algorithm = next((a for a in ALGORITHMS if isinstance(hashes.get(a), str)), "")
    digest = str(hashes[algorithm]).lower() if algorithm else ""
    if algorithm and (not re.fullmatch(r"[0-9a-f]+", digest) or len(digest) != 2 * hashlib.new(algorithm).digest_size):
        algorithm = digest = ""
    yanked = entry.get("yanked", False)
    reason = None if yanked is False or yanked is None else (yanked if isinstance(yanked, str) else "")
    size = entry.get("size")
    parsed = filenames.parse(filename, project)
    return RemoteFile(spec, project, parsed.version or "", filename, urllib.parse.urldefrag(url).url, algorithm,
                      digest, parsed.kind, size if isinstance(size, int) and size >= 0 else None, reason)
