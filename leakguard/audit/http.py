"""Polite HTTP for audits, over the one place leakguard makes requests (``leakguard.registry.http``):
every request first passes the gate (the coordinator's rate per registry), a 429 or 503 pauses the
whole registry for its ``Retry-After``, and 429 and 5xx answers are retried with backoff. Downloads
stream to disk with a size cap, hashing as they go, and are verified against the digest the
registry published.

Used by the coordinator (feeds, packuments, index pages) and by the workers (downloads); the gate is
the same in both, so the coordinator's own requests count against the same rate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from leakguard.audit.gate import Gate, Politeness
from leakguard.errors import ScanError
from leakguard.registry import http

CHUNK = 256 * 1024


class FetchError(ScanError):
    """A request that failed for good: ``status`` is 404 for a document that is not there, else 0."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded file: where, how big, its sha256."""

    path: Path
    size: int
    sha256: str


class Client:
    """Requests to one registry's hosts, paced by ``gate`` (see the module docstring)."""

    def __init__(self, gate: Gate, politeness: Politeness, registry: str) -> None:
        self.gate = gate
        self.politeness = politeness
        self.registry = registry
        self._http = http.Client(timeout=politeness.timeout, retries=politeness.retries,
                                 before_request=self._before, on_retry=self._slow_down)

    def _before(self, _url: str) -> None:
        self.gate.take(self.registry)

    def _slow_down(self, status: int, wait: float) -> None:
        if status in (429, 503):  # the registry asked everyone to slow down, not only this request
            self.gate.pause(self.registry, min(wait, self.politeness.max_wait))

    def page(self, url: str, accept: str = "application/json", limit: int = 64 * 1024 * 1024) -> http.Page:
        """The document (at most ``limit`` bytes), its final URL after redirects and its media type;
        ``FetchError`` (status 404) when the server does not have it."""
        page = self._http.get(url, accept=accept, label=self.registry, limit=limit)
        if page is None:
            raise FetchError(f"{http.public(url)}: not found", 404)
        return page

    def get(self, url: str, accept: str = "application/json", limit: int = 64 * 1024 * 1024) -> tuple[bytes, str]:
        """The body and the final URL of ``page``."""
        page = self.page(url, accept, limit)
        return page.body, page.url

    def post(self, url: str, body: bytes, content_type: str, accept: str = "text/xml") -> bytes:
        """POST ``body`` (XML-RPC) and return the answer."""
        page = self._http.post(url, body, content_type=content_type, accept=accept, label=self.registry)
        if page is None:
            raise FetchError(f"{http.public(url)}: not found", 404)
        return page.body

    def download(self, url: str, target: Path, algorithm: str, expected: str) -> Fetched:
        """Stream ``url`` into ``target`` (at most ``max_bytes``), hashing as it goes; ``FetchError``
        when it is too large or its digest is not the one the registry published."""
        cap = self.politeness.max_bytes
        with self.gate.slot(), self._http.stream(url, label=self.registry) as response, target.open("wb") as out:
            published = hashlib.new(algorithm)
            sha256 = hashlib.sha256() if algorithm != "sha256" else published
            size = 0
            while block := response.read(CHUNK):
                size += len(block)
                if size > cap:
                    raise FetchError(f"{http.public(url)}: larger than the download cap ({cap:,} bytes)")
                published.update(block)
                if sha256 is not published:
                    sha256.update(block)
                out.write(block)
        if published.hexdigest() != expected:
            raise FetchError(f"{http.public(url)}: {algorithm} mismatch: the download is not what the registry "
                             "published")
        return Fetched(target, size, sha256.hexdigest())
