"""A loopback stand-in for the npm registry and a Python package index (the Simple API: PEP 691
JSON and PEP 503 HTML, chosen by the request's Accept header), serving files built in the test."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def normalise(name: str) -> str:
    """PEP 503 project-name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Registry:
    """What the server serves; ``requests`` records every path asked for, ``auth`` and ``accepts``
    the Authorization and Accept headers sent with each, ``agents`` the User-Agent."""

    base: str = ""
    routes: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Simple API pages: path -> {"json": body or None, "html": body}, served by content negotiation.
    pages: dict[str, dict[str, bytes | None]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    # path -> statuses to answer before the real one (e.g. [503] for one failure), with Retry-After: 0;
    # 0 drops the connection without an answer.
    failures: dict[str, list[int]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    accepts: list[str | None] = field(default_factory=list)
    agents: list[str | None] = field(default_factory=list)

    def npm_package(self, name: str, versions: dict[str, bytes], latest: str, *, corrupt: bool = False) -> None:
        """A packument for ``name`` with one tarball per version (integrity = sha512)."""
        doc: dict[str, object] = {"name": name, "dist-tags": {"latest": latest}, "versions": {}}
        for version, data in versions.items():
            filename = f"{name.split('/')[-1]}-{version}.tgz"
            path = f"/files/{filename}"
            digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
            doc["versions"][version] = {"name": name, "version": version,  # type: ignore[index]
                                        "dist": {"tarball": self.base + path, "integrity": f"sha512-{digest}"}}
            self.routes[path] = (data + (b"tampered" if corrupt else b""), "application/octet-stream")
        self.routes["/" + name.replace("/", "%2F")] = (json.dumps(doc).encode(), "application/json")
        self.routes["/" + name] = self.routes["/" + name.replace("/", "%2F")]

    def simple_project(self, name: str, files: dict[str, bytes], *, root: str = "/simple", json_api: bool = True,
                       yanked: dict[str, str] | None = None, absolute: bool = False, sizes: bool = True,
                       corrupt: tuple[str, ...] = ()) -> str:
        """A project page at ``{root}/{normalised name}/`` listing ``files`` (served under
        ``/packages/``) by relative URLs (``../../packages/...``), or absolute ones with
        ``absolute``; without ``json_api`` the page is HTML whatever the client asks for (a mirror
        without PEP 691). ``yanked`` maps file names to reasons. Returns the page's path."""
        page = f"{root}/{normalise(name)}/"
        up = "../" * page.strip("/").count("/") + "../"
        entries = []
        for filename, data in files.items():
            digest = hashlib.sha256(data).hexdigest()
            path = f"/packages/{digest[:2]}/{filename}"
            self.routes[path] = (data + (b"x" if filename in corrupt else b""), "application/octet-stream")
            url = (self.base + path) if absolute else up + path.lstrip("/")
            entry: dict[str, object] = {"filename": filename, "url": url, "hashes": {"sha256": digest}}
            if sizes:
                entry["size"] = len(data)
            if yanked and filename in yanked:
                entry["yanked"] = yanked[filename] or True
            entries.append(entry)
        doc = {"meta": {"api-version": "1.1"}, "name": normalise(name), "files": entries}
        self.pages[page] = {"json": json.dumps(doc).encode() if json_api else None, "html": _html(name, entries)}
        return page


def _html(name: str, entries: list[dict[str, object]]) -> bytes:
    anchors = []
    for entry in entries:
        digest = entry["hashes"]["sha256"]  # type: ignore[index]
        attrs = f' href="{html.escape(str(entry["url"]))}#sha256={digest}"'
        if "yanked" in entry:
            reason = entry["yanked"]
            attrs += f' data-yanked="{html.escape(reason) if isinstance(reason, str) else ""}"'
        anchors.append(f"    <a{attrs}>{html.escape(str(entry['filename']))}</a><br/>")
    body = "\n".join(anchors)
    return (f"<!DOCTYPE html>\n<html>\n  <head><title>Links for {html.escape(name)}</title></head>\n  <body>\n"
            f"    <h1>Links for {html.escape(name)}</h1>\n{body}\n  </body>\n</html>\n").encode()


def file_index(folder: Path, name: str, files: dict[str, bytes]) -> str:
    """A PEP 503 index on disk (``folder/simple/NAME/index.html``), as pip's ``file://`` indexes
    are; returns its ``file://`` root."""
    project = folder / "simple" / normalise(name)
    project.mkdir(parents=True, exist_ok=True)
    entries = []
    for filename, data in files.items():
        (project / filename).write_bytes(data)
        entries.append({"filename": filename, "url": filename, "hashes": {"sha256": hashlib.sha256(data).hexdigest()}})
    (project / "index.html").write_bytes(_html(name, entries))
    return (folder / "simple").as_uri() + "/"


@contextmanager
def serve() -> Iterator[Registry]:
    """Serve a Registry on 127.0.0.1 (a free port); stops when the block ends."""
    registry = Registry()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            registry.requests.append(self.path)
            registry.auth.append(self.headers.get("Authorization"))
            registry.accepts.append(self.headers.get("Accept"))
            registry.agents.append(self.headers.get("User-Agent"))
            pending = registry.failures.get(path)
            if pending:
                status = pending.pop(0)
                if status == 0:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path in registry.redirects:
                self.send_response(301)
                self.send_header("Location", registry.redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = self._page(path) or registry.routes.get(path) or registry.routes.get(unquote(path))
            if found is None:
                self.send_error(404)
                return
            body, kind = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _page(self, path: str) -> tuple[bytes, str] | None:
            page = registry.pages.get(path)
            if page is None:
                return None
            if page["json"] is not None and SIMPLE_JSON in (self.headers.get("Accept") or ""):
                return page["json"], SIMPLE_JSON
            return page["html"] or b"", "text/html; charset=utf-8"

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    registry.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
