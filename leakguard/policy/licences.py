"""What a package's declared licence and repository say about its sources: proprietary, open (an
OSI-approved licence), and published in a public repository. Evidence the source-map policy weighs.
"""

from __future__ import annotations

import re
from typing import Literal

PROPRIETARY = re.compile(r"^(unlicen[sc]ed|see licen[sc]e in\b.*|proprietary|commercial|other/proprietary license"
                         r"|all rights reserved|private)$", re.IGNORECASE)

# SPDX identifiers of OSI-approved licences (opensource.org/licenses, spdx.org/licenses "OSI
# Approved"), lower-cased: the ones packages declare, not the whole list.
OSI = frozenset(name.lower() for name in (
    "0BSD", "AFL-3.0", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0",
    "Artistic-2.0", "BlueOak-1.0.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause",
    "BSL-1.0", "CDDL-1.0", "CECILL-2.1", "ECL-2.0", "EFL-2.0", "EPL-1.0", "EPL-2.0", "EUPL-1.1", "EUPL-1.2",
    "GPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0", "GPL-3.0-only", "GPL-3.0-or-later", "ISC",
    "LGPL-2.0", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1", "LGPL-2.1-only", "LGPL-2.1-or-later",
    "LGPL-3.0", "LGPL-3.0-only", "LGPL-3.0-or-later", "LPPL-1.3c", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0",
    "MS-PL", "MS-RL", "MulanPSL-2.0", "NCSA", "OFL-1.1", "OSL-3.0", "PHP-3.01", "PostgreSQL", "Python-2.0",
    "PSF-2.0", "UPL-1.0", "Unicode-3.0", "Unlicense", "W3C", "Zlib", "ZPL-2.1",
))
# Licence names as PyPI classifiers and old metadata spell them ("License :: OSI Approved :: MIT
# License" is read as "MIT License"), and free-text names seen in core metadata.
_OSI_NAMES = re.compile(
    r"^(?:the )?(?:mit|isc|zlib|unlicense|python software foundation|psf|apache(?: software)?|bsd|new bsd"
    r"|simplified bsd|(?:gnu )?(?:affero |lesser |library )?general public|mozilla public|eclipse public|boost software"
    r"|academic free|artistic|european union public|historical permission notice)(?: licen[sc]e)?"
    r"(?:,? (?:version )?v?[0-9.]+)?(?: or later| \(.+\))?(?: licen[sc]e)?$", re.IGNORECASE)

Kind = Literal["proprietary", "osi", "other"]


def is_proprietary(license_: str | None) -> bool:
    """True when a licence is missing or says the code is not open (npm's ``UNLICENSED``,
    ``SEE LICENSE IN <file>``; PyPI's ``Other/Proprietary License``)."""
    return license_ is None or PROPRIETARY.match(license_.strip()) is not None


def classify(license_: str | None) -> Kind:
    """``proprietary`` (or missing), ``osi`` (an OSI-approved licence, or an SPDX expression whose
    every choice is one), else ``other``."""
    if is_proprietary(license_):
        return "proprietary"
    assert license_ is not None
    text = license_.strip().strip("()")
    choices = [c.strip().strip("()") for c in re.split(r"\s+(?:OR|AND)\s+", text, flags=re.IGNORECASE)]
    if all(c.lower().removesuffix("+") in OSI or _OSI_NAMES.match(c) for c in choices if c):
        return "osi"
    return "other"


# Forges where anyone can read a public repository: what makes "the sources are published" checkable.
PUBLIC_FORGES = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sr.ht", "git.sr.ht",
                 "sourceforge.net", "gitee.com", "salsa.debian.org", "git.launchpad.net", "launchpad.net")
_SHORTHAND = re.compile(r"^(?:(github|gitlab|bitbucket):)?([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$")
_HOST = re.compile(r"^(?:git\+)?(?:https?|git|ssh)://(?:[^@/]+@)?([^/:]+)[/:]|^git@([^:]+):", re.IGNORECASE)


def public_repository(repository: str | None) -> str | None:
    """The repository's address when it is on a public forge (npm's ``user/repo`` and
    ``github:user/repo`` shorthands included), else None."""
    if not repository:
        return None
    text = repository.strip()
    short = _SHORTHAND.match(text)
    if short is not None:
        forge = {"gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}.get(short.group(1) or "", "github.com")
        return f"https://{forge}/{short.group(2)}"
    host = _HOST.match(text)
    if host is None:
        return None
    name = (host.group(1) or host.group(2)).lower()
    if name in PUBLIC_FORGES:
        return re.sub(r"^git\+", "", text)
    return None
