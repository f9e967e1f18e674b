"""npm for audits: the replication feed, packuments, and the tasks a packument's versions make.

Since 2025 the feed is ``GET {feed}/_changes?since=SEQ&limit=N`` returning
``{"results": [{"seq": S, "id": NAME}, ...], "last_seq": S}``, with no ``include_docs``: an entry
only says that a package changed. Entries may arrive late (below a ``last_seq`` already passed) or
twice, and packuments may lag the feed, so a follower treats entries as hints, reads each packument
from the registry, re-reads a trailing window of the feed every cycle, and dedups by name, version
and digest (construct-hub's npm-sync protocol; FIELD-NOTES "Registry-scale facts").
"""

from __future__ import annotations

import datetime
import urllib.parse
from dataclasses import dataclass
from typing import Any

from leakguard.audit.http import Client, FetchError
from leakguard.audit.work import Task
from leakguard.errors import ScanError, UsageError
from leakguard.registry import npm

FEED = "https://replicate.npmjs.com"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True, slots=True)
class Changes:
    """One page of the feed: its ``(seq, name)`` entries in feed order and where it ended."""

    entries: tuple[tuple[int, str], ...]
    last_seq: int


def _json(client: Client, url: str) -> dict[str, Any]:
    body, _ = client.get(url)
    return npm.json_object(body, url.split("?")[0])


def head(client: Client, feed: str) -> int:
    """The feed's current sequence (``update_seq`` of its root document)."""
    seq = _json(client, feed.rstrip("/") + "/").get("update_seq")
    if not isinstance(seq, int):
        raise ScanError(f"{feed}: the feed's root document has no update_seq")
    return seq


def changes(client: Client, feed: str, since: int, limit: int) -> Changes:
    """One page of ``_changes`` after ``since``."""
    doc = _json(client, f"{feed.rstrip('/')}/_changes?since={since}&limit={limit}")
    results = doc.get("results")
    if not isinstance(results, list):
        raise ScanError(f"{feed}: _changes answered without results")
    entries = tuple((r["seq"], r["id"]) for r in results
                    if isinstance(r, dict) and isinstance(r.get("seq"), int) and isinstance(r.get("id"), str)
                    and not r["id"].startswith("_"))  # "_design/..." documents are not packages
    last = doc.get("last_seq")
    last_seq = last if isinstance(last, int) else max((s for s, _ in entries), default=since)
    return Changes(entries, max(last_seq, since))


def packument(client: Client, registry: str, name: str) -> dict[str, Any] | None:
    """The package's document, or None when the registry does not have it (yet, or any more)."""
    try:
        return _json(client, f"{registry.rstrip('/')}/{urllib.parse.quote(name, safe='@')}")
    except FetchError as exc:
        if exc.status == 404:
            return None
        raise


def _digest(dist: dict[str, Any]) -> str | None:
    """``algorithm:hex`` of the tarball, as a registry spec verifies it; None when the packument
    gives no digest worth verifying."""
    try:
        algorithm, value = npm.dist_digest(dist, "")
    except ScanError:
        return None
    return f"{algorithm}:{value}"


def _published(doc: dict[str, Any], version: str) -> datetime.datetime | None:
    times = doc.get("time")
    stamp = times.get(version) if isinstance(times, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(datetime.UTC).replace(tzinfo=None) if when.tzinfo else when


def version_task(doc: dict[str, Any], version: str) -> Task | None:
    """The task for one version's tarball, or None when the packument gives no tarball or digest."""
    meta = doc["versions"].get(version) if isinstance(doc.get("versions"), dict) else None
    if not isinstance(meta, dict):
        return None
    dist = meta.get("dist")
    if not isinstance(dist, dict) or not isinstance(dist.get("tarball"), str):
        return None
    digest = _digest(dist)
    if digest is None:
        return None
    name = str(doc.get("name") or meta.get("name"))
    url = dist["tarball"]
    filename = urllib.parse.unquote(url.rsplit("/", 1)[-1].split("?")[0]) or f"{name}-{version}.tgz"
    return Task(spec=f"npm:{name}@{version}", registry="npm", filename=filename, digest=digest, url=url,
                name=name, version=version)


def new_versions(doc: dict[str, Any], after: datetime.datetime) -> list[Task]:
    """Tasks for the versions published at or after ``after`` (UTC, naive), oldest first. A version
    without a publish time counts as new: an unknown age is no reason to skip it."""
    versions = doc.get("versions")
    if not isinstance(versions, dict):
        return []
    dated = [(_published(doc, v) or after, v) for v in versions]
    return [t for when, v in sorted(dated) if when >= after and (t := version_task(doc, v)) is not None]


def spec_tasks(client: Client, registry: str, spec: str) -> list[Task]:
    """The task of ``npm:NAME[@VERSION|@TAG]`` (the ``latest`` tag when none is given)."""
    body = spec[len("npm:"):]
    at = body.rfind("@")
    name, wanted = (body[:at], body[at + 1:]) if at > 0 else (body, None)
    if not name:
        raise UsageError(f"{spec}: expected npm:NAME, npm:NAME@VERSION or npm:@scope/NAME@TAG")
    doc = packument(client, registry, name)
    if doc is None:
        raise UsageError(f"{spec}: not found on {urllib.parse.urlsplit(registry).netloc}")
    versions: dict[str, Any] = doc["versions"] if isinstance(doc.get("versions"), dict) else {}
    tags: dict[str, Any] = doc["dist-tags"] if isinstance(doc.get("dist-tags"), dict) else {}
    version = wanted if wanted in versions else tags.get(wanted or "latest")
    task = version_task(doc, version) if isinstance(version, str) else None
    if task is None:
        raise UsageError(f"{spec}: no version {wanted or 'latest'} with a tarball and a digest")
    return [task]
