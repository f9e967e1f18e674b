"""``npm:NAME[@VERSION|@TAG]``: the tarball a packument names, with the digest it publishes
(``dist.integrity`` sha512, else the legacy ``dist.shasum`` sha1)."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

from leakguard.errors import ScanError, UsageError
from leakguard.registry.http import Client, host
from leakguard.registry.remote import Release, RemoteFile

NPM_REGISTRY = "https://registry.npmjs.org"
_SPEC = re.compile(r"^npm:((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)(?:@([\w.+-]+))?$", re.IGNORECASE)


def lookup(spec: str, registry: str, client: Client) -> Release:
    """The release ``spec`` names: an exact version, else a dist-tag (``latest`` when none is given)."""
    match = _SPEC.match(spec)
    if match is None:
        raise UsageError(f"{spec}: expected npm:NAME, npm:NAME@VERSION or npm:@scope/NAME@TAG")
    name, wanted = match.group(1), match.group(2)
    where = host(registry)
    page = client.get(f"{registry.rstrip('/')}/{urllib.parse.quote(name, safe='@')}", accept="application/json",
                      label=spec)
    if page is None:
        raise UsageError(f"{spec}: not found on {where}")
    doc = json_object(page.body, spec)
    versions, tags = _table(doc, "versions"), _table(doc, "dist-tags")
    version = wanted if wanted is not None and wanted in versions else tags.get(wanted or "latest")
    meta = versions.get(version) if isinstance(version, str) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("dist"), dict):
        raise UsageError(f"{spec}: no version {wanted or 'latest'} of {name} on {where}")
    dist = meta["dist"]
    url = dist.get("tarball")
    if not isinstance(url, str):
        raise ScanError(f"{spec}: the registry gives no tarball URL")
    algorithm, digest = dist_digest(dist, spec)
    filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    file = RemoteFile(spec, name, str(version), filename, urllib.parse.urljoin(page.url, url), algorithm, digest)
    return Release(spec, "npm", name, str(version), (file,))


def dist_digest(dist: dict[str, Any], spec: str) -> tuple[str, str]:
    """The algorithm and hex digest a packument's ``dist`` gives for its tarball: the sha512 of its
    Subresource Integrity, else a well-formed sha1 ``shasum``; ``ScanError`` when it gives neither."""
    integrity = dist.get("integrity")
    if isinstance(integrity, str):
        # Subresource Integrity: space-separated "algo-base64" entries; take the sha512 one.
        for entry in integrity.split():
            algorithm, _, value = entry.partition("-")
            if algorithm == "sha512":
                try:
                    return "sha512", base64.b64decode(value.split("?")[0], validate=True).hex()
                except ValueError:
                    raise ScanError(f"{spec}: the registry's integrity value is not base64") from None
    shasum = dist.get("shasum")
    if isinstance(shasum, str) and re.fullmatch(r"[0-9a-fA-F]{40}", shasum):
        return "sha1", shasum.lower()
    raise ScanError(f"{spec}: the registry publishes no digest to verify the tarball against")


def json_object(body: bytes, spec: str) -> dict[str, Any]:
    """A registry's answer as a JSON object; ``ScanError`` naming ``spec`` when it is not one."""
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
