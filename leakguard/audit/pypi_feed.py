"""PyPI for audits: the change journal and the files of a release.

The journal is XML-RPC ``changelog_since_serial(serial)``: rows of ``(name, version, timestamp,
action, serial)``, at most 50,000 a call; a row whose action is ``add <kind> file <filename>`` names
a new file. Files come from the Simple API (PEP 691 JSON, with a PEP 503 HTML fallback for indexes
that serve only HTML); their URLs may be relative to the page and are resolved against the URL the
page was served from. (The timestamp ``changelog(since)`` has failed since 2023-11-29.)
"""

from __future__ import annotations

import json
import re
import urllib.parse
import xmlrpc.client
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from leakguard.audit.http import Client, FetchError
from leakguard.audit.work import Task
from leakguard.errors import ScanError, UsageError

INDEX = "https://pypi.org"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
_ADD_FILE = re.compile(r"^add \S+ file (?P<file>\S+)$")


@dataclass(frozen=True, slots=True)
class File:
    """One file of a project's Simple page."""

    filename: str
    url: str
    sha256: str | None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Added:
    """A journal row that added a file."""

    name: str
    version: str
    filename: str
    serial: int


def normalise(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _xmlrpc(client: Client, index: str, method: str, *params: Any) -> Any:
    body = xmlrpc.client.dumps(params, method).encode("utf-8")
    answer = client.post(f"{index.rstrip('/')}/pypi", body, "text/xml")
    try:
        (result,), _ = xmlrpc.client.loads(answer)
    except (xmlrpc.client.Fault, ValueError, TypeError) as exc:
        raise ScanError(f"{index}: XML-RPC {method} failed: {exc}") from None
    except Exception as exc:  # expat raises its own error type for malformed XML
        raise ScanError(f"{index}: XML-RPC {method} answered malformed XML: {type(exc).__name__}") from None
    return result


def last_serial(client: Client, index: str) -> int:
    """The journal's current serial."""
    return int(_xmlrpc(client, index, "changelog_last_serial"))


def added_since(client: Client, index: str, serial: int) -> tuple[list[Added], int]:
    """The files added after ``serial`` and the highest serial seen (``serial`` when none)."""
    rows = _xmlrpc(client, index, "changelog_since_serial", serial)
    added: list[Added] = []
    top = serial
    for row in rows if isinstance(rows, list) else ():
        if not (isinstance(row, list | tuple) and len(row) >= 5 and isinstance(row[4], int)):
            continue
        top = max(top, row[4])
        found = _ADD_FILE.match(str(row[3]))
        if found is not None:
            added.append(Added(str(row[0]), str(row[1]), found.group("file"), row[4]))
    return added, top


class _Links(HTMLParser):
    """The anchors of a PEP 503 page: (href, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((self._href, data.strip()))
            self._href = None


def _from_json(doc: dict[str, Any], base: str) -> list[File]:
    files = []
    for item in doc.get("files", []):
        if isinstance(item, dict) and isinstance(item.get("url"), str) and isinstance(item.get("filename"), str):
            hashes: dict[str, Any] = item["hashes"] if isinstance(item.get("hashes"), dict) else {}
            size = item.get("size")
            files.append(File(item["filename"], urllib.parse.urljoin(base, item["url"]), hashes.get("sha256"),
                              size if isinstance(size, int) else None))
    return files


def _from_html(text: str, base: str) -> list[File]:
    parser = _Links()
    parser.feed(text)
    files = []
    for href, label in parser.links:
        url, _, fragment = urllib.parse.urljoin(base, href).partition("#")
        algorithm, _, value = fragment.partition("=")
        name = label or urllib.parse.unquote(url.rsplit("/", 1)[-1])
        files.append(File(name, url, value.lower() if algorithm == "sha256" and value else None))
    return files


def project_files(client: Client, index: str, name: str) -> list[File]:
    """Every file on the project's Simple page; ``[]`` when the index does not know the project."""
    url = f"{index.rstrip('/')}/simple/{normalise(name)}/"
    try:
        body, final = client.get(url, accept=ACCEPT)
    except FetchError as exc:
        if exc.status == 404:
            return []
        raise
    text = body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            raise ScanError(f"{url}: the Simple API answer is not JSON") from None
        return _from_json(doc if isinstance(doc, dict) else {}, final)
    return _from_html(text, final)


def file_version(filename: str) -> str | None:
    """The version in a wheel's or an sdist's file name (``name-1.0-py3-none-any.whl``, ``name-1.0.tar.gz``)."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) >= 5 else None
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".zip", ".tgz", ".tar"):
        if filename.endswith(ext):
            stem = filename[: -len(ext)]
            return stem.rsplit("-", 1)[1] if "-" in stem else None
    return None


def file_task(name: str, version: str, file: File) -> Task | None:
    """The task of one file, or None when the index publishes no sha256 for it."""
    if file.sha256 is None:
        return None
    return Task(spec=f"pypi:{name}=={version}", registry="pypi", filename=file.filename,
                digest=f"sha256:{file.sha256.lower()}", url=file.url, name=name, version=version, size=file.size)


def spec_tasks(client: Client, index: str, spec: str) -> list[Task]:
    """Every file of ``pypi:NAME==VERSION`` (the highest version on the page when none is given)."""
    name, _, wanted = spec[len("pypi:"):].partition("==")
    if not name:
        raise UsageError(f"{spec}: expected pypi:NAME or pypi:NAME==VERSION")
    files = project_files(client, index, name)
    if not files:
        raise UsageError(f"{spec}: not found on {urllib.parse.urlsplit(index).netloc}")
    by_version: dict[str, list[File]] = {}
    for file in files:
        by_version.setdefault(file_version(file.filename) or "", []).append(file)
    version = wanted or max((v for v in by_version if v), key=_version_key, default="")
    chosen = by_version.get(version, [])
    tasks = [t for f in chosen if (t := file_task(name, version, f)) is not None]
    if not chosen:
        raise UsageError(f"{spec}: no files of version {version or '?'} on {urllib.parse.urlsplit(index).netloc}")
    if len(tasks) < len(chosen):
        raise ScanError(f"{spec}: the index publishes no sha256 for some files; they cannot be verified")
    return tasks


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """A rough ordering for picking the newest version without the ``packaging`` dependency:
    numeric parts compare as numbers, pre-releases (any letters) sort before the release."""
    parts = re.findall(r"\d+|[a-zA-Z]+", version)
    return tuple((int(p), "~") if p.isdigit() else (-1, p) for p in parts)
