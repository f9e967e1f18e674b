"""Where an audit's tasks come from: the targets of ``leakguard audit`` and the feeds of
``leakguard watch``. Feeds yield tasks and, after each page, a ``Mark`` with the cursor that page
reached, so the coordinator stores the cursor with the work it covers."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from leakguard.audit import npm_feed, pypi_feed
from leakguard.audit.coordinator import Mark
from leakguard.audit.http import Client
from leakguard.audit.work import Task, utcnow
from leakguard.errors import UsageError


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _tree_digest(folder: Path) -> str:
    """A directory's content key: every regular file's relative path and sha256, sorted."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_file() and not path.is_symlink():
                digest.update(f"{path.relative_to(folder).as_posix()}\0{_file_digest(path)}\n".encode())
    return digest.hexdigest()


def local_task(target: str) -> Task:
    """A local file (keyed by its sha256) or directory (keyed by its tree digest)."""
    path = Path(target)
    if path.is_dir():
        return Task(spec=target, registry="local", filename=path.resolve().name, digest=f"tree:{_tree_digest(path)}",
                    path=str(path.resolve()))
    if not path.is_file():
        raise UsageError(f"{target}: no such file or directory")
    return Task(spec=target, registry="local", filename=path.name, digest=f"sha256:{_file_digest(path)}",
                path=str(path.resolve()))


@dataclass(frozen=True, slots=True)
class Registries:
    """Where specs and feeds are read: the npm registry and feed, the Python index."""

    npm: Client
    pypi: Client
    registry: str = npm_feed.REGISTRY
    index_url: str = pypi_feed.INDEX
    feed: str = npm_feed.FEED


def target_tasks(targets: Iterable[str], where: Registries) -> Iterator[Task]:
    """The tasks of ``leakguard audit``'s targets, in order."""
    for target in targets:
        if target.startswith("npm:"):
            yield from npm_feed.spec_tasks(where.npm, where.registry, target)
        elif target.startswith("pypi:"):
            yield from pypi_feed.spec_tasks(where.pypi, where.index_url, target)
        else:
            yield local_task(target)


def read_targets(path: Path) -> list[str]:
    """``--from FILE``: one target per line; blank lines and ``#`` comments are ignored."""
    try:
        lines = (Path("/dev/stdin") if str(path) == "-" else path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--from {path}: cannot read: {exc}") from None
    return [t for line in lines if (t := line.split("#", 1)[0].strip())]


@dataclass(frozen=True, slots=True)
class Follow:
    """How a watch follows its feed: ``once`` stops when caught up, else it polls every ``poll`` s."""

    once: bool = False
    poll: float = 60.0
    limit: int = 1000  # entries (npm) per page
    window: int = 1000  # npm: sequence numbers re-read behind the cursor every cycle (late entries)
    lookback: float = 86400.0  # npm: versions published this many seconds before the read count as new


def npm_key(where: Registries) -> str:
    """The cursor's name in the database."""
    return f"npm {where.feed.rstrip('/')}"


def npm_watch(where: Registries, cursor: str | None, since: int | None, follow: Follow) -> Iterator[Task | Mark]:
    """Tasks for the new versions of every package the feed names, page by page, with marks."""
    seq = since if since is not None else (int(json.loads(cursor)["seq"]) if cursor else None)
    if seq is None:
        seq = npm_feed.head(where.npm, where.feed)  # a first watch starts at the head
    seen: set[tuple[int, str]] = set()  # entries handled by this process: the window re-reads only hints
    key = npm_key(where)
    while True:
        start = max(0, seq - follow.window)
        while True:
            page = npm_feed.changes(where.npm, where.feed, start, follow.limit)
            fresh = [e for e in page.entries if e not in seen]
            seen.update(fresh)
            after = utcnow() - datetime.timedelta(seconds=follow.lookback)
            for name in dict.fromkeys(n for _, n in fresh):
                doc = npm_feed.packument(where.npm, where.registry, name)
                if doc is not None:
                    yield from npm_feed.new_versions(doc, after)
            seq = max(seq, page.last_seq)
            yield Mark(key, json.dumps({"seq": seq}))
            if page.last_seq <= start or not page.entries:
                break
            start = page.last_seq
        if follow.once:
            return
        time.sleep(follow.poll)


def pypi_key(where: Registries) -> str:
    """The cursor's name in the database."""
    return f"pypi {where.index_url.rstrip('/')}"


def pypi_watch(where: Registries, cursor: str | None, since: int | None, follow: Follow) -> Iterator[Task | Mark]:
    """Tasks for every file the journal adds, one journal call at a time, with marks."""
    serial = since if since is not None else (int(json.loads(cursor)["serial"]) if cursor else None)
    if serial is None:
        serial = pypi_feed.last_serial(where.pypi, where.index_url)
    key = pypi_key(where)
    while True:
        added, top = pypi_feed.added_since(where.pypi, where.index_url, serial)
        pages: dict[str, dict[str, pypi_feed.File]] = {}
        for row in added:
            if row.name not in pages:
                files = pypi_feed.project_files(where.pypi, where.index_url, row.name)
                pages[row.name] = {f.filename: f for f in files}
            found = pages[row.name].get(row.filename)
            task = pypi_feed.file_task(row.name, row.version, found) if found is not None else None
            if task is not None:
                yield task
        if top > serial:
            serial = top
            yield Mark(key, json.dumps({"serial": serial}))
            continue  # the journal answers at most 50,000 rows a call: ask again until caught up
        if follow.once:
            return
        time.sleep(follow.poll)
