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

    def describe(self, container: str) -> tuple[str, str | None, str | None, str | None]:
        """``(kind, name, version, licence)``; licence is None when the package declares none."""
        if self.npm is not None:
            name, version, license_ = _npm(self.npm)
            return ("npm" if container != "directory" else "directory", name, version, license_)
        if self.wheel and self.metadata is not None:
            return ("wheel", *_core_metadata(self.metadata))
        if self.pkg_info is not None:
            return ("sdist" if container != "directory" else "directory", *_core_metadata(self.pkg_info))
        return (container, None, None, None)


def _npm(data: bytes) -> tuple[str | None, str | None, str | None]:
    try:
        doc = json.loads(data)
    except ValueError:
        return None, None, None
    if not isinstance(doc, dict):
        return None, None, None
    license_ = doc.get("license")
    if isinstance(license_, dict):  # legacy {"type": "MIT", "url": ...}
        license_ = license_.get("type")
    if license_ is None and isinstance(doc.get("licenses"), list) and doc["licenses"]:
        first = doc["licenses"][0]
        license_ = first.get("type") if isinstance(first, dict) else None
    return _text(doc.get("name")), _text(doc.get("version")), _text(license_)


def _core_metadata(data: bytes) -> tuple[str | None, str | None, str | None]:
    from email.parser import BytesHeaderParser  # 9 ms to import; only wheels and sdists need it

    headers = BytesHeaderParser().parsebytes(data)
    license_ = headers.get("License-Expression") or headers.get("License")
    for classifier in headers.get_all("Classifier") or []:
        if classifier.startswith("License ::") and not license_:
            license_ = classifier.rsplit("::", 1)[-1].strip()
    return _text(headers.get("Name")), _text(headers.get("Version")), _text(license_)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
