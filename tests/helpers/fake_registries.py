"""Loopback stand-ins for npm (packuments, tarballs, the ``_changes`` feed) and PyPI (the Simple
API as PEP 691 JSON or PEP 503 HTML, XML-RPC ``changelog_since_serial``), for audit tests.

Tests publish artifacts they built; the server records every request with its time. Faults are
scripted per path: statuses to answer first (``fail``), or killing the process that asked
(``kill``: the worker that downloads the file dies as if the kernel's OOM killer took it).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import signal
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Fakes:
    """What the fakes serve and what they saw. Mutate it between runs (under ``lock``)."""

    base: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    packuments: dict[str, dict[str, object]] = field(default_factory=dict)
    changes: list[tuple[int, str]] = field(default_factory=list)  # what _changes serves, in list order
    journal: list[tuple[str, str, int, str, int]] = field(default_factory=list)
    simple: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    html_only: bool = False
    slow: float = 0.0  # seconds before each file is served (a slow CDN)
    fail: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    kill: dict[str, int] = field(default_factory=dict)  # path -> how many requests to kill (-1: all)
    log: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic time, method, path)
    agents: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, prefix: str = "") -> list[str]:
        """Paths asked for (with their query), in order."""
        return [p for _, _, p in self.log if p.startswith(prefix)]

    def publish_npm(self, name: str, version: str, tarball: bytes, *, feed: bool = True,
                    published: datetime.datetime | None = None) -> int:
        """Add a version (packument + tarball) and, with ``feed``, a feed entry; returns its seq."""
        path = f"/files/{name.replace('/', '-')}-{version}.tgz"
        digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        when = (published or datetime.datetime.now(datetime.UTC)).isoformat().replace("+00:00", "Z")
        with self.lock:
            self.files[path] = tarball
            doc = self.packuments.setdefault(name, {"name": name, "dist-tags": {}, "versions": {}, "time": {}})
            doc["versions"][version] = {"name": name, "version": version,  # type: ignore[index]
                                        "dist": {"tarball": self.base + path, "integrity": f"sha512-{digest}"}}
            doc["dist-tags"]["latest"] = version  # type: ignore[index]
            doc["time"][version] = when  # type: ignore[index]
            seq = max((s for s, _ in self.changes), default=0) + 1
            if feed:
                self.changes.append((seq, name))
        return seq

    def publish_pypi(self, name: str, version: str, files: dict[str, bytes], *, journal: bool = True) -> None:
        """Add files to the project's Simple page (relative URLs) and, with ``journal``, rows."""
        with self.lock:
            page = self.simple.setdefault(name, [])
            for filename, data in files.items():
                self.files[f"/packages/{filename}"] = data
                page.append({"filename": filename, "url": f"../../packages/{filename}",
                             "hashes": {"sha256": hashlib.sha256(data).hexdigest()}, "size": len(data)})
                if journal:
                    serial = max((r[4] for r in self.journal), default=100) + 1
                    kind = "py3" if filename.endswith(".whl") else "source"
                    self.journal.append((name, version, int(time.time()), f"add {kind} file {filename}", serial))


def _peer_pid(port: int) -> int | None:
    """The pid of the local process whose socket has source port ``port``."""
    import psutil

    for conn in psutil.net_connections("tcp4"):
        if conn.laddr and conn.laddr.port == port and conn.pid and conn.pid != os.getpid():
            return int(conn.pid)
    return None


class _Handler(BaseHTTPRequestHandler):
    fakes: Fakes

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: bytes, kind: str = "application/json", headers: dict[str, str] | None = None
              ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _scripted(self, path: str) -> bool:
        """Answer from the fault script of ``path``, if it has one left."""
        fakes = self.fakes
        with fakes.lock:
            left = fakes.kill.get(path, 0)
            if left:
                fakes.kill[path] = left - 1 if left > 0 else left
            statuses = fakes.fail.get(path)
            scripted = statuses.pop(0) if statuses else None
        if left:
            pid = _peer_pid(self.client_address[1])
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                return True
        if scripted is not None:
            self._send(scripted[0], b"{}", headers=scripted[1])
            return True
        return False

    def do_GET(self) -> None:
        fakes = self.fakes
        split = urlsplit(self.path)
        path = unquote(split.path)
        with fakes.lock:
            fakes.log.append((time.monotonic(), "GET", self.path))
            fakes.agents.add(self.headers.get("User-Agent", ""))
        if self._scripted(path):
            return
        if path == "/":
            self._send(200, json.dumps({"update_seq": max((s for s, _ in fakes.changes), default=0)}).encode())
        elif path == "/_changes":
            query = parse_qs(split.query)
            since, limit = int(query.get("since", ["0"])[0]), int(query.get("limit", ["1000"])[0])
            with fakes.lock:
                rows = [(s, n) for s, n in fakes.changes if s > since][:limit]
            last = max((s for s, _ in rows), default=since)
            self._send(200, json.dumps({"results": [{"seq": s, "id": n} for s, n in rows], "last_seq": last}).encode())
        elif path.startswith("/simple/"):
            self._simple(path.split("/")[2])
        elif path in fakes.files:
            time.sleep(fakes.slow)
            self._send(200, fakes.files[path], "application/octet-stream")
        elif path[1:] in fakes.packuments:
            self._send(200, json.dumps(fakes.packuments[path[1:]]).encode())
        else:
            self._send(404, b"{}")

    def _simple(self, project: str) -> None:
        fakes = self.fakes
        files = next((v for k, v in fakes.simple.items() if k.lower().replace("_", "-") == project), None)
        if files is None:
            self._send(404, b"{}")
        elif "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", "") and not fakes.html_only:
            doc = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
            self._send(200, json.dumps(doc).encode(), "application/vnd.pypi.simple.v1+json")
        else:
            links = "".join(f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}">{f["filename"]}</a><br/>'  # type: ignore[index]
                            for f in files)
            self._send(200, f"<!DOCTYPE html><html><body>{links}</body></html>".encode(), "text/html")

    def do_POST(self) -> None:
        fakes = self.fakes
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with fakes.lock:
            fakes.log.append((time.monotonic(), "POST", self.path))
            fakes.agents.add(self.headers.get("User-Agent", ""))
        if self._scripted(self.path):
            return
        (params, method) = xmlrpc.client.loads(body)
        with fakes.lock:
            if method == "changelog_last_serial":
                result: object = max((r[4] for r in fakes.journal), default=100)
            elif method == "changelog_since_serial":
                result = [list(r) for r in fakes.journal if r[4] > params[0]]
            else:
                self._send(200, xmlrpc.client.dumps(xmlrpc.client.Fault(1, "no such method"),
                                                    methodresponse=True).encode(), "text/xml")
                return
        self._send(200, xmlrpc.client.dumps((result,), methodresponse=True).encode(), "text/xml")


@contextmanager
def serve() -> Iterator[Fakes]:
    """Serve fresh fakes on 127.0.0.1 (a free port) for the block."""
    fakes = Fakes()
    handler = type("Handler", (_Handler,), {"fakes": fakes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fakes.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fakes
    finally:
        server.shutdown()
        server.server_close()
