"""Registry specs for ad-hoc audits: ``npm:NAME[@VERSION|@TAG]`` and ``pypi:NAME[==VERSION]``.

Downloads go through the registries' public JSON APIs with the standard library, are verified
against the digests the registry publishes (npm ``dist.integrity`` sha512, else ``dist.shasum``
sha1; PyPI ``digests.sha256``) before anything is scanned, and are cached by digest in the user
cache directory. This is the only module that touches the network, and only for these specs.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leakguard.errors import ScanError, UsageError

NPM_REGISTRY = "https://registry.npmjs.org"
PYPI_INDEX = "https://pypi.org"
MAX_DOWNLOAD = 2 * 1024**3
CHUNK = 1024 * 1024
_NPM_SPEC = re.compile(r"^npm:((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)(?:@([\w.+-]+))?$", re.IGNORECASE)
_PYPI_SPEC = re.compile(r"^pypi:([A-Za-z0-9][A-Za-z0-9._-]*)(?:==([\w.+!-]+))?$")


def is_spec(target: str) -> bool:
    """True for ``npm:...`` and ``pypi:...`` targets."""
    return target.startswith(("npm:", "pypi:"))


@dataclass(frozen=True, slots=True)
class Download:
    """A verified file of a release, in the cache."""

    spec: str
    path: Path
    url: str
    name: str
    version: str


def cache_dir() -> Path:
    """``$LEAKGUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/leakguard``, else ``~/.cache/leakguard``."""
    explicit = os.environ.get("LEAKGUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leakguard"


@functools.cache
def _opener() -> Any:
    """The URL opener, built on first use: ``urllib.request`` (with ``http.client`` and ``email``)
    costs 15 ms of start-up that a scan of local files never needs."""
    import urllib.error
    import urllib.request

    class NoUnsafeRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
                raise urllib.error.URLError(f"refused redirect to {newurl.split(':', 1)[0]}:")
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
                new.remove_header("Authorization")  # credentials never follow a redirect to another host
            return new

    return urllib.request.build_opener(NoUnsafeRedirects)


def _request(url: str, spec: str, auth_host: str, timeout: float, accept: str) -> Any:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ScanError(f"{spec}: refusing non-http(s) URL from the registry")
    from urllib import error as url_error
    from urllib import request as url_request

    request = url_request.Request(url, headers={"Accept": accept, "User-Agent": "leakguard"})
    token = os.environ.get("LEAKGUARD_REGISTRY_TOKEN") or os.environ.get("NPM_TOKEN")
    if token and urllib.parse.urlsplit(url).netloc == auth_host:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        return _opener().open(request, timeout=timeout)
    except url_error.HTTPError as exc:
        if exc.code == 404:
            raise UsageError(f"{spec}: not found on {auth_host}") from None
        raise ScanError(f"{spec}: {url.split('?')[0]} answered HTTP {exc.code}") from None
    except (url_error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ScanError(f"{spec}: cannot reach {urllib.parse.urlsplit(url).netloc}: {reason}") from None


def _json(url: str, spec: str, auth_host: str, timeout: float) -> dict[str, Any]:
    with _request(url, spec, auth_host, timeout, "application/json") as response:
        body = response.read(64 * 1024 * 1024)
    try:
        doc = json.loads(body)
    except ValueError:
        raise ScanError(f"{spec}: the registry's answer is not JSON") from None
    if not isinstance(doc, dict):
        raise ScanError(f"{spec}: unexpected registry answer")
    return doc


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _verify(path: Path, algorithm: str, expected: bytes) -> bool:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.digest() == expected


def _fetch(url: str, spec: str, filename: str, algorithm: str, expected: bytes, auth_host: str,
           cache: Path, timeout: float) -> Path:
    """Download into the cache (atomically) unless a verified copy is there; verify; return it."""
    if "/" in filename or filename in ("", ".", ".."):
        raise ScanError(f"{spec}: the registry names a file {filename!r} that is not a plain file name")
    folder = cache / f"{algorithm}-{expected.hex()[:32]}"
    target = folder / filename
    if target.is_file():
        if _verify(target, algorithm, expected):
            return target
        target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out, _request(url, spec, auth_host, timeout, "*/*") as response:
            for block in iter(lambda: response.read(CHUNK), b""):
                size += len(block)
                if size > MAX_DOWNLOAD:
                    raise ScanError(f"{spec}: download larger than {MAX_DOWNLOAD:,} bytes")
                out.write(block)
        if not _verify(Path(tmp), algorithm, expected):
            raise ScanError(f"{spec}: {algorithm} integrity mismatch: the download is not what the registry published")
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _npm(spec: str, registry: str, cache: Path, timeout: float) -> list[Download]:
    match = _NPM_SPEC.match(spec)
    if match is None:
        raise UsageError(f"{spec}: expected npm:NAME, npm:NAME@VERSION or npm:@scope/NAME@TAG")
    name, wanted = match.group(1), match.group(2)
    base = registry.rstrip("/")
    host = urllib.parse.urlsplit(base).netloc
    doc = _json(f"{base}/{urllib.parse.quote(name, safe='@')}", spec, host, timeout)
    versions: dict[str, Any] = _table(doc, "versions")
    tags: dict[str, Any] = _table(doc, "dist-tags")
    # An exact version, else a dist-tag ("latest" when none is given, or e.g. "next").
    version = wanted if wanted is not None and wanted in versions else tags.get(wanted or "latest")
    meta = versions.get(version) if isinstance(version, str) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("dist"), dict):
        raise UsageError(f"{spec}: no version {wanted or 'latest'} of {name} on {host}")
    dist = meta["dist"]
    url = dist.get("tarball")
    if not isinstance(url, str):
        raise ScanError(f"{spec}: the registry gives no tarball URL")
    integrity = dist.get("integrity")
    if isinstance(integrity, str) and integrity.startswith("sha512-"):
        algorithm, expected = "sha512", base64.b64decode(integrity[len("sha512-") :].split()[0])
    elif isinstance(dist.get("shasum"), str):
        algorithm, expected = "sha1", bytes.fromhex(dist["shasum"])
    else:
        raise ScanError(f"{spec}: the registry publishes no digest to verify the tarball against")
    filename = urllib.parse.unquote(url.rsplit("/", 1)[-1].split("?")[0])
    path = _fetch(url, spec, filename, algorithm, expected, host, cache, timeout)
    return [Download(spec, path, url, name, str(version))]


def _pypi(spec: str, index_url: str, cache: Path, timeout: float) -> list[Download]:
    match = _PYPI_SPEC.match(spec)
    if match is None:
        raise UsageError(f"{spec}: expected pypi:NAME or pypi:NAME==VERSION")
    name, wanted = match.group(1), match.group(2)
    base = index_url.rstrip("/")
    host = urllib.parse.urlsplit(base).netloc
    project = f"{base}/pypi/{urllib.parse.quote(name)}/json"
    if wanted is None:
        doc = _json(project, spec, host, timeout)
        files = doc.get("urls")
    else:
        try:
            release = f"{base}/pypi/{urllib.parse.quote(name)}/{urllib.parse.quote(wanted)}/json"
            doc = _json(release, spec, host, timeout)
            files = doc.get("urls")
        except UsageError:
            # Some mirrors serve only the project document: its "releases" maps versions to files.
            doc = _json(project, spec, host, timeout)
            files = _table(doc, "releases").get(wanted)
            if files is None:
                raise UsageError(f"{spec}: no version {wanted} of {name} on {host}") from None
            doc = {**doc, "info": {**_table(doc, "info"), "version": wanted}}
    info: dict[str, Any] = _table(doc, "info")
    if not isinstance(files, list) or not files:
        raise UsageError(f"{spec}: the release has no files on {host}")
    downloads = []
    for item in files:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        digest = item.get("digests", {}).get("sha256") if isinstance(item.get("digests"), dict) else None
        if not isinstance(digest, str):
            raise ScanError(f"{spec}: {item.get('filename')}: no sha256 digest published")
        filename = str(item.get("filename") or item["url"].rsplit("/", 1)[-1])
        path = _fetch(item["url"], spec, filename, "sha256", bytes.fromhex(digest), host, cache, timeout)
        downloads.append(Download(spec, path, item["url"], name, str(info.get("version", wanted or ""))))
    return downloads


def resolve(spec: str, *, registry: str = NPM_REGISTRY, index_url: str = PYPI_INDEX, cache: Path | None = None,
            timeout: float = 60) -> list[Download]:
    """Download and verify every file a spec names. ``UsageError`` for a bad spec or an unknown
    package; ``ScanError`` for network failures and integrity mismatches."""
    folder = cache if cache is not None else cache_dir()
    if spec.startswith("npm:"):
        return _npm(spec, registry, folder, timeout)
    if spec.startswith("pypi:"):
        return _pypi(spec, index_url, folder, timeout)
    raise UsageError(f"{spec}: not a registry spec (npm:NAME@VERSION or pypi:NAME==VERSION)")
