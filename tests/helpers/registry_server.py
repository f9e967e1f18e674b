"""A loopback stand-in for the npm registry and PyPI's JSON API, serving files built in the test."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


@dataclass
class Registry:
    """What the server serves; ``requests`` records every path asked for, ``headers`` their auth."""

    base: str = ""
    routes: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)

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

    def pypi_release(self, name: str, version: str, files: dict[str, bytes], *, latest: bool = True) -> None:
        """``/pypi/NAME/VERSION/json`` (and ``/pypi/NAME/json`` when latest) with sha256 digests."""
        urls = []
        for filename, data in files.items():
            path = f"/packages/{filename}"
            self.routes[path] = (data, "application/octet-stream")
            urls.append({"filename": filename, "url": self.base + path, "digests": {"sha256": hashlib.sha256(data).hexdigest()}})
        doc = json.dumps({"info": {"name": name, "version": version}, "urls": urls}).encode()
        self.routes[f"/pypi/{name}/{version}/json"] = (doc, "application/json")
        if latest:
            self.routes[f"/pypi/{name}/json"] = (doc, "application/json")


@contextmanager
def serve() -> Iterator[Registry]:
    """Serve a Registry on 127.0.0.1 (a free port); stops when the block ends."""
    registry = Registry()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            registry.requests.append(self.path)
            registry.auth.append(self.headers.get("Authorization"))
            found = registry.routes.get(self.path) or registry.routes.get(unquote(self.path))
            if found is None:
                self.send_error(404)
                return
            body, kind = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

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
