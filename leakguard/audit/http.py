"""Polite HTTP for audits: every request passes the gate, names leakguard in its ``User-Agent``,
honours ``Retry-After`` and backs off on 429, 5xx and network errors. Downloads stream to disk with
a size cap, hashing as they go, and are verified against the digest the registry published.

Used by the coordinator (feeds, packuments, index pages) and by the workers (downloads); the gate
is the same object in both, so the coordinator's own requests count against the same rate.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leakguard.about import version
from leakguard.audit.gate import Gate, Politeness
from leakguard.errors import ScanError

USER_AGENT = f"leakguard/{version()} (registry audit; +https://pypi.org/project/leakguard/)"
RETRIED = frozenset({429, 500, 502, 503, 504})
CHUNK = 256 * 1024


class FetchError(ScanError):
    """A request that failed for good: ``status`` is the HTTP status, or 0 for a network error."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Fetched:
    """A downloaded file: where, how big, its sha256."""

    path: Path
    size: int
    sha256: str


def _opener() -> Any:
    class NoUnsafeRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
                raise FetchError(f"refused redirect to {newurl.split(':', 1)[0]}:")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(NoUnsafeRedirects)


_OPENER: Any = None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Client:
    """Requests to one registry's hosts, paced by ``gate`` (see the module docstring)."""

    def __init__(self, gate: Gate, politeness: Politeness, registry: str) -> None:
        self.gate = gate
        self.politeness = politeness
        self.registry = registry

    def _open(self, url: str, accept: str, body: bytes | None, content_type: str) -> Any:
        """One response, after the retries a polite client makes; ``FetchError`` when it gives up."""
        global _OPENER
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(f"{url}: refusing a non-http(s) URL")
        if _OPENER is None:
            _OPENER = _opener()
        headers = {"User-Agent": USER_AGENT, "Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        attempt = 0
        while True:
            self.gate.take(self.registry)
            request = urllib.request.Request(url, data=body, headers=headers)
            try:
                return _OPENER.open(request, timeout=self.politeness.timeout)
            except urllib.error.HTTPError as exc:
                status, wait = exc.code, _retry_after(exc.headers.get("Retry-After"))
                exc.close()
                if status not in RETRIED:
                    raise FetchError(f"{_short(url)} answered HTTP {status}", status) from None
                problem = f"{_short(url)} answered HTTP {status}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                status, wait = 0, None
                problem = f"cannot reach {urllib.parse.urlsplit(url).netloc}: {getattr(exc, 'reason', exc)}"
            attempt += 1
            if attempt > self.politeness.retries:
                raise FetchError(f"{problem} (after {attempt} attempts)", status)
            if wait is None:  # exponential backoff with full jitter
                wait = random.uniform(0.5, 1.0) * self.politeness.backoff * 2 ** (attempt - 1)
            wait = min(wait, self.politeness.max_wait)
            if status in (429, 503):
                self.gate.pause(self.registry, wait)  # the registry asked everyone to slow down
            time.sleep(wait)

    def get(self, url: str, accept: str = "application/json", limit: int = 64 * 1024 * 1024) -> tuple[bytes, str]:
        """The body (at most ``limit`` bytes) and the final URL, after redirects."""
        with self._open(url, accept, None, "") as response:
            body = response.read(limit + 1)
            if len(body) > limit:
                raise FetchError(f"{_short(url)}: answer larger than {limit:,} bytes")
            return body, str(response.geturl())

    def post(self, url: str, body: bytes, content_type: str, accept: str = "text/xml") -> bytes:
        """POST ``body`` (XML-RPC) and return the answer."""
        with self._open(url, accept, body, content_type) as response:
            return bytes(response.read(256 * 1024 * 1024))

    def download(self, url: str, target: Path, algorithm: str, expected: str) -> Fetched:
        """Stream ``url`` into ``target`` (at most ``max_bytes``), hashing as it goes; ``FetchError``
        when it is too large or its digest is not the one the registry published."""
        cap = self.politeness.max_bytes
        with self.gate.slot(), self._open(url, "*/*", None, "") as response, target.open("wb") as out:
            published = hashlib.new(algorithm)
            sha256 = hashlib.sha256() if algorithm != "sha256" else published
            size = 0
            while block := response.read(CHUNK):
                size += len(block)
                if size > cap:
                    raise FetchError(f"{_short(url)}: larger than the download cap ({cap:,} bytes)")
                published.update(block)
                if sha256 is not published:
                    sha256.update(block)
                out.write(block)
        if published.hexdigest() != expected:
            raise FetchError(f"{_short(url)}: {algorithm} mismatch: the download is not what the registry published")
        return Fetched(target, size, sha256.hexdigest())


def _short(url: str) -> str:
    """A URL without its query (which may hold a token) for messages."""
    return url.split("?", 1)[0]
