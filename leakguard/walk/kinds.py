"""Artifact kinds: npm tarball, wheel, sdist, plain archive, directory, file; name, version, licence.

The walker offers each top-level member's bytes; the manifest keeps only the few files that name
the package (``package/package.json``, ``*.dist-info/METADATA``, ``*/PKG-INFO``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_WHEEL_META = re.compile(r"^[^/]+\.dist-info/METADATA$")
_WHEEL_FILE = re.compile(r"^[^/]+\.dist-info/WHEEL$")
_SDIST_INFO = re.compile(r"^[^/]+/PKG-INFO$")
MAX_MANIFEST = 1024 * 1024


@dataclass(slots=True)
class Manifest:
    """What identifies the package, collected while walking. One per artifact, never shared."""

    npm: bytes | None = None
    wheel: bool = False
    metadata: bytes | None = None
    pkg_info: bytes | None = None
    notes: list[str] = field(default_factory=list)

    def offer(self, name: str, data: bytes, *, directory: bool) -> None:
        """Keep ``data`` if the top-level member ``name`` identifies the package."""
        if len(data) > MAX_MANIFEST:
            return
        if name == ("package.json" if directory else "package/package.json"):
            self.npm = data
        elif _WHEEL_META.match(name):
            self.metadata = data
        elif _WHEEL_FILE.match(name):
            self.wheel = True
        elif name == "PKG-INFO" if directory else _SDIST_INFO.match(name):
            self.pkg_info = data

    def describe(self, container: str) -> Described:
        """What the package says it is; licence and repository are None when it declares none."""
        if self.npm is not None:
            kind = "npm" if container != "directory" else "directory"
            return Described(kind, *_npm(self.npm))
        if self.wheel and self.metadata is not None:
            return Described("wheel", *_core_metadata(self.metadata))
        if self.pkg_info is not None:
            return Described("sdist" if container != "directory" else "directory", *_core_metadata(self.pkg_info))
        return Described(container)


@dataclass(frozen=True, slots=True)
class Described:
    """An artifact as its own metadata describes it."""

    kind: str
    name: str | None = None
    version: str | None = None
    license: str | None = None
    repository: str | None = None  # where its source is published, as it says


Fields = tuple[str | None, str | None, str | None, str | None]


def _npm(data: bytes) -> Fields:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None, None, None, None
    if not isinstance(doc, dict):
        return None, None, None, None
    license_ = doc.get("license")
    if isinstance(license_, dict):  # legacy {"type": "MIT", "url": ...}
        license_ = license_.get("type")
    if license_ is None and isinstance(doc.get("licenses"), list) and doc["licenses"]:
        first = doc["licenses"][0]
        license_ = first.get("type") if isinstance(first, dict) else None
    repository = doc.get("repository")
    if isinstance(repository, dict):  # {"type": "git", "url": "git+https://github.com/o/r.git"}
        repository = repository.get("url")
    return _text(doc.get("name")), _text(doc.get("version")), _text(license_), _text(repository)


# Project-URL labels that name the source repository (core metadata; PyPI shows them as such).
_SOURCE_LABELS = ("source", "source code", "repository", "code", "github", "gitlab", "homepage", "home")


def _core_metadata(data: bytes) -> Fields:
    from email.parser import BytesHeaderParser  # only wheels and sdists need it

    headers = BytesHeaderParser().parsebytes(data)
    license_ = headers.get("License-Expression") or headers.get("License")
    for classifier in headers.get_all("Classifier") or []:
        if classifier.startswith("License ::") and not license_:
            license_ = classifier.rsplit("::", 1)[-1].strip()
    urls: dict[str, str] = {}
    for item in headers.get_all("Project-URL") or []:
        label, _, url = str(item).partition(",")
        urls.setdefault(label.strip().lower(), url.strip())
    repository = next((urls[label] for label in _SOURCE_LABELS if urls.get(label)), None) or headers.get("Home-page")
    return _text(headers.get("Name")), _text(headers.get("Version")), _text(license_), _text(repository)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
