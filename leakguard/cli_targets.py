"""The command line's targets, before a scan: registry specs become verified downloads (with a word
on stderr about what is fetched, and progress on a terminal), and a directory target must hold
something to scan. Part of the CLI layer: it prints (to stderr) and raises the CLI's errors."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from leakguard.errors import UsageError

if TYPE_CHECKING:  # the model and the registry load only when used: `leakguard --version` needs neither
    from leakguard.model import Source
    from leakguard.registry import Client, Release, RemoteFile

# Files a build tool drops into its output folder that are not artifacts (uv and hatch write a
# .gitignore of "*" there): a dist/ holding only these has nothing to scan.
BUILD_MARKERS = frozenset({".gitignore"})


@dataclass(frozen=True, slots=True)
class Fetching:
    """Where specs are looked up and what is said about it. ``index_url`` is ``None`` when the
    user gave none (pip's configuration decides); ``only`` picks files of PyPI releases."""

    registry: str
    index_url: str | None = None
    only: tuple[str, ...] = ()
    quiet: bool = False
    progress: bool = False


def resolve(targets: Sequence[str | Source], fetching: Fetching) -> tuple[str | Source, ...]:
    """Registry specs become verified downloads named by the spec and file name
    (``pypi:requests==2.32.3 (requests-2.32.3.tar.gz)``), never by their cache path; other
    targets (and sources already named) are checked (a missing target or an empty directory is a
    usage error) and pass through."""
    from leakguard.model import Source

    out: list[str | Source] = []
    specs = [t for t in targets if isinstance(t, str) and t.startswith(("npm:", "pypi:"))]
    if fetching.only and specs and not any(t.startswith("pypi:") for t in specs):
        raise UsageError("--only selects files of pypi: releases; no pypi: target was given")
    session: Client | None = None
    index: str | None = None
    for target in targets:
        if isinstance(target, Source) or not target.startswith(("npm:", "pypi:")):
            check(Source.of(target).path)
            out.append(target)
            continue
        from leakguard import registry as registries

        if session is None:
            session = registries.client_for(fetching.registry)
        if target.startswith("pypi:") and index is None:
            index = registries.index_url(fetching.index_url)
        release = registries.lookup(target, registry=fetching.registry, index=index or registries.PYPI_INDEX,
                                    client=session)
        if target.startswith("pypi:"):
            release = registries.only(release, fetching.only)
        out.extend(_fetch(release, session, registries.cache_dir(), fetching))
    return tuple(out)


def _fetch(release: Release, session: Client, cache: Path, fetching: Fetching) -> list[Source]:
    from leakguard import registry as registries
    from leakguard.model import Source

    waiting = [f for f in release.files if not registries.cached(f, cache)]
    if not fetching.quiet:
        click.echo(f"leakguard: {announce(release, len(release.files) - len(waiting))}", err=True)
    meter = _Meter(release, waiting) if fetching.progress and waiting else None
    try:
        paths = [registries.fetch(f, session, cache, meter) for f in release.files]
    finally:
        if meter is not None:
            meter.close()
    return [Source(str(path), f"{release.spec} ({file.filename})") for file, path in zip(release.files, paths,
                                                                                          strict=True)]


def announce(release: Release, cached: int) -> str:
    """``pypi:numpy==2.2.1: 55 files, 727.6 MB`` (sizes when the registry gives them all), with
    what the cache already holds and which files are yanked."""
    from leakguard.model import human_size

    count = len(release.files)
    line = f"{release.spec}: {count} file{'s' if count != 1 else ''}"
    if count == 1 and release.spec.startswith("npm:"):
        line += f" ({release.files[0].filename})"
    if release.size is not None:
        line += f", {human_size(release.size)}"
    if cached:
        line += ", all cached" if cached == count else f", {cached} cached"
    yanked = [f for f in release.files if f.yanked is not None]
    if yanked:
        reason = yanked[0].yanked
        line += f"; yanked{': ' + reason if reason else ''}" if len(yanked) == count else f"; {len(yanked)} yanked"
    return line


class _Meter:
    """Download progress on one stderr line, redrawn at most ten times a second."""

    def __init__(self, release: Release, waiting: Sequence[RemoteFile]) -> None:
        self.spec = release.spec
        sizes = [f.size for f in waiting]
        self.total = None if None in sizes else sum(s for s in sizes if s is not None)
        self.done = 0
        self.last = 0.0

    def __call__(self, received: int) -> None:
        from leakguard.model import human_size

        self.done += received
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        of = f" of {human_size(self.total)}" if self.total else ""
        click.echo(f"\rleakguard: {self.spec}: downloaded {human_size(self.done)}{of} ", nl=False, err=True)

    def close(self) -> None:
        if self.last:
            click.echo("\r\033[K", nl=False, err=True)


def check(target: str) -> None:
    """A usage error for a missing target or a directory with nothing to scan: a gate that scanned
    nothing must not pass. "Nothing" is no regular file anywhere below the directory (links and
    special files count as something: the scan reports them), leaving aside build tools' markers."""
    if target == "-":
        return
    path = Path(target)
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{target}: no such file or directory — build first")
    if path.is_dir() and not path.is_symlink() and not _holds_something(path):
        raise UsageError(f"nothing to scan under {target} — build first")


def _holds_something(folder: Path) -> bool:
    errors: list[OSError] = []
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        if any(not (name in BUILD_MARKERS and root == str(folder)) for name in files):
            return True
        # os.walk lists links to folders under dirs and does not follow them: they are something.
        if any(os.path.islink(os.path.join(root, d)) for d in dirs):
            return True
    return bool(errors)  # what cannot be listed is left to the scan, which reports it
