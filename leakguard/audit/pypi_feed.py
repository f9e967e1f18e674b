"""PyPI for audits: the change journal and the files of a release.

The journal is XML-RPC ``changelog_since_serial(serial)``: rows of ``(name, version, timestamp,
action, serial)``, at most 50,000 a call; a row whose action is ``add <kind> file <filename>`` names
a new file. Files come from the Simple API, read as a registry spec reads it
(``leakguard.registry.pypi.page_files``: PEP 691 JSON, a PEP 503 HTML fallback, URLs resolved
against the page). (The timestamp ``changelog(since)`` has failed since 2023-11-29.)
"""

from __future__ import annotations

import re
import urllib.parse
import xmlrpc.client
from dataclasses import dataclass
from typing import Any

from leakguard.audit.http import Client, FetchError
from leakguard.audit.work import Task
from leakguard.errors import ScanError, UsageError
from leakguard.registry import filenames, pypi

INDEX = "https://pypi.org"
_ADD_FILE = re.compile(r"^add \S+ file (?P<file>\S+)$")


@dataclass(frozen=True, slots=True)
class File:
    """One file of a project's Simple page."""

    filename: str
    url: str
    sha256: str | None
    size: int | None = None
    version: str | None = None  # from the file's name


@dataclass(frozen=True, slots=True)
class Added:
    """A journal row that added a file."""

    name: str
    version: str
    filename: str
    serial: int


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


def project_files(client: Client, index: str, name: str) -> list[File]:
    """Every file on the project's Simple page (read as ``leakguard.registry.pypi`` reads it); ``[]``
    when the index does not know the project."""
    url = f"{index.rstrip('/')}/simple/{filenames.normalise(name)}/"
    try:
        page = client.page(url, accept=pypi.ACCEPT)
    except FetchError as exc:
        if exc.status == 404:
            return []
        raise
    return [File(f.filename, f.url, f.digest if f.algorithm == "sha256" else None, f.size, f.version or None)
            for f in pypi.page_files(page, url, name)]


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
        by_version.setdefault(file.version or "", []).append(file)
    version = wanted or max((v for v in by_version if v), key=filenames.version_key, default="")
    chosen = by_version.get(version, [])
    tasks = [t for f in chosen if (t := file_task(name, version, f)) is not None]
    if not chosen:
        raise UsageError(f"{spec}: no files of version {version or '?'} on {urllib.parse.urlsplit(index).netloc}")
    if len(tasks) < len(chosen):
        raise ScanError(f"{spec}: the index publishes no sha256 for some files; they cannot be verified")
    return tasks
