"""What a Python distribution's file name says: its kind and its version, per the packaging specs
(PyPA "Binary distribution format" for wheels, "Source distribution format" for sdists, with the
legacy names older sdists and eggs carry), and PEP 503 name normalisation. A Simple API page
lists files, not versions: this is how files are grouped into releases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SEPARATORS = re.compile(r"[-_.]+")
# Legacy sdists came in every archive format distutils could write.
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".tar.z", ".tar")
# A leading PEP 440 version, for installers of old releases (foo-1.0.win32.exe, foo-1.0-1.noarch.rpm).
_LEADING_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)*)(?=[.-]|$)", re.IGNORECASE)


def normalise(name: str) -> str:
    """PEP 503: runs of ``-``, ``_`` and ``.`` become one ``-``, lower-cased (``Foo.Bar_baz`` ->
    ``foo-bar-baz``)."""
    return _SEPARATORS.sub("-", name).lower()


@dataclass(frozen=True, slots=True)
class FileName:
    """A distribution file's kind (``wheel``, ``sdist``, ``egg`` or ``other``) and version
    (``None`` when the name does not say)."""

    kind: str
    version: str | None


def parse(filename: str, project: str) -> FileName:
    """The kind and version of ``filename``, a file listed for ``project``."""
    lower = filename.lower()
    if lower.endswith(".whl"):
        # {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl
        parts = filename[:-4].split("-")
        return FileName("wheel", parts[1] if len(parts) in (5, 6) else None)
    if lower.endswith(".egg"):
        # {name}-{version}(-py{X.Y}(-{platform})?)?.egg, with "-" in names escaped as "_"
        parts = filename[:-4].split("-")
        return FileName("egg", parts[1] if len(parts) >= 2 else None)
    suffix = next((s for s in SDIST_SUFFIXES if lower.endswith(s)), None)
    if suffix is not None:
        return FileName("sdist", _after_name(filename[: -len(suffix)], project))
    rest = _after_name(filename, project)
    found = _LEADING_VERSION.match(rest) if rest is not None else None
    return FileName("other", found.group(1) if found else None)


def _after_name(stem: str, project: str) -> str | None:
    """What follows the project's name in ``stem``: the name may be spelt as the project was
    (``python-dateutil-2.8.2``) or normalised (``python_dateutil-2.9.0``); today's sdists use the
    latter, so when no prefix matches, the version is what follows the last ``-``."""
    wanted = normalise(project)
    for index, char in enumerate(stem):
        if char == "-" and normalise(stem[:index]) == wanted:
            return stem[index + 1 :] or None
    name, dash, version = stem.rpartition("-")
    return version if dash and name and version else None


def version_key(version: str) -> tuple[int, Any]:
    """A sort key in PEP 440 order; versions that are not PEP 440 sort below every one that is."""
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def is_prerelease(version: str) -> bool:
    """True for PEP 440 pre-releases and development releases (``2.0rc1``, ``2.0.dev3``)."""
    key = version_key(version)
    return key[0] == 1 and bool(key[1].is_prerelease)


def same_version(a: str, b: str) -> bool:
    """PEP 440 equality (``1.0`` is ``1.0.0``, ``1.0RC1`` is ``1.0rc1``), else plain equality."""
    key_a, key_b = version_key(a), version_key(b)
    return key_a == key_b if key_a[0] == key_b[0] == 1 else a == b
