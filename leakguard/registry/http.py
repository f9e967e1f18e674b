"""The one place leakguard makes network requests (registry specs only; a scan of local files never
gets here).

A :class:`Client` is a frozen, picklable value: worker processes can be handed one and build their
own connections. Every request sends a ``User-Agent`` naming leakguard and its version, goes through
``before_request`` (the hook a rate limiter plugs into), follows http(s) redirects only, keeps
credentials to the host they belong to, and retries 429 and 5xx answers (honouring
``Retry-After``) a bounded number of times.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from leakguard import about
from leakguard.errors import ScanError

USER_AGENT = f"leakguard/{about.version()}"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True, slots=True)
class Page:
    """A metadata document: its bytes, the URL it came from after redirects (the base for relative
    links) and its media type (``text/html``, without parameters)."""

    body: bytes
    url: str
    media_type: str


def host(url: str) -> str:
    """``host[:port]`` of a URL without any credentials, for messages and credential matching."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return netloc.lower()


def public(url: str) -> str:
    """The URL without credentials, query or fragment: what may appear in a message."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, host(url), parts.path, "", ""))


def is_web(url: str) -> bool:
    """True for an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(host(url))


@dataclass(frozen=True, slots=True)
class Client:
    """How requests are made. ``credentials`` maps a ``host[:port]`` to the ``Authorization``
    value sent to it (and nowhere else); credentials written in a URL (``https://user:pw@host/``)
    are sent to that URL's host as HTTP Basic. ``before_request`` is called with each URL before
    it is requested, retries included: a rate limiter blocks there."""

    timeout: float = 60
    credentials: tuple[tuple[str, str], ...] = ()
    before_request: Callable[[str], None] | None = None
    retries: int = 2
    sleep: Callable[[float], None] = time.sleep
    # Called with the status and the wait before a retry of a 429 or 5xx answer: an audit's rate
    # limiter pauses the whole registry there when the server asked everyone to slow down.
    on_retry: Callable[[int, float], None] | None = None

    def get(self, url: str, *, accept: str, label: str, limit: int = 64 * 1024 * 1024) -> Page | None:
        """A document of at most ``limit`` bytes; ``None`` when the server answers 404 or 410."""
        return self._page(url, accept, label, limit)

    def post(self, url: str, body: bytes, *, content_type: str, accept: str, label: str,
             limit: int = 256 * 1024 * 1024) -> Page | None:
        """POST ``body`` (an audit's XML-RPC call) and read the answer, like ``get``."""
        return self._page(url, accept, label, limit, body, content_type)

    def _page(self, url: str, accept: str, label: str, limit: int, body: bytes | None = None,
              content_type: str = "") -> Page | None:
        try:
            with self._open(url, accept, label, body, content_type) as response:
                answer = response.read(limit + 1)
                final = response.geturl()
                media_type = response.headers.get_content_type()
        except _Gone:
            return None
        if len(answer) > limit:
            raise ScanError(f"{label}: {public(url)} answered more than {limit:,} bytes")
        return Page(answer, final, media_type)

    @contextlib.contextmanager
    def stream(self, url: str, *, label: str) -> Iterator[Any]:
        """An open response to read a file from (``.read(n)``, ``.length``)."""
        try:
            with self._open(url, "*/*", label) as response:
                yield response
        except _Gone:
            raise ScanError(f"{label}: {public(url)} is listed but the server does not have it (HTTP 404)") from None

    def _open(self, url: str, accept: str, label: str, body: bytes | None = None, content_type: str = "") -> Any:
        if not is_web(url):
            raise ScanError(f"{label}: refusing non-http(s) URL from the registry ({url.split(':', 1)[0]}:)")
        from urllib import error as url_error
        from urllib import request as url_request

        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if body is not None:
            headers["Content-Type"] = content_type
        authorization = self._authorization(url)
        if authorization is not None:
            headers["Authorization"] = authorization
        request = url_request.Request(public(url) + _query(url), data=body, headers=headers)
        for attempt in range(self.retries + 1):
            if self.before_request is not None:
                self.before_request(url)
            try:
                return _opener().open(request, timeout=self.timeout)
            except url_error.HTTPError as exc:
                if exc.code in (404, 410):
                    raise _Gone from None
                if exc.code in RETRY_STATUS and attempt < self.retries:
                    wait = _retry_after(exc.headers.get("Retry-After"), attempt)
                    if self.on_retry is not None:
                        self.on_retry(exc.code, wait)
                    self.sleep(wait)
                    continue
                raise ScanError(f"{label}: {public(url)} answered HTTP {exc.code}") from None
            except (url_error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                # A connection cut in the middle is worth another try; one refused is not.
                if attempt < self.retries and isinstance(reason, (ConnectionResetError, ConnectionAbortedError)):
                    self.sleep(_retry_after(None, attempt))
                    continue
                raise ScanError(f"{label}: cannot reach {host(url)}: {reason}") from None
        raise AssertionError("unreachable")  # the loop returns or raises

    def _authorization(self, url: str) -> str | None:
        parts = urllib.parse.urlsplit(url)
        if parts.username is not None:
            pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            return "Basic " + base64.b64encode(pair.encode()).decode()
        return dict(self.credentials).get(host(url))


class _Gone(Exception):
    """404 or 410: the caller decides whether that is a usage error or a scan error."""


def _query(url: str) -> str:
    query = urllib.parse.urlsplit(url).query
    return f"?{query}" if query else ""


def _retry_after(value: str | None, attempt: int) -> float:
    """``Retry-After`` in seconds (capped), else exponential backoff: 1 s, 2 s, 4 s..."""
    if value is not None and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER)
    return float(2**attempt)


@functools.cache
def _opener() -> Any:
    """The URL opener, built on first use in each process: ``urllib.request`` (with ``http.client``
    and ``email``) costs 15 ms of start-up that a scan of local files never needs."""
    import urllib.error
    import urllib.request

    class SafeRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            if not is_web(newurl):
                raise urllib.error.URLError(f"refused redirect to {newurl.split(':', 1)[0]}:")
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            old, moved = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
            if new is not None and (moved.netloc != old.netloc or moved.scheme != old.scheme):
                # Credentials never follow a redirect to another host, nor down to plain http.
                new.remove_header("Authorization")
            return new

    return urllib.request.build_opener(SafeRedirects)

