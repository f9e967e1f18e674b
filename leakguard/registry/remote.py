"""What a registry says a release is: its files, where they are and the digests to check them by.
Plain picklable values: a coordinator can look a release up and hand its files to workers."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from leakguard.errors import UsageError

KINDS = ("wheel", "sdist")


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One file of a release. ``digest`` is the hex digest the registry publishes (``algorithm``
    is a ``hashlib`` name); ``size`` is ``None`` when the registry does not say (npm, PEP 503 HTML);
    ``yanked`` is the reason given (``""`` for none) when the file is yanked (PEP 592)."""

    spec: str
    project: str
    version: str
    filename: str
    url: str
    algorithm: str
    digest: str
    kind: str = "npm"
    size: int | None = None
    yanked: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """The files a spec names, as the registry lists them (nothing downloaded yet)."""

    spec: str
    registry: str
    project: str
    version: str
    files: tuple[RemoteFile, ...]

    @property
    def size(self) -> int | None:
        """The bytes of every file, or ``None`` when the registry does not give every size."""
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)


def only(release: Release, selectors: Sequence[str]) -> Release:
    """The files of ``release`` that any selector picks: ``wheel``, ``sdist`` or a glob on the file
    name (``*manylinux*x86_64*``). Picking none of them is a usage error: a scan of nothing would
    pass."""
    if not selectors:
        return release
    picked = tuple(f for f in release.files if any(_picks(s, f) for s in selectors))
    if not picked:
        names = ", ".join(f.filename for f in release.files[:5]) + (", ..." if len(release.files) > 5 else "")
        raise UsageError(f"{release.spec}: --only {','.join(selectors)} selects none of its "
                         f"{len(release.files)} files ({names})")
    return Release(release.spec, release.registry, release.project, release.version, picked)


def _picks(selector: str, file: RemoteFile) -> bool:
    if selector in KINDS:
        return file.kind == selector
    return fnmatch.fnmatchcase(file.filename, selector)
